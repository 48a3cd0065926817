/**
 * Hostile use of the FTPS server: path escapes, symlinks planted on disk that point out of the
 * home, other users' files, suspended users, switched-off protocols, banned addresses, active-mode
 * (FTP bounce) commands and clear-text data. Every refusal is checked on disk too.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpsServer } from '@migrid/fileservices';
import { freePortRange } from '../support/free-port.js';
import { createTestUser, openTestSite, type ConfigOverrides, type TestSite } from '../support/test-site.js';
import { RawFtp, run } from './ftp-client.js';

async function start(config: ConfigOverrides = {}): Promise<{ t: TestSite; server: FtpsServer; port: number }> {
  const { first, last } = await freePortRange(20);
  const t = await openTestSite({ config: { ...config, ftps: { passive_ports: `${first}-${last}` } }, open: { logger: pino({ level: 'silent' }) } });
  const server = await FtpsServer.fromSite(t.site);
  const { port } = await server.listen(0, '127.0.0.1');
  return { t, server, port };
}

describe('FTPS attacks', () => {
  let t: TestSite;
  let server: FtpsServer;
  let port: number;
  let alice: { login: string; password: string; home: string };
  let bob: { login: string; password: string; home: string };

  async function session(who: { login: string; password: string } = alice): Promise<RawFtp> {
    const { ftp } = await RawFtp.connect(port);
    const r = await ftp.login(t.caCertPath, who.login, who.password);
    expect(r).toMatch(/^230/);
    return ftp;
  }

  beforeAll(async () => {
    ({ t, server, port } = await start());
    const a = await createTestUser(t.site);
    const b = await createTestUser(t.site);
    alice = { login: a.user.email, password: a.password, home: await t.site.users.homeDir(a.user.id) };
    bob = { login: b.user.email, password: b.password, home: await t.site.users.homeDir(b.user.id) };
    await writeFile(join(bob.home, 'secret.txt'), 'bob only\n');
    await writeFile(join(alice.home, 'mine.txt'), 'alice\n');
    await symlink('/etc', join(alice.home, 'etc-link'));
    await symlink(bob.home, join(alice.home, 'bob-link'));
    await symlink(join(bob.home, 'secret.txt'), join(alice.home, 'secret-link.txt'));
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('keeps CWD and paths inside the home', async () => {
    const ftp = await session();
    try {
      expect(await ftp.cmd('CWD ../..')).toMatch(/^550/);
      expect(await ftp.cmd('CDUP')).toMatch(/^550/);
      expect(await ftp.cmd('PWD')).toMatch(/^257 "\/"/);
      for (const p of ['/etc/passwd', '../../x', '../../mig.toml', '/../../../etc/passwd', relative(alice.home, join(bob.home, 'secret.txt'))]) {
        const r = await ftp.retr(t.caCertPath, p);
        expect(r.first, p).toMatch(/^55\d/);
        expect(r.data.length).toBe(0);
      }
      expect(await ftp.cmd(`SIZE ../${relative(t.site.paths.userHome, bob.home)}/secret.txt`)).toMatch(/^550/);
      expect(await ftp.cmd(`DELE ../${relative(t.site.paths.userHome, bob.home)}/secret.txt`)).toMatch(/^550/);
      expect(await ftp.cmd('MKD ../../newdir')).toMatch(/^55\d/);
      expect(existsSync(join(t.dir, 'newdir'))).toBe(false);
      expect(existsSync(join(t.site.paths.stateDir, 'newdir'))).toBe(false);
      // An absolute path names a file inside the home.
      const mine = await ftp.retr(t.caCertPath, '/mine.txt');
      expect(mine.last).toMatch(/^226/);
      expect(mine.data.toString()).toBe('alice\n');
    } finally {
      ftp.close();
    }
  });

  it('never follows symlinks planted on disk out of the home', async () => {
    const ftp = await session();
    try {
      for (const p of ['etc-link/passwd', 'bob-link/secret.txt', 'secret-link.txt', '/etc-link/hostname']) {
        const r = await ftp.retr(t.caCertPath, p);
        expect(r.first, p).toMatch(/^550/);
        expect(r.data.length).toBe(0);
      }
      expect(await ftp.cmd('CWD etc-link')).toMatch(/^550/);
      expect(await ftp.cmd('CWD bob-link')).toMatch(/^550/);
      expect(await ftp.cmd('SIZE bob-link/secret.txt')).toMatch(/^550/);
      expect(await ftp.cmd('MLST etc-link/passwd')).toMatch(/^550/);
      // Listing into the link, or storing through it, is refused too.
      const data = await ftp.openData(t.caCertPath);
      expect(await ftp.cmd('LIST bob-link')).toMatch(/^550/);
      data.destroy();
      const d2 = await ftp.openData(t.caCertPath);
      const stor = await ftp.cmd('STOR bob-link/planted.txt');
      d2.destroy();
      expect(stor).toMatch(/^55\d/);
      expect(existsSync(join(bob.home, 'planted.txt'))).toBe(false);
      expect(await ftp.cmd('RNFR mine.txt')).toMatch(/^350/);
      expect(await ftp.cmd('RNTO bob-link/moved.txt')).toMatch(/^55\d/);
      expect(existsSync(join(bob.home, 'moved.txt'))).toBe(false);
      // Removing the link removes only the link.
      expect(await ftp.cmd('DELE secret-link.txt')).toMatch(/^250/);
      expect(await readFile(join(bob.home, 'secret.txt'), 'utf8')).toBe('bob only\n');
    } finally {
      ftp.close();
    }
  });

  it('refuses PORT and EPRT (no FTP bounce) and clear-text data', async () => {
    const { ftp } = await RawFtp.connect(port);
    try {
      expect(await ftp.cmd('PORT 127,0,0,1,0,22')).toMatch(/^502/);
      expect(await ftp.cmd('EPRT |1|127.0.0.1|22|')).toMatch(/^502/);
      expect(await ftp.login(t.caCertPath, alice.login, alice.password)).toMatch(/^230/);
      expect(await ftp.cmd('PORT 127,0,0,1,0,22')).toMatch(/^502/);
      expect(await ftp.cmd('EPRT |1|127.0.0.1|22|')).toMatch(/^502/);
      expect(await ftp.cmd('PROT C')).toMatch(/^534/);
    } finally {
      ftp.close();
    }
    // A session that never asked for PROT P gets no data connection.
    const { ftp: f2 } = await RawFtp.connect(port);
    try {
      await f2.startTls(t.caCertPath);
      await f2.cmd(`USER ${alice.login}`);
      expect(await f2.cmd(`PASS ${alice.password}`)).toMatch(/^230/);
      expect(await f2.cmd('EPSV')).toMatch(/^229/);
      expect(await f2.cmd('RETR mine.txt')).toMatch(/^521/);
    } finally {
      f2.close();
    }
  });

  it('refuses USER and PASS before TLS', async () => {
    const { ftp } = await RawFtp.connect(port);
    try {
      expect(await ftp.cmd(`USER ${alice.login}`)).toMatch(/^530/);
      expect(await ftp.cmd(`PASS ${alice.password}`)).toMatch(/^530/);
      expect(await ftp.cmd('PWD')).toMatch(/^530/);
    } finally {
      ftp.close();
    }
  });

  it('refuses a suspended user and a user who switched FTPS off', async () => {
    const carol = await createTestUser(t.site);
    await t.site.users.suspend(carol.user.id, 'test');
    const { ftp } = await RawFtp.connect(port);
    try {
      expect(await ftp.login(t.caCertPath, carol.user.email, carol.password)).toMatch(/^530/);
      expect(await ftp.cmd('PWD')).toMatch(/^530/);
    } finally {
      ftp.close();
    }
    const dave = await createTestUser(t.site);
    await t.site.users.edit(dave.user.id, { settings: { protocols: { ftps: false } } });
    const { ftp: f2 } = await RawFtp.connect(port);
    try {
      expect(await f2.login(t.caCertPath, dave.user.email, dave.password)).toMatch(/^530/);
    } finally {
      f2.close();
    }
    expect(await readFile(t.site.paths.authLog, 'utf8')).toMatch(/protocol=ftps/);
  });
});

describe('FTPS and the defender', () => {
  it('bans the address after repeated failures, even for the right password', async () => {
    const { t, server, port } = await start({ defender: { max_user_failures: 2, max_address_failures: 4, ban_seconds: 600 } });
    const work = await mkdtemp(join(tmpdir(), 'mig-ftp-ban-'));
    try {
      const { user, password } = await createTestUser(t.site);
      await writeFile(join(await t.site.users.homeDir(user.id), 'data.txt'), 'data\n');
      for (let i = 0; i < 4; i++) {
        const { ftp } = await RawFtp.connect(port);
        expect(await ftp.login(t.caCertPath, user.email, `Wrong-Passw0rd-${i}`)).toMatch(/^530/);
        ftp.close();
      }
      const r = await run('curl', ['-sS', '--ssl-reqd', '--cacert', t.caCertPath, '--resolve', `localhost:${port}:127.0.0.1`, '--user', `${user.email}:${password}`, '--max-time', '20', '-o', 'got.txt', `ftp://localhost:${port}/data.txt`], { cwd: work });
      expect(r.code).not.toBe(0);
      expect(existsSync(join(work, 'got.txt'))).toBe(false);
      expect(await readFile(t.site.paths.authLog, 'utf8')).toMatch(/protocol=ftps method=password .* address=127\.0\.0\.1 reason=banned/);
    } finally {
      await server.close();
      await t.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
