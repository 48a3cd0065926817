/**
 * Malformed and hostile input never crashes the WebDAVS server: garbage XML, DTDs with entity
 * expansion (billion laughs) and external entities (XXE), the two requests that killed
 * webdav-server (PROPPATCH with two `<set>` blocks, `If: (Not <DAV:no-lock>)`), huge headers, a
 * truncated chunked body, a client that disconnects mid-PUT (no partial file afterwards). After
 * each, the server still serves.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebdavServer } from '@migrid/fileservices';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';
import { basic, dav, rawExchange, rawTls, type DavTarget } from './webdavs-client.js';

describe('WebDAVS robustness', () => {
  let t: TestSite;
  let server: WebdavServer;
  let u: DavTarget;
  let home: string;
  let auth: string;

  async function stillServes(): Promise<void> {
    const r = await dav(u, 'PROPFIND', '/', { headers: { Depth: '0' } });
    expect(r.status).toBe(207);
  }

  beforeAll(async () => {
    t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
    server = await WebdavServer.fromSite(t.site);
    const { port } = await server.listen(0, '127.0.0.1');
    const { user, password } = await createTestUser(t.site);
    u = { port, ca: await readFile(t.caCertPath), login: user.email, password };
    home = await t.site.users.homeDir(user.id);
    auth = basic(user.email, password);
    expect((await dav(u, 'PUT', '/f.txt', { body: 'hello' })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('answers garbage XML bodies with 400', async () => {
    const bodies = [
      '<foo>',
      '<<<>>>',
      '\u0000\u0001\u0002',
      '<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>',
      '<D:propfind xmlns:D="DAV:"><x:unbound/></D:propfind>',
      '<a>'.repeat(5000),
      '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind><trailing/>',
    ];
    for (const body of bodies) {
      for (const method of ['PROPFIND', 'PROPPATCH', 'LOCK']) {
        const r = await dav(u, method, '/f.txt', { body, headers: { Depth: '0' } });
        expect(r.status, `${method} ${body.slice(0, 30)}`).toBe(400);
      }
    }
    await stillServes();
  });

  it('refuses DTDs: billion laughs and XXE are never expanded', async () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>' +
      '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="urn:x">&lol4;</x:p></D:prop></D:set></D:propertyupdate>';
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
      '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="urn:x">&xxe;</x:p></D:prop></D:set></D:propertyupdate>';
    const undeclared = '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="urn:x">&xxe;</x:p></D:prop></D:set></D:propertyupdate>';
    for (const body of [laughs, xxe, undeclared]) {
      const r = await dav(u, 'PROPPATCH', '/f.txt', { body });
      expect(r.status).toBe(400);
      expect(r.text).not.toContain('root:');
    }
    const props = await dav(u, 'PROPFIND', '/f.txt', { headers: { Depth: '0' }, body: '<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>' });
    expect(props.text).not.toContain('urn:x');
    await stillServes();
  });

  it('handles a PROPPATCH with two set and two remove blocks (killed webdav-server)', async () => {
    const body =
      '<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">' +
      '<D:set><D:prop><Z:a>1</Z:a></D:prop></D:set><D:set><D:prop><Z:b>2</Z:b></D:prop></D:set>' +
      '<D:remove><D:prop><Z:a/></D:prop></D:remove><D:remove><D:prop><Z:c/></D:prop></D:remove>' +
      '</D:propertyupdate>';
    const r = await dav(u, 'PROPPATCH', '/f.txt', { body });
    expect(r.status).toBe(207);
    const get = await dav(u, 'PROPFIND', '/f.txt', { headers: { Depth: '0' }, body: '<D:propfind xmlns:D="DAV:" xmlns:Z="urn:z"><D:prop><Z:a/><Z:b/></D:prop></D:propfind>' });
    expect(get.text).toMatch(/<Z:b xmlns:Z="urn:z">2<\/Z:b>/);
    expect(get.text).toMatch(/HTTP\/1\.1 404/); // Z:a was set, then removed
    await stillServes();
  });

  it('evaluates If: (Not <DAV:no-lock>) and malformed If headers without crashing (killed webdav-server)', async () => {
    expect((await dav(u, 'PUT', '/f.txt', { body: 'v2', headers: { If: '(Not <DAV:no-lock>)' } })).status).toBe(204);
    expect((await dav(u, 'PUT', '/f.txt', { body: 'v3', headers: { If: '(<DAV:no-lock>)' } })).status).toBe(412);
    for (const bad of ['(Not', '(<', '<http://x/> ', '()', '([unterminated', '(Not Not <a>)', '<a>(<b>) (<c>)', 'garbage', '(' + '<x> '.repeat(1000) + ')']) {
      const r = await dav(u, 'PUT', '/f.txt', { body: 'v4', headers: { If: bad } });
      expect(r.status, bad.slice(0, 20)).toBeGreaterThanOrEqual(400);
    }
    expect(await readFile(join(home, 'f.txt'), 'utf8')).toBe('v2');
    await stillServes();
  });

  it('refuses huge headers with 431', async () => {
    const big = 'x'.repeat(64 * 1024);
    const answer = await rawExchange(u, `GET /f.txt HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\nX-Big: ${big}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
    const many = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n');
    expect(await rawExchange(u, `GET /f.txt HTTP/1.1\r\nHost: localhost\r\n${many}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 4\d\d/);
    expect(await rawExchange(u, 'NONSENSE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    await stillServes();
  });

  it('refuses an XML body over the limit with 413', async () => {
    const body = `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="urn:x">${'a'.repeat(2 * 1024 * 1024)}</x:p></D:prop></D:set></D:propertyupdate>`;
    const r = await dav(u, 'PROPPATCH', '/f.txt', { body }).catch(() => ({ status: 413 }));
    expect(r.status).toBe(413);
    await stillServes();
  });

  it('leaves no file behind after a truncated chunked PUT or a disconnect mid-PUT', async () => {
    const chunked = `PUT /chunked.bin HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n${'a'.repeat(4096)}\r\n1000\r\n${'b'.repeat(100)}`;
    await rawExchange(u, chunked, { ms: 500, endAfterWrite: true });
    const bad = `PUT /badchunk.bin HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n`;
    expect(await rawExchange(u, bad, { ms: 1000 })).toMatch(/^HTTP\/1\.1 400|^$/);

    const s = await rawTls(u);
    s.write(`PUT /big.bin HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\nContent-Length: 50000000\r\n\r\n`);
    for (let i = 0; i < 20; i++) s.write(Buffer.alloc(64 * 1024, 7));
    await new Promise((r) => setTimeout(r, 300));
    s.destroy();
    // Give the server a moment to clean up the temporary file.
    for (let i = 0; i < 150; i++) {
      const names = await readdir(home);
      if (!names.some((n) => n.startsWith('.mig-upload-'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const names = await readdir(home);
    expect(names).not.toContain('chunked.bin');
    expect(names).not.toContain('badchunk.bin');
    expect(names).not.toContain('big.bin');
    expect(names.filter((n) => n.startsWith('.mig-upload-'))).toEqual([]);
    expect(existsSync(join(home, 'f.txt'))).toBe(true);
    await stillServes();
  });

  it('answers unknown methods, bad Depth and bad Destination without harm', async () => {
    expect((await dav(u, 'TRACE', '/')).status).toBe(405);
    expect((await dav(u, 'PROPFIND', '/', { headers: { Depth: 'banana' } })).status).toBe(400);
    expect((await dav(u, 'COPY', '/f.txt', { headers: { Destination: '::::' } })).status).toBe(400);
    expect((await dav(u, 'COPY', '/f.txt')).status).toBe(400);
    expect((await dav(u, 'LOCK', '/f.txt', { headers: { Timeout: 'Second-99999999999999999999' }, body: '<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>' })).status).toBe(200);
    expect((await dav(u, 'UNLOCK', '/f.txt', { headers: { 'Lock-Token': 'nonsense' } })).status).toBe(400);
    expect((await dav(u, 'GET', '/%zz')).status).toBe(400);
    expect((await dav(u, 'GET', '/a%00b')).status).toBe(400);
    await stillServes();
  });
});
