import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '@migrid/core';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

// The VGrid ("workgroup") JSON API through the real app (sessions with CSRF) over a real site: the
// core's VGrid store decides; what the routes change is checked where users meet it (their views).

type Json = Record<string, unknown>;

let t: TestSite;
let app: FastifyInstance;
let ann: UserRecord;
let bob: UserRecord;
let cy: UserRecord;
let s: { ann: TestSession; bob: TestSession; cy: TestSession };

beforeAll(async () => {
  t = await openTestSite({ config: { logging: { level: 'warn' } } });
  ann = (await createTestUser(t.site)).user;
  bob = (await createTestUser(t.site)).user;
  cy = (await createTestUser(t.site)).user;
  app = await createWebApp({ site: t.site, baseUrl: 'https://mig.example.org' });
  s = { ann: await sessionFor(t.site, ann.id), bob: await sessionFor(t.site, bob.id), cy: await sessionFor(t.site, cy.id) };
}, 60_000);
afterAll(async () => {
  await app?.close();
  await t?.close();
});

async function call(who: TestSession | undefined, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown, csrf = true): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = {};
  if (who !== undefined) Object.assign(headers, { cookie: who.cookie, ...(csrf ? { 'x-csrf-token': who.csrf } : {}) });
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }) });
  return { status: res.statusCode, json: (res.body === '' ? {} : res.json()) as Json };
}

async function rootOf(user: UserRecord): Promise<string[]> {
  const view = await t.site.files.viewFor({ kind: 'user', userId: user.id });
  return (await view.list('/')).map((e) => e.name);
}

describe('VGrids through /api/v1/vgrids', () => {
  it('creates a VGrid and a sub-VGrid; the creator owns both and sees the share', async () => {
    const made = await call(s.ann, 'POST', '/api/v1/vgrids', { name: 'Physics', description: 'Optics <lab>' });
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    expect(made.json).toMatchObject({ name: 'Physics', parent: null, role: 'owner', settings: { description: 'Optics <lab>' } });
    const child = await call(s.ann, 'POST', '/api/v1/vgrids', { name: 'Physics/Optics' });
    expect(child.status).toBe(201);
    expect(child.json).toMatchObject({ name: 'Physics/Optics', parent: 'Physics', role: 'owner' });
    expect(await rootOf(ann)).toContain('Physics');
    const shown = await call(s.ann, 'GET', '/api/v1/vgrids/Physics%2FOptics');
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({ name: 'Physics/Optics', role: 'owner' });
    expect((shown.json.owners as Json[]).map((o) => [o.email, o.inherited])).toEqual([[ann.email, true]]);
  });

  it('lets someone ask to join; the owner sees and accepts the request; the share appears in the member\'s view', async () => {
    expect(await rootOf(bob)).not.toContain('Physics');
    const asked = await call(s.bob, 'POST', '/api/v1/vgrids/Physics/requests', { kind: 'member', message: 'please' });
    expect(asked.status, JSON.stringify(asked.json)).toBe(201);
    expect(asked.json).toMatchObject({ vgrid: 'Physics', user: bob.email, kind: 'member', status: 'pending' });
    const twice = await call(s.bob, 'POST', '/api/v1/vgrids/Physics/requests', { kind: 'member' });
    expect([twice.status, twice.json.code]).toEqual([409, 'MIG_E_VGRID_REQUEST_EXISTS']);
    // Only owners list a VGrid's requests and decide them.
    expect((await call(s.bob, 'GET', '/api/v1/vgrids/Physics/requests')).status).toBe(403);
    expect((await call(s.bob, 'POST', `/api/v1/vgrid-requests/${String(asked.json.id)}/accept`)).status).toBe(403);
    const pending = await call(s.ann, 'GET', '/api/v1/vgrids/Physics/requests?status=pending');
    expect((pending.json.requests as Json[]).map((r) => r.user)).toEqual([bob.email]);
    const accepted = await call(s.ann, 'POST', `/api/v1/vgrid-requests/${String(asked.json.id)}/accept`);
    expect(accepted.json).toMatchObject({ status: 'accepted' });
    expect(await rootOf(bob)).toContain('Physics');
    const mine = await call(s.bob, 'GET', '/api/v1/vgrid-requests');
    expect((mine.json.requests as Json[])[0]).toMatchObject({ vgrid: 'Physics', status: 'accepted' });
    const list = await call(s.bob, 'GET', '/api/v1/vgrids?mine=1');
    expect((list.json.vgrids as Json[]).map((v) => [v.name, v.role])).toEqual([['Physics', 'member'], ['Physics/Optics', 'member']]);
  });

  it('adds and removes members by email, lets a member leave, and only owners may change people or settings', async () => {
    expect((await call(s.ann, 'PUT', `/api/v1/vgrids/Physics/members/${encodeURIComponent(cy.email)}`)).status).toBe(204);
    expect(await rootOf(cy)).toContain('Physics');
    const byMember = await call(s.bob, 'PUT', `/api/v1/vgrids/Physics/members/${encodeURIComponent(cy.email)}`);
    expect(byMember.status).toBe(403);
    expect((await call(s.bob, 'PATCH', '/api/v1/vgrids/Physics', { readOnly: true })).status).toBe(403);
    expect((await call(s.cy, 'DELETE', `/api/v1/vgrids/Physics/members/${encodeURIComponent(cy.email)}`)).status).toBe(204);
    expect(await rootOf(cy)).not.toContain('Physics');
    const unknown = await call(s.ann, 'PUT', '/api/v1/vgrids/Physics/members/nobody%40example.org');
    expect([unknown.status, unknown.json.code]).toEqual([404, 'MIG_E_USER_NOT_FOUND']);
    // Settings: a read-only share for members.
    const ro = await call(s.ann, 'PATCH', '/api/v1/vgrids/Physics', { readOnly: true, visibleMembers: 'members' });
    expect(ro.status, JSON.stringify(ro.json)).toBe(200);
    expect(ro.json).toMatchObject({ settings: { readOnly: true, visibleMembers: 'members' } });
    const view = await t.site.files.viewFor({ kind: 'user', userId: bob.id });
    const denied = await view.mkdir('/Physics/new').then(() => 'made', (e: { code?: string }) => e.code);
    expect(denied).toBe('MIG_E_PERMISSION_DENIED');
    // A member now sees the members list, not the owners list (visibleOwners defaults to owners).
    const seen = await call(s.bob, 'GET', '/api/v1/vgrids/Physics');
    expect(seen.json.owners).toBeNull();
    expect((seen.json.members as Json[]).map((m) => m.email)).toEqual([bob.email]);
  });

  it('refuses bad names, unknown fields, missing CSRF and unknown VGrids with clear codes, changing nothing', async () => {
    const cases: [unknown, number, string][] = [
      [{ name: 'Generic' }, 400, 'MIG_E_VGRID_NAME'],
      [{ name: '../x' }, 400, 'MIG_E_VGRID_NAME'],
      [{ name: 'x'.repeat(300) }, 400, 'MIG_E_VGRID_NAME'],
      [{ name: 'Physics' }, 409, 'MIG_E_VGRID_EXISTS'],
      [{ name: 'Chem', owner: 'x' }, 400, 'MIG_E_INVALID_INPUT'],
      ['{"name":', 400, 'MIG_E_INVALID_INPUT'],
    ];
    for (const [body, status, code] of cases) {
      const r = await call(s.cy, 'POST', '/api/v1/vgrids', body);
      expect([r.status, r.json.code], JSON.stringify(body).slice(0, 60)).toEqual([status, code]);
    }
    expect((await call(s.cy, 'POST', '/api/v1/vgrids', { name: 'Chem' }, false)).status).toBe(403);
    expect((await call(undefined, 'GET', '/api/v1/vgrids')).status).toBe(401);
    // URLs Fastify refuses before routing answer in the house form too.
    const longSegment = await call(s.cy, 'GET', `/api/v1/vgrids/${'x'.repeat(1100)}`);
    expect([longSegment.status, longSegment.json.code]).toEqual([414, 'MIG_E_INVALID_INPUT']);
    const badEscape = await call(s.cy, 'GET', '/api/v1/vgrids/%zz');
    expect([badEscape.status, badEscape.json.code]).toEqual([400, 'MIG_E_INVALID_INPUT']);
    const missing = await call(s.cy, 'GET', '/api/v1/vgrids/Nowhere');
    expect([missing.status, missing.json.code]).toEqual([404, 'MIG_E_VGRID_NOT_FOUND']);
    const foreign = await call(s.cy, 'POST', '/api/v1/vgrids', { name: 'Physics/Mine' });
    expect(foreign.status).toBe(403);
    expect((await t.site.vgrids.list()).map((v) => v.name)).toEqual(['Physics', 'Physics/Optics']);
  });

  it('lets owners add and remove resources; members may not', async () => {
    const { resource } = await t.site.resources.add({ name: 'cluster1', ownerId: ann.id, units: 1, executor: 'local' });
    const byMember = await call(s.bob, 'PUT', `/api/v1/vgrids/Physics/resources/${resource.id}`);
    expect(byMember.status).toBe(403);
    expect((await call(s.ann, 'PUT', `/api/v1/vgrids/Physics/resources/${resource.id}`)).status).toBe(204);
    expect((await t.site.vgrids.resources('Physics/Optics')).map((r) => [r.resourceId, r.inherited])).toEqual([[resource.id, true]]);
    const shown = await call(s.ann, 'GET', '/api/v1/vgrids/Physics');
    expect(shown.json.resources).toEqual([{ resourceId: resource.id, inherited: false }]);
    const unknown = await call(s.ann, 'PUT', '/api/v1/vgrids/Physics/resources/no-such');
    expect([unknown.status, unknown.json.code]).toEqual([404, 'MIG_E_RESOURCE_NOT_FOUND']);
    expect((await call(s.ann, 'DELETE', `/api/v1/vgrids/Physics/resources/${resource.id}`)).status).toBe(204);
    expect(await t.site.vgrids.resources('Physics')).toEqual([]);
  });

  it('hides a hidden VGrid from outsiders, and removes the last owner only with force', async () => {
    await call(s.ann, 'PATCH', '/api/v1/vgrids/Physics', { hidden: true });
    expect((await call(s.cy, 'GET', '/api/v1/vgrids/Physics')).status).toBe(404);
    // Settings are per VGrid: the child, not hidden itself, is still listed.
    expect(((await call(s.cy, 'GET', '/api/v1/vgrids')).json.vgrids as Json[]).map((v) => v.name)).toEqual(['Physics/Optics']);
    const last = await call(s.ann, 'DELETE', `/api/v1/vgrids/Physics/owners/${encodeURIComponent(ann.email)}`);
    expect([last.status, last.json.code]).toEqual([409, 'MIG_E_VGRID_LAST_OWNER']);
    const gone = await call(s.ann, 'DELETE', '/api/v1/vgrids/Physics?force=true');
    expect(gone.status, JSON.stringify(gone.json)).toBe(200);
    expect((gone.json.removed as string[]).sort()).toEqual(['Physics', 'Physics/Optics']);
    expect(await rootOf(bob)).not.toContain('Physics');
  });
});
