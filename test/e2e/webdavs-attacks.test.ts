/**
 * Hostile use of the WebDAVS server: path escapes (`..`, `%2e%2e`, `%2f`), Destination headers
 * pointing elsewhere, symlinks planted on disk that lead to /etc or another user's home, another
 * user's files, a suspended user, a switched-off protocol and a banned address. Every refusal is
 * checked on disk too: nothing outside the view is read or written.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebdavServer } from '@migrid/fileservices';
import { createTestUser, openTestSite, type ConfigOverrides, type TestSite } from '../support/test-site.js';
import { dav, rawExchange, type DavTarget } from './webdavs-client.js';

async function start(config: ConfigOverrides): Promise<{ t: TestSite; server: WebdavServer; port: number; ca: Buffer }> {
  const t = await openTestSite({ config, open: { logger: pino({ level: 'silent' }) } });
  const server = await WebdavServer.fromSite(t.site);
  const { port } = await server.listen(0, '127.0.0.1');
  return { t, server, port, ca: await readFile(t.caCertPath) };
}

const refused = (status: number): boolean => status >= 400 && status < 500;

describe('WebDAVS attacks', () => {
  let t: TestSite;
  let server: WebdavServer;
  let alice: DavTarget & { home: string };
  let bob: { home: string };
  let port: number;

  beforeAll(async () => {
    let ca: Buffer;
    ({ t, server, port, ca } = await start({ files: { symlinks: 'within-view' } }));
    const a = await createTestUser(t.site);
    const b = await createTestUser(t.site);
    alice = { port, ca, login: a.user.email, password: a.password, home: await t.site.users.homeDir(a.user.id) };
    bob = { home: await t.site.users.homeDir(b.user.id) };
    await writeFile(join(bob.home, 'secret.txt'), 'bob only\n');
    await writeFile(join(alice.home, 'mine.txt'), 'alice\n');
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('refuses paths that climb out of the home in any spelling', async () => {
    const config = await readFile(t.configPath, 'utf8');
    for (const path of ['/../../mig.toml', '/%2e%2e/%2e%2e/mig.toml', '/..%2f..%2fmig.toml', '/%2E%2E%2F%2E%2E%2Fmig.toml', '/mine.txt/../../../mig.toml', '//etc/passwd']) {
      const r = await dav(alice, 'GET', path);
      expect(refused(r.status), `${path} → ${r.status}`).toBe(true);
      expect(r.text).not.toContain('[database]');
      expect(r.text).not.toContain(config.slice(0, 40));
    }
    for (const path of ['/../escape1.txt', '/%2e%2e/escape2.txt', '/..%2fescape3.txt']) {
      const r = await dav(alice, 'PUT', path, { body: 'x' });
      expect(refused(r.status), `${path} → ${r.status}`).toBe(true);
    }
    const r = await dav(alice, 'MKCOL', '/%2e%2e/evil');
    expect(refused(r.status)).toBe(true);
    const outside = await readdir(join(alice.home, '..'));
    expect(outside.some((n) => n.startsWith('escape') || n === 'evil')).toBe(false);
    expect((await readdir(t.dir)).some((n) => n.startsWith('escape'))).toBe(false);
  });

  it('refuses Destination headers that point at other hosts or out of the home', async () => {
    const cases: [string, number][] = [
      ['https://evil.example.org/stolen.txt', 502],
      [`https://localhost:${port + 1}/stolen.txt`, 502],
      ['ftp://localhost/stolen.txt', 400],
      [`https://localhost:${port}/../../stolen.txt`, 0],
      [`https://localhost:${port}/%2e%2e/%2e%2e/stolen.txt`, 0],
      [`https://localhost:${port}/..%2fstolen.txt`, 0],
      ['/../stolen.txt', 0],
    ];
    for (const [destination, status] of cases) {
      for (const method of ['COPY', 'MOVE']) {
        const r = await dav(alice, method, '/mine.txt', { headers: { Destination: destination } });
        if (status !== 0) expect(r.status, `${method} ${destination}`).toBe(status);
        else expect(refused(r.status), `${method} ${destination} → ${r.status}`).toBe(true);
      }
    }
    expect(await readFile(join(alice.home, 'mine.txt'), 'utf8')).toBe('alice\n');
    expect((await readdir(join(alice.home, '..'))).includes('stolen.txt')).toBe(false);
    expect((await readdir(t.dir)).includes('stolen.txt')).toBe(false);
  });

  it('never follows a symlink planted on disk to /etc or to another user', async () => {
    await symlink('/etc', join(alice.home, 'etc-link'));
    await symlink(bob.home, join(alice.home, 'bob-link'));
    await symlink(join(bob.home, 'secret.txt'), join(alice.home, 'secret-link'));
    for (const path of ['/etc-link/passwd', '/bob-link/secret.txt', '/secret-link']) {
      const r = await dav(alice, 'GET', path);
      expect(refused(r.status), `${path} → ${r.status}`).toBe(true);
      expect(r.text).not.toContain('bob only');
      expect(r.text).not.toContain('root:');
    }
    const put = await dav(alice, 'PUT', '/bob-link/planted.txt', { body: 'planted' });
    expect(refused(put.status)).toBe(true);
    const over = await dav(alice, 'PUT', '/secret-link', { body: 'overwritten' });
    expect(refused(over.status)).toBe(true); // a final link out of the root is never written through
    expect(await readFile(join(bob.home, 'secret.txt'), 'utf8')).toBe('bob only\n');
    const copy = await dav(alice, 'COPY', '/bob-link', { headers: { Destination: '/bob-copy' } });
    expect(refused(copy.status)).toBe(true);
    const pf = await dav(alice, 'PROPFIND', '/etc-link', { headers: { Depth: '1' } });
    expect(refused(pf.status)).toBe(true);
    const list = await dav(alice, 'PROPFIND', '/', { headers: { Depth: '1' } });
    expect(list.status).toBe(207);
    expect(list.text).not.toContain('etc-link');
    expect(list.text).not.toContain('bob-link');
    expect(existsSync(join(bob.home, 'planted.txt'))).toBe(false);
    expect(existsSync(join(alice.home, 'bob-copy'))).toBe(false);
    // Deleting a link removes the link only.
    expect((await dav(alice, 'DELETE', '/bob-link')).status).toBe(204);
    expect(await readFile(join(bob.home, 'secret.txt'), 'utf8')).toBe('bob only\n');
  });

  it("cannot reach another user's files, and hidden names stay hidden", async () => {
    const bobDir = bob.home.split('/').pop() as string;
    for (const path of [`/${bobDir}/secret.txt`, `/../${bobDir}/secret.txt`, `/%2e%2e/${bobDir}/secret.txt`]) {
      const r = await dav(alice, 'GET', path);
      expect(refused(r.status)).toBe(true);
      expect(r.text).not.toContain('bob only');
    }
    const hidden = t.site.config.files.hidden_names[0];
    if (hidden !== undefined) {
      await writeFile(join(alice.home, hidden), 'hidden');
      expect(refused((await dav(alice, 'GET', `/${encodeURIComponent(hidden)}`)).status)).toBe(true);
      expect((await dav(alice, 'PROPFIND', '/', { headers: { Depth: '1' } })).text).not.toContain(`/${encodeURIComponent(hidden)}<`);
    }
  });

  it('refuses a suspended user and a user who switched WebDAVS off', async () => {
    const carol = await createTestUser(t.site);
    const dave = await createTestUser(t.site);
    const target = { ...alice, login: carol.user.email, password: carol.password };
    expect((await dav(target, 'PROPFIND', '/', { headers: { Depth: '0' } })).status).toBe(207);
    await t.site.users.suspend(carol.user.id, 'test');
    const r = await dav(target, 'PUT', '/after-suspend.txt', { body: 'x' });
    expect(r.status).toBe(403);
    expect(r.text).toMatch(/disabled/i);
    expect(existsSync(join(await t.site.users.homeDir(carol.user.id), 'after-suspend.txt'))).toBe(false);

    await t.site.users.edit(dave.user.id, { settings: { protocols: { webdavs: false } } });
    const d = await dav({ ...alice, login: dave.user.email, password: dave.password }, 'PUT', '/x.txt', { body: 'x' });
    expect(d.status).toBe(403);
    expect(d.text).toMatch(/webdavs/i);
    expect(existsSync(join(await t.site.users.homeDir(dave.user.id), 'x.txt'))).toBe(false);
  });
});

describe('WebDAVS and the defender', () => {
  it('bans an address after repeated failures, even with the right password afterwards', async () => {
    const { t, server, port, ca } = await start({ defender: { max_user_failures: 3, max_address_failures: 3, ban_seconds: 600 } });
    try {
      const u = await createTestUser(t.site);
      const target = { port, ca, login: u.user.email };
      for (let i = 0; i < 4; i++) await dav({ ...target, password: `wrong-${i}` }, 'GET', '/');
      const r = await dav({ ...target, password: u.password }, 'PUT', '/after-ban.txt', { body: 'x' });
      expect(r.status).toBe(403);
      expect(r.text).toMatch(/try again/i);
      expect(existsSync(join(await t.site.users.homeDir(u.user.id), 'after-ban.txt'))).toBe(false);
    } finally {
      await server.close();
      await t.close();
    }
  });
});

describe('WebDAVS session caps', () => {
  it('refuses connections over the per-user cap and frees the slot when one closes', async () => {
    const { t, server, port, ca } = await start({ webdavs: { max_sessions_per_user: 1 } });
    try {
      const u = await createTestUser(t.site);
      await mkdir(join(await t.site.users.homeDir(u.user.id), 'd'));
      const target = { port, ca };
      const auth = `Authorization: Basic ${Buffer.from(`${u.user.email}:${u.password}`).toString('base64')}`;
      const req = `PROPFIND / HTTP/1.1\r\nHost: localhost\r\nDepth: 0\r\n${auth}\r\nContent-Length: 0\r\n\r\n`;
      const { rawTls } = await import('./webdavs-client.js');
      const held = await rawTls(target);
      const firstAnswer = new Promise<string>((resolve) => held.once('data', (c: Buffer) => resolve(c.toString('latin1'))));
      held.write(req);
      expect(await firstAnswer).toMatch(/^HTTP\/1\.1 207/);
      expect(await rawExchange(target, req, { ms: 1500 })).toMatch(/^HTTP\/1\.1 503/);
      held.destroy();
      await new Promise((r) => setTimeout(r, 200));
      expect(await rawExchange(target, req, { ms: 1500 })).toMatch(/^HTTP\/1\.1 207/);
    } finally {
      await server.close();
      await t.close();
    }
  });
});
