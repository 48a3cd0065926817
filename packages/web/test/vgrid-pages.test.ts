import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '@migrid/core';
import { WebServer } from '../src/app/web-server.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

// A VGrid's web folders over a real HTTPS server on a real site: the public folder to anyone at
// /vgrid/<name>/ (index.html, content types, a sandboxing CSP), the private one at
// /vgrid-private/<name>/ to participants only; escapes by "..", encoded "..", "%2f" and symlinks
// are refused by the read-only view, never served.

let t: TestSite;
let server: WebServer;
let port: number;
let ann: UserRecord;
let bob: UserRecord;
let cy: UserRecord;
let s: { ann: TestSession; bob: TestSession; cy: TestSession };
const SECRET = 'private-marker-5f1e';

interface Got {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A request with the path sent exactly as given (no client-side normalising). */
function get(path: string, options: { method?: string; who?: TestSession; headers?: Record<string, string> } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const headers = { ...(options.who === undefined ? {} : { cookie: options.who.cookie }), ...options.headers };
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path, rejectUnauthorized: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  t = await openTestSite({ config: { logging: { level: 'warn' } } });
  ann = (await createTestUser(t.site)).user;
  bob = (await createTestUser(t.site)).user;
  cy = (await createTestUser(t.site)).user;
  const annActor = { kind: 'user', userId: ann.id } as const;
  await t.site.vgrids.create({ actor: annActor, name: 'Physics' });
  await t.site.vgrids.addMember('Physics', bob.id, { actor: annActor });
  await t.site.vgrids.create({ actor: annActor, name: 'Physics/Optics' });
  await t.site.vgrids.addOwner('Physics/Optics', cy.id, { actor: annActor });
  // The owner writes the public front page through her own view (the folder is at /public_base/Physics).
  const view = await t.site.files.viewFor({ kind: 'user', userId: ann.id });
  await pipeline(Readable.from([Buffer.from('<!doctype html><title>Physics</title><h1>Welcome to Physics</h1>')]), await view.createWriteStream('/public_base/Physics/index.html'));
  const pub = join(t.site.paths.vgridPublicBase, 'Physics');
  const priv = join(t.site.paths.vgridPrivateBase, 'Physics');
  await writeFile(join(pub, 'style.css'), 'h1 { color: red }');
  await writeFile(join(pub, 'data.bin'), Buffer.from('0123456789'));
  await writeFile(join(pub, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  await mkdir(join(pub, 'empty'));
  await writeFile(join(priv, 'index.html'), `<!doctype html><p>${SECRET}</p>`);
  await writeFile(join(t.site.paths.vgridPublicBase, 'outside.txt'), SECRET);
  await writeFile(join(t.site.paths.vgridPrivateBase, 'Physics', 'Optics', 'notes.html'), '<p>optics notes</p>');
  await symlink(join(priv, 'index.html'), join(pub, 'leak.html'));
  await symlink('../../vgrid_private_base/Physics', join(pub, 'leakdir'));
  s = { ann: await sessionFor(t.site, ann.id), bob: await sessionFor(t.site, bob.id), cy: await sessionFor(t.site, cy.id) };
  server = new WebServer({ site: t.site });
  port = (await server.listen(0, '127.0.0.1')).port;
}, 60_000);
afterAll(async () => {
  await server?.close();
  await t?.close();
});

describe('the public web folder at /vgrid/<name>/', () => {
  it('serves index.html to anyone, sandboxed, and redirects the folder URL without "/"', async () => {
    const page = await get('/vgrid/Physics/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('Welcome to Physics');
    expect(page.headers['content-security-policy']).toMatch(/^sandbox allow-scripts/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const bare = await get('/vgrid/Physics');
    expect([bare.status, bare.headers.location]).toEqual([301, '/vgrid/Physics/']);
    const direct = await get('/vgrid/Physics/index.html');
    expect(direct.body).toContain('Welcome to Physics');
  });

  it('serves files with their content types, HEAD, ranges and ETags', async () => {
    expect((await get('/vgrid/Physics/style.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    const svg = await get('/vgrid/Physics/logo.svg');
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['content-security-policy']).toMatch(/^sandbox/);
    const bin = await get('/vgrid/Physics/data.bin', { headers: { range: 'bytes=2-4' } });
    expect([bin.status, bin.body, bin.headers['content-range']]).toEqual([206, '234', 'bytes 2-4/10']);
    const head = await get('/vgrid/Physics/data.bin', { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '10', '']);
    const again = await get('/vgrid/Physics/data.bin', { headers: { 'if-none-match': String(head.headers.etag) } });
    expect(again.status).toBe(304);
  });

  it('answers 404 for a folder without index.html, a missing file and an unknown VGrid', async () => {
    expect((await get('/vgrid/Physics/empty/')).status).toBe(404);
    expect((await get('/vgrid/Physics/nope.html')).status).toBe(404);
    expect((await get('/vgrid/Nobody/')).status).toBe(404);
    expect((await get('/vgrid/')).status).toBe(404);
    const unknown = await get('/vgrid/%3Cscript%3Ealert(1)%3C%2Fscript%3E/');
    expect(unknown.status).toBe(404);
    expect(unknown.body).not.toContain('<script>alert(1)');
  });

  it('refuses "..", encoded "..", "%2f" and symlinks out of the folder', async () => {
    const attempts = [
      '/vgrid/Physics/../outside.txt',
      '/vgrid/Physics/%2e%2e/outside.txt',
      '/vgrid/Physics/%2E%2E%2Foutside.txt',
      '/vgrid/Physics/..%2foutside.txt',
      '/vgrid/Physics/%2e%2e/%2e%2e/vgrid_private_base/Physics/index.html',
      '/vgrid/Physics/empty/..%2f..%2f..%2fvgrid_private_base%2fPhysics%2findex.html',
      '/vgrid/..%2fvgrid_private_base%2fPhysics/index.html',
      '/vgrid/%2e%2e/vgrid_private_base/Physics/index.html',
      '/vgrid/Physics%2f..%2f..%2fvgrid_private_base%2fPhysics/index.html',
      '/vgrid/Physics/leak.html',
      '/vgrid/Physics/leakdir/index.html',
      '/vgrid/Physics/%00/index.html',
    ];
    for (const path of attempts) {
      const got = await get(path);
      expect(got.status, path).toBeGreaterThanOrEqual(400);
      expect(got.status, path).toBeLessThan(500);
      expect(got.body, path).not.toContain(SECRET);
    }
  });
});

describe('the private web folder at /vgrid-private/<name>/', () => {
  it('sends anonymous visitors to sign in', async () => {
    const got = await get('/vgrid-private/Physics/');
    expect(got.status).toBe(303);
    expect(got.headers.location).toBe(`/login?next=${encodeURIComponent('/vgrid-private/Physics/')}`);
  });

  it('serves participants, with scripts off; outsiders get 404', async () => {
    const member = await get('/vgrid-private/Physics/', { who: s.bob });
    expect(member.status).toBe(200);
    expect(member.body).toContain(SECRET);
    expect(member.headers['content-security-policy']).toContain("script-src 'none'");
    expect(member.headers['cache-control']).toBe('private, no-cache');
    expect((await get('/vgrid-private/Physics/', { who: s.ann })).status).toBe(200);
    // cy owns only Physics/Optics: she reaches that folder, not her parent's.
    const outsider = await get('/vgrid-private/Physics/', { who: s.cy });
    expect(outsider.status).toBe(404);
    expect(outsider.body).not.toContain(SECRET);
    const optics = await get('/vgrid-private/Physics/Optics/notes.html', { who: s.cy });
    expect([optics.status, optics.body]).toEqual([200, '<p>optics notes</p>']);
    for (const path of ['/vgrid-private/Physics/Optics/../index.html', '/vgrid-private/Physics/Optics/%2e%2e/index.html', '/vgrid-private/Physics/Optics/..%2findex.html']) {
      const got = await get(path, { who: s.cy });
      expect(got.status, path).toBeGreaterThanOrEqual(400);
      expect(got.body, path).not.toContain(SECRET);
    }
    // Members of Physics take part in Physics/Optics too.
    expect((await get('/vgrid-private/Physics/Optics/notes.html', { who: s.bob })).status).toBe(200);
  });

  it('stops serving a member the moment they leave', async () => {
    await t.site.vgrids.removeMember('Physics', bob.id, { actor: { kind: 'user', userId: ann.id } });
    const got = await get('/vgrid-private/Physics/', { who: s.bob });
    expect(got.status).toBe(404);
    expect(got.body).not.toContain(SECRET);
  });
});
