/**
 * Symlinks made over SFTP, then read through SFTP, FTPS and WebDAVS (issue 4's cross-protocol
 * attack): links aimed straight at /etc or another user's home are refused when made; links that
 * were harmless where they were made and escape only after a move (a relative `../` link carried
 * up the tree inside its folder) are refused at every read, listing and write through all three
 * servers. Nothing outside the view is read or written.
 */
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpsServer, SftpServer, WebdavServer } from '@migrid/fileservices';
import { freePortRange } from '../support/free-port.js';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';
import { RawFtp } from './ftp-client.js';
import { runSftp } from './sftp-client.js';
import { dav, type DavTarget } from './webdavs-client.js';

const BOB_SECRET = 'bob only, never to be read by alice\n';

describe('symlinks made over SFTP, read through SFTP, FTPS and WebDAVS', () => {
  let t: TestSite;
  let sftp: SftpServer;
  let ftps: FtpsServer;
  let webdavs: WebdavServer;
  const ports = { sftp: 0, ftps: 0, webdavs: 0 };
  let work: string;
  let alice: { login: string; password: string; home: string };
  let bob: { home: string };
  let davAlice: DavTarget;
  let etcHostname: string;

  beforeAll(async () => {
    const { first, last } = await freePortRange(10);
    t = await openTestSite({
      config: { files: { symlinks: 'within-view' }, ftps: { passive_ports: `${first}-${last}` } },
      open: { logger: pino({ level: 'silent' }) },
    });
    sftp = await SftpServer.fromSite(t.site);
    ftps = await FtpsServer.fromSite(t.site);
    webdavs = await WebdavServer.fromSite(t.site);
    ports.sftp = (await sftp.listen(0, '127.0.0.1')).port;
    ports.ftps = (await ftps.listen(0, '127.0.0.1')).port;
    ports.webdavs = (await webdavs.listen(0, '127.0.0.1')).port;
    work = await mkdtemp(join(tmpdir(), 'mig-xproto-links-'));
    const a = await createTestUser(t.site);
    const b = await createTestUser(t.site);
    alice = { login: a.user.email, password: a.password, home: await t.site.users.homeDir(a.user.id) };
    bob = { home: await t.site.users.homeDir(b.user.id) };
    davAlice = { port: ports.webdavs, ca: await readFile(t.caCertPath), login: alice.login, password: alice.password };
    await writeFile(join(bob.home, 'secret.txt'), BOB_SECRET);
    await writeFile(join(work, 'payload.txt'), 'payload\n');
    etcHostname = await readFile('/etc/hostname', 'utf8').catch(() => 'no /etc/hostname here');
  });
  afterAll(async () => {
    await sftp?.close();
    await ftps?.close();
    await webdavs?.close();
    await t?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  /** The path of bob's home seen from alice's home, e.g. `../<bob's folder>`. */
  const bobFromAlice = (): string => relative(alice.home, bob.home);

  it('refuses links aimed at /etc or at another home when they are made', async () => {
    const r = await runSftp(
      ports.sftp,
      alice,
      ['-ln -s /etc etc', '-ln -s ../../../../../../../etc etc-up', `-ln -s ${bobFromAlice()} bob-home`, `-ln -s ${join(bob.home, 'secret.txt')} bob-secret-abs`, `-ln -s ${bobFromAlice()}/secret.txt bob-secret`],
      work,
    );
    expect(r.code).toBe(0);
    for (const name of ['etc', 'etc-up', 'bob-home', 'bob-secret-abs', 'bob-secret']) {
      await expect(lstat(join(alice.home, name)), name).rejects.toThrow(/ENOENT/);
    }
  });

  it('refuses to move a link where it would lead out of the home', async () => {
    // `inner/s` → `../<bob's folder>/secret.txt` stays inside alice's home where it is made (it names a
    // missing file there); moved to the top it would name bob's real file.
    const bobName = relative(dirname(alice.home), bob.home);
    const r = await runSftp(ports.sftp, alice, ['mkdir inner', `ln -s ../${bobName}/secret.txt inner/s`, '-rename inner/s s'], work);
    expect(r.code, r.stderr).toBe(0);
    expect(await readlink(join(alice.home, 'inner', 's'))).toBe(`../${bobName}/secret.txt`);
    expect(r.stderr).toMatch(/not allowed|denied|refused/i);
    await expect(lstat(join(alice.home, 's'))).rejects.toThrow(/ENOENT/);
  });

  describe('links that escape only after their folder moved up', () => {
    beforeAll(async () => {
      // Made deep down in `n1/…/nK/tree/`, each link stays inside the home; moving that `tree` to
      // the top (a plain folder move) leaves them pointing above the home: at bob's file and
      // folder, and at /etc. K is the depth of the home on disk, so enough `../` reach `/`.
      const depth = alice.home.split('/').filter(Boolean).length;
      const chain = Array.from({ length: depth }, (_, i) => `n${i + 1}`);
      const folders = chain.map((_, i) => chain.slice(0, i + 1).join('/'));
      const tree = `${folders.at(-1) ?? 'n1'}/tree`;
      const bobName = relative(dirname(alice.home), bob.home);
      const r = await runSftp(
        ports.sftp,
        alice,
        [
          ...folders.map((f) => `mkdir ${f}`),
          `mkdir ${tree}`,
          `ln -s ../../${bobName}/secret.txt ${tree}/secret`,
          `ln -s ../../${bobName} ${tree}/bobdir`,
          `ln -s ${'../'.repeat(depth + 1)}etc ${tree}/etc`,
          `rename ${tree} tree`,
        ],
        work,
      );
      expect(r.code, r.stderr).toBe(0);
      // On disk the links now lead out of the home: this is the hostile state the servers face.
            expect(await readFile(join(alice.home, 'tree', 'secret'), 'utf8')).toBe(BOB_SECRET);
      expect(await realpath(join(alice.home, 'tree', 'etc'))).toBe('/etc');
    });

    it('SFTP reads, lists, writes and follows nothing through them', async () => {
      const r = await runSftp(
        ports.sftp,
        alice,
        ['-get tree/secret s1', '-get tree/bobdir/secret.txt s2', '-get tree/etc/hostname s3', '-ls tree/bobdir', '-ls tree/etc', '-put payload.txt tree/bobdir/planted.txt', '-cd tree/bobdir', 'pwd', '-rename tree/secret taken', '-get taken s4'],
        work,
      );
      expect(r.code).toBe(0);
      for (const f of ['s1', 's2', 's3', 's4']) expect(existsSync(join(work, f)), f).toBe(false);
      const answers = r.stdout.split('\n').filter((line) => !line.startsWith('sftp>'));
      expect(answers.join('\n')).not.toContain('secret.txt');
      expect(answers.join('\n')).not.toContain('passwd');
      expect(r.stdout).toContain('Remote working directory: /');
      expect(existsSync(join(bob.home, 'planted.txt'))).toBe(false);
    });

    it('FTPS reads, lists, writes and follows nothing through them', async () => {
      const { ftp } = await RawFtp.connect(ports.ftps);
      try {
        expect(await ftp.login(t.caCertPath, alice.login, alice.password)).toMatch(/^230/);
        for (const p of ['tree/secret', 'tree/bobdir/secret.txt', 'tree/etc/hostname', '/tree/etc/passwd']) {
          const got = await ftp.retr(t.caCertPath, p);
          expect(got.first, p).toMatch(/^55\d/);
          expect(got.data.length, p).toBe(0);
        }
        expect(await ftp.cmd('SIZE tree/secret')).toMatch(/^550/);
        expect(await ftp.cmd('MLST tree/bobdir/secret.txt')).toMatch(/^550/);
        expect(await ftp.cmd('CWD tree/bobdir')).toMatch(/^550/);
        expect(await ftp.cmd('CWD tree/etc')).toMatch(/^550/);
        const data = await ftp.openData(t.caCertPath);
        expect(await ftp.cmd('MLSD tree/bobdir')).toMatch(/^550/);
        data.destroy();
        const d2 = await ftp.openData(t.caCertPath);
        const stor = await ftp.cmd('STOR tree/bobdir/planted.txt');
        d2.destroy();
        expect(stor).toMatch(/^55\d/);
        expect(await ftp.cmd('DELE tree/bobdir/secret.txt')).toMatch(/^550/);
      } finally {
        ftp.close();
      }
      expect(existsSync(join(bob.home, 'planted.txt'))).toBe(false);
      expect(await readFile(join(bob.home, 'secret.txt'), 'utf8')).toBe(BOB_SECRET);
    });

    it('WebDAVS reads, lists, writes and follows nothing through them', async () => {
      for (const p of ['/tree/secret', '/tree/bobdir/secret.txt', '/tree/etc/hostname', '/tree/etc/passwd']) {
        const got = await dav(davAlice, 'GET', p);
        expect(got.status, p).toBeGreaterThanOrEqual(400);
        expect(got.text).not.toContain(BOB_SECRET.trim());
        expect(got.text).not.toContain(etcHostname.trim());
        expect(got.text).not.toContain('root:');
      }
      const listing = await dav(davAlice, 'PROPFIND', '/tree/bobdir/', { headers: { Depth: '1' } });
      expect(listing.status).toBeGreaterThanOrEqual(400);
      expect(listing.text).not.toContain('secret.txt');
      // The folder listing of `tree` may name the links, but never shows what is behind them.
      const tree = await dav(davAlice, 'PROPFIND', '/tree/', { headers: { Depth: '1' } });
      expect(tree.text).not.toContain('secret.txt');
      expect((await dav(davAlice, 'PUT', '/tree/bobdir/planted.txt', { body: 'x' })).status).toBeGreaterThanOrEqual(400);
      expect((await dav(davAlice, 'DELETE', '/tree/bobdir/secret.txt')).status).toBeGreaterThanOrEqual(400);
      const copy = await dav(davAlice, 'COPY', '/tree/secret', { headers: { Destination: `https://localhost:${ports.webdavs}/copied.txt` } });
      expect(copy.status).toBeGreaterThanOrEqual(400);
      expect(existsSync(join(alice.home, 'copied.txt'))).toBe(false);
      expect(existsSync(join(bob.home, 'planted.txt'))).toBe(false);
      expect(await readFile(join(bob.home, 'secret.txt'), 'utf8')).toBe(BOB_SECRET);
    });
  });
});
