import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds } from '../../test/support/databases.js';
import { spawn } from 'node:child_process';
import { MIG_ENTRY, runMig, spawnTs, SOURCE_NODE_ARGS } from '../../test/support/run-mig.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts `mig start …`, waits until it is ready, sends SIGINT and returns the exit code and output. */
async function startAndInterrupt(args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  const child = spawnTs(MIG_ENTRY, args, { cwd });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${out}`)), 60_000);
    const collect = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('Ready.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    void exited.then(() => reject(new Error(`exited before ready: ${out}`)));
  });
  child.kill('SIGINT');
  const code = await exited;
  return { code, out };
}

const JANE = ['--full-name', 'jane doe', '--organization', 'Niels Bohr Institute', '--country', 'dk', '--email', 'Jane.Doe@Example.org'];

describe.each(databaseKinds())('mig on %s', (kind) => {
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await drop?.();
    drop = undefined;
  });

  it('init, checkconf, createuser and user list --json', async () => {
    const args = ['init'];
    if (kind === 'postgres') {
      const db = await createTestDatabase('postgres');
      drop = db.drop;
      args.push('--database-url', db.url as string);
    }
    const init = await runMig(args, { cwd: dir });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/Admin password \(shown only now[^:]*\): \S{20}/);
    expect(existsSync(join(dir, 'mig.toml'))).toBe(true);
    for (const f of ['ca.pem', 'ca.key', 'host.pem', 'host.key']) expect(existsSync(join(dir, 'state', 'certs', f))).toBe(true);
    expect((await stat(join(dir, 'state', 'certs', 'ca.key'))).mode & 0o077).toBe(0);
    if (kind === 'sqlite') expect(existsSync(join(dir, 'state', 'mig.db'))).toBe(true);
    else expect(existsSync(join(dir, 'state', 'mig.db'))).toBe(false);

    const check = await runMig(['checkconf'], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('OK');

    const created = await runMig(['createuser', ...JANE, '--password-stdin'], { cwd: dir, stdin: 'Correct-Horse-7\n' });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created user jane.doe@example.org');

    const list = await runMig(['user', 'list', '--json'], { cwd: dir });
    expect(list.code).toBe(0);
    const users = JSON.parse(list.stdout) as { email: string; dn: string; status: string; roles: string[] }[];
    expect(users.map((u) => u.email).sort()).toEqual(['admin@localhost.localdomain', 'jane.doe@example.org']);
    const jane = users.find((u) => u.email === 'jane.doe@example.org');
    expect(jane?.dn).toBe('/C=DK/ST=NA/L=NA/O=Niels Bohr Institute/OU=NA/CN=Jane Doe/emailAddress=jane.doe@example.org');
    expect(jane?.status).toBe('active');
    expect(users.find((u) => u.email.startsWith('admin'))?.roles).toContain('admin');

    // The same user again is refused with the stable code, and nothing changes.
    const again = await runMig(['createuser', ...JANE, '--password-stdin'], { cwd: dir, stdin: 'Correct-Horse-7\n' });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('MIG_E_USER_EXISTS');

    // And the site starts on this database and stops cleanly.
    const { code, out } = await startAndInterrupt(['start'], dir);
    expect(out).toContain(kind === 'sqlite' ? 'database      SQLite' : 'database      postgres://');
    expect(code).toBe(0);
  });
});

describe('mig', () => {
  it('finds the config by --config, then MIG_CONF, then ./mig.toml', async () => {
    const none = await runMig(['user', 'list'], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('mig init');
    expect(none.stderr).toContain('MIG_E_CONFIG_NOT_FOUND');

    const site = join(dir, 'site');
    expect((await runMig(['init', '--dir', site], { cwd: dir })).code).toBe(0);
    const byFlag = await runMig(['user', 'list', '--json', '--config', join(site, 'mig.toml')], { cwd: dir });
    expect(byFlag.code).toBe(0);
    const byEnv = await runMig(['user', 'list', '--json'], { cwd: dir, env: { MIG_CONF: join(site, 'mig.toml') } });
    expect(byEnv.code).toBe(0);
    expect(JSON.parse(byEnv.stdout)).toHaveLength(1);
    const byCwd = await runMig(['user', 'list', '--json'], { cwd: site });
    expect(byCwd.code).toBe(0);
  });

  it('refuses to init over an existing site', async () => {
    expect((await runMig(['init'], { cwd: dir })).code).toBe(0);
    const before = await readFile(join(dir, 'mig.toml'), 'utf8');
    const again = await runMig(['init'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('MIG_E_SITE_EXISTS');
    expect(await readFile(join(dir, 'mig.toml'), 'utf8')).toBe(before);
  });

  it('checkconf reports every problem with its key path and exits 1', async () => {
    await writeFile(join(dir, 'mig.toml'), '[site]\nstate_dir = "./state"\n[sftp]\nprot = 22\n[web]\nport = 99999\n[accounts]\npassword_policy = "STRONG"\n');
    const r = await runMig(['checkconf'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('sftp.prot');
    expect(r.stderr).toContain('port');
    expect(r.stderr).toContain('web.port');
    expect(r.stderr).toContain('accounts.password_policy');
    const json = await runMig(['checkconf', '--json'], { cwd: dir });
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { problems: unknown[] }).problems.length).toBeGreaterThanOrEqual(3);
  });

  it('createuser without a terminal names the missing fields and creates nothing', async () => {
    expect((await runMig(['init'], { cwd: dir })).code).toBe(0);
    const r = await runMig(['createuser', '--full-name', 'No Email', '--organization', 'X', '--country', 'DK', '--password-stdin'], { cwd: dir, stdin: 'Correct-Horse-7\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--email');
    const weak = await runMig(['createuser', ...JANE, '--password-stdin'], { cwd: dir, stdin: 'abc\n' });
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('MIG_E_PASSWORD_POLICY');
    const list = await runMig(['user', 'list', '--json'], { cwd: dir });
    expect(JSON.parse(list.stdout)).toHaveLength(1);
  });

  it('user show, edit, renew, suspend, reactivate and delete', async () => {
    expect((await runMig(['init'], { cwd: dir })).code).toBe(0);
    expect((await runMig(['user', 'create', ...JANE, '--no-password'], { cwd: dir })).code).toBe(0);
    const shown = await runMig(['user', 'show', 'jane.doe@example.org', '--json'], { cwd: dir });
    const jane = JSON.parse(shown.stdout) as { id: string; expiresAt: string; hasPassword: boolean };
    expect(jane.hasPassword).toBe(false);

    const edited = await runMig(['user', 'edit', 'jane.doe@example.org', '--organization', 'DIKU', '--email', 'jane@diku.dk', '--json'], { cwd: dir });
    expect(edited.code).toBe(0);
    const after = JSON.parse(edited.stdout) as { id: string; dn: string; email: string };
    expect(after.id).toBe(jane.id);
    expect(after.dn).toBe('/C=DK/ST=NA/L=NA/O=DIKU/OU=NA/CN=Jane Doe/emailAddress=jane@diku.dk');
    expect(existsSync(join(dir, 'state', 'user_home', jane.id))).toBe(true);

    const suspended = await runMig(['user', 'suspend', 'jane@diku.dk', '--reason', 'left the group', '--json'], { cwd: dir });
    expect((JSON.parse(suspended.stdout) as { status: string }).status).toBe('suspended');
    const reactivated = await runMig(['user', 'reactivate', 'jane@diku.dk', '--json'], { cwd: dir });
    expect((JSON.parse(reactivated.stdout) as { status: string }).status).toBe('active');

    const renewed = await runMig(['user', 'renew', 'jane@diku.dk', '--days', '400', '--json'], { cwd: dir });
    const renewedAt = new Date((JSON.parse(renewed.stdout) as { expiresAt: string }).expiresAt).getTime();
    expect(renewedAt).toBeGreaterThan(Date.now() + 399 * 86_400_000);

    const noConfirm = await runMig(['user', 'delete', 'jane@diku.dk'], { cwd: dir });
    expect(noConfirm.code).toBe(1);
    const deleted = await runMig(['user', 'delete', 'jane@diku.dk', '--yes'], { cwd: dir });
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('deleted_homes');
    expect(existsSync(join(dir, 'state', 'user_home', jane.id))).toBe(false);
    const missing = await runMig(['user', 'show', 'jane@diku.dk'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('MIG_E_USER_NOT_FOUND');
  });

  it('createuser on a terminal asks what MiG\'s createuser asks', async () => {
    expect((await runMig(['init'], { cwd: dir })).code).toBe(0);
    // `script` gives the command a real pseudo-terminal, as an admin's shell would.
    const command = [process.execPath, ...SOURCE_NODE_ARGS, MIG_ENTRY, 'createuser'].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end('bob builder\nBuilders Inc\n\nDK\nbob@example.org\nhello\nCorrect-Horse-7\nCorrect-Horse-7\n');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    for (const question of ['Full Name:', 'Organization:', 'State:', 'Country:', 'Email:', 'Comment:', 'Password:', 'Password again:']) {
      expect(out).toContain(question);
    }
    const shown = await runMig(['user', 'show', 'bob@example.org', '--json'], { cwd: dir });
    const bob = JSON.parse(shown.stdout) as { dn: string; hasPassword: boolean; comment: string };
    expect(bob.dn).toBe('/C=DK/ST=NA/L=NA/O=Builders Inc/OU=NA/CN=Bob Builder/emailAddress=bob@example.org');
    expect(bob.hasPassword).toBe(true);
    expect(bob.comment).toBe('hello');
  });

  it('start runs until SIGINT and stops cleanly', async () => {
    const { code, out } = await startAndInterrupt(['start', '--init'], dir);
    expect(out).toContain('Initialised a new site');
    expect(out).toContain('housekeeping');
    expect(code).toBe(0);
    expect(out).toContain('Stopped.');
    expect(existsSync(join(dir, 'mig.toml'))).toBe(true);
  });
});
