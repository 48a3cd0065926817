/**
 * MiG's fitness test, rule by rule: each accepts what MiG accepts and rejects with a reason that
 * names the keyword; shell-style RESOURCE patterns behave like Python's fnmatch and stay fast on
 * hostile patterns.
 */
import { describe, expect, it } from 'vitest';
import { fnmatch, jobFitsUnit, matchingVgrid, type FitResult } from '../src/index.js';
import { job, offer } from './scheduling-fixtures.js';

function reasons(result: FitResult): readonly string[] {
  return result.fits ? [] : result.reasons;
}

describe('jobFitsUnit', () => {
  it('accepts a default job on a default unit', () => {
    expect(jobFitsUnit(job('a'), offer())).toEqual({ fits: true });
  });

  it('RESOURCE: any pattern matching the public name fits; none matching is refused with the name', () => {
    expect(jobFitsUnit(job('a', { RESOURCE: ['other*', 'res1.*_exe?'] }), offer()).fits).toBe(true);
    const result = jobFitsUnit(job('a', { RESOURCE: ['res2.*', '*_exe2'] }), offer());
    expect(reasons(result)).toEqual([expect.stringMatching(/^RESOURCE: .*"res2\.\*".*"res1\.example\.org\.0_exe1"/)]);
  });

  it('ARCHITECTURE: empty means any; otherwise it must be equal', () => {
    expect(jobFitsUnit(job('a', { ARCHITECTURE: '' }), offer()).fits).toBe(true);
    expect(jobFitsUnit(job('a', { ARCHITECTURE: 'AMD64' }), offer()).fits).toBe(true);
    expect(reasons(jobFitsUnit(job('a', { ARCHITECTURE: 'X86' }), offer()))).toEqual([
      'ARCHITECTURE: the job needs "X86", the unit is "AMD64"',
    ]);
  });

  it('JOBTYPE: all takes anything, bulk takes batch, others only their own type', () => {
    expect(jobFitsUnit(job('a', { JOBTYPE: 'interactive' }), offer({ jobType: 'all' })).fits).toBe(true);
    expect(jobFitsUnit(job('a', { JOBTYPE: 'batch' }), offer({ jobType: 'bulk' })).fits).toBe(true);
    expect(jobFitsUnit(job('a', { JOBTYPE: 'bulk' }), offer({ jobType: 'bulk' })).fits).toBe(true);
    expect(reasons(jobFitsUnit(job('a', { JOBTYPE: 'bulk' }), offer({ jobType: 'batch' })))).toEqual([
      'JOBTYPE: the unit accepts "batch" jobs, the job is "bulk"',
    ]);
    expect(jobFitsUnit(job('a', { JOBTYPE: 'interactive' }), offer({ jobType: 'bulk' })).fits).toBe(false);
  });

  it('SANDBOX: a sandbox job may run anywhere; an ordinary job never on a sandbox', () => {
    expect(jobFitsUnit(job('a', { SANDBOX: true }), offer({ sandbox: false })).fits).toBe(true);
    expect(jobFitsUnit(job('a', { SANDBOX: true }), offer({ sandbox: true })).fits).toBe(true);
    expect(reasons(jobFitsUnit(job('a', { SANDBOX: false }), offer({ sandbox: true })))).toEqual([
      'SANDBOX: the unit is a sandbox and the job does not allow sandboxes',
    ]);
  });

  it('PLATFORM: equal ignoring case, and a platform-labelled unit takes only jobs asking for it', () => {
    expect(jobFitsUnit(job('a', { PLATFORM: 'one-click' }), offer({ platform: 'ONE-CLICK' })).fits).toBe(true);
    expect(reasons(jobFitsUnit(job('a'), offer({ platform: 'ONE-CLICK' })))).toEqual([
      'PLATFORM: the job needs platform "", the unit has "ONE-CLICK"',
    ]);
  });

  it.each([
    ['NODECOUNT', 'nodeCount', 2, 1],
    ['CPUCOUNT', 'cpuCount', 9, 8],
    ['CPUTIME', 'cpuTime', 3601, 3600],
    ['DISK', 'disk', 101, 100],
    ['MEMORY', 'memory', 16385, 16384],
  ] as const)('%s: at most what the unit offers', (field, unitField, over, offered) => {
    expect(jobFitsUnit(job('a', { [field]: offered }), offer()).fits).toBe(true);
    expect(reasons(jobFitsUnit(job('a', { [field]: over }), offer({ [unitField]: offered })))).toEqual([
      `${field}: the job needs ${over}, the unit offers ${offered}`,
    ]);
  });

  it('RUNTIMEENVIRONMENT: every one the job needs must be provided (names compared upper-cased)', () => {
    const unit = offer({ runtimeEnvironments: ['python3', 'R'] });
    expect(jobFitsUnit(job('a', { RUNTIMEENVIRONMENT: ['PYTHON3', 'R'] }), unit).fits).toBe(true);
    expect(reasons(jobFitsUnit(job('a', { RUNTIMEENVIRONMENT: ['PYTHON3', 'JAVA', 'MATLAB'] }), unit))).toEqual([
      'RUNTIMEENVIRONMENT: the unit does not provide "JAVA", "MATLAB"',
    ]);
  });

  it('VGRID: the unit must serve one of the job VGrids; the first served one in job order is used', () => {
    const unit = offer({ vgrids: ['Generic', 'Physics'] });
    const j = job('a', {}, 0, ['Chemistry', 'Physics', 'Generic']);
    expect(jobFitsUnit(j, unit).fits).toBe(true);
    expect(matchingVgrid(j, unit)).toBe('Physics');
    expect(reasons(jobFitsUnit(job('a', {}, 0, ['Chemistry']), unit))).toEqual([
      'VGRID: the unit serves none of the job\'s VGrids ("Chemistry")',
    ]);
    expect(reasons(jobFitsUnit(job('a', {}, 0, []), unit))).toEqual(['VGRID: the job may run in no VGrid']);
    expect(matchingVgrid(job('a', {}, 0, ['Chemistry']), unit)).toBeUndefined();
  });

  it('collects every failed rule, in MiG order', () => {
    const result = jobFitsUnit(
      job('a', { ARCHITECTURE: 'X86', CPUTIME: 7200, MEMORY: 1_000_000, RUNTIMEENVIRONMENT: ['JAVA'] }, 0, ['Other']),
      offer(),
    );
    expect(reasons(result).map((r) => r.split(':')[0])).toEqual(['ARCHITECTURE', 'RUNTIMEENVIRONMENT', 'VGRID', 'CPUTIME', 'MEMORY']);
  });

  it('absurd numbers: NaN fits nothing, Infinity only an infinite offer, huge finite values compare exactly', () => {
    expect(reasons(jobFitsUnit(job('a', { CPUTIME: Number.NaN }), offer()))).toEqual([
      'CPUTIME: the job needs not a number, the unit offers 3600',
    ]);
    expect(jobFitsUnit(job('a', { CPUTIME: Infinity }), offer()).fits).toBe(false);
    expect(jobFitsUnit(job('a', { CPUTIME: Infinity }), offer({ cpuTime: Infinity })).fits).toBe(true);
    expect(jobFitsUnit(job('a', { MEMORY: 1e308 }), offer({ memory: 1e308 })).fits).toBe(true);
    expect(jobFitsUnit(job('a', { MEMORY: Number.MAX_SAFE_INTEGER }), offer({ memory: Number.MAX_SAFE_INTEGER - 1 })).fits).toBe(false);
    expect(jobFitsUnit(job('a'), offer({ cpuCount: Number.NaN })).fits).toBe(false);
  });

  it('keeps reasons short when the job carries huge values', () => {
    // The mRSL parser caps a line at 16 KiB and a description at 1 MiB; go beyond both.
    const huge = 'x'.repeat(16_384);
    const patterns = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? `${huge}${i}` : `*${'x*'.repeat(8_000)}${i}`));
    const result = jobFitsUnit(job('a', { ARCHITECTURE: huge, RESOURCE: patterns, RUNTIMEENVIRONMENT: patterns }), offer());
    expect(result.fits).toBe(false);
    for (const reason of reasons(result)) expect(reason.length).toBeLessThan(600);
  });
});

describe('fnmatch (RESOURCE patterns)', () => {
  it.each([
    ['res1.0_exe1', 'res1.0_exe1', true],
    ['res1.0_exe1', 'res1.0_exe2', false],
    ['res1.0_exe1', '*', true],
    ['', '*', true],
    ['', '?', false],
    ['res1.0_exe1', 'res?.0_*', true],
    ['res1.0_exe1', '*exe1', true],
    ['res1.0_exe1', '*exe', false],
    ['res1.0_exe1', 'RES1*', false],
    ['a/b', 'a*b', true],
    ['node7', 'node[0-9]', true],
    ['nodex', 'node[0-9]', false],
    ['nodex', 'node[!0-9]', true],
    ['node-', 'node[a-]', true],
    ['node]', 'node[]]', true],
    ['node!', 'node[!]', false],
    ['node[', 'node[', true],
    ['node[x', 'node[x', true],
    ['nodeb', 'node[z-a]', false],
    ['nodeb', 'node[!z-a]', true],
    ['é.0_exe1', '?.0_exe1', true],
    ['😀_x', '?_x', true],
    ['aXbXc', 'a*b*c', true],
    ['abcbc', 'a*bc', true],
  ])('%j against %j → %s', (name, pattern, expected) => {
    expect(fnmatch(name, pattern)).toBe(expected);
  });

  it('stays fast on pathological patterns and huge inputs (no backtracking blow-up)', () => {
    const longName = 'a'.repeat(20_000);
    expect(fnmatch(longName, '*a*a*a*a*a*a*a*a*a*a*b')).toBe(false);
    expect(fnmatch(longName, `${'*a'.repeat(50)}*`)).toBe(true);
    expect(fnmatch('short', '*a'.repeat(8_000))).toBe(false);
    expect(fnmatch(longName, '?'.repeat(20_000))).toBe(true);
    expect(fnmatch(longName, `${'['.repeat(5_000)}a`)).toBe(false);
    expect(fnmatch('x'.repeat(2_000), '*x'.repeat(1_000) + 'y')).toBe(false);
  });
});
