import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateShareId, modeOfShareId, type UserRecord } from '@migrid/core';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

// The share links JSON API through the real app (sessions with CSRF, API tokens with scopes) over
// a real site: links are made in the owner's own view and checked by the core.

type Json = Record<string, unknown>;

let t: TestSite;
let app: FastifyInstance;
let owner: UserRecord;
let other: UserRecord;
let member: UserRecord;
let s: { owner: TestSession; other: TestSession; member: TestSession };

beforeAll(async () => {
  t = await openTestSite({ config: { logging: { level: 'warn' } } });
  owner = (await createTestUser(t.site)).user;
  other = (await createTestUser(t.site)).user;
  member = (await createTestUser(t.site)).user;
  const view = await t.site.files.viewFor({ kind: 'user', userId: owner.id });
  await view.mkdir('/results/run1', { recursive: true });
  const out = await view.createWriteStream('/results/run1/data.csv');
  await new Promise<void>((resolve, reject) => out.end('a,b\n1,2\n', () => resolve()).on('error', reject));
  await t.site.vgrids.create({ actor: { kind: 'user', userId: owner.id }, name: 'Physics', settings: { createShareLink: 'members' } });
  await t.site.vgrids.addMember('Physics', member.id, { actor: { kind: 'user', userId: owner.id } });
  app = await createWebApp({ site: t.site, baseUrl: 'https://mig.example.org' });
  s = { owner: await sessionFor(t.site, owner.id), other: await sessionFor(t.site, other.id), member: await sessionFor(t.site, member.id) };
}, 60_000);
afterAll(async () => {
  await app?.close();
  await t?.close();
});

async function call(who: TestSession | string | undefined, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, extra: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { ...extra };
  if (typeof who === 'string') headers.authorization = `Bearer ${who}`;
  else if (who !== undefined) Object.assign(headers, { cookie: who.cookie, 'x-csrf-token': who.csrf, ...extra });
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }) });
  return { status: res.statusCode, json: (res.body === '' ? {} : res.json()) as Json };
}

const make = (who: TestSession, body: Json | string) => call(who, 'POST', '/api/v1/share-links', body);

describe('making a share link', () => {
  it('makes a read-only folder link with the URL, state and uses, and the id encodes the mode', async () => {
    const made = await make(s.owner, { path: '/results', mode: 'ro' });
    expect(made.status).toBe(201);
    const id = String(made.json.id);
    expect(made.json).toMatchObject({
      url: `https://mig.example.org/share/${id}`, mode: 'ro', kind: 'folder', path: '/results', vgrid: null, state: 'active',
      uses: 0, maxUses: null, expiresAt: null, hasPassword: false, revokedAt: null, invites: [], owner: owner.email, mine: true,
    });
    expect(modeOfShareId(id)).toBe('ro');
    expect(JSON.stringify(made.json)).not.toMatch(/hash|scrypt/i);
    // The core agrees, and the link's view shows the folder.
    const view = await t.site.files.viewFor({ kind: 'share-link', shareId: id });
    expect((await view.list('/')).map((e) => e.name)).toEqual(['run1']);
  });

  it('takes expiry as a date, a date-time or epoch ms, a password and a use limit', async () => {
    const day = await make(s.owner, { path: '/results/run1', mode: 'rw', expires: '2999-01-31', password: 'a long secret', maxUses: 3 });
    expect(day.status).toBe(201);
    expect(day.json).toMatchObject({ mode: 'rw', expiresAt: '2999-01-31T23:59:59.999Z', hasPassword: true, maxUses: 3 });
    expect(modeOfShareId(String(day.json.id))).toBe('rw');
    const at = await make(s.owner, { path: '/results', expires: '2998-06-01T12:00:00+02:00' });
    expect(at.json.expiresAt).toBe('2998-06-01T10:00:00.000Z');
    const epoch = Date.UTC(2997, 0, 1);
    const ms = await make(s.owner, { path: '/results', expires: epoch });
    expect(ms.status).toBe(201);
    expect(ms.json.expiresAt).toBe(new Date(epoch).toISOString());
    const file = await make(s.owner, { path: '/results/run1/data.csv' });
    expect(file.json).toMatchObject({ kind: 'file', mode: 'ro' });
    const drop = await make(s.owner, { path: 'results/run1' , mode: 'wo' });
    expect(drop.json).toMatchObject({ mode: 'wo', path: '/results/run1' });
    expect(modeOfShareId(String(drop.json.id))).toBe('wo');
  });

  it('refuses bad input with clear errors and makes no link', async () => {
    const before = (await t.site.shareLinks.listByOwner(owner.id)).length;
    const cases: Array<[Json | string, number, string, RegExp?]> = [
      [{ path: '/results', mode: 'xx' }, 400, 'MIG_E_INVALID_INPUT', /mode/],
      [{ path: '/results', expires: 'tomorrow' }, 400, 'MIG_E_INVALID_INPUT', /expires/],
      [{ path: '/results', max_uses: 1 }, 400, 'MIG_E_INVALID_INPUT', /unknown field "max_uses"/],
      [{ path: '/results', ['x'.repeat(5000)]: 1 }, 400, 'MIG_E_INVALID_INPUT', /unknown field/],
      [[{ path: '/results' }] as unknown as Json, 400, 'MIG_E_INVALID_INPUT'],
      [{ path: '/results', expires: '2001-01-01' }, 400, 'MIG_E_INVALID_INPUT', /expires.*not in the future/],
      [{ path: '/results', expires: '2030-02-30' }, 400, 'MIG_E_INVALID_INPUT', /expires/],
      [{ path: '/results', expires: 1_700_000_000 }, 400, 'MIG_E_INVALID_INPUT', /milliseconds/],
      [{ path: '/results', maxUses: 0 }, 400, 'MIG_E_INVALID_INPUT', /maxUses/],
      [{ path: '/results', maxUses: 1e12 }, 400, 'MIG_E_INVALID_INPUT', /maxUses/],
      [{ path: '/results', maxUses: 1.5 }, 400, 'MIG_E_INVALID_INPUT', /maxUses/],
      [{ path: '/results', password: 'x'.repeat(100 * 1024) }, 400, 'MIG_E_INVALID_INPUT', /password/],
      [{ path: '/results', password: 'short' }, 400, 'MIG_E_INVALID_INPUT', /password/],
      [{ path: '/results/run1/data.csv', mode: 'rw' }, 400, 'MIG_E_INVALID_INPUT', /read-only/],
      [{ path: '/no/such/folder' }, 404, 'MIG_E_PATH_NOT_FOUND'],
      [{ path: '' }, 400, 'MIG_E_INVALID_INPUT'],
      [{ path: '/results', invite: ['not an address'] }, 400, 'MIG_E_INVALID_INPUT', /invite\[0\]/],
      [{ mode: 'ro' }, 400, 'MIG_E_INVALID_INPUT', /path/],
      ['{"path": "/results"', 400, 'MIG_E_INVALID_INPUT'],
    ];
    for (const [body, status, code, text] of cases) {
      const res = await make(s.owner, body);
      expect({ body: typeof body === 'string' ? body : JSON.stringify(body).slice(0, 80), status: res.status, code: res.json.code }).toEqual({ body: typeof body === 'string' ? body : JSON.stringify(body).slice(0, 80), status, code });
      if (text !== undefined) expect(String(res.json.message)).toMatch(text);
      expect(String(res.json.message).length).toBeLessThan(600);
    }
    expect((await t.site.shareLinks.listByOwner(owner.id)).length).toBe(before);
  });

  it('never shares anything outside the owner\'s view', async () => {
    const before = (await t.site.shareLinks.listByOwner(owner.id)).length;
    for (const path of ['../etc', '/../../etc/passwd', '/results/../../..', '/etc/passwd', '/.trash']) {
      const res = await make(s.owner, { path });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(['MIG_E_PATH_ESCAPE', 'MIG_E_PATH_NOT_FOUND', 'MIG_E_PERMISSION_DENIED', 'MIG_E_PATH_HIDDEN', 'MIG_E_SHARE_LINK_NOT_ALLOWED'], path).toContain(res.json.code);
    }
    // `..` that stays inside the home is just a path.
    const inside = await make(s.owner, { path: '/results/run1/../run1' });
    expect(inside.json.path).toBe('/results/run1');
    expect((await t.site.shareLinks.listByOwner(owner.id)).length).toBe(before + 1);
  });

  it('needs a signed-in user, the CSRF token with a session, and files:write on a token', async () => {
    expect((await call(undefined, 'GET', '/api/v1/share-links')).json.code).toBe('MIG_E_NOT_SIGNED_IN');
    expect([401, 403]).toContain((await call(undefined, 'POST', '/api/v1/share-links', { path: '/results' })).status);
    const res = await app.inject({ method: 'POST', url: '/api/v1/share-links', headers: { cookie: s.owner.cookie, 'content-type': 'application/json' }, payload: JSON.stringify({ path: '/results' }) });
    expect(res.statusCode).toBe(403);
    const { token: ro } = await t.site.apiTokens.create(owner.id, { name: 'ro', scopes: ['files:read'] });
    const denied = await call(ro, 'POST', '/api/v1/share-links', { path: '/results' });
    expect(denied).toMatchObject({ status: 403, json: { code: 'MIG_E_TOKEN_SCOPE' } });
    expect((await call(ro, 'GET', '/api/v1/share-links')).status).toBe(200);
    const { token: rw } = await t.site.apiTokens.create(owner.id, { name: 'rw', scopes: ['files:write'] });
    expect((await call(rw, 'POST', '/api/v1/share-links', { path: '/results' })).status).toBe(201);
    const { token: jobs } = await t.site.apiTokens.create(owner.id, { name: 'jobs', scopes: ['jobs:write'] });
    expect((await call(jobs, 'GET', '/api/v1/share-links')).json.code).toBe('MIG_E_TOKEN_SCOPE');
  });
});

describe('listing, showing, changing and revoking', () => {
  it('lists only the caller\'s links, newest first', async () => {
    const mine = await call(s.owner, 'GET', '/api/v1/share-links');
    const links = mine.json.links as Json[];
    expect(links.length).toBeGreaterThan(3);
    expect(links.every((l) => l.owner === owner.email && l.mine === true)).toBe(true);
    const created = links.map((l) => String(l.createdAt));
    expect([...created].sort().reverse()).toEqual(created);
    expect((await call(s.other, 'GET', '/api/v1/share-links')).json.links).toEqual([]);
  });

  it('shows, updates and revokes one link; state follows', async () => {
    const id = String((await make(s.owner, { path: '/results', maxUses: 5 })).json.id);
    expect((await call(s.owner, 'GET', `/api/v1/share-links/${id}`)).json).toMatchObject({ id, state: 'active', uses: 0, maxUses: 5 });

    const changed = await call(s.owner, 'PATCH', `/api/v1/share-links/${id}`, { expires: '2999-12-31', password: 'new password 1', maxUses: null });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ expiresAt: '2999-12-31T23:59:59.999Z', hasPassword: true, maxUses: null, state: 'active' });
    // The password now works as the login secret; the id alone no longer does.
    await expect(t.site.auth.authenticateShareLink({ shareId: id, password: id, address: '127.0.0.9', protocol: 'sftp' })).rejects.toThrow();
    await expect(t.site.auth.authenticateShareLink({ shareId: id, password: 'new password 1', address: '127.0.0.9', protocol: 'sftp' })).resolves.toMatchObject({ shareId: id });
    expect((await call(s.owner, 'GET', `/api/v1/share-links/${id}`)).json.uses).toBe(1);

    const cleared = await call(s.owner, 'PATCH', `/api/v1/share-links/${id}`, { expires: null, password: null, maxUses: 1 });
    expect(cleared.json).toMatchObject({ expiresAt: null, hasPassword: false, maxUses: 1, state: 'used-up', uses: 1 });

    for (const [body, re] of [[{}, /must NOT have fewer than 1 properties|properties/], [{ expires: '1999-01-01' }, /not in the future/], [{ maxUses: 0 }, /maxUses/], [{ expiresAt: null }, /unknown field "expiresAt"/], [{ password: 'p'.repeat(300) }, /password/]] as const) {
      const bad = await call(s.owner, 'PATCH', `/api/v1/share-links/${id}`, body);
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe('MIG_E_INVALID_INPUT');
      expect(String(bad.json.message)).toMatch(re);
    }

    const revoked = await call(s.owner, 'DELETE', `/api/v1/share-links/${id}`);
    expect(revoked.json).toMatchObject({ id, state: 'revoked' });
    expect(revoked.json.revokedAt).toEqual(expect.any(String));
    expect((await call(s.owner, 'DELETE', `/api/v1/share-links/${id}`)).status).toBe(200);
    await expect(t.site.auth.authenticateShareLink({ shareId: id, password: id, address: '127.0.0.9', protocol: 'sftp' })).rejects.toThrow();
    const listed = ((await call(s.owner, 'GET', '/api/v1/share-links')).json.links as Json[]).find((l) => l.id === id);
    expect(listed?.state).toBe('revoked');
  });

  it('shows an expired link as expired', async () => {
    const link = await t.site.shareLinks.create({ ownerId: owner.id, path: '/results', expiresAt: Date.now() + 300 });
    for (let i = 0; i < 200 && Date.now() <= link.expiresAt!; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await call(s.owner, 'GET', `/api/v1/share-links/${link.id}`)).json.state).toBe('expired');
  });

  it('answers someone else\'s link exactly as a missing one (404), and changes nothing', async () => {
    const id = String((await make(s.owner, { path: '/results' })).json.id);
    const missing = generateShareId('ro');
    for (const [method, url, body] of [
      ['GET', `/api/v1/share-links/${id}`, undefined],
      ['PATCH', `/api/v1/share-links/${id}`, { maxUses: 1 }],
      ['DELETE', `/api/v1/share-links/${id}`, undefined],
      ['POST', `/api/v1/share-links/${id}/invite`, { emails: ['x@example.org'] }],
    ] as const) {
      const theirs = await call(s.other, method, url, body);
      const none = await call(s.other, method, url.replace(id, missing), body);
      expect(theirs.status, `${method} ${url}`).toBe(404);
      expect(theirs.json).toEqual(none.json);
      expect(theirs.json.code).toBe('MIG_E_SHARE_LINK_NOT_FOUND');
    }
    expect((await call(s.other, 'GET', '/api/v1/share-links/..%2F..%2Fetc')).status).toBe(404);
    expect((await call(s.other, 'GET', `/api/v1/share-links/${'A'.repeat(65)}`)).status).toBe(400);
    expect(await t.site.shareLinks.get(id)).toMatchObject({ maxUses: null, revokedAt: null, invites: [] });
  });
});

describe('invitations', () => {
  it('emails the link on create and through /invite, and remembers the addresses', async () => {
    const made = await make(s.owner, { path: '/results', invite: ['Friend@Example.org', 'friend@example.org'], message: 'Have a look' });
    expect(made.status).toBe(201);
    expect(made.json.invites).toEqual(['friend@example.org']);
    expect(made.json.inviteProblem).toBeUndefined();
    const id = String(made.json.id);
    const more = await call(s.owner, 'POST', `/api/v1/share-links/${id}/invite`, { emails: ['second@example.org'] });
    expect(more.status).toBe(200);
    expect(more.json.invites).toEqual(['friend@example.org', 'second@example.org']);
    const mail = await readFile(t.site.paths.mailLog, 'utf8');
    expect(mail).toContain(`/share/${id}`);
    expect(mail).toContain('Have a look');
    const bad = await call(s.owner, 'POST', `/api/v1/share-links/${id}/invite`, { emails: [] });
    expect(bad).toMatchObject({ status: 400, json: { code: 'MIG_E_INVALID_INPUT' } });
    await call(s.owner, 'DELETE', `/api/v1/share-links/${id}`);
    expect((await call(s.owner, 'POST', `/api/v1/share-links/${id}/invite`, { emails: ['late@example.org'] })).json.code).toBe('MIG_E_SHARE_LINK_REVOKED');
  });
});

describe('links into a VGrid share', () => {
  it('lists the links made into a VGrid for its owners only', async () => {
    const ownerView = await t.site.files.viewFor({ kind: 'user', userId: owner.id });
    await ownerView.mkdir('/Physics/data', { recursive: true });
    const byOwner = await make(s.owner, { path: '/Physics/data' });
    expect(byOwner.json).toMatchObject({ vgrid: 'Physics', path: '/Physics/data' });
    const byMember = await make(s.member, { path: '/Physics' });
    expect(byMember.status).toBe(201);
    expect(byMember.json.vgrid).toBe('Physics');

    const seen = await call(s.owner, 'GET', '/api/v1/share-links?vgrid=Physics');
    expect(seen.status).toBe(200);
    const links = seen.json.links as Json[];
    expect(links.map((l) => l.id).sort()).toEqual([byOwner.json.id, byMember.json.id].sort());
    expect(links.find((l) => l.id === byMember.json.id)).toMatchObject({ owner: member.email, mine: false });

    for (const [who, name] of [[s.member, 'Physics'], [s.other, 'Physics'], [s.other, 'NoSuchVGrid'], [s.owner, 'NoSuchVGrid']] as const) {
      const refused = await call(who, 'GET', `/api/v1/share-links?vgrid=${encodeURIComponent(name)}`);
      expect(refused.status).toBe(403);
      expect(refused.json.code).toBe('MIG_E_VGRID_NOT_ALLOWED');
    }
    // Only the link's maker may change it; the VGrid owner sees it but it is not theirs to revoke.
    expect((await call(s.owner, 'DELETE', `/api/v1/share-links/${String(byMember.json.id)}`)).status).toBe(404);
  });
});

describe('the OpenAPI document', () => {
  it('documents every share links route under the share-links tag', async () => {
    const doc = (await app.inject({ url: '/api/v1/openapi.json' })).json() as { paths: Record<string, Record<string, { tags?: string[] }>> };
    expect(Object.keys(doc.paths['/api/v1/share-links'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/share-links/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
    expect(doc.paths['/api/v1/share-links/{id}/invite']?.post?.tags).toEqual(['share-links']);
  });
});
