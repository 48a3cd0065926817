import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkConfig, formatProblem, loadConfig, parseConfig, parsePasswordPolicy,
} from '../src/config/index.js';
import type { ConfigProblem } from '../src/config/index.js';
import { ConfigError } from '../src/errors.js';

const run = promisify(execFile);

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-config-problems-'));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

const check = (text: string): Promise<ConfigProblem[]> => checkConfig({ text, baseDir: dir });

/** The single problem at `path`, asserting it has a message and a hint. */
async function problemAt(text: string, path: string): Promise<ConfigProblem> {
  const problems = await check(text);
  const found = problems.filter((p) => p.path === path);
  expect(found, `problems: ${JSON.stringify(problems)}`).toHaveLength(1);
  const problem = found[0] as ConfigProblem;
  expect(problem.message.length).toBeGreaterThan(0);
  expect(problem.hint.length).toBeGreaterThan(0);
  return problem;
}

describe('a valid config', () => {
  it('has no problems', async () => {
    expect(await check('[site]\ntitle = "Ok"\n[sftp]\nport = 2022\n')).toEqual([]);
    expect(await check('')).toEqual([]);
  });
});

describe('TOML syntax errors', () => {
  it('are reported with line and column', async () => {
    const problems = await check('[site]\ntitle = "ok"\nfqdn = = "x"\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: '', line: 3, column: expect.any(Number) });
    expect(problems[0]?.message).toMatch(/TOML syntax error/);
    expect(formatProblem(problems[0] as ConfigProblem)).toMatch(/^line 3, column \d+: TOML syntax error/);
  });

  it('do not quote the offending line (it may hold a password)', async () => {
    const problems = await check('[database]\nurl = "postgres://mig:hunter2@db/mig\n');
    expect(problems).toHaveLength(1);
    expect(JSON.stringify(problems)).not.toContain('hunter2');
  });

  it('include duplicate keys', async () => {
    const problems = await check('[sftp]\nport = 1\nport = 2\n');
    expect(problems[0]).toMatchObject({ line: 3 });
  });
});

describe('unknown names', () => {
  it('suggest the closest known key ("prot" → "port")', async () => {
    const problem = await problemAt('[sftp]\nprot = 2222\n', 'sftp.prot');
    expect(problem.message).toMatch(/unknown key "prot" in \[sftp\]/);
    expect(problem.hint).toMatch(/did you mean "port"\?/);
  });

  it('suggest other near misses', async () => {
    expect((await problemAt('[defender]\nmax_user_failure = 3\n', 'defender.max_user_failure')).hint).toMatch(/"max_user_failures"/);
    expect((await problemAt('[web]\nenable = false\n', 'web.enable')).hint).toMatch(/"enabled"/);
  });

  it('point at the right section for a key in the wrong one', async () => {
    const problem = await problemAt('[site]\npassword_policy = "HIGH"\n', 'site.password_policy');
    expect(problem.hint).toMatch(/\[accounts\]/);
  });

  it('list the known keys when nothing is close', async () => {
    const problem = await problemAt('[quota]\nxyzzy = 1\n', 'quota.xyzzy');
    expect(problem.hint).toMatch(/user_limit_bytes/);
  });

  it('suggest the closest section', async () => {
    const problem = await problemAt('[sfpt]\nport = 2222\n', 'sfpt');
    expect(problem.message).toMatch(/unknown section \[sfpt\]/);
    expect(problem.hint).toMatch(/did you mean \[sftp\]/);
  });

  it('flag keys outside any section', async () => {
    const problem = await problemAt('port = 2222\n[site]\n', 'port');
    expect(problem.message).toMatch(/outside any section/);
    expect(problem.hint).toMatch(/\[sftp\]/);
  });
});

describe('wrong types', () => {
  it('name the expected type without echoing the value', async () => {
    const port = await problemAt('[sftp]\nport = "2222"\n', 'sftp.port');
    expect(port.message).toBe('must be a number, not text');
    expect(port.hint).toMatch(/Default: port = 2222/);
    expect((await problemAt('[web]\nenabled = "yes"\n', 'web.enabled')).message).toBe('must be true or false, not text');
    expect((await problemAt('[defender]\nallow_list = "10.0.0.1"\n', 'defender.allow_list')).message).toMatch(/must be a list/);
    expect((await problemAt('[site]\ntitle = 1979-05-27\n', 'site.title')).message).toMatch(/not a date/);
    expect((await problemAt('[sftp]\nport = 22.5\n', 'sftp.port')).message).toBe('must be a whole number');
  });

  it('flag a section written as a plain value', async () => {
    const problem = await problemAt('sftp = 2222\n', 'sftp');
    expect(problem.message).toMatch(/must be a section/);
  });

  it('give array items their index in the path', async () => {
    const problem = await problemAt('[files]\nhidden_names = [".htaccess", 7]\n', 'files.hidden_names.1');
    expect(problem.message).toMatch(/text/);
  });
});

describe('out-of-range values', () => {
  it('cover ports and durations', async () => {
    expect((await problemAt('[sftp]\nport = 0\n', 'sftp.port')).message).toBe('must be at least 1');
    expect((await problemAt('[webdavs]\nport = 65536\n', 'webdavs.port')).message).toBe('must be at most 65535');
    expect((await problemAt('[defender]\nwindow_seconds = 0\n', 'defender.window_seconds')).message).toBe('must be at least 1');
    expect((await problemAt('[defender]\nban_seconds = -5\n', 'defender.ban_seconds')).message).toBe('must be at least 1');
    expect((await problemAt('[monitor]\ninterval_seconds = -1\n', 'monitor.interval_seconds')).message).toBe('must be at least 1');
    expect((await problemAt('[scheduler]\nexpire_after_seconds = -1\n', 'scheduler.expire_after_seconds')).message).toBe('must be at least 0');
    expect((await problemAt('[defender]\nban_growth = 0.5\n', 'defender.ban_growth')).message).toBe('must be at least 1');
    expect((await problemAt('[quota]\nuser_limit_bytes = -1\n', 'quota.user_limit_bytes')).message).toBe('must be at least 0');
    expect((await problemAt('[site]\ntitle = ""\n', 'site.title')).message).toBe('must not be empty');
    expect(await check('[scheduler]\nexpire_after_seconds = 0\n')).toEqual([]);
  });

  it('cover limits that must be ordered', async () => {
    expect((await problemAt('[defender]\nban_seconds = 600\nmax_ban_seconds = 60\n', 'defender.max_ban_seconds')).message).toMatch(/ban_seconds \(600\)/);
    expect((await problemAt('[files]\nmax_name_bytes = 1000\nmax_path_bytes = 500\n', 'files.max_path_bytes')).message).toMatch(/max_name_bytes/);
  });

  it('cover the FTPS passive port range', async () => {
    for (const bad of ['30100-30000', 'abc', '0-10', '30000-70000', '']) {
      const problem = await problemAt(`[ftps]\npassive_ports = "${bad}"\n`, 'ftps.passive_ports');
      expect(problem.message).toMatch(/port range/);
    }
    const config = parseConfig('[ftps]\npassive_ports = "40000-40010"\n', { baseDir: dir });
    expect(config.ftps.passive_port_range).toEqual({ first: 40000, last: 40010 });
  });
});

describe('enum values', () => {
  it('list the allowed values and suggest the closest', async () => {
    const level = await problemAt('[logging]\nlevel = "verbose"\n', 'logging.level');
    expect(level.message).toBe('must be one of fatal, error, warn, info, debug, trace, silent');
    const csrf = await problemAt('[security]\ncsrf_protection = "full"\n', 'security.csrf_protection');
    expect(csrf.hint).toMatch(/did you mean "FULL"/);
    expect((await problemAt('[scheduler]\nalgorithm = "RoundRobin"\n', 'scheduler.algorithm')).message).toMatch(/FairFit/);
    expect((await problemAt('[files]\nsymlinks = "allow"\n', 'files.symlinks')).message).toMatch(/deny, within-view/);
    expect((await problemAt('[site]\nlogin_alias = "username"\n', 'site.login_alias')).message).toMatch(/email/);
  });
});

describe('database.url', () => {
  it('accepts only postgres:// and postgresql:// URLs naming a host', async () => {
    for (const bad of ['mysql://mig:hunter2@db/mig', 'sqlite:///tmp/x.db', 'not a url', '', 'postgres://']) {
      const problem = await problemAt(`[database]\nurl = "${bad}"\n`, 'database.url');
      expect(problem.message).toMatch(/PostgreSQL URL/);
      expect(JSON.stringify(problem)).not.toContain('hunter2');
    }
    expect(await check('[database]\nurl = "postgres://localhost/mig"\n')).toEqual([]);
  });

  it('treats notify.smtp_url the same way', async () => {
    const problem = await problemAt('[notify]\nsmtp_url = "http://user:hunter2@mail"\n', 'notify.smtp_url');
    expect(JSON.stringify(problem)).not.toContain('hunter2');
    expect(await check('[notify]\nsmtp_url = "smtps://u:p@mail.example.org:465"\n')).toEqual([]);
  });
});

describe('state_dir', () => {
  it('that is a file is a problem', async () => {
    await writeFile(join(dir, 'state'), 'not a folder');
    const problem = await problemAt('[site]\nstate_dir = "state"\n', 'site.state_dir');
    expect(problem.message).toMatch(/not a folder/);
  });

  it('that does not exist yet is fine, an existing folder too', async () => {
    expect(await check('[site]\nstate_dir = "later"\n')).toEqual([]);
    await mkdir(join(dir, 'now'));
    expect(await check('[site]\nstate_dir = "now"\n')).toEqual([]);
  });

  it('that is not writable is a problem', async () => {
    const ro = join(dir, 'ro');
    await mkdir(ro);
    await chmod(ro, 0o500);
    // Root may write to any folder but an immutable one (chattr +i, as CI runs as root).
    const asRoot = process.getuid?.() === 0;
    if (asRoot) await run('chattr', ['+i', ro]);
    try {
      const problem = await problemAt('[site]\nstate_dir = "ro"\n', 'site.state_dir');
      expect(problem.message).toMatch(/not writable/);
    } finally {
      if (asRoot) await run('chattr', ['-i', ro]);
      await chmod(ro, 0o700);
    }
  });
});

describe('password policies', () => {
  it('accept MiG\'s forms', () => {
    expect(parsePasswordPolicy('NONE')).toEqual({ name: 'NONE', minLength: 0, minClasses: 0 });
    expect(parsePasswordPolicy('WEAK')).toEqual({ name: 'WEAK', minLength: 6, minClasses: 2 });
    expect(parsePasswordPolicy('MEDIUM')).toEqual({ name: 'MEDIUM', minLength: 8, minClasses: 3 });
    expect(parsePasswordPolicy('HIGH')).toEqual({ name: 'HIGH', minLength: 10, minClasses: 4 });
    expect(parsePasswordPolicy('MODERN:12')).toEqual({ name: 'MODERN:12', minLength: 12, minClasses: 1 });
    expect(parsePasswordPolicy('custom:9:2')).toEqual({ name: 'CUSTOM:9:2', minLength: 9, minClasses: 2 });
  });

  it('report strings that do not parse', async () => {
    for (const bad of ['STRONG', 'MODERN', 'MODERN:0', 'MODERN:x', 'MODERN:300', 'CUSTOM:8', 'CUSTOM:8:5', 'CUSTOM:8:0', 'CUSTOM:8:2:1', '']) {
      expect(parsePasswordPolicy(bad), bad).toBeUndefined();
      const problem = await problemAt(`[accounts]\npassword_policy = "${bad}"\n`, 'accounts.password_policy');
      expect(problem.message).toMatch(/MODERN:<length>/);
    }
    await problemAt('[accounts]\npassword_legacy_policy = "LEGACY"\n', 'accounts.password_legacy_policy');
  });
});

describe('ports', () => {
  it('shared by enabled services are a problem', async () => {
    const problem = await problemAt('[sftp]\nport = 8443\n', 'sftp.port');
    expect(problem.message).toBe('is the same port as web.port (8443)');
    expect(problem.hint).toMatch(/own port/);
  });

  it('may be shared when one of the services is disabled', async () => {
    expect(await check('[sftp]\nport = 8443\n[web]\nenabled = false\n')).toEqual([]);
  });

  it('inside the FTPS passive range are a problem', async () => {
    const problem = await problemAt('[ftps]\npassive_ports = "2000-3000"\n', 'ftps.passive_ports');
    expect(problem.message).toBe('includes sftp.port (2222)');
  });
});

describe('other value checks', () => {
  it('cover addresses, names and pairs', async () => {
    expect((await problemAt('[defender]\nallow_list = ["10.0.0.1", "10.0.0.0/33", "::1/64", "example.org"]\n', 'defender.allow_list.1')).message).toMatch(/CIDR/);
    expect((await check('[defender]\nallow_list = ["10.0.0.1", "10.0.0.0/33", "::1/64", "example.org"]\n')).map((p) => p.path))
      .toEqual(['defender.allow_list.1', 'defender.allow_list.3']);
    await problemAt('[web]\nhost = "not a host"\n', 'web.host');
    await problemAt('[site]\nfqdn = "bad_name!"\n', 'site.fqdn');
    await problemAt('[site]\nadmin_email = "nobody"\n', 'site.admin_email');
    await problemAt('[notify]\nsender = "MiG <nobody>"\n', 'notify.sender');
    await problemAt('[logging]\nauth_log = "../../etc/passwd"\n', 'logging.auth_log');
    await problemAt('[files]\nhidden_names = ["a/b"]\n', 'files.hidden_names.0');
    await problemAt('[site]\ntitle = "bell\\u0007"\n', 'site.title');
    expect((await problemAt('[web]\ncert_file = "c.pem"\n', 'web.key_file')).message).toMatch(/cert_file is set/);
    expect(await check('[notify]\nsender = "Science Data <noreply@data.example.org>"\n[defender]\nallow_list = ["2001:db8::/32"]\n')).toEqual([]);
  });
});

describe('several problems', () => {
  const text = [
    '[sftp]', 'prot = 2222', 'port = 70000',
    '[accounts]', 'password_policy = "STRONG"',
    '[database]', 'url = "mysql://u:hunter2@db/x"',
    '[logging]', 'level = "loud"',
    '[ftps]', 'port = 4443',
  ].join('\n');

  it('are all reported by checkConfig', async () => {
    const paths = (await check(text)).map((p) => p.path).sort();
    // ftps.port = 4443 clashes with the default webdavs.port; the later service in file order is flagged.
    expect(paths).toEqual(['accounts.password_policy', 'database.url', 'logging.level', 'sftp.port', 'sftp.prot', 'webdavs.port']);
  });

  it('are all in the ConfigError of loadConfig, one line each', async () => {
    const path = join(dir, 'mig.toml');
    await writeFile(path, text);
    const err = await loadConfig(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const { code, message, details } = err as ConfigError;
    expect(code).toBe('MIG_E_CONFIG_INVALID');
    const problems = details?.['problems'] as ConfigProblem[];
    expect(problems).toHaveLength(6);
    expect(message).toContain(path);
    expect(message).not.toContain('hunter2');
    const lines = message.split('\n').slice(1);
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line).toMatch(/^[a-z_.]+: .+ \(hint: .+\)$/);
    expect(lines).toContain('sftp.port: must be at most 65535 (hint: TCP port to listen on (1-65535). Default: port = 2222)');
    await expect(checkConfig(path)).resolves.toHaveLength(6);
  });

  it('make parseConfig throw with the same list', () => {
    expect(() => parseConfig(text, { baseDir: dir })).toThrow(/has 6 problems/);
  });
});

describe('a text with very many problems', () => {
  it('lists at most 100 of them plus a note, quickly', async () => {
    const text = Array.from({ length: 60_000 }, (_, i) => `key${i} = ${i}`).join('\n');
    const started = Date.now();
    const problems = await check(text);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(problems).toHaveLength(101);
    expect(problems[100]?.message).toBe('59900 more problems are not shown');
  });
});
