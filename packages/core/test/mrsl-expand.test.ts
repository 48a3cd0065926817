/**
 * `+JOBID+` and `+JOBNAME+` expansion: in every string of a job, list entries included (MiG's
 * documented behaviour; its Python 3 code skips list entries).
 */
import { describe, expect, it } from 'vitest';
import { codeOf } from '../../../test/support/errors.js';
import { expandJobVariables, formatMrsl, parseMrsl } from '../src/index.js';

const JOB_ID = '42_7_2_2025__12_57_15_myhost.0';

describe('job variable expansion', () => {
  const spec = parseMrsl([
    '::EXECUTE::', 'echo +JOBNAME+ is +JOBID+', 'echo +JOBID++JOBID+ +jobid+', '',
    '::INPUTFILES::', 'in/+JOBNAME+.dat in.dat', '',
    '::OUTPUTFILES::', 'out.txt +JOBID+/out.txt', 'https://example.org/put/+JOBID+.log', '',
    '::EXECUTABLES::', 'bin/run +JOBNAME+', '',
    '::VERIFYFILES::', '+JOBNAME+.status', '',
    '::ENVIRONMENT::', 'RUN_+JOBNAME+=+JOBID+', '',
    '::NOTIFY::', 'jabber: +JOBNAME+@example.org', '',
    '::MOUNT::', 'data +JOBID+', '',
    '::RUNTIMEENVIRONMENT::', 'env+jobname+', '',
    '::JOBNAME::', 'fib+JOBID+', '',
  ].join('\n'));

  it('expands both variables in every string field, list entries included', () => {
    const name = `fib+JOBID+`;
    const run = expandJobVariables(spec, { jobId: JOB_ID });
    expect(run.EXECUTE).toEqual([`echo ${name} is ${JOB_ID}`, `echo ${JOB_ID}${JOB_ID} +jobid+`]);
    expect(run.INPUTFILES).toEqual([{ source: `in/${name}.dat`, destination: 'in.dat' }]);
    expect(run.OUTPUTFILES).toEqual([
      { source: 'out.txt', destination: `${JOB_ID}/out.txt` },
      { source: `https://example.org/put/${JOB_ID}.log`, destination: `https://example.org/put/${JOB_ID}.log` },
    ]);
    expect(run.EXECUTABLES).toEqual([{ source: 'bin/run', destination: name }]);
    expect(run.VERIFYFILES).toEqual([{ source: `${name}.status`, destination: `${name}.status` }]);
    expect(run.ENVIRONMENT).toEqual([{ name: `RUN_${name}`, value: JOB_ID }]);
    expect(run.NOTIFY).toEqual([`jabber: ${name}@example.org`]);
    expect(run.MOUNT).toEqual([`data ${JOB_ID}`]);
    // RESOURCE and VGRID cannot hold '+' (MiG's character checks), so there is nothing to expand.
    // RUNTIMEENVIRONMENT is upper-cased at parse time, so '+jobname+' became the variable.
    expect(run.RUNTIMEENVIRONMENT).toEqual([`ENV${name}`]);
    // JOBNAME itself: +JOBID+ inside it is expanded; the value used for +JOBNAME+ is the one before
    // expansion, and nothing is expanded twice (as in MiG).
    expect(run.JOBNAME).toBe(`fib${JOB_ID}`);
    expect(run).toMatchObject({ CPUTIME: spec.CPUTIME, SANDBOX: spec.SANDBOX, MAXFILL: spec.MAXFILL });
  });

  it('does not change the input, and a resubmit gets its own ID', () => {
    const before = formatMrsl(spec);
    const first = expandJobVariables(spec, { jobId: '1_1_1_2025__0_0_0_site' });
    const second = expandJobVariables(spec, { jobId: '2_1_1_2025__0_0_0_site' });
    expect(formatMrsl(spec)).toBe(before);
    expect(first.EXECUTE[1]).toContain('1_1_1_2025');
    expect(second.EXECUTE[1]).toContain('2_1_1_2025');
  });

  it('takes an explicit job name, and an empty name when the job has none', () => {
    expect(expandJobVariables(spec, { jobId: JOB_ID, jobName: 'other' }).EXECUTE[0]).toBe(`echo other is ${JOB_ID}`);
    const unnamed = parseMrsl('::EXECUTE::\necho [+JOBNAME+]\n');
    expect(expandJobVariables(unnamed, { jobId: JOB_ID }).EXECUTE).toEqual(['echo []']);
  });

  it('refuses job IDs and names that would smuggle other characters in', async () => {
    for (const jobId of ['', '../x', 'a b', 'a;rm -rf ~', 'x\u0000', 'a'.repeat(256)]) {
      expect(await codeOf(() => expandJobVariables(spec, { jobId })), JSON.stringify(jobId)).toBe('MIG_E_INVALID_INPUT');
    }
    for (const jobName of ['a/b', 'a b', '$(id)']) {
      expect(await codeOf(() => expandJobVariables(spec, { jobId: JOB_ID, jobName })), jobName).toBe('MIG_E_INVALID_INPUT');
    }
  });
});
