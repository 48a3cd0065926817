/**
 * The WebDAVS server's fast paths answer exactly like the full ones: PUT without locks skips the
 * lock machinery but still refuses a missing or non-folder parent and a folder target, and sees a
 * lock another server takes at once (SQLite and PostgreSQL); GET and HEAD serve from one open file
 * (whole small bodies, streamed large ones, ranges, 304, empty files, folders, errors); parallel
 * first logins with the same credentials all succeed, wrong ones all fail.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebdavServer } from '@migrid/fileservices';
import { databaseKinds, type DatabaseKind } from '../../../test/support/databases.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { dav, type DavTarget } from '../../../test/e2e/webdavs-client.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

const LOCK_BODY = '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>fast</D:owner></D:lockinfo>';

async function setup(kind: DatabaseKind): Promise<{ t: TestSite; start: () => Promise<DavTarget & { server: WebdavServer }> }> {
  const t = await openTestSite({ kind, open: { logger: pino({ level: 'silent' }) } });
  cleanup.push(() => t.close());
  const { user, password } = await createTestUser(t.site);
  const ca = await readFile(t.caCertPath);
  return {
    t,
    async start() {
      const server = await WebdavServer.fromSite(t.site);
      cleanup.push(() => server.close());
      const { port } = await server.listen(0, '127.0.0.1');
      return { server, port, ca, login: user.email, password };
    },
  };
}

describe.each(databaseKinds())('WebDAVS PUT without locks on %s', (kind) => {
  it('refuses what the full path refuses, and honours a lock another server takes at once', async () => {
    const { start } = await setup(kind);
    const a = await start();
    const b = await start();
    expect((await dav(a, 'PUT', '/missing/x.txt', { body: 'x' })).status).toBe(409);
    expect((await dav(a, 'PUT', '/f.txt', { body: 'v1' })).status).toBe(201);
    expect((await dav(a, 'PUT', '/f.txt/x.txt', { body: 'x' })).status).toBe(409);
    expect((await dav(a, 'MKCOL', '/dir')).status).toBe(201);
    expect((await dav(a, 'PUT', '/dir', { body: 'x' })).status).toBe(405);
    expect((await dav(a, 'PUT', '/f.txt', { body: 'v2' })).status).toBe(204);

    const lock = await dav(b, 'LOCK', '/f.txt', { body: LOCK_BODY });
    expect(lock.status).toBe(200);
    const token = /<(opaquelocktoken:[^>]+)>/.exec(String(lock.headers['lock-token']))?.[1] as string;
    expect((await dav(a, 'PUT', '/f.txt', { body: 'v3' })).status).toBe(423);
    expect((await dav(a, 'PUT', '/g.txt', { body: 'other file' })).status).toBe(201);
    // With a lock around, the full path answers the parent errors as before.
    expect((await dav(a, 'PUT', '/missing/x.txt', { body: 'x' })).status).toBe(409);
    expect((await dav(a, 'PUT', '/f.txt', { body: 'v3', headers: { If: `(<${token}>)` } })).status).toBe(204);
    expect((await dav(a, 'UNLOCK', '/f.txt', { headers: { 'Lock-Token': `<${token}>` } })).status).toBe(204);
    expect((await dav(a, 'PUT', '/f.txt', { body: 'v4' })).status).toBe(204);
    expect((await dav(b, 'GET', '/f.txt')).text).toBe('v4');
    // An If header that does not hold still fails, locks or not.
    expect((await dav(a, 'PUT', '/f.txt', { body: 'v5', headers: { If: '(["nope"])' } })).status).toBe(412);
  }, 60_000);
});

describe('WebDAVS GET and HEAD from one open file', () => {
  it('serves small and large files whole, in ranges and conditionally', async () => {
    const { start } = await setup('sqlite');
    const s = await start();
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 12)) % 251;
    expect((await dav(s, 'PUT', '/big.bin', { body: big })).status).toBe(201);
    expect((await dav(s, 'PUT', '/small.txt', { body: 'hello' })).status).toBe(201);
    expect((await dav(s, 'PUT', '/empty.txt', { body: '' })).status).toBe(201);

    const got = await dav(s, 'GET', '/big.bin');
    expect(got.status).toBe(200);
    expect(got.headers['content-length']).toBe(String(big.length));
    expect(createHash('sha256').update(got.body).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
    const tail = await dav(s, 'GET', '/big.bin', { headers: { Range: 'bytes=1048570-' } });
    expect(tail.status).toBe(206);
    expect(tail.headers['content-range']).toBe(`bytes 1048570-${big.length - 1}/${big.length}`);
    expect(tail.body.equals(big.subarray(1048570))).toBe(true);
    const mid = await dav(s, 'GET', '/big.bin', { headers: { Range: 'bytes=100-199' } });
    expect(mid.status).toBe(206);
    expect(mid.body.equals(big.subarray(100, 200))).toBe(true);
    expect((await dav(s, 'GET', '/big.bin', { headers: { Range: `bytes=${big.length}-` } })).status).toBe(416);

    const head = await dav(s, 'HEAD', '/big.bin');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(big.length));
    expect(head.body.length).toBe(0);

    const small = await dav(s, 'GET', '/small.txt');
    expect(small.text).toBe('hello');
    expect(small.headers['content-type']).toBe('text/plain');
    const etag = String(small.headers.etag);
    const again = await dav(s, 'GET', '/small.txt', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect((await dav(s, 'GET', '/small.txt', { headers: { Range: 'bytes=1-2', 'If-Range': '"other"' } })).text).toBe('hello');
    expect((await dav(s, 'GET', '/small.txt', { headers: { Range: 'bytes=1-2', 'If-Range': etag } })).text).toBe('el');

    const empty = await dav(s, 'GET', '/empty.txt');
    expect(empty.status).toBe(200);
    expect(empty.headers['content-length']).toBe('0');

    expect((await dav(s, 'MKCOL', '/folder')).status).toBe(201);
    const listing = await dav(s, 'GET', '/');
    expect(listing.status).toBe(200);
    expect(listing.text).toContain('href="/folder/"');
    expect((await dav(s, 'GET', '/nothing.txt')).status).toBe(404);
    expect((await dav(s, 'GET', '/small.txt/below')).status).toBe(409);
  }, 60_000);
});

describe('WebDAVS first logins', () => {
  it('lets parallel connections with the same credentials in, and keeps wrong ones out', async () => {
    const { start } = await setup('sqlite');
    const s = await start();
    const ok = await Promise.all(Array.from({ length: 6 }, () => dav(s, 'OPTIONS', '/')));
    expect(ok.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const bad = await Promise.all(Array.from({ length: 3 }, () => dav(s, 'OPTIONS', '/', { password: 'Wrong-Pass-1!' })));
    expect(bad.map((r) => r.status)).toEqual([401, 401, 401]);
    expect((await dav(s, 'GET', '/')).status).toBe(200);
  }, 60_000);
});
