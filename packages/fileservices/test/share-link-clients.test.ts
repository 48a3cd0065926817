/**
 * Share-link logins with real clients: OpenSSH `sftp` (through sshpass), `lftp` over FTPS and
 * `curl` over WebDAVS, each with a read-only, an upload-only and a read-write link; refused
 * logins (wrong password, revoked, expired, used up); and an open session losing a revoked link.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import ssh2 from 'ssh2';
import type { Client, FileEntryWithStats, SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShareLinkMode } from '@migrid/core';
import { FtpsServer, SftpServer, WebdavServer } from '@migrid/fileservices';
import { freePortRange } from '../../../test/support/free-port.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { runLftp } from '../../../test/e2e/ftp-client.js';
import { runSftp } from '../../../test/e2e/sftp-client.js';

const execFileP = promisify(execFile);

let t: TestSite;
let sftp: SftpServer;
let ftps: FtpsServer;
let webdav: WebdavServer;
let ports: { sftp: number; ftps: number; webdav: number };
let work: string;
let ownerId: string;
let home: string;

beforeAll(async () => {
  t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
  const site = t.site;
  sftp = await SftpServer.fromSite(site);
  ports = { sftp: (await sftp.listen(0, '127.0.0.1')).port, ftps: 0, webdav: 0 };
  const base = await FtpsServer.fromSite(site);
  await base.close();
  ftps = new FtpsServer({
    context: { auth: site.auth, files: site.files, logger: site.logger },
    tls: { cert: await readFile(site.config.ftps.cert_file), key: await readFile(site.config.ftps.key_file) },
    passivePorts: await freePortRange(10),
  });
  ports.ftps = (await ftps.listen(0, '127.0.0.1')).port;
  webdav = await WebdavServer.fromSite(site);
  ports.webdav = (await webdav.listen(0, '127.0.0.1')).port;
  work = await mkdtemp(join(tmpdir(), 'mig-share-clients-'));
  const { user } = await createTestUser(site);
  ownerId = user.id;
  home = await site.users.homeDir(ownerId);
  await writeFile(join(work, 'up.txt'), 'uploaded through a link\n');
});
afterAll(async () => {
  await sftp?.close();
  await ftps?.close();
  await webdav?.close();
  await t?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

let folders = 0;
/** A fresh folder of the owner with `a.txt` and `old.txt`, and a link of `mode` to it. */
async function linkTo(mode: ShareLinkMode, extra: { password?: string; maxUses?: number; expiresAt?: number } = {}): Promise<{ id: string; dir: string; password: string }> {
  folders += 1;
  const name = `f${folders}`;
  const dir = join(home, name);
  await mkdir(dir);
  await writeFile(join(dir, 'a.txt'), 'alpha\n');
  await writeFile(join(dir, 'old.txt'), 'there before\n');
  const link = await t.site.shareLinks.create({ ownerId, path: `/${name}`, mode, ...extra });
  return { id: link.id, dir, password: extra.password ?? link.id };
}

async function scratch(): Promise<string> {
  const d = await mkdtemp(join(work, 'c-'));
  await writeFile(join(d, 'up.txt'), 'uploaded through a link\n');
  return d;
}

describe('share links over SFTP (OpenSSH sftp)', () => {
  const sftpRun = (id: string, password: string, commands: string[], cwd: string) => runSftp(ports.sftp, { login: id, password }, commands, cwd);

  it('ro: list and download; uploads and removals refused', async () => {
    const { id, dir, password } = await linkTo('ro');
    const cwd = await scratch();
    const ok = await sftpRun(id, password, ['ls -1', 'get a.txt got.txt'], cwd);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('a.txt');
    expect(await readFile(join(cwd, 'got.txt'), 'utf8')).toBe('alpha\n');
    expect((await sftpRun(id, password, ['put up.txt'], cwd)).code).not.toBe(0);
    expect((await sftpRun(id, password, ['rm a.txt'], cwd)).code).not.toBe(0);
    expect((await sftpRun(id, password, ['get ../../secret'], cwd)).code).not.toBe(0);
    expect(existsSync(join(dir, 'up.txt'))).toBe(false);
    expect(existsSync(join(dir, 'a.txt'))).toBe(true);
  });

  it('wo: uploads land; listing, downloads and replacing what was there are refused', async () => {
    const { id, dir, password } = await linkTo('wo');
    const cwd = await scratch();
    const up = await sftpRun(id, password, ['put up.txt', 'mkdir mine', 'put up.txt mine/second.txt'], cwd);
    expect(up.code, up.stderr).toBe(0);
    expect(await readFile(join(dir, 'up.txt'), 'utf8')).toBe('uploaded through a link\n');
    expect(await readFile(join(dir, 'mine', 'second.txt'), 'utf8')).toBe('uploaded through a link\n');
    // OpenSSH's ls reports the refusal but still exits 0 in batch mode: the listing must be empty.
    const ls = await sftpRun(id, password, ['ls -1'], cwd);
    expect(ls.stdout).not.toContain('a.txt');
    expect(ls.stderr).toContain('Permission denied');
    expect((await sftpRun(id, password, ['get a.txt'], cwd)).code).not.toBe(0);
    expect((await sftpRun(id, password, ['put up.txt old.txt'], cwd)).code).not.toBe(0);
    expect(await readFile(join(dir, 'old.txt'), 'utf8')).toBe('there before\n');
  });

  it('rw: upload, download, rename, remove', async () => {
    const { id, dir, password } = await linkTo('rw');
    const cwd = await scratch();
    const r = await sftpRun(id, password, ['put up.txt', 'rename up.txt moved.txt', 'get moved.txt back.txt', 'rm a.txt', 'mkdir d', 'ls -1'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(cwd, 'back.txt'), 'utf8')).toBe('uploaded through a link\n');
    expect(existsSync(join(dir, 'a.txt'))).toBe(false);
    expect(existsSync(join(dir, 'd'))).toBe(true);
  });

  it('refuses wrong passwords, revoked, expired and used-up links', async () => {
    const cwd = await scratch();
    const secret = await linkTo('ro', { password: 'link-pass-1' });
    expect((await sftpRun(secret.id, secret.id, ['ls'], cwd)).code).not.toBe(0);
    expect((await sftpRun(secret.id, 'link-pass-1', ['ls'], cwd)).code).toBe(0);
    const once = await linkTo('ro', { maxUses: 1 });
    expect((await sftpRun(once.id, once.password, ['ls'], cwd)).code).toBe(0);
    expect((await sftpRun(once.id, once.password, ['ls'], cwd)).code).not.toBe(0);
    const revoked = await linkTo('rw');
    await t.site.shareLinks.revoke(revoked.id, { userId: ownerId });
    expect((await sftpRun(revoked.id, revoked.password, ['ls'], cwd)).code).not.toBe(0);
    const expiring = await linkTo('rw', { expiresAt: Date.now() + 60_000 });
    await t.site.db.updateTable('share_links').set({ expires_at: Date.now() - 1 }).where('id', '=', expiring.id).execute();
    expect((await sftpRun(expiring.id, expiring.password, ['ls'], cwd)).code).not.toBe(0);
  });

  it('an open session fails its next operation once the link is revoked', async () => {
    const { id, password } = await linkTo('rw');
    const conn: Client = await new Promise((resolve, reject) => {
      const c = new ssh2.Client();
      c.on('error', reject);
      c.on('ready', () => resolve(c));
      c.connect({ host: '127.0.0.1', port: ports.sftp, username: id, password, readyTimeout: 20_000 });
    });
    try {
      const s: SFTPWrapper = await new Promise((resolve, reject) => conn.sftp((err, w) => (err ? reject(err) : resolve(w))));
      const readdir = () => new Promise<FileEntryWithStats[]>((resolve, reject) => s.readdir('/', (err, list) => (err ? reject(err) : resolve(list))));
      expect((await readdir()).map((e) => e.filename).sort()).toEqual(['a.txt', 'old.txt']);
      await t.site.shareLinks.revoke(id, { userId: ownerId });
      await expect(readdir()).rejects.toThrow();
    } finally {
      conn.end();
    }
  });
});

describe('share links over FTPS (lftp)', () => {
  const lftp = (id: string, password: string, commands: string[], cwd: string) => runLftp(ports.ftps, { login: id, password }, t.caCertPath, commands, cwd);

  it('ro, wo and rw links do what their mode allows and nothing more', async () => {
    const cwd = await scratch();
    const ro = await linkTo('ro');
    const r1 = await lftp(ro.id, ro.password, ['cls -1', 'get a.txt -o ro-got.txt'], cwd);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stdout).toContain('a.txt');
    expect(await readFile(join(cwd, 'ro-got.txt'), 'utf8')).toBe('alpha\n');
    expect((await lftp(ro.id, ro.password, ['put up.txt'], cwd)).code).not.toBe(0);
    expect(existsSync(join(ro.dir, 'up.txt'))).toBe(false);

    const wo = await linkTo('wo');
    const w1 = await lftp(wo.id, wo.password, ['put up.txt'], cwd);
    expect(w1.code, w1.stderr).toBe(0);
    expect(await readFile(join(wo.dir, 'up.txt'), 'utf8')).toBe('uploaded through a link\n');
    expect((await lftp(wo.id, wo.password, ['cls -1'], cwd)).code).not.toBe(0);
    expect((await lftp(wo.id, wo.password, ['get a.txt -o wo-got.txt'], cwd)).code).not.toBe(0);
    expect((await lftp(wo.id, wo.password, ['put up.txt -o old.txt'], cwd)).code).not.toBe(0);
    expect(await readFile(join(wo.dir, 'old.txt'), 'utf8')).toBe('there before\n');

    const rw = await linkTo('rw');
    const r3 = await lftp(rw.id, rw.password, ['put up.txt', 'mv up.txt moved.txt', 'get moved.txt -o rw-got.txt', 'rm a.txt', 'mkdir d'], cwd);
    expect(r3.code, r3.stderr).toBe(0);
    expect(await readFile(join(cwd, 'rw-got.txt'), 'utf8')).toBe('uploaded through a link\n');
    expect(existsSync(join(rw.dir, 'a.txt'))).toBe(false);
    expect(existsSync(join(rw.dir, 'd'))).toBe(true);
  });

  it('refuses wrong passwords and revoked links, saying why only to the right secret', async () => {
    const cwd = await scratch();
    const link = await linkTo('ro');
    expect((await lftp(link.id, 'wrong-password', ['cls'], cwd)).code).not.toBe(0);
    await t.site.shareLinks.revoke(link.id, { userId: ownerId });
    const r = await lftp(link.id, link.password, ['cls'], cwd);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('revoked');
  });
});

describe('share links over WebDAVS (curl)', () => {
  async function curl(id: string, password: string, args: string[]): Promise<{ status: number; body: string }> {
    const { stdout } = await execFileP('curl', ['-sS', '--cacert', t.caCertPath, '-u', `${id}:${password}`, '-w', '\n%{http_code}', ...args]);
    const cut = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  }
  const url = (path: string): string => `https://localhost:${ports.webdav}${path}`;

  it('ro, wo and rw links do what their mode allows and nothing more', async () => {
    const up = join(work, 'up.txt');
    const ro = await linkTo('ro');
    expect(await curl(ro.id, ro.password, [url('/a.txt')])).toEqual({ status: 200, body: 'alpha\n' });
    expect((await curl(ro.id, ro.password, ['-X', 'PROPFIND', '-H', 'Depth: 1', url('/')])).status).toBe(207);
    expect((await curl(ro.id, ro.password, ['-T', up, url('/up.txt')])).status).toBe(403);
    expect((await curl(ro.id, ro.password, ['-X', 'DELETE', url('/a.txt')])).status).toBe(403);
    expect(existsSync(join(ro.dir, 'a.txt'))).toBe(true);

    const wo = await linkTo('wo');
    expect((await curl(wo.id, wo.password, ['-T', up, url('/up.txt')])).status).toBe(201);
    expect(await readFile(join(wo.dir, 'up.txt'), 'utf8')).toBe('uploaded through a link\n');
    expect((await curl(wo.id, wo.password, [url('/a.txt')])).status).toBe(404);
    expect((await curl(wo.id, wo.password, ['-X', 'PROPFIND', '-H', 'Depth: 1', url('/')])).status).toBe(403);
    expect((await curl(wo.id, wo.password, ['-T', up, url('/old.txt')])).status).toBe(412);
    expect(await readFile(join(wo.dir, 'old.txt'), 'utf8')).toBe('there before\n');

    const rw = await linkTo('rw');
    expect((await curl(rw.id, rw.password, ['-T', up, url('/up.txt')])).status).toBe(201);
    expect((await curl(rw.id, rw.password, [url('/up.txt')])).body).toBe('uploaded through a link\n');
    expect((await curl(rw.id, rw.password, ['-X', 'MOVE', '-H', `Destination: ${url('/moved.txt')}`, url('/up.txt')])).status).toBe(201);
    expect((await curl(rw.id, rw.password, ['-X', 'DELETE', url('/a.txt')])).status).toBe(204);
    expect(existsSync(join(rw.dir, 'moved.txt'))).toBe(true);
    expect(existsSync(join(rw.dir, 'a.txt'))).toBe(false);
    expect((await curl(rw.id, rw.password, [url('/../../secret')])).status).not.toBe(200);
  });

  it('refuses wrong passwords, revoked, expired and used-up links with clear answers', async () => {
    const link = await linkTo('ro', { maxUses: 1 });
    expect((await curl(link.id, 'wrong-password', [url('/a.txt')])).status).toBe(401);
    expect((await curl(link.id, link.password, [url('/a.txt')])).status).toBe(200);
    const usedUp = await curl(link.id, link.password, [url('/a.txt')]);
    expect(usedUp.status).toBe(403);
    expect(usedUp.body).toContain('used as often');
    const revoked = await linkTo('ro');
    await t.site.shareLinks.revoke(revoked.id, { userId: ownerId });
    const r = await curl(revoked.id, revoked.password, [url('/a.txt')]);
    expect(r).toMatchObject({ status: 403 });
    expect(r.body).toContain('revoked');
    const expired = await linkTo('ro', { expiresAt: Date.now() + 60_000 });
    await t.site.db.updateTable('share_links').set({ expires_at: Date.now() - 1 }).where('id', '=', expired.id).execute();
    expect((await curl(expired.id, expired.password, [url('/a.txt')])).body).toContain('expired');
  });
});
