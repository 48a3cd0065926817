import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateShareId, type ShareLink, type UserRecord } from '@migrid/core';
import { WebServer } from '../src/app/web-server.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor } from './support/sessions.js';

// The share-link pages over real TLS: anonymous browsers (a cookie jar each) open links of every
// mode and state; the owner makes links through /share-links.

const EVIL = '<img src=x onerror=alert(1)>.txt';

let t: TestSite;
let server: WebServer;
let port: number;
let owner: UserRecord;
let home: string;
const big = randomBytes(3 * 1024 * 1024 + 17);

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
}

/** A browser: a cookie jar (name, path, value) and raw requests (paths are sent exactly as given). */
class Browser {
  private readonly jar = new Map<string, { path: string; value: string }>();

  cookieFor(path: string): string {
    return [...this.jar.entries()]
      .filter(([, c]) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([key, c]) => `${key.split('\0')[0]}=${c.value}`)
      .join('; ');
  }

  /** The cookie values stored under `name` (one per path). */
  values(name: string): string[] {
    return [...this.jar.entries()].filter(([k]) => k.startsWith(`${name}\0`)).map(([, c]) => c.value);
  }

  send(method: string, path: string, options: { headers?: Record<string, string>; body?: Buffer | string; cookie?: string } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const cookie = options.cookie ?? this.cookieFor(path.split('?')[0] ?? path);
      const headers: Record<string, string> = { ...(cookie === '' ? {} : { cookie }), ...options.headers };
      if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
      const req = request({ host: '127.0.0.1', port, method, path, rejectUnauthorized: false, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          for (const line of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
            const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq);
            const value = pair.slice(eq + 1);
            const p = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
            const expired = attrs.some((a) => /^expires=.*1970/i.test(a)) || value === '';
            if (expired) this.jar.delete(`${name}\0${p}`);
            else this.jar.set(`${name}\0${p}`, { path: p, value });
          }
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (options.body !== undefined) req.write(options.body);
      req.end();
    });
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    return this.send('GET', path, { headers });
  }

  /** The CSRF token of the page last read (its meta tag). */
  static csrfOf(page: Answer): string {
    const m = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text);
    if (m === null) throw new Error('no CSRF token in the page');
    return m[1] as string;
  }

  form(path: string, fields: Record<string, string>): Promise<Answer> {
    return this.send('POST', path, { headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `https://127.0.0.1:${port}`, host: `127.0.0.1:${port}` }, body: new URLSearchParams(fields).toString() });
  }

  upload(id: string, csrf: string, name: string, bytes: Buffer | string, dir = '/'): Promise<Answer> {
    return this.send('POST', `/share/${id}/_/upload?dir=${encodeURIComponent(dir)}&name=${encodeURIComponent(name)}`, {
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json', 'x-csrf-token': csrf },
      body: bytes,
    });
  }
}

async function link(path: string, options: { mode?: 'ro' | 'wo' | 'rw'; password?: string; maxUses?: number } = {}): Promise<ShareLink> {
  return t.site.shareLinks.create({ ownerId: owner.id, path, ...options });
}

beforeAll(async () => {
  t = await openTestSite({ config: { defender: { max_user_failures: 3, max_address_failures: 10_000 } }, open: { logger: pino({ level: 'silent' }) } });
  owner = (await createTestUser(t.site)).user;
  home = await t.site.users.homeDir(owner.id);
  await mkdir(join(home, 'docs/sub'), { recursive: true });
  await writeFile(join(home, 'docs/a.txt'), 'alpha');
  await writeFile(join(home, 'docs/sub/b.txt'), 'beta');
  await writeFile(join(home, 'docs', EVIL), 'evil');
  await writeFile(join(home, 'docs/big.bin'), big);
  await writeFile(join(home, 'outside-secret.txt'), 'not shared');
  await mkdir(join(home, 'drop'));
  await writeFile(join(home, 'drop/secret.txt'), 'there before');
  await mkdir(join(home, 'rwdir'));
  await writeFile(join(home, 'rwdir/old.txt'), 'old');
  await mkdir(join(home, 'single'));
  await writeFile(join(home, 'single/one.txt'), 'only me');
  await writeFile(join(home, 'single/sibling.txt'), 'not me');
  server = new WebServer({ site: t.site });
  port = (await server.listen(0, '127.0.0.1')).port;
}, 60_000);

afterAll(async () => {
  await server?.close();
  await t?.close();
});

describe('/share/<id> refuses links that cannot be used', () => {
  it('answers 404 for an unknown or malformed id', async () => {
    const b = new Browser();
    for (const id of [generateShareId('ro'), 'hello', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const res = await b.get(`/share/${id}/`);
      expect(res.status, id).toBe(404);
      expect(res.text).toContain('No such share link');
    }
  });

  it('answers 410 saying which: expired, revoked, used up', async () => {
    const expired = await link('/docs');
    await t.site.db.updateTable('share_links').set({ expires_at: Date.now() - 1000 }).where('id', '=', expired.id).execute();
    const revoked = await link('/docs');
    await t.site.shareLinks.revoke(revoked.id, { userId: owner.id });
    const once = await link('/docs', { maxUses: 1 });

    const e = await new Browser().get(`/share/${expired.id}/`);
    expect(e.status).toBe(410);
    expect(e.text).toContain('expired');
    expect(e.text).toContain('MIG_E_SHARE_LINK_EXPIRED');
    const r = await new Browser().get(`/share/${revoked.id}/`);
    expect(r.status).toBe(410);
    expect(r.text).toContain('MIG_E_SHARE_LINK_REVOKED');

    // One use per browser session: the first browser keeps working, a second one is refused.
    const first = new Browser();
    expect((await first.get(`/share/${once.id}/`)).status).toBe(200);
    expect((await first.get(`/share/${once.id}/a.txt`)).status).toBe(200);
    expect((await first.get(`/share/${once.id}/sub/`)).status).toBe(200);
    expect((await t.site.shareLinks.get(once.id)).uses).toBe(1);
    const second = await new Browser().get(`/share/${once.id}/`);
    expect(second.status).toBe(410);
    expect(second.text).toContain('MIG_E_SHARE_LINK_USED_UP');
    expect(second.text).not.toContain('a.txt');

    // Revoking ends the session of a browser that was in.
    await t.site.shareLinks.revoke(once.id, { userId: owner.id });
    const after = await first.get(`/share/${once.id}/a.txt`);
    expect(after.status).toBe(410);
    expect(after.text).not.toContain('alpha');
  });
});

describe('a read-only folder link', () => {
  let ro: ShareLink;
  const b = new Browser();
  beforeAll(async () => {
    ro = await link('/docs');
  });

  it('lists the folder with escaped names, private headers and the CSP', async () => {
    const bare = await b.get(`/share/${ro.id}`);
    expect(bare.status).toBe(303);
    expect(bare.headers.location).toBe(`/share/${ro.id}/`);
    const page = await b.get(`/share/${ro.id}/`);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.text).toContain('a.txt');
    expect(page.text).toContain('big.bin');
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;.txt');
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).not.toContain('outside-secret');
    expect(page.text).not.toContain('share-upload');
    const sub = await b.get(`/share/${ro.id}/sub/`);
    expect(sub.status).toBe(200);
    expect(sub.text).toContain('b.txt');
    // A folder without its trailing slash is redirected to it.
    expect((await b.get(`/share/${ro.id}/sub`)).headers.location).toBe(`/share/${ro.id}/sub/`);
    expect((await t.site.shareLinks.get(ro.id)).uses).toBe(1);
  });

  it('downloads files (with Range) and the folder as zip', async () => {
    const a = await b.get(`/share/${ro.id}/a.txt`);
    expect(a.status).toBe(200);
    expect(a.text).toBe('alpha');
    expect(a.headers['content-disposition']).toMatch(/^attachment; filename="a.txt"/);
    expect(a.headers['cache-control']).toBe('no-store');
    const evil = await b.get(`/share/${ro.id}/${encodeURIComponent(EVIL)}`);
    expect(evil.status).toBe(200);
    expect(evil.text).toBe('evil');
    expect(evil.headers['content-security-policy']).toContain('sandbox');
    const part = await b.get(`/share/${ro.id}/big.bin`, { range: 'bytes=1048570-1048600' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 1048570-1048600/${big.length}`);
    expect(part.body.equals(big.subarray(1048570, 1048601))).toBe(true);
    const whole = await b.get(`/share/${ro.id}/big.bin`);
    expect(whole.body.equals(big)).toBe(true);
    const zip = await b.get(`/share/${ro.id}/?zip=1`);
    expect(zip.status).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    expect(zip.headers['content-disposition']).toContain('docs.zip');
    expect(zip.body.subarray(0, 2).toString()).toBe('PK');
    expect(zip.body.includes(Buffer.from('sub/b.txt'))).toBe(true);
    expect(zip.body.includes(Buffer.from('outside-secret'))).toBe(false);
    const subZip = await b.get(`/share/${ro.id}/sub/?zip=1`);
    expect(subZip.headers['content-disposition']).toContain('sub.zip');
  });

  it('refuses uploads and changes', async () => {
    const page = await b.get(`/share/${ro.id}/`);
    const csrf = Browser.csrfOf(page);
    const up = await b.upload(ro.id, csrf, 'new.txt', 'x');
    expect(up.status).toBe(403);
    expect((JSON.parse(up.text) as { code: string }).code).toBe('MIG_E_PERMISSION_DENIED');
    const del = await b.form(`/share/${ro.id}/_/delete`, { _csrf: csrf, path: '/a.txt' });
    expect(del.status).toBe(403);
    expect(await readFile(join(home, 'docs/a.txt'), 'utf8')).toBe('alpha');
    expect(await readdir(join(home, 'docs'))).not.toContain('new.txt');
  });

  it('keeps every path inside the shared folder', async () => {
    const tries: Array<[string, number]> = [
      [`/share/${ro.id}/../`, 403],
      [`/share/${ro.id}/../outside-secret.txt`, 403],
      [`/share/${ro.id}/%2e%2e/outside-secret.txt`, 403],
      [`/share/${ro.id}/%2e%2e%2foutside-secret.txt`, 403],
      [`/share/${ro.id}/sub/%2e%2e/%2e%2e/outside-secret.txt`, 403],
      [`/share/${ro.id}/%2e%2e/?zip=1`, 403],
      [`/share/${ro.id}/..%5coutside-secret.txt`, 404],
    ];
    for (const [path, status] of tries) {
      const res = await b.get(path);
      expect(res.status, path).toBe(status);
      expect(res.text, path).toContain(status === 403 ? 'MIG_E_PATH_ESCAPE' : 'MIG_E_PATH_NOT_FOUND');
      expect(res.text, path).not.toContain('not shared');
    }
    // Climbing down and up again stays inside.
    const inside = await b.get(`/share/${ro.id}/sub/%2e%2e/a.txt`);
    expect(inside.status).toBe(200);
    expect(inside.text).toBe('alpha');
  });
});

describe('an upload-only (drop box) link', () => {
  let wo: ShareLink;
  beforeAll(async () => {
    wo = await link('/drop', { mode: 'wo' });
  });

  it('accepts uploads, shows only this session\'s, and never lists or serves files', async () => {
    const b = new Browser();
    const page = await b.get(`/share/${wo.id}/`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('upload-only');
    expect(page.text).not.toContain('secret.txt');
    const csrf = Browser.csrfOf(page);
    const up = await b.upload(wo.id, csrf, 'report.txt', 'my report');
    expect(up.status).toBe(201);
    expect(JSON.parse(up.text)).toMatchObject({ name: 'report.txt', size: 9 });
    expect(await readFile(join(home, 'drop/report.txt'), 'utf8')).toBe('my report');
    const again = await b.get(`/share/${wo.id}/`);
    expect(again.text).toContain('uploaded: report.txt');
    expect(again.text).not.toContain('secret.txt');
    // No download, not even of one's own upload; no zip; no listing of sub-paths.
    for (const path of ['report.txt', 'secret.txt', '?zip=1', 'nothing/']) {
      const res = await b.get(`/share/${wo.id}/${path}`);
      expect(res.status, path).toBe(403);
      expect(res.text).not.toContain('there before');
      expect(res.text).not.toContain('my report');
    }
    // Never replaces what is there.
    const over = await b.upload(wo.id, csrf, 'secret.txt', 'overwritten');
    expect(over.status).toBe(409);
    expect(await readFile(join(home, 'drop/secret.txt'), 'utf8')).toBe('there before');
    // Without the CSRF token: refused.
    const forged = await b.upload(wo.id, 'wrong', 'forged.txt', 'x');
    expect(forged.status).toBe(403);
    expect(await readdir(join(home, 'drop'))).not.toContain('forged.txt');
    // Another browser session sees none of it.
    const other = await new Browser().get(`/share/${wo.id}/`);
    expect(other.status).toBe(200);
    expect(other.text).not.toContain('report.txt');
    // Uploads need a session: a request without one is refused.
    const anon = new Browser();
    const noSession = await anon.upload(wo.id, 'x', 'sneaky.txt', 'x');
    expect(noSession.status).toBeGreaterThanOrEqual(400);
    expect(await readdir(join(home, 'drop'))).not.toContain('sneaky.txt');
  });
});

describe('a read-write folder link', () => {
  it('uploads, makes folders, renames and deletes', async () => {
    const rw = await link('/rwdir', { mode: 'rw' });
    const b = new Browser();
    const page = await b.get(`/share/${rw.id}/`);
    expect(page.text).toContain('old.txt');
    expect(page.text).toContain('share-upload');
    const csrf = Browser.csrfOf(page);
    expect((await b.upload(rw.id, csrf, 'new.txt', 'fresh')).status).toBe(201);
    expect((await b.get(`/share/${rw.id}/new.txt`)).text).toBe('fresh');
    const mk = await b.form(`/share/${rw.id}/_/mkdir`, { _csrf: csrf, dir: '/', name: 'made' });
    expect(mk.status).toBe(303);
    expect((await b.upload(rw.id, csrf, 'in.txt', 'inside', '/made')).status).toBe(201);
    expect(await readFile(join(home, 'rwdir/made/in.txt'), 'utf8')).toBe('inside');
    const ren = await b.form(`/share/${rw.id}/_/rename`, { _csrf: csrf, path: '/new.txt', to: 'renamed.txt' });
    expect(ren.status).toBe(303);
    expect(await readFile(join(home, 'rwdir/renamed.txt'), 'utf8')).toBe('fresh');
    const badName = await b.form(`/share/${rw.id}/_/rename`, { _csrf: csrf, path: '/renamed.txt', to: '../escaped.txt' });
    expect(badName.status).toBe(400);
    const del = await b.form(`/share/${rw.id}/_/delete`, { _csrf: csrf, path: '/old.txt' });
    expect(del.status).toBe(303);
    expect(await readdir(join(home, 'rwdir'))).toEqual(expect.not.arrayContaining(['old.txt']));
    const rootDel = await b.form(`/share/${rw.id}/_/delete`, { _csrf: csrf, path: '/' });
    expect(rootDel.status).toBe(403);
    const noCsrf = await b.form(`/share/${rw.id}/_/delete`, { path: '/renamed.txt' });
    expect(noCsrf.status).toBe(403);
    expect(await readdir(join(home, 'rwdir'))).toContain('renamed.txt');
    expect(await readdir(home)).not.toContain('escaped.txt');
  });
});

describe('a single-file link', () => {
  it('shows the file with a download button, and nothing beside it', async () => {
    const f = await link('/single/one.txt');
    const b = new Browser();
    const page = await b.get(`/share/${f.id}/`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('one.txt');
    expect(page.text).toContain('id="share-download"');
    expect(page.text).not.toContain('sibling');
    expect((await b.get(`/share/${f.id}/one.txt`)).text).toBe('only me');
    const sib = await b.get(`/share/${f.id}/sibling.txt`);
    expect(sib.status).toBe(404);
    expect(sib.text).not.toContain('not me');
  });
});

describe('a link with a password', () => {
  it('asks for the password (CSRF-protected) and then opens; the cookie fits only its link', async () => {
    const p = await link('/docs', { password: 'correct horse battery' });
    const other = await link('/docs', { password: 'another password' });
    const b = new Browser();
    const form = await b.get(`/share/${p.id}/`);
    expect(form.status).toBe(401);
    expect(form.text).toContain('type="password"');
    expect(form.text).not.toContain('a.txt');
    expect((await b.get(`/share/${p.id}/a.txt`)).text).not.toBe('alpha');
    const csrf = Browser.csrfOf(form);
    const noCsrf = await b.form(`/share/${p.id}/_/login`, { password: 'correct horse battery' });
    expect(noCsrf.status).toBe(403);
    const wrong = await b.form(`/share/${p.id}/_/login`, { _csrf: csrf, password: 'wrong password' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Wrong password');
    const right = await b.form(`/share/${p.id}/_/login`, { _csrf: csrf, password: 'correct horse battery' });
    expect(right.status).toBe(303);
    expect(right.headers['set-cookie']?.join(';')).toContain(`Path=/share/${p.id}`);
    const open = await b.get(`/share/${p.id}/`);
    expect(open.status).toBe(200);
    expect(open.text).toContain('a.txt');
    expect((await b.get(`/share/${p.id}/a.txt`)).text).toBe('alpha');
    // The same cookie value presented to another link is worthless.
    const [value] = b.values('__Secure-mig_share');
    const stolen = await b.send('GET', `/share/${other.id}/`, { cookie: `__Secure-mig_share=${value ?? ''}` });
    expect(stolen.status).toBe(401);
    expect(stolen.text).not.toContain('a.txt');
    // Changing the password ends sessions of the old one.
    await t.site.shareLinks.update(p.id, { password: 'a brand new one' }, { userId: owner.id });
    expect((await b.get(`/share/${p.id}/`)).status).toBe(401);
  });
});

describe('the owner\'s share-link pages', () => {
  it('creates (JSON for the dialog), lists, updates and revokes links', async () => {
    const s = await sessionFor(t.site, owner.id);
    const b = new Browser();
    const headers = { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const made = await b.send('POST', '/share-links', { cookie: s.cookie, headers, body: new URLSearchParams({ path: '/docs', mode: 'wo', maxUses: '5', expires: '2999-01-01', invite: 'friend@example.org' }).toString() });
    expect(made.status).toBe(201);
    const json = JSON.parse(made.text) as { id: string; url: string; mode: string; maxUses: number; invited: string[] };
    expect(json.mode).toBe('wo');
    expect(json.maxUses).toBe(5);
    expect(json.url).toMatch(new RegExp(`/share/${json.id}$`));
    expect(json.invited).toEqual(['friend@example.org']);
    const bad = await b.send('POST', '/share-links', { cookie: s.cookie, headers, body: new URLSearchParams({ path: '/docs/a.txt', mode: 'rw' }).toString() });
    expect(bad.status).toBe(400);
    expect((JSON.parse(bad.text) as { message: string }).message).toContain('read-only');
    const escape = await b.send('POST', '/share-links', { cookie: s.cookie, headers, body: new URLSearchParams({ path: '/../etc', mode: 'ro' }).toString() });
    expect(escape.status).toBe(403);
    const past = await b.send('POST', '/share-links', { cookie: s.cookie, headers, body: new URLSearchParams({ path: '/docs', expires: '2001-01-01' }).toString() });
    expect(past.status).toBe(400);
    const forged = await b.send('POST', '/share-links', { cookie: s.cookie, headers: { ...headers, 'x-csrf-token': 'nope' }, body: new URLSearchParams({ path: '/docs' }).toString() });
    expect(forged.status).toBe(403);

    const list = await b.send('GET', '/share-links', { cookie: s.cookie });
    expect(list.status).toBe(200);
    expect(list.text).toContain(json.id);
    expect(list.text).toContain('upload only');
    const upd = await b.send('POST', `/share-links/${json.id}/update`, { cookie: s.cookie, headers: { ...headers, accept: 'text/html' }, body: new URLSearchParams({ expires: '', maxUses: '9', password: 'a password!' }).toString() });
    expect(upd.status).toBe(303);
    const changed = await t.site.shareLinks.get(json.id);
    expect(changed).toMatchObject({ expiresAt: null, maxUses: 9, hasPassword: true });
    const rev = await b.send('POST', `/share-links/${json.id}/revoke`, { cookie: s.cookie, headers: { ...headers, accept: 'text/html' }, body: '' });
    expect(rev.status).toBe(303);
    expect(t.site.shareLinks.stateOf(await t.site.shareLinks.get(json.id))).toBe('revoked');
    // Someone else's link: as if it did not exist.
    const stranger = await createTestUser(t.site);
    const s2 = await sessionFor(t.site, stranger.user.id);
    const theirs = await link('/docs');
    const steal = await b.send('POST', `/share-links/${theirs.id}/revoke`, { cookie: s2.cookie, headers: { ...headers, cookie: s2.cookie, 'x-csrf-token': s2.csrf, accept: 'text/html' }, body: '' });
    expect(steal.status).toBe(404);
    expect(t.site.shareLinks.stateOf(await t.site.shareLinks.get(theirs.id))).toBe('active');
    // Signed out: the list redirects to the sign-in page.
    const anon = await new Browser().get('/share-links');
    expect(anon.status).toBe(303);
    expect(anon.headers.location).toMatch(/^\/login/);
  });
});

describe('guessing passwords', () => {
  // Last: the ban covers the test's address.
  it('counts wrong passwords with the defender until the address is banned', async () => {
    const p = await link('/docs', { password: 'the real password' });
    const b = new Browser();
    const csrf = Browser.csrfOf(await b.get(`/share/${p.id}/`));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await b.form(`/share/${p.id}/_/login`, { _csrf: csrf, password: `guess ${i}` })).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    const right = await b.form(`/share/${p.id}/_/login`, { _csrf: csrf, password: 'the real password' });
    expect(right.status).toBe(429);
    expect(right.text).toContain('MIG_E_BANNED');
    const log = await readFile(t.site.paths.authLog, 'utf8');
    expect(log).toContain('share-link');
    expect(log).not.toContain(p.id);
  });
});
