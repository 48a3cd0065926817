/**
 * MiG's own example job descriptions (`mig/user/examples/*.mRSL`, 32 files), read in place from
 * the shared fixtures: each is accepted or rejected exactly as MiG's current validators judge it
 * (`parser.check_types` + `safeinput.guess_type` + `mrslparser`, default site configuration).
 *
 * Checks that need a site's state are submission's business and not part of this verdict:
 * example2, example3 and generecon_RE name runtime environments that must exist on the site.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMrsl, jobSpecFromJson, jobSpecToJson, MrslError, parseMrsl } from '../src/index.js';
import { fixturesDir, fixturesTitle } from '../../../test/support/fixtures.js';

const dir = fixturesDir('mig-mrsl');

type Verdict = { accept: true } | { reject: string; keyword: string; line: number };
const ARCH = 'ARCHITECTURE is not in the site list (MiG compares case-sensitively; i386/sun4u are not X86/SUN4U)';
const PRICE = 'MAXPRICE fails the alphanumeric check (old price expressions)';

/** The expected verdict for every file, worked out from MiG's validators. */
const EXPECTED: Record<string, Verdict> = {
  'EGC-2005.mRSL': { accept: true },
  'XIV-test.mRSL': { reject: ARCH, keyword: 'ARCHITECTURE', line: 29 },
  'acacia-test-5min.mRSL': { reject: ARCH, keyword: 'ARCHITECTURE', line: 32 },
  'acacia-test.mRSL': { reject: ARCH, keyword: 'ARCHITECTURE', line: 29 },
  'affordable.mRSL': { accept: true },
  'benedict-test.mRSL': { reject: ARCH, keyword: 'ARCHITECTURE', line: 31 },
  'brokenprice.mRSL': { reject: `${PRICE}: 'sys.exit(0)'`, keyword: 'MAXPRICE', line: 19 },
  'cheap.mRSL': { accept: true },
  'decrease.mRSL': { reject: `${PRICE}: '100 - sqrt(exec_delay)'`, keyword: 'MAXPRICE', line: 19 },
  'emptyjob.mRSL': { accept: true },
  'example.mRSL': { accept: true },
  'example2.mRSL': { accept: true },
  'example3.mRSL': { accept: true },
  'example4.mRSL': { accept: true },
  'example5.mRSL': { accept: true },
  'expensive.mRSL': { accept: true },
  'failingcommand.mRSL': { accept: true },
  'fib-XIV.mRSL': { reject: ARCH, keyword: 'ARCHITECTURE', line: 38 },
  'fib-benedict.mRSL': { reject: ARCH, keyword: 'ARCHITECTURE', line: 32 },
  'fib.mRSL': { reject: ARCH, keyword: 'ARCHITECTURE', line: 30 },
  'find-binaries.mRSL': { reject: ARCH, keyword: 'ARCHITECTURE', line: 32 },
  'free.mRSL': { accept: true },
  'generecon.mRSL': { accept: true },
  'generecon_RE.mRSL': { accept: true },
  'hellogrid.mRSL': { accept: true },
  'increase.mRSL': { reject: `${PRICE}: '10 + sqrt(exec_delay)'`, keyword: 'MAXPRICE', line: 19 },
  'notifyjob.mRSL': { accept: true },
  'simpleinput.mRSL': { accept: true },
  'sleepjob.mRSL': { accept: true },
  'variable.mRSL': { reject: `${PRICE}: '10 + 10 * sin(exec_delay)'`, keyword: 'MAXPRICE', line: 19 },
  'verify-all.mRSL': { accept: true },
  'verify.mRSL': { accept: true },
};

function read(name: string): string {
  return readFileSync(join(dir ?? '', name), 'utf8');
}

describe.skipIf(dir === undefined)(fixturesTitle('MiG example job descriptions', dir), () => {
  it('has exactly the 32 files the table judges', () => {
    const files = readdirSync(dir ?? '').filter((f) => f.endsWith('.mRSL')).sort();
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, verdict] of Object.entries(EXPECTED)) {
    if ('accept' in verdict) {
      it(`accepts ${name}, and its canonical and JSON forms give the same job`, () => {
        const spec = parseMrsl(read(name));
        expect(spec.EXECUTE.length).toBeGreaterThan(0);
        expect(parseMrsl(formatMrsl(spec))).toEqual(spec);
        expect(jobSpecFromJson(JSON.parse(JSON.stringify(jobSpecToJson(spec))))).toEqual(spec);
      });
    } else {
      it(`rejects ${name}: ${verdict.reject}`, () => {
        let error: unknown;
        try {
          parseMrsl(read(name));
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(MrslError);
        const err = error as MrslError;
        expect(err.code).toBe('MIG_E_MRSL_INVALID');
        expect(err.problems).toHaveLength(1);
        expect(err.problems[0]).toMatchObject({ keyword: verdict.keyword, line: verdict.line });
        expect(err.message).toContain(`line ${verdict.line}, keyword ${verdict.keyword}`);
      });
    }
  }

  it('reads the values as MiG does', () => {
    const example = parseMrsl(read('example.mRSL'));
    expect(example.ENVIRONMENT).toEqual([{ name: 'newenv', value: '/home/karlsen' }]);
    expect(example.NOTIFY).toEqual(['user@host.com', 'jabber: jabber@jabbernet.com']);
    expect(example.EXECUTABLES).toEqual([{ source: 'exescript.sh', destination: 'exescript.sh' }]);
    expect(example.EXECUTE[4]).toBe('curl http://www.whatismyip.com/ | grep "Your" >> ipout');
    expect(example).toMatchObject({ MEMORY: 1, DISK: 1, CPUTIME: 100, NODECOUNT: 1, CPUCOUNT: 1, VGRID: ['Generic'], JOBTYPE: 'batch', MAXPRICE: '0', SANDBOX: false });

    // Trailing spaces on a value line are trimmed ("blob.pov ").
    expect(parseMrsl(read('example3.mRSL')).INPUTFILES).toEqual([{ source: 'blob.pov', destination: 'blob.pov' }]);
    // A commented-out value line is dropped.
    expect(parseMrsl(read('verify-all.mRSL')).VERIFYFILES.map((f) => f.source)).toEqual(['verify.status', 'verify.stdout', 'verify.stderr']);
    // Rename entries and job variables stay as written until hand-out.
    const re = parseMrsl(read('generecon_RE.mRSL'));
    expect(re.OUTPUTFILES[0]).toEqual({ source: 'locus.txt', destination: '+JOBID+/locus.txt' });
    expect(re).toMatchObject({ JOBNAME: 'GeneRecon-1304', CPUTIME: 345600, MAXPRICE: '100000', RUNTIMEENVIRONMENT: ['GENERECON-2.1.3'] });
    expect(parseMrsl(read('hellogrid.mRSL'))).toMatchObject({ EXECUTE: ['echo "Hello grid"'], CPUTIME: 600, MEMORY: 64, DISK: 0, RETRIES: 2 });
    expect(parseMrsl(read('generecon.mRSL')).INPUTFILES).toHaveLength(14);
  });
});
