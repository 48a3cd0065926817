import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { UserRecord } from '@migrid/core';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

let t: TestSite;
let app: FastifyInstance;
let alice: UserRecord;
let bob: UserRecord;
let s: TestSession;
let aliceHome: string;

const q = (path: string): string => encodeURIComponent(path);

beforeAll(async () => {
  t = await openTestSite();
  app = await createWebApp({ site: t.site });
  await app.ready();
  alice = (await createTestUser(t.site)).user;
  bob = (await createTestUser(t.site)).user;
  s = await sessionFor(t.site, alice.id);
  aliceHome = await t.site.users.homeDir(alice.id);
});
afterAll(async () => {
  await app.close();
  await t.close();
});

function auth(extra: Record<string, string> = {}): Record<string, string> {
  return { cookie: s.cookie, 'x-csrf-token': s.csrf, ...extra };
}

async function put(path: string, body: Buffer | string | Readable, query = ''): Promise<{ statusCode: number; json: () => unknown; body: string }> {
  return app.inject({ method: 'PUT', url: `/api/v1/files/content?path=${q(path)}${query}`, headers: auth({ 'content-type': 'application/octet-stream' }), payload: body });
}

describe('files API: list, stat, content', () => {
  it('writes a file by PUT and reads it back with stat, list and content', async () => {
    const res = await put('/docs/hello.txt', 'hello world', '&parents=1');
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'hello.txt', path: '/docs/hello.txt', type: 'file', size: 11 });
    expect(await readFile(join(aliceHome, 'docs/hello.txt'), 'utf8')).toBe('hello world');

    const stat = await app.inject({ url: `/api/v1/files/stat?path=${q('/docs/hello.txt')}`, headers: auth() });
    expect(stat.json()).toMatchObject({ name: 'hello.txt', type: 'file', size: 11 });
    expect(new Date((stat.json() as { mtime: string }).mtime).getTime()).toBeGreaterThan(0);

    const list = await app.inject({ url: `/api/v1/files/list?path=${q('/docs')}`, headers: auth() });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ path: '/docs', entries: [expect.objectContaining({ name: 'hello.txt', path: '/docs/hello.txt', type: 'file', size: 11 })] });

    const top = await app.inject({ url: '/api/v1/files/list', headers: auth() });
    expect((top.json() as { entries: Array<{ name: string }> }).entries.map((e) => e.name)).toContain('docs');

    const got = await app.inject({ url: `/api/v1/files/content?path=${q('/docs/hello.txt')}`, headers: auth() });
    expect(got.statusCode).toBe(200);
    expect(got.body).toBe('hello world');
    expect(got.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(got.headers['content-length']).toBe('11');
    expect(got.headers.etag).toMatch(/^".+"$/);
    expect(got.headers['last-modified']).toBeTruthy();

    const again = await app.inject({ url: `/api/v1/files/content?path=${q('/docs/hello.txt')}`, headers: auth({ 'if-none-match': String(got.headers.etag) }) });
    expect(again.statusCode).toBe(304);
  });

  it('answers single ranges with 206 and bad ones with 416', async () => {
    const data = randomBytes(1000);
    expect((await put('/range.bin', data)).statusCode).toBe(201);
    const url = `/api/v1/files/content?path=${q('/range.bin')}`;
    const part = await app.inject({ url, headers: auth({ range: 'bytes=10-19' }) });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe('bytes 10-19/1000');
    expect(part.rawPayload.equals(data.subarray(10, 20))).toBe(true);
    const suffix = await app.inject({ url, headers: auth({ range: 'bytes=-5' }) });
    expect(suffix.statusCode).toBe(206);
    expect(suffix.rawPayload.equals(data.subarray(995))).toBe(true);
    const open = await app.inject({ url, headers: auth({ range: 'bytes=990-' }) });
    expect(open.rawPayload.equals(data.subarray(990))).toBe(true);
    const clipped = await app.inject({ url, headers: auth({ range: 'bytes=998-5000' }) });
    expect(clipped.statusCode).toBe(206);
    expect(clipped.headers['content-range']).toBe('bytes 998-999/1000');
    for (const bad of ['bytes=1000-', 'bytes=5-2', 'bytes=-0', 'bytes=abc']) {
      const res = await app.inject({ url, headers: auth({ range: bad }) });
      expect(res.statusCode, bad).toBe(416);
      expect(res.json()).toMatchObject({ code: 'MIG_E_RANGE_INVALID' });
      expect(res.headers['content-range']).toBe('bytes */1000');
    }
  });

  it('serves HTML as text/plain, other files as octet-stream, and download=1 as an attachment with a UTF-8 name', async () => {
    await put('/page.html', '<script>alert(1)</script>');
    const page = await app.inject({ url: `/api/v1/files/content?path=${q('/page.html')}`, headers: auth() });
    expect(page.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(String(page.headers['content-security-policy'])).toContain('sandbox');
    await put('/blåbær data.bin', 'x');
    const dl = await app.inject({ url: `/api/v1/files/content?path=${q('/blåbær data.bin')}&download=1`, headers: auth() });
    expect(dl.headers['content-type']).toBe('application/octet-stream');
    expect(dl.headers['content-disposition']).toBe(`attachment; filename="bl_b_r data.bin"; filename*=UTF-8''bl%C3%A5b%C3%A6r%20data.bin`);
  });

  it('streams a 50 MiB upload and download without changing a byte', async () => {
    const chunk = randomBytes(1024 * 1024);
    const total = 50;
    const expected = createHash('sha256');
    for (let i = 0; i < total; i += 1) expected.update(chunk);
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent === total) this.push(null);
        else {
          sent += 1;
          this.push(chunk);
        }
      },
    });
    const res = await put('/big.bin', body);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ size: total * chunk.length });
    const digest = expected.digest('hex');
    const sum = await app.inject({ url: `/api/v1/files/checksum?path=${q('/big.bin')}`, headers: auth() });
    expect(sum.json()).toEqual({ path: '/big.bin', algorithm: 'sha256', digest });
    const got = await app.inject({ url: `/api/v1/files/content?path=${q('/big.bin')}`, headers: auth() });
    expect(got.rawPayload.length).toBe(total * chunk.length);
    expect(createHash('sha256').update(got.rawPayload).digest('hex')).toBe(digest);
  });

  it('keeps uploads out of the JSON body limit and parser, whatever the content type', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'a');
    const res = await app.inject({ method: 'PUT', url: `/api/v1/files/content?path=${q('/not-json.json')}`, headers: auth({ 'content-type': 'application/json' }), payload: big });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ size: big.length });
    const noType = await app.inject({ method: 'PUT', url: `/api/v1/files/content?path=${q('/no-type')}`, headers: auth(), payload: 'abc' });
    expect(noType.statusCode).toBe(201);
    expect(await readFile(join(aliceHome, 'no-type'), 'utf8')).toBe('abc');
  });

  it('refuses to overwrite without overwrite=1 and replaces with it', async () => {
    await put('/keep.txt', 'one');
    const again = await put('/keep.txt', 'two');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'MIG_E_PATH_EXISTS' });
    expect(await readFile(join(aliceHome, 'keep.txt'), 'utf8')).toBe('one');
    const over = await put('/keep.txt', 'two', '&overwrite=1');
    expect(over.statusCode).toBe(201);
    expect(await readFile(join(aliceHome, 'keep.txt'), 'utf8')).toBe('two');
    const missingParent = await put('/no/such/dir/x.txt', 'x');
    expect(missingParent.statusCode).toBe(404);
    expect(missingParent.json()).toMatchObject({ code: 'MIG_E_PATH_NOT_FOUND' });
    const onDir = await put('/docs', 'x', '&overwrite=1');
    expect(onDir.statusCode).toBe(409);
    const names = await readdir(aliceHome);
    expect(names.filter((n) => n.startsWith('.mig-upload-'))).toEqual([]);
  });

  it('enforces the quota with 507 and leaves nothing behind', async () => {
    const tq = await openTestSite({ config: { quota: { user_limit_bytes: 1000 } } });
    try {
      const qa = await createWebApp({ site: tq.site });
      const { user } = await createTestUser(tq.site);
      const qs = await sessionFor(tq.site, user.id);
      const res = await qa.inject({ method: 'PUT', url: '/api/v1/files/content?path=%2Fbig', headers: { cookie: qs.cookie, 'x-csrf-token': qs.csrf }, payload: Buffer.alloc(5000) });
      expect(res.statusCode).toBe(507);
      expect(res.json()).toMatchObject({ code: 'MIG_E_QUOTA_EXCEEDED' });
      const home = await tq.site.users.homeDir(user.id);
      expect((await readdir(home)).filter((n) => n === 'big' || n.startsWith('.mig-upload-'))).toEqual([]);
      await qa.close();
    } finally {
      await tq.close();
    }
  });
});

describe('files API: security', () => {
  it('refuses path escapes, encoded or not, and hidden names', async () => {
    await writeFile(join(t.dir, 'outside.txt'), 'secret');
    const cases: Array<[string, number]> = [
      ['/../../etc/passwd', 403],
      ['../outside.txt', 403],
      ['/..', 403],
      ['/.trash', 403],
      ['/.mig-upload-x', 403],
    ];
    for (const [path, status] of cases) {
      const res = await app.inject({ url: `/api/v1/files/content?path=${q(path)}`, headers: auth() });
      expect(res.statusCode, path).toBe(status);
      expect(res.body).not.toContain('secret');
      expect(res.body).not.toContain(t.dir);
    }
    // %2e%2e arrives decoded once by the URL parser; a double-encoded one is a literal name.
    const enc = await app.inject({ url: '/api/v1/files/content?path=%2e%2e%2f%2e%2e%2fetc%2fpasswd', headers: auth() });
    expect(enc.statusCode).toBe(403);
    const double = await app.inject({ url: '/api/v1/files/content?path=%252e%252e%252fetc%252fpasswd', headers: auth() });
    expect(double.statusCode).toBe(404);
    // An absolute host path is just a path inside the home.
    const host = await app.inject({ url: `/api/v1/files/content?path=${q(join(t.dir, 'outside.txt'))}`, headers: auth() });
    expect(host.statusCode).toBe(404);
    expect(host.body).not.toContain('secret');
    const putEscape = await put('/../escape.txt', 'x');
    expect(putEscape.statusCode).toBe(403);
    expect(putEscape.json()).toMatchObject({ code: 'MIG_E_PATH_ESCAPE' });
  });

  it('refuses symlinks that lead out of the home', async () => {
    const { symlink } = await import('node:fs/promises');
    await symlink('/etc/passwd', join(aliceHome, 'link-out'));
    const res = await app.inject({ url: `/api/v1/files/content?path=${q('/link-out')}`, headers: auth() });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'MIG_E_PATH_ESCAPE' });
  });

  it('needs a signed-in user, a CSRF token for changes from a session, and the right token scope', async () => {
    const anon = await app.inject({ url: '/api/v1/files/list' });
    expect(anon.statusCode).toBe(401);
    const noCsrf = await app.inject({ method: 'PUT', url: '/api/v1/files/content?path=%2Fcsrf.txt', headers: { cookie: s.cookie }, payload: 'x' });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json()).toMatchObject({ code: 'MIG_E_CSRF' });
    const { token } = await t.site.apiTokens.create(alice.id, { name: 'ro', scopes: ['files:read'] });
    const bearer = { authorization: `Bearer ${token}` };
    const list = await app.inject({ url: '/api/v1/files/list?path=%2F', headers: bearer });
    expect(list.statusCode).toBe(200);
    const write = await app.inject({ method: 'PUT', url: '/api/v1/files/content?path=%2Fro.txt', headers: bearer, payload: 'x' });
    expect(write.statusCode).toBe(403);
    expect(write.json()).toMatchObject({ code: 'MIG_E_TOKEN_SCOPE' });
    const mk = await app.inject({ method: 'POST', url: '/api/v1/files/mkdir', headers: bearer, payload: { path: '/x' } });
    expect(mk.statusCode).toBe(403);
    const { token: acct } = await t.site.apiTokens.create(alice.id, { name: 'acct', scopes: ['account:read'] });
    const other = await app.inject({ url: '/api/v1/files/list', headers: { authorization: `Bearer ${acct}` } });
    expect(other.statusCode).toBe(403);
    const { token: rw } = await t.site.apiTokens.create(alice.id, { name: 'rw', scopes: ['files:write'] });
    const ok = await app.inject({ method: 'PUT', url: '/api/v1/files/content?path=%2Frw.txt', headers: { authorization: `Bearer ${rw}` }, payload: 'x' });
    expect(ok.statusCode).toBe(201);
  });

  it('keeps another user\'s files unreachable', async () => {
    const bobHome = await t.site.users.homeDir(bob.id);
    await mkdir(bobHome, { recursive: true });
    await writeFile(join(bobHome, 'bob-secret.txt'), 'bob');
    const bs = await sessionFor(t.site, bob.id);
    const bobList = await app.inject({ url: '/api/v1/files/list', headers: { cookie: bs.cookie } });
    expect((bobList.json() as { entries: Array<{ name: string }> }).entries.map((e) => e.name)).toContain('bob-secret.txt');
    const rel = `/../${bob.id}/bob-secret.txt`;
    for (const path of [rel, '/bob-secret.txt', join(bobHome, 'bob-secret.txt')]) {
      const res = await app.inject({ url: `/api/v1/files/content?path=${q(path)}`, headers: auth() });
      expect(res.statusCode, path).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toBe('bob');
    }
  });
});
