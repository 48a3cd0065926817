/**
 * The WebDAVS server over a real site on SQLite and PostgreSQL: dead properties and locks survive
 * a restart and are shared by two servers on one database, locks are enforced, MOVE carries
 * properties, quota errors are 507, OPTIONS advertises class 1 and 2.
 */
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebdavServer } from '@migrid/fileservices';
import { databaseKinds, type DatabaseKind } from '../../../test/support/databases.js';
import { createTestUser, openTestSite, type ConfigOverrides, type TestSite } from '../../../test/support/test-site.js';
import { dav, type DavTarget } from '../../../test/e2e/webdavs-client.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(kind: DatabaseKind, config: ConfigOverrides = {}): Promise<{ t: TestSite; start: () => Promise<DavTarget & { server: WebdavServer }> }> {
  const t = await openTestSite({ kind, config, open: { logger: pino({ level: 'silent' }) } });
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

const LOCK_BODY = '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>tester</D:owner></D:lockinfo>';
const SET_PROP = '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:colour>blue</Z:colour></D:prop></D:set></D:propertyupdate>';
const GET_PROP = '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:prop><Z:colour/><D:lockdiscovery/></D:prop></D:propfind>';

describe.each(databaseKinds())('WebDAVS server on %s', (kind) => {
  it('keeps properties and locks across a restart and shares them between servers', async () => {
    const { start } = await setup(kind);
    const a = await start();
    expect((await dav(a, 'PUT', '/doc.txt', { body: 'v1' })).status).toBe(201);
    expect((await dav(a, 'PROPPATCH', '/doc.txt', { body: SET_PROP })).status).toBe(207);
    const lock = await dav(a, 'LOCK', '/doc.txt', { body: LOCK_BODY, headers: { Timeout: 'Second-600' } });
    expect(lock.status).toBe(200);
    const token = /<(opaquelocktoken:[^>]+)>/.exec(String(lock.headers['lock-token']))?.[1] as string;
    expect(token).toBeDefined();
    await a.server.close();

    const b = await start();
    const c = await start();
    const props = await dav(b, 'PROPFIND', '/doc.txt', { headers: { Depth: '0' }, body: GET_PROP });
    expect(props.text).toContain('<Z:colour xmlns:Z="urn:z">blue</Z:colour>');
    expect(props.text).toContain(token);
    expect(props.text).toMatch(/<D:owner[^>]*>tester<\/D:owner>/);
    expect((await dav(c, 'PUT', '/doc.txt', { body: 'v2' })).status).toBe(423);
    expect((await dav(c, 'DELETE', '/doc.txt')).status).toBe(423);
    expect((await dav(c, 'MOVE', '/doc.txt', { headers: { Destination: '/moved.txt' } })).status).toBe(423);
    expect((await dav(c, 'PROPPATCH', '/doc.txt', { body: SET_PROP })).status).toBe(423);
    expect((await dav(c, 'COPY', '/doc.txt', { headers: { Destination: '/copy.txt' } })).status).toBe(201);
    expect((await dav(c, 'COPY', '/copy.txt', { headers: { Destination: '/doc.txt' } })).status).toBe(423);
    expect((await dav(c, 'PUT', '/doc.txt', { body: 'v2', headers: { If: `(<${token}>)` } })).status).toBe(204);
    expect((await dav(b, 'UNLOCK', '/doc.txt', { headers: { 'Lock-Token': `<${token}>` } })).status).toBe(204);
    expect((await dav(c, 'MOVE', '/doc.txt', { headers: { Destination: '/moved.txt' } })).status).toBe(201);
    const moved = await dav(b, 'PROPFIND', '/moved.txt', { headers: { Depth: '0' }, body: GET_PROP });
    expect(moved.text).toContain('<Z:colour xmlns:Z="urn:z">blue</Z:colour>');
    expect((await dav(b, 'PROPFIND', '/copy.txt', { headers: { Depth: '0' }, body: GET_PROP })).text).toContain('blue');
    expect((await dav(b, 'DELETE', '/moved.txt')).status).toBe(204);
    expect((await dav(b, 'PUT', '/moved.txt', { body: 'new' })).status).toBe(201);
    expect((await dav(b, 'PROPFIND', '/moved.txt', { headers: { Depth: '0' }, body: GET_PROP })).text).not.toContain('blue');
  }, 60_000);
});

describe('WebDAVS server', () => {
  it('advertises class 1 and 2, and answers quota overruns with 507 Insufficient Storage', async () => {
    const { start } = await setup('sqlite', { quota: { user_limit_bytes: 100_000 } });
    const s = await start();
    const opts = await dav(s, 'OPTIONS', '/');
    expect(opts.status).toBe(200);
    expect(opts.headers.dav).toBe('1, 2');
    expect((await dav(s, 'PUT', '/small.bin', { body: Buffer.alloc(1000) })).status).toBe(201);
    expect((await dav(s, 'PUT', '/big.bin', { body: Buffer.alloc(200_000) })).status).toBe(507);
    expect((await dav(s, 'GET', '/big.bin')).status).toBe(404);
  });

  it('takes the lock of an unmapped URL as a new empty file, and enforces depth-infinity collection locks', async () => {
    const { start } = await setup('sqlite');
    const s = await start();
    expect((await dav(s, 'MKCOL', '/coll')).status).toBe(201);
    const lock = await dav(s, 'LOCK', '/coll', { body: LOCK_BODY, headers: { Depth: 'infinity' } });
    expect(lock.status).toBe(200);
    const token = /<(opaquelocktoken:[^>]+)>/.exec(String(lock.headers['lock-token']))?.[1] as string;
    expect((await dav(s, 'PUT', '/coll/new.txt', { body: 'x' })).status).toBe(423);
    expect((await dav(s, 'MKCOL', '/coll/sub')).status).toBe(423);
    expect((await dav(s, 'PUT', '/coll/new.txt', { body: 'x', headers: { If: `<https://localhost:${s.port}/coll/> (<${token}>)` } })).status).toBe(201);
    expect((await dav(s, 'LOCK', '/coll/new.txt', { body: LOCK_BODY })).status).toBe(423);
    const nul = await dav(s, 'LOCK', '/unmapped.txt', { body: LOCK_BODY });
    expect(nul.status).toBe(201);
    expect((await dav(s, 'GET', '/unmapped.txt')).text).toBe('');
  });
});
