import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '@migrid/core';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

// The VGrid participants route (visibility settings decide who sees which list) and decisions on
// requests under their VGrid, through the real app over a real site; hostile names in the one
// path segment the VGrid's name takes.

type Json = Record<string, unknown>;

let t: TestSite;
let app: FastifyInstance;
let ann: UserRecord;
let bob: UserRecord;
let cy: UserRecord;
let dee: UserRecord;
const s: Record<'ann' | 'bob' | 'cy' | 'dee', TestSession> = {} as Record<'ann' | 'bob' | 'cy' | 'dee', TestSession>;

beforeAll(async () => {
  t = await openTestSite({ config: { logging: { level: 'warn' } } });
  [ann, bob, cy, dee] = await Promise.all([1, 2, 3, 4].map(async () => (await createTestUser(t.site)).user)) as [UserRecord, UserRecord, UserRecord, UserRecord];
  app = await createWebApp({ site: t.site, baseUrl: 'https://mig.example.org' });
  s.ann = await sessionFor(t.site, ann.id);
  s.bob = await sessionFor(t.site, bob.id);
  s.cy = await sessionFor(t.site, cy.id);
  s.dee = await sessionFor(t.site, dee.id);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await t?.close();
});

async function call(who: TestSession, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { cookie: who.cookie, 'x-csrf-token': who.csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
  return { status: res.statusCode, json: (res.body === '' ? {} : res.json()) as Json };
}
const emails = (list: unknown): string[] | null => (list === null ? null : (list as Json[]).map((p) => String(p.email)));
const rootOf = async (user: UserRecord): Promise<string[]> => (await (await t.site.files.viewFor({ kind: 'user', userId: user.id })).list('/')).map((e) => e.name);

describe('GET /api/v1/vgrids/{name}/participants', () => {
  it('shows each list only as far as the VGrid\'s visibility settings allow, with inheritance', async () => {
    expect((await call(s.ann, 'POST', '/api/v1/vgrids', { name: 'Bio' })).status).toBe(201);
    expect((await call(s.ann, 'POST', '/api/v1/vgrids', { name: 'Bio/Cells' })).status).toBe(201);
    expect((await call(s.ann, 'PUT', `/api/v1/vgrids/Bio/members/${encodeURIComponent(bob.email)}`)).status).toBe(204);
    expect(await rootOf(bob)).toContain('Bio');

    // Defaults: owners see both lists; a member and an outsider see neither.
    const byOwner = await call(s.ann, 'GET', '/api/v1/vgrids/Bio/participants');
    expect(byOwner.status).toBe(200);
    expect([byOwner.json.role, emails(byOwner.json.owners), emails(byOwner.json.members)]).toEqual(['owner', [ann.email], [bob.email]]);
    const byMember = await call(s.bob, 'GET', '/api/v1/vgrids/Bio/participants');
    expect([byMember.json.role, byMember.json.owners, byMember.json.members]).toEqual(['member', null, null]);
    expect((await call(s.cy, 'GET', '/api/v1/vgrids/Bio/participants')).json).toMatchObject({ role: null, owners: null, members: null });

    // Members may see the members; everyone the owners.
    expect((await call(s.ann, 'PATCH', '/api/v1/vgrids/Bio', { visibleMembers: 'members', visibleOwners: 'everyone' })).status).toBe(200);
    const member2 = await call(s.bob, 'GET', '/api/v1/vgrids/Bio/participants');
    expect([emails(member2.json.owners), emails(member2.json.members)]).toEqual([[ann.email], [bob.email]]);
    const outsider = await call(s.cy, 'GET', '/api/v1/vgrids/Bio/participants');
    expect([emails(outsider.json.owners), outsider.json.members]).toEqual([[ann.email], null]);

    // The sub-VGrid has its own (default) settings; its owner sees the inherited people.
    const child = await call(s.ann, 'GET', '/api/v1/vgrids/Bio%2FCells/participants');
    expect(child.status).toBe(200);
    expect(child.json.name).toBe('Bio/Cells');
    expect((child.json.members as Json[])[0]).toMatchObject({ email: bob.email, inherited: true, via: 'Bio' });
    expect((await call(s.bob, 'GET', '/api/v1/vgrids/Bio%2FCells/participants')).json).toMatchObject({ role: 'member', owners: null, members: null });

    // A hidden VGrid answers outsiders as unknown.
    await call(s.ann, 'PATCH', '/api/v1/vgrids/Bio', { hidden: true });
    const hidden = await call(s.cy, 'GET', '/api/v1/vgrids/Bio/participants');
    expect([hidden.status, hidden.json.code]).toEqual([404, 'MIG_E_VGRID_NOT_FOUND']);
    expect((await call(s.bob, 'GET', '/api/v1/vgrids/Bio/participants')).status).toBe(200);
    await call(s.ann, 'PATCH', '/api/v1/vgrids/Bio', { hidden: false });
  });
});

describe('POST /api/v1/vgrids/{name}/requests/{id}/accept|reject', () => {
  it('lets only the VGrid\'s owners decide, only on its own requests; accepting mounts the share', async () => {
    expect((await call(s.ann, 'POST', '/api/v1/vgrids', { name: 'Geo' })).status).toBe(201);
    const asked = await call(s.cy, 'POST', '/api/v1/vgrids/Bio/requests', { kind: 'member', message: 'hi' });
    expect(asked.status).toBe(201);
    const id = String(asked.json.id);
    const twice = await call(s.cy, 'POST', '/api/v1/vgrids/Bio/requests', { kind: 'member' });
    expect([twice.status, twice.json.code]).toEqual([409, 'MIG_E_VGRID_REQUEST_EXISTS']);
    const odd = await call(s.cy, 'POST', '/api/v1/vgrids/Bio/requests', { kind: 'member', role: 'owner' });
    expect([odd.status, odd.json.code]).toEqual([400, 'MIG_E_INVALID_INPUT']);

    const byMember = await call(s.bob, 'POST', `/api/v1/vgrids/Bio/requests/${id}/accept`);
    expect([byMember.status, byMember.json.code]).toEqual([403, 'MIG_E_VGRID_NOT_ALLOWED']);
    const wrongVgrid = await call(s.ann, 'POST', `/api/v1/vgrids/Geo/requests/${id}/accept`);
    expect([wrongVgrid.status, wrongVgrid.json.code]).toEqual([404, 'MIG_E_VGRID_REQUEST_NOT_FOUND']);
    expect(await rootOf(cy)).not.toContain('Bio');

    const accepted = await call(s.ann, 'POST', `/api/v1/vgrids/Bio/requests/${id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.json).toMatchObject({ id, vgrid: 'Bio', user: cy.email, kind: 'member', status: 'accepted' });
    expect(await rootOf(cy)).toContain('Bio');

    const asked2 = await call(s.dee, 'POST', '/api/v1/vgrids/Geo/requests', { kind: 'owner' });
    const rejected = await call(s.ann, 'POST', `/api/v1/vgrids/Geo/requests/${String(asked2.json.id)}/reject`);
    expect(rejected.json).toMatchObject({ status: 'rejected', user: dee.email });
    expect(await rootOf(dee)).not.toContain('Geo');
  });
});

describe('hostile names and bodies', () => {
  it('refuses traversal and odd names in the path segment and unknown settings, changing nothing', async () => {
    for (const bad of ['..%2Fx', '..', '%2E%2E', 'Bio%2F..%2F..', 'Bio%2F', '%2FBio', 'Bio%00', 'x'.repeat(300)]) {
      for (const url of [`/api/v1/vgrids/${bad}/participants`, `/api/v1/vgrids/${bad}`]) {
        const r = await call(s.ann, 'GET', url);
        expect(r.status, url).toBeGreaterThanOrEqual(400);
        expect(r.status, url).toBeLessThan(500);
        expect(String(r.json.code), url).toMatch(/^MIG_E_/);
      }
    }
    const made = await call(s.ann, 'POST', '/api/v1/vgrids', { name: '../x' });
    expect([made.status, made.json.code]).toEqual([400, 'MIG_E_VGRID_NAME']);
    const patch = await call(s.ann, 'PATCH', '/api/v1/vgrids/Bio', { readOnly: true, secret: 1 });
    expect([patch.status, patch.json.code]).toEqual([400, 'MIG_E_INVALID_INPUT']);
    expect((await t.site.vgrids.get('Bio')).settings.readOnly).toBe(false);
    expect((await t.site.vgrids.list()).map((v) => v.name)).toEqual(['Bio', 'Bio/Cells', 'Geo']);
  });
});
