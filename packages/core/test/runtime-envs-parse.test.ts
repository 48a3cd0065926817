/**
 * Runtime environments in MiG's `::KEYWORD::` format: a realistic one with software, variables
 * and a base64 test procedure, defaults, the JSON form, the name rule, and every class of bad
 * input.
 */
import { describe, expect, it } from 'vitest';
import {
  checkRuntimeEnvironmentName, DEFAULT_RUNTIME_ENVIRONMENT_DESCRIPTION, formatRuntimeEnvironment, normalizeRuntimeEnvironmentName,
  parseRuntimeEnvironment, RUNTIME_ENVIRONMENT_LIMITS, RuntimeEnvironmentError, runtimeEnvironmentFromJson, runtimeEnvironmentToJson,
} from '../src/index.js';
import { codeOf } from '../../../test/support/errors.js';

const TEST_JOB = `::EXECUTE::
$SSHFS_MOUNT -V
$SSHFS_UMOUNT -V

::VERIFYFILES::
verify_runtime_env_SSHFS-2.X-1.status
`;
const TEST_JOB_BASE64 = Buffer.from(TEST_JOB).toString('base64').replace(/(.{76})/g, '$1\n').trim();

/** A runtime environment as MiG's createre writes it (our own text, in the shape of MiG's re_home entries). */
const SSHFS = `::RENAME::
sshfs-2.x-1

::DESCRIPTION::
SSHFS mounts remote folders over SFTP: nothing to set up on the server side.

::SOFTWARE::
name=sshfs
version=2.X
url=http://fuse.sourceforge.net/sshfs.html
description=Any version of sshfs in the 2.X series
icon=http://fuse.sourceforge.net/sshfs.png

::VERIFYSTDOUT::
SSHFS version 2\\..*
FUSE library version: .*

::VERIFYSTATUS::
.* 0

::TESTPROCEDURE::
${TEST_JOB_BASE64}

::ENVIRONMENTVARIABLE::
name=SSHFS_MOUNT
example=/usr/bin/sshfs
description=Mounting ssh file systems

::ENVIRONMENTVARIABLE::
name=SSHFS_UMOUNT
example="/bin/fusermount -uz"
description=Unmounting ssh file systems
`;

function problemsOf(fn: () => unknown): { line?: number; path?: string; keyword?: string; key?: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof RuntimeEnvironmentError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a RuntimeEnvironmentError');
}

describe('parseRuntimeEnvironment on a realistic runtime environment', () => {
  const re = parseRuntimeEnvironment(SSHFS);

  it('reads every keyword, upper-cases the name and decodes the test procedure', () => {
    expect(re.RENAME).toBe('SSHFS-2.X-1');
    expect(re.DESCRIPTION).toBe('SSHFS mounts remote folders over SFTP: nothing to set up on the server side.');
    expect(re.SOFTWARE).toEqual([{
      name: 'sshfs', version: '2.X', url: 'http://fuse.sourceforge.net/sshfs.html',
      description: 'Any version of sshfs in the 2.X series', icon: 'http://fuse.sourceforge.net/sshfs.png',
    }]);
    expect(re.VERIFYSTDOUT).toEqual(['SSHFS version 2\\..*', 'FUSE library version: .*']);
    expect(re.VERIFYSTDERR).toEqual([]);
    expect(re.VERIFYSTATUS).toEqual(['.* 0']);
    expect(re.TESTPROCEDURE).toBe(TEST_JOB);
    expect(re.ENVIRONMENTVARIABLE.map((v) => v.name)).toEqual(['SSHFS_MOUNT', 'SSHFS_UMOUNT']);
    expect(re.ENVIRONMENTVARIABLE[1]?.example).toBe('"/bin/fusermount -uz"');
  });

  it('writes canonical text that parses back to the same runtime environment, and the JSON form too', () => {
    const text = formatRuntimeEnvironment(re);
    expect(parseRuntimeEnvironment(text)).toEqual(re);
    expect(text).toContain(`::TESTPROCEDURE::\n${TEST_JOB_BASE64}\n\n`);
    expect(runtimeEnvironmentFromJson(JSON.parse(JSON.stringify(runtimeEnvironmentToJson(re))))).toEqual(re);
  });
});

describe('defaults and the JSON form', () => {
  it('needs only RENAME', () => {
    expect(parseRuntimeEnvironment('::RENAME::\nlocaldisk\n')).toEqual({
      RENAME: 'LOCALDISK', DESCRIPTION: DEFAULT_RUNTIME_ENVIRONMENT_DESCRIPTION, SOFTWARE: [], TESTPROCEDURE: '',
      VERIFYSTDOUT: [], VERIFYSTDERR: [], VERIFYSTATUS: [], ENVIRONMENTVARIABLE: [],
    });
  });

  it('takes the test procedure as mRSL text in JSON and stores it base64-encoded in text', () => {
    const re = runtimeEnvironmentFromJson({ RENAME: 'python-3', TESTPROCEDURE: '::EXECUTE::\npython3 --version # prints it\n' });
    const text = formatRuntimeEnvironment(re);
    expect(text).not.toContain('python3 --version');
    expect(parseRuntimeEnvironment(text).TESTPROCEDURE).toBe('::EXECUTE::\npython3 --version # prints it\n');
  });

  it('names bad JSON fields by path', () => {
    const problems = problemsOf(() => runtimeEnvironmentFromJson({
      RENAME: 'X', SOFTWARE: [{ name: 'x', version: '1', url: 'http://x.org', description: '', icon: 'http://x.org/i.png', extra: 1 }],
      VERIFYSTDOUT: 'one line', ENVIRONMENTVARIABLE: 'PATH',
    }));
    expect(problems.map((p) => p.path)).toEqual(['SOFTWARE[0].extra', 'ENVIRONMENTVARIABLE[0]']);
    expect(syncCodeOf(() => runtimeEnvironmentFromJson(null))).toBe('MIG_E_RUNTIME_ENV_INVALID');
  });
});

function syncCodeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof RuntimeEnvironmentError ? err.code : 'other';
  }
  return undefined;
}

describe('runtime environment names', () => {
  it('accepts MiG names and upper-cases them', () => {
    for (const name of ['POVRAY-3.6', 'sshfs-2.x-1', 'VBOX3.1-IMAGES-2008-1', 'GENERECON-2.1.3', 'a_b']) {
      expect(checkRuntimeEnvironmentName(name), name).toBeUndefined();
    }
    expect(normalizeRuntimeEnvironmentName(' povray-3.6 ')).toBe('POVRAY-3.6');
  });

  it('refuses empty, long, traversal, hidden, option-like and non-ASCII names without echoing them', async () => {
    for (const name of ['', 'X'.repeat(256), '../etc', '.hidden', '..', '-rf', 'A B', 'ÆBLE', 'X/Y', 'X\u0000', '<b>']) {
      const reason = checkRuntimeEnvironmentName(name);
      expect(reason, JSON.stringify(name)).toBeDefined();
      expect(reason).not.toContain(name === '' ? '\u0001' : name);
    }
    expect(await codeOf(() => normalizeRuntimeEnvironmentName('../x'))).toBe('MIG_E_INVALID_INPUT');
    expect(checkRuntimeEnvironmentName(42 as unknown as string)).toBe('must be a string');
  });
});

describe('bad input', () => {
  it('unknown keyword, with a suggestion', () => {
    const problems = problemsOf(() => parseRuntimeEnvironment('::RENAME::\nX\n\n::SOFTWAER::\nname=x\n'));
    expect(problems).toEqual([{ line: 4, message: expect.stringContaining('unknown keyword ::SOFTWAER:: (did you mean SOFTWARE?)') as string }]);
  });

  it('missing RENAME and missing, unknown or repeated sub-keys', () => {
    const problems = problemsOf(() => parseRuntimeEnvironment([
      '::SOFTWARE::', 'name=x', 'version=1', '',
      '::ENVIRONMENTVARIABLE::', 'name=A', 'example=1', 'description=d', 'colour=red', '',
      '::ENVIRONMENTVARIABLE::', 'name=B', 'name=C', '',
    ].join('\n')));
    expect(problems.map((p) => [p.keyword, p.key])).toEqual([
      ['SOFTWARE', 'url'], ['SOFTWARE', 'description'], ['SOFTWARE', 'icon'],
      ['ENVIRONMENTVARIABLE', undefined], ['ENVIRONMENTVARIABLE', 'name'], ['RENAME', undefined],
    ]);
  });

  it('duplicate variable names and wrong types of values', () => {
    const problems = problemsOf(() => parseRuntimeEnvironment([
      '::RENAME::', 'X', 'Y', '',
      '::ENVIRONMENTVARIABLE::', 'name=A', 'example=', 'description=', '',
      '::ENVIRONMENTVARIABLE::', 'name=A', 'example=', 'description=', '',
      '::ENVIRONMENTVARIABLE::', 'name=A-B', 'example=', 'description=', '',
      '::SOFTWARE::', 'name=x', 'version=1', 'url=http://x.org/?q=1', 'description=', 'icon=http://x.org/i', '',
    ].join('\n')));
    expect(problems.map((p) => p.key ?? p.keyword)).toEqual(['RENAME', 'name', 'name', 'url']);
    expect(problems[0]?.message).toContain('takes one line, but has 2');
  });

  it('a test procedure that is not base64, not UTF-8, not mRSL, or verifies twice', () => {
    const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
    const cases: [string, string][] = [
      ['not base64!', 'base64'],
      ['QUJD', 'not a valid mRSL job'],
      [b64(Buffer.from([0xff, 0xfe, 0x00])), 'not UTF-8'],
      [b64('::EXECUTE::\nls\n\n::CPUTIME::\nsoon\n'), 'its line 5'],
      [b64('::EXECUTE::\nls\n\n::VERIFYFILES::\na.status\n\n::VERIFYFILES::\nb.status\n'), 'more than one ::VERIFYFILES::'],
      ['QUJ', 'not valid base64'],
    ];
    for (const [value, expected] of cases) {
      const problems = problemsOf(() => parseRuntimeEnvironment(`::RENAME::\nX\n\n::TESTPROCEDURE::\n${value}\n`));
      expect(problems.map((p) => p.keyword), value).toEqual(['TESTPROCEDURE']);
      expect(problems[0]?.message, value).toContain(expected);
    }
  });

  it('oversized input', async () => {
    expect(await codeOf(() => parseRuntimeEnvironment('x'.repeat(RUNTIME_ENVIRONMENT_LIMITS.maxBytes + 1)))).toBe('MIG_E_TOO_LARGE');
    const software = Array.from({ length: RUNTIME_ENVIRONMENT_LIMITS.maxSoftware + 1 }, (_, i) =>
      `::SOFTWARE::\nname=s${i}\nversion=1\nurl=http://x.org\ndescription=\nicon=http://x.org/i\n`).join('\n');
    expect(await codeOf(() => parseRuntimeEnvironment(`::RENAME::\nX\n\n${software}`))).toBe('MIG_E_TOO_LARGE');
    const big = Buffer.from(`::EXECUTE::\n${'echo x\n'.repeat(10_000)}`).toString('base64').replace(/(.{76})/g, '$1\n');
    expect(await codeOf(() => parseRuntimeEnvironment(`::RENAME::\nX\n\n::TESTPROCEDURE::\n${big}\n`))).toBe('MIG_E_TOO_LARGE');
    expect(await codeOf(() => runtimeEnvironmentFromJson({ RENAME: 'X', TESTPROCEDURE: 'x'.repeat(70_000) }))).toBe('MIG_E_TOO_LARGE');
  });

  it('hostile strings: markup, control characters, NUL; never echoed', () => {
    const cases = [
      '::RENAME::\nX\n\n::DESCRIPTION::\n<script>alert(1)</script>\n',
      '::RENAME::\nX\n\n::VERIFYSTDOUT::\nok\u0007\n',
      '::RENAME::\nX\u0000Y\n',
      '::RENAME::\nX\n\n::SOFTWARE::\nname=x\nversion=1\nurl=javascript:alert(1)//<x>\ndescription=\nicon=http://x.org/i\n',
    ];
    for (const text of cases) {
      const problems = problemsOf(() => parseRuntimeEnvironment(text));
      expect(problems.length, text).toBe(1);
      expect(JSON.stringify(problems)).not.toMatch(/<script>|alert|\\u0000|\\u0007/);
    }
  });
});
