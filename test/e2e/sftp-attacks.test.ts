/**
 * Hostile use of the SFTP server with the real OpenSSH client: path escapes, symlinks made over
 * SFTP that point out of the home, other users' files, suspended users, switched-off protocols and
 * banned addresses. Every refusal is checked on disk too: nothing outside the view is read or written.
 */
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SftpServer } from '@migrid/fileservices';
import { createTestUser, openTestSite, type ConfigOverrides, type TestSite } from '../support/test-site.js';
import { runSftp } from './sftp-client.js';

async function start(config: ConfigOverrides): Promise<{ t: TestSite; server: SftpServer; port: number }> {
  const t = await openTestSite({ config, open: { logger: pino({ level: 'silent' }) } });
  const server = await SftpServer.fromSite(t.site);
  const { port } = await server.listen(0, '127.0.0.1');
  return { t, server, port };
}

describe('SFTP attacks', () => {
  let t: TestSite;
  let server: SftpServer;
  let port: number;
  let work: string;
  let alice: { login: string; password: string; home: string };
  let bob: { login: string; password: string; home: string; id: string };

  beforeAll(async () => {
    ({ t, server, port } = await start({ files: { symlinks: 'within-view' } }));
    work = await mkdtemp(join(tmpdir(), 'mig-sftp-attack-'));
    const a = await createTestUser(t.site);
    const b = await createTestUser(t.site);
    alice = { login: a.user.email, password: a.password, home: await t.site.users.homeDir(a.user.id) };
    bob = { login: b.user.email, password: b.password, home: await t.site.users.homeDir(b.user.id), id: b.user.id };
    await writeFile(join(bob.home, 'secret.txt'), 'bob only\n');
    await writeFile(join(work, 'payload.txt'), 'payload\n');
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('refuses paths that climb out of the home, and absolute paths stay inside it', async () => {
    const bobRel = relative(alice.home, join(bob.home, 'secret.txt'));
    const r = await runSftp(
      port,
      { login: alice.login, password: alice.password },
      [
        '-get ../../mig.toml stolen1',
        `-get ${bobRel} stolen2`,
        `-get /${bobRel} stolen3`,
        '-get /etc/passwd stolen4',
        '-put payload.txt ../../escape1.txt',
        '-put payload.txt /../escape2.txt',
        'put payload.txt /inside.txt',
        `-put payload.txt ${relative(alice.home, bob.home)}/planted.txt`,
        `-rename welcome.txt ${relative(alice.home, bob.home)}/moved.txt`,
        `-rm ${bobRel}`,
        '-mkdir ../../newdir',
        'cd /',
        '-cd ..',
        'pwd',
      ],
      work,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Remote working directory: /');
    for (const f of ['stolen1', 'stolen2', 'stolen3', 'stolen4']) expect(existsSync(join(work, f))).toBe(false);
    expect(r.stderr).toMatch(/climbs above the top folder/);
    const stateDir = t.site.paths.stateDir;
    for (const f of [join(stateDir, 'escape1.txt'), join(t.dir, 'escape1.txt'), join(t.site.paths.userHome, 'escape1.txt'), join(bob.home, 'planted.txt'), join(bob.home, 'moved.txt'), join(stateDir, 'newdir'), join(t.dir, 'newdir')]) {
      expect(existsSync(f)).toBe(false);
    }
    // The absolute path named a file inside alice's home, so it was stored there.
    expect(await readFile(join(alice.home, 'inside.txt'), 'utf8')).toBe('payload\n');
    expect(existsSync(join(alice.home, 'escape2.txt'))).toBe(false);
    expect(await readFile(join(bob.home, 'secret.txt'), 'utf8')).toBe('bob only\n');
    expect(existsSync(join(alice.home, 'welcome.txt'))).toBe(true);
  });

  it('refuses symlinks made over SFTP that point at /etc or at another home, and reads nothing through them', async () => {
    const r = await runSftp(
      port,
      { login: alice.login, password: alice.password },
      [
        '-ln -s /etc etc',
        '-ln -s ../../../../../../etc etc2',
        `-ln -s ${relative(alice.home, bob.home)} bobhome`,
        '-get etc/passwd stolen-etc',
        '-get etc2/passwd stolen-etc2',
        '-get bobhome/secret.txt stolen-bob',
        'ln -s welcome.txt ok-link',
        'get ok-link via-link.txt',
      ],
      work,
    );
    expect(r.code).toBe(0);
    for (const name of ['etc', 'etc2', 'bobhome']) expect(existsSync(join(alice.home, name)) || (await isLink(join(alice.home, name)))).toBe(false);
    for (const f of ['stolen-etc', 'stolen-etc2', 'stolen-bob']) expect(existsSync(join(work, f))).toBe(false);
    // The allowed link is stored as written (OpenSSH's swapped SYMLINK arguments are handled).
    expect(await readlink(join(alice.home, 'ok-link'))).toBe('welcome.txt');
    expect(await readFile(join(work, 'via-link.txt'), 'utf8')).toBe(await readFile(join(alice.home, 'welcome.txt'), 'utf8'));
  });

  it('never follows links planted on disk that lead out of the home', async () => {
    await symlink('/etc', join(alice.home, 'planted-etc'));
    await symlink(bob.home, join(alice.home, 'planted-bob'));
    await mkdir(join(alice.home, 'sub'), { recursive: true });
    await symlink('../../', join(alice.home, 'sub', 'up'));
    const r = await runSftp(
      port,
      { login: alice.login, password: alice.password },
      ['-get planted-etc/passwd s1', '-get planted-bob/secret.txt s2', '-ls planted-bob', '-put payload.txt planted-bob/dropped.txt', '-get sub/up/mig.toml s3', '-cd planted-etc', 'pwd'],
      work,
    );
    expect(r.code).toBe(0);
    const answers = r.stdout.split('\n').filter((line) => !line.startsWith('sftp>'));
    expect(answers.join('\n')).not.toContain('secret.txt');
    expect(r.stdout).toContain('Remote working directory: /');
    for (const f of ['s1', 's2', 's3']) expect(existsSync(join(work, f))).toBe(false);
    expect(existsSync(join(bob.home, 'dropped.txt'))).toBe(false);
  });

  it("refuses another user's password and keeps each user in their own home", async () => {
    const wrong = await runSftp(port, { login: bob.login, password: alice.password }, ['ls'], work);
    expect(wrong.code).not.toBe(0);
    const r = await runSftp(port, { login: bob.login, password: bob.password }, ['ls'], work);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('secret.txt');
    expect(r.stdout).not.toContain('inside.txt');
  });

  it('refuses a suspended user and a user who switched SFTP off', async () => {
    const carol = await createTestUser(t.site);
    await t.site.users.suspend(carol.user.id, 'test');
    const suspended = await runSftp(port, { login: carol.user.email, password: carol.password }, ['ls'], work);
    expect(suspended.code).not.toBe(0);
    expect(suspended.stderr).toMatch(/Permission denied/);

    const dave = await createTestUser(t.site);
    await t.site.users.edit(dave.user.id, { settings: { protocols: { sftp: false } } });
    await writeFile(join(await t.site.users.homeDir(dave.user.id), 'mine.txt'), 'dave\n');
    const off = await runSftp(port, { login: dave.user.email, password: dave.password }, ['get mine.txt dave-copy'], work);
    expect(off.code).not.toBe(0);
    expect(existsSync(join(work, 'dave-copy'))).toBe(false);

    const log = await readFile(t.site.paths.authLog, 'utf8');
    expect(log).toMatch(new RegExp(`protocol=sftp method=password user="${carol.user.email}" .*reason=account-disabled`));
    expect(log).toMatch(new RegExp(`protocol=sftp method=password user="${dave.user.email}" .*reason=protocol-disabled`));
  });
});

describe('SFTP and the defender', () => {
  it('bans the address after repeated failures, even for the right password', async () => {
    const { t, server, port } = await start({ defender: { max_user_failures: 2, max_address_failures: 3, ban_seconds: 600 } });
    const work = await mkdtemp(join(tmpdir(), 'mig-sftp-ban-'));
    try {
      const { user, password } = await createTestUser(t.site);
      await writeFile(join(await t.site.users.homeDir(user.id), 'data.txt'), 'data\n');
      for (let i = 0; i < 2; i++) {
        const r = await runSftp(port, { login: user.email, password: `Wrong-Passw0rd-${i}` }, ['ls'], work);
        expect(r.code).not.toBe(0);
      }
      const banned = await runSftp(port, { login: user.email, password }, ['get data.txt got.txt'], work);
      expect(banned.code).not.toBe(0);
      expect(existsSync(join(work, 'got.txt'))).toBe(false);
      expect(await readFile(t.site.paths.authLog, 'utf8')).toMatch(/protocol=sftp method=password .* address=127\.0\.0\.1 reason=banned/);
    } finally {
      await server.close();
      await t.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});

async function isLink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}
