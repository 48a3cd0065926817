/**
 * The mRSL language: syntax (sections, comments, escapes), types and defaults, MiG's value
 * checks, and what happens to bad, hostile and oversized input.
 */
import { describe, expect, it } from 'vitest';
import {
  formatMrsl, jobSpecFromJson, jobSpecToJson, MRSL_KEYWORDS, MRSL_LIMITS, MrslError, parseMrsl,
  type MrslProblem,
} from '../src/index.js';

const mrsl = (...lines: string[]): string => lines.join('\n');

/** The MrslError a call throws (fails the test when it does not throw one). */
function mrslError(call: () => unknown): MrslError {
  try {
    call();
  } catch (err) {
    if (err instanceof MrslError) return err;
    throw err;
  }
  throw new Error('expected an MrslError');
}

function problems(call: () => unknown): MrslProblem[] {
  return [...mrslError(call).problems];
}

describe('mRSL keywords and defaults', () => {
  it('defines exactly the 25 keywords of MiG in MiG\'s order, EXECUTE the only required one', () => {
    expect(MRSL_KEYWORDS.map((k) => k.name)).toEqual([
      'EXECUTE', 'INPUTFILES', 'OUTPUTFILES', 'EXECUTABLES', 'MOUNT', 'RESOURCE', 'VGRID', 'NODECOUNT', 'CPUCOUNT',
      'CPUTIME', 'MEMORY', 'DISK', 'ARCHITECTURE', 'MAXFILL', 'ENVIRONMENT', 'RUNTIMEENVIRONMENT', 'NOTIFY',
      'VERIFYFILES', 'RETRIES', 'JOBTYPE', 'JOBNAME', 'PROJECT', 'SANDBOX', 'PLATFORM', 'MAXPRICE',
    ]);
    expect(MRSL_KEYWORDS.filter((k) => k.required).map((k) => k.name)).toEqual(['EXECUTE']);
  });

  it('fills in MiG\'s defaults', () => {
    expect(parseMrsl('::EXECUTE::\ntrue\n')).toEqual({
      EXECUTE: ['true'], INPUTFILES: [], OUTPUTFILES: [], EXECUTABLES: [], MOUNT: [], RESOURCE: [], VGRID: ['Generic'],
      NODECOUNT: 1, CPUCOUNT: 1, CPUTIME: 600, MEMORY: 64, DISK: 0, ARCHITECTURE: '', MAXFILL: [], ENVIRONMENT: [],
      RUNTIMEENVIRONMENT: [], NOTIFY: [], VERIFYFILES: [], RETRIES: 2, JOBTYPE: 'batch', JOBNAME: '', PROJECT: '',
      SANDBOX: false, PLATFORM: '', MAXPRICE: '0',
    });
  });

  it('takes the site\'s retries, architectures and job types from the options', () => {
    expect(parseMrsl('::EXECUTE::\ntrue\n', { defaultRetries: 4 }).RETRIES).toBe(4);
    const text = mrsl('::EXECUTE::', 'true', '', '::ARCHITECTURE::', 'RISCV', '', '::JOBTYPE::', 'gpu');
    expect(problems(() => parseMrsl(text)).map((p) => p.keyword)).toEqual(['ARCHITECTURE', 'JOBTYPE']);
    expect(parseMrsl(text, { architectures: ['RISCV'], jobTypes: ['gpu'] })).toMatchObject({ ARCHITECTURE: 'RISCV', JOBTYPE: 'gpu' });
  });
});

describe('mRSL syntax', () => {
  it('reads every kind of value', () => {
    const spec = parseMrsl(mrsl(
      '::EXECUTE::', './run.sh  ', '  echo done', '',
      '::INPUTFILES::', '/data/./in.txt', 'https://example.org/x/file.dat local.dat', 'a//b/../c c', '',
      '::ENVIRONMENT::', 'A=1', 'B=x=y', 'C=', '',
      '::RUNTIMEENVIRONMENT::', 'python-3', '',
      '::MAXFILL::', 'CPUTIME', 'ALL', '',
      '::SANDBOX::', 'on', '',
      '::NODECOUNT::', '007', '',
      '::RESOURCE::', 'abc_*', '',
      '::VGRID::', 'eScience', 'ANY', '',
      '::NOTIFY::', 'jabber: me@example.org', 'SETTINGS', '',
      '::JOBNAME::', 'run+1@x%', '',
    ));
    expect(spec.EXECUTE).toEqual(['./run.sh', 'echo done']);
    expect(spec.INPUTFILES).toEqual([
      { source: 'data/in.txt', destination: 'data/in.txt' },
      { source: 'https://example.org/x/file.dat', destination: 'local.dat' },
      { source: 'a/c', destination: 'c' },
    ]);
    expect(spec.ENVIRONMENT).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: 'x=y' }, { name: 'C', value: '' }]);
    expect(spec.RUNTIMEENVIRONMENT).toEqual(['PYTHON-3']);
    expect(spec).toMatchObject({ MAXFILL: ['CPUTIME', 'ALL'], SANDBOX: true, NODECOUNT: 7, RESOURCE: ['abc_*'], VGRID: ['eScience', 'ANY'], JOBNAME: 'run+1@x%' });
  });

  it('accepts any case and any number of colons around a keyword', () => {
    expect(parseMrsl('::execute::\nls\n\n:::CPUTIME:::\n5\n\nMEMORY\n7\n')).toMatchObject({ EXECUTE: ['ls'], CPUTIME: 5, MEMORY: 7 });
  });

  it('strips comments, keeps \\# and \\\\, drops lines that are empty after the comment', () => {
    const spec = parseMrsl(mrsl(
      '::EXECUTE::',
      'echo a # a comment',
      '# a whole-line comment',
      'echo \\#1',
      'echo back\\\\slash \\n \\x',
      'echo end\\',
      'echo \\',
    ));
    // A lone backslash at the end of a line is dropped (MiG); then the line is trimmed.
    expect(spec.EXECUTE).toEqual(['echo a', 'echo #1', 'echo back\\slash \\n \\x', 'echo end', 'echo']);
  });

  it('ends a section at a whitespace-only line, and accepts \\r\\n, \\r and a byte order mark', () => {
    expect(parseMrsl('\ufeff::EXECUTE::\r\nls\r\n \t \r\n::CPUTIME::\r9')).toMatchObject({ EXECUTE: ['ls'], CPUTIME: 9 });
  });

  it('adds up list keywords given twice and keeps the last single value, as MiG does', () => {
    const spec = parseMrsl(mrsl('::EXECUTE::', 'a', '', '::CPUTIME::', '1', '', '::EXECUTE::', 'b', '', '::CPUTIME::', '2'));
    expect(spec).toMatchObject({ EXECUTE: ['a', 'b'], CPUTIME: 2 });
  });

  it('treats an empty string section as the default, and an empty boolean as false', () => {
    expect(parseMrsl(mrsl('::EXECUTE::', 'x', '', '::JOBTYPE::', '', '::MAXPRICE::', '', '::SANDBOX::', ''))).toMatchObject({ JOBTYPE: 'batch', MAXPRICE: '0', SANDBOX: false });
  });

  it('keeps RUNTIMEENVIRONMENT as written for ARC jobs', () => {
    expect(parseMrsl(mrsl('::EXECUTE::', 'x', '', '::JOBTYPE::', 'arc', '', '::RUNTIMEENVIRONMENT::', 'env/x'), { jobTypes: ['arc'] }).RUNTIMEENVIRONMENT).toEqual(['env/x']);
  });
});

describe('mRSL errors name the line and keyword and say what to do', () => {
  it('refuses an unknown keyword and suggests the closest one', () => {
    const err = mrslError(() => parseMrsl(mrsl('::EXECUTE::', 'ls', '', '::CPUTIM::', '5')));
    expect(err.code).toBe('MIG_E_MRSL_INVALID');
    expect(err.status).toBe(400);
    expect(err.problems).toEqual([expect.objectContaining({ line: 4 })]);
    expect(err.message).toContain('line 4');
    expect(err.message).toContain('unknown keyword ::CPUTIM::');
    expect(err.message).toContain('did you mean CPUTIME?');
  });

  it('explains a comment between sections (MiG reads it as a keyword)', () => {
    const err = mrslError(() => parseMrsl(mrsl('# my job', '', '::EXECUTE::', 'ls')));
    expect(err.problems[0]).toMatchObject({ line: 1 });
    expect(err.message).toContain('a comment cannot stand on its own line');
  });

  it('refuses a value line without a keyword above it', () => {
    expect(problems(() => parseMrsl('echo hello\n'))[0]?.message).toContain('unknown keyword');
  });

  it('refuses wrong types with the line and keyword', () => {
    const list = problems(() => parseMrsl(mrsl(
      '::EXECUTE::', 'ls', '',
      '::CPUTIME::', 'abc', '',
      '::MEMORY::', '1', '2', '',
      '::DISK::', '',
      '::SANDBOX::', 'maybe', '',
      '::NODECOUNT::', '-1', '',
      '::CPUCOUNT::', '99999999999999999999', '',
      '::MAXFILL::', 'cputime', '',
      '::ENVIRONMENT::', 'NOEQUALS', '',
      '::JOBNAME::', 'two words', '',
      '::PROJECT::', 'a', 'b',
    )));
    expect(list.map((p) => [p.keyword, p.line])).toEqual([
      // a bad value is reported at its line, a wrong number of lines at the keyword's line
      ['CPUTIME', 5], ['MEMORY', 7], ['DISK', 11], ['SANDBOX', 14], ['NODECOUNT', 17], ['CPUCOUNT', 20],
      ['MAXFILL', 23], ['ENVIRONMENT', 26], ['JOBNAME', 29], ['PROJECT', 31],
    ]);
    const byKeyword = new Map(list.map((p) => [p.keyword, p.message]));
    expect(byKeyword.get('CPUTIME')).toContain('one whole number of seconds, e.g. 600');
    expect(byKeyword.get('MEMORY')).toContain('takes one line, but has 2');
    expect(byKeyword.get('DISK')).toContain('needs a value');
    expect(byKeyword.get('SANDBOX')).toContain('True or False');
    expect(byKeyword.get('CPUCOUNT')).toContain('too large');
    expect(byKeyword.get('MAXFILL')).toContain('ALL, CPUTIME');
    expect(byKeyword.get('ENVIRONMENT')).toContain("'NAME=value'");
  });

  it('requires EXECUTE with at least one command', () => {
    expect(problems(() => parseMrsl('::CPUTIME::\n5\n'))).toEqual([{ keyword: 'EXECUTE', message: expect.stringContaining('is required') }]);
    expect(problems(() => parseMrsl('::EXECUTE::\n# nothing\n'))[0]?.keyword).toBe('EXECUTE');
    expect(problems(() => parseMrsl(''))[0]?.keyword).toBe('EXECUTE');
  });

  it('refuses an empty ARCHITECTURE section, as MiG does', () => {
    expect(problems(() => parseMrsl(mrsl('::EXECUTE::', 'x', '', '::ARCHITECTURE::', '')))[0]).toMatchObject({ keyword: 'ARCHITECTURE', line: 4 });
  });

  it('applies MiG\'s character checks per keyword', () => {
    const cases: [string, string][] = [
      ['INPUTFILES', 'in*.txt'],        // no wildcards in paths
      ['OUTPUTFILES', 'a  b'],          // two spaces: three items
      ['OUTPUTFILES', 'a b c'],
      ['EXECUTABLES', 'bin/<x>'],
      ['INPUTFILES', 'http://example.org/dir/'], // a URL must end in a file name
      ['NOTIFY', '<script>alert(1)</script>'],
      ['RESOURCE', 'res/../x'],
      ['VGRID', 'a;b'],
      ['PLATFORM', 'ONE_CLICK'],
      ['MAXPRICE', '1.5'],
      ['RETRIES', 'x1'],
      ['RETRIES', '1e3'],               // passes the alphanumeric check, but is not an integer
      ['RETRIES', '0x10'],
    ];
    for (const [keyword, value] of cases) {
      const found = problems(() => parseMrsl(mrsl('::EXECUTE::', 'x', '', `::${keyword}::`, value)));
      expect(found, `${keyword}=${value}`).toEqual([expect.objectContaining({ keyword, line: 5 })]);
      expect(found[0]?.message, `${keyword}=${value}`).not.toContain(value);
    }
  });

  it('refuses file entries that name the folder itself or climb out of it (stricter than MiG)', () => {
    for (const value of ['.', '/', '..', '../x', 'a/../../x', 'in.txt ../out']) {
      expect(problems(() => parseMrsl(mrsl('::EXECUTE::', 'x', '', '::INPUTFILES::', value)))[0]?.message, value).toContain('inside your home or job folder');
    }
    expect(parseMrsl(mrsl('::EXECUTE::', 'x', '', '::INPUTFILES::', 'a/../b')).INPUTFILES).toEqual([{ source: 'b', destination: 'b' }]);
  });

  it('refuses a keyword line used as a value (a forgotten blank line)', () => {
    const err = mrslError(() => parseMrsl(mrsl('::EXECUTE::', 'ls', '::NOTIFY::', 'me@example.org')));
    expect(err.problems).toEqual([expect.objectContaining({ line: 3, keyword: 'EXECUTE' })]);
    expect(err.message).toContain('put a blank line before it');
  });

  it('lists every problem in details and the first few in the message', () => {
    const text = mrsl('::EXECUTE::', 'x', '', ...Array.from({ length: 8 }, (_, i) => [`::BAD${i}::`, '']).flat());
    const err = mrslError(() => parseMrsl(text));
    expect(err.problems).toHaveLength(8);
    expect(err.details?.problems).toEqual(err.problems);
    expect(err.message).toContain('(and 3 more problems)');
    expect(err.toJSON().code).toBe('MIG_E_MRSL_INVALID');
  });
});

describe('mRSL and hostile input', () => {
  it('refuses NUL and control characters, naming line and keyword, without echoing them', () => {
    for (const bad of ['\u0000', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u2028', '\ud800']) {
      const err = mrslError(() => parseMrsl(mrsl('::EXECUTE::', 'ls', `echo ${bad}x`)));
      expect(err.problems, JSON.stringify(bad)).toEqual([expect.objectContaining({ line: 3, keyword: 'EXECUTE' })]);
      expect(err.message).not.toContain(bad);
    }
    const header = mrslError(() => parseMrsl('::EXE\u0000CUTE::\nls\n'));
    expect(header.problems[0]).toMatchObject({ line: 1 });
    expect(header.message).toContain('keyword line contains a NUL character');
  });

  it('never echoes a hostile keyword name', () => {
    const err = mrslError(() => parseMrsl('::<img src=x onerror=alert(1)>::\nls\n\n::EXECUTE::\nls\n'));
    expect(err.message).toContain('an unknown keyword');
    expect(err.message).not.toContain('<img');
  });

  it('bounds the size of the text, its lines and its sections', () => {
    const big = mrslError(() => parseMrsl(`::EXECUTE::\n${'x'.repeat(MRSL_LIMITS.maxBytes)}\n`));
    expect(big.code).toBe('MIG_E_TOO_LARGE');
    expect(big.status).toBe(413);
    // 1 MiB of characters that take two bytes each.
    expect(mrslError(() => parseMrsl(`::EXECUTE::\n${'é'.repeat(MRSL_LIMITS.maxBytes / 2 + 1)}`)).code).toBe('MIG_E_TOO_LARGE');

    const longLine = mrslError(() => parseMrsl(`::EXECUTE::\nls\n${'y'.repeat(MRSL_LIMITS.maxLineLength + 1)}\n`));
    expect(longLine.code).toBe('MIG_E_TOO_LARGE');
    expect(longLine.problems[0]).toMatchObject({ line: 3, keyword: 'EXECUTE' });

    const sections = Array.from({ length: MRSL_LIMITS.maxSections + 1 }, () => '::NOTIFY::\na@b.org\n').join('\n');
    const many = mrslError(() => parseMrsl(`::EXECUTE::\nls\n\n${sections}`));
    expect(many.code).toBe('MIG_E_TOO_LARGE');
    expect(many.message).toContain(`more than ${MRSL_LIMITS.maxSections} keyword sections`);

    const values = Array.from({ length: MRSL_LIMITS.maxValuesPerKeyword + 1 }, (_, i) => `f${i}`).join('\n');
    const lines = mrslError(() => parseMrsl(`::EXECUTE::\nls\n\n::INPUTFILES::\n${values}\n`));
    expect(lines.code).toBe('MIG_E_TOO_LARGE');
    expect(lines.problems[0]).toMatchObject({ keyword: 'INPUTFILES', line: 4 });
  });

  it('stays fast on pathological whitespace and backslashes', () => {
    const started = process.hrtime.bigint();
    const spaces = `::EXECUTE::\nx${' '.repeat(MRSL_LIMITS.maxLineLength - 2)}x\n${'\\'.repeat(MRSL_LIMITS.maxLineLength)}\n`;
    expect(parseMrsl(spaces).EXECUTE).toHaveLength(2);
    // Not a timing assertion: a sanity bound far above the linear cost, to catch quadratic blow-ups.
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(20);
  });
});

describe('mRSL JSON form', () => {
  it('reads the JSON form with the same rules', () => {
    const spec = jobSpecFromJson({
      EXECUTE: ['./run.sh', '  ', 'echo # not a comment in JSON'],
      INPUTFILES: [{ source: '/data/in.txt', destination: 'in.txt' }, 'other.txt'],
      ENVIRONMENT: [{ name: 'MODE', value: 'fast' }, 'X=1'],
      CPUTIME: 3600,
      MEMORY: '128',
      SANDBOX: true,
      MAXPRICE: 40,
      ARCHITECTURE: '',
      JOBNAME: null,
      NOTIFY: 'me@example.org',
    });
    expect(spec).toMatchObject({
      EXECUTE: ['./run.sh', 'echo # not a comment in JSON'],
      INPUTFILES: [{ source: 'data/in.txt', destination: 'in.txt' }, { source: 'other.txt', destination: 'other.txt' }],
      ENVIRONMENT: [{ name: 'MODE', value: 'fast' }, { name: 'X', value: '1' }],
      CPUTIME: 3600, MEMORY: 128, SANDBOX: true, MAXPRICE: '40', ARCHITECTURE: '', JOBNAME: '', NOTIFY: ['me@example.org'],
    });
    // A value with '#' and '\' survives the text form too.
    expect(parseMrsl(formatMrsl(spec))).toEqual(spec);
  });

  it('writes a plain deep copy in keyword order', () => {
    const spec = parseMrsl('::EXECUTE::\nls\n\n::INPUTFILES::\na b\n');
    const json = jobSpecToJson(spec);
    expect(Object.keys(json)).toEqual(MRSL_KEYWORDS.map((k) => k.name));
    expect(json.INPUTFILES[0]).not.toBe(spec.INPUTFILES[0]);
    expect(jobSpecFromJson(JSON.parse(JSON.stringify(json)))).toEqual(spec);
  });

  it('names bad fields by path and keyword', () => {
    const list = problems(() => jobSpecFromJson({
      EXECUTE: ['ls', 5],
      CPUTIME: 1.5,
      MEMORY: -1,
      SANDBOX: 'perhaps',
      INPUTFILES: [{ source: 'a', dest: 'b' }],
      ENVIRONMENT: [{ name: 'A=B', value: '1' }],
      NOTIFY: ['line\nbreak'],
      OUTPUTFILES: 'x y z',
      VGRID: { a: 1 },
      CPUTIM: 5,
    }));
    expect(list.map((p) => p.path)).toEqual([
      'EXECUTE[1]', 'INPUTFILES[0]', 'ENVIRONMENT[0].name', 'NOTIFY[0]', 'VGRID',
    ]);
    expect(list.find((p) => p.path === 'NOTIFY[0]')?.message).toContain('line break');
    // Conversion problems are reported first; the rest are found once those are fixed.
    const second = problems(() => jobSpecFromJson({ EXECUTE: ['ls'], CPUTIME: 1.5, MEMORY: -1, SANDBOX: 'perhaps', OUTPUTFILES: 'x y z', CPUTIM: 5 }));
    expect(second.map((p) => [p.path, p.keyword])).toEqual([
      ['CPUTIME', 'CPUTIME'], ['MEMORY', 'MEMORY'], ['SANDBOX', 'SANDBOX'], ['OUTPUTFILES', 'OUTPUTFILES'], ['CPUTIM', undefined],
    ]);
    expect(second.at(-1)?.message).toContain('did you mean CPUTIME?');
  });

  it('refuses what is not a job object, and oversized lists and strings', () => {
    for (const bad of [null, 'text', [], 5, new Map()]) expect(mrslError(() => jobSpecFromJson(bad)).code).toBe('MIG_E_MRSL_INVALID');
    expect(mrslError(() => jobSpecFromJson({ EXECUTE: ['x'.repeat(MRSL_LIMITS.maxLineLength + 1)] })).code).toBe('MIG_E_TOO_LARGE');
    expect(mrslError(() => jobSpecFromJson({ EXECUTE: Array.from({ length: MRSL_LIMITS.maxValuesPerKeyword + 1 }, () => 'ls') })).code).toBe('MIG_E_TOO_LARGE');
    expect(mrslError(() => jobSpecFromJson(JSON.parse('{"EXECUTE":["ls"],"__proto__":{"polluted":1}}'))).problems[0]?.message).toContain('unknown keyword');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('formatMrsl refuses a job that is not valid', () => {
    const spec = parseMrsl('::EXECUTE::\nls\n');
    expect(mrslError(() => formatMrsl({ ...spec, EXECUTE: [] })).problems[0]?.keyword).toBe('EXECUTE');
    expect(mrslError(() => formatMrsl({ ...spec, NOTIFY: ['a\nb'] })).problems[0]?.keyword).toBe('NOTIFY');
    expect(mrslError(() => formatMrsl({ ...spec, CPUTIME: -5 })).problems[0]?.keyword).toBe('CPUTIME');
  });
});
