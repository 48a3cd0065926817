import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '@migrid/core';
import { createWebApp } from '../src/app/create-web-app.js';
import { databaseKinds } from '../../../test/support/databases.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

// The VGrid API as scripts and admins meet it, on SQLite and PostgreSQL: API tokens and their
// scopes, the one encoded path segment a nested name takes (and what unencoded or hostile segments
// answer), a site admin's powers over VGrids they do not own, a hidden VGrid that answers outsiders
// as unknown on every route, and settings and removal refusals. Flows of owners and members are in
// workgroups-api.test.ts and vgrid-api-routes.test.ts.

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

for (const kind of databaseKinds()) {
  describe(`the VGrid API for scripts and admins (${kind})`, () => {
    let t: TestSite;
    let app: FastifyInstance;
    let ann: UserRecord;
    let bob: UserRecord;
    let root: UserRecord;
    let s: { ann: TestSession; bob: TestSession; root: TestSession };
    const tokens = { read: '', write: '', jobs: '' };

    beforeAll(async () => {
      t = await openTestSite({ kind, config: { logging: { level: 'warn' } } });
      ann = (await createTestUser(t.site)).user;
      bob = (await createTestUser(t.site)).user;
      root = (await createTestUser(t.site, { roles: ['admin'] })).user;
      app = await createWebApp({ site: t.site, baseUrl: 'https://mig.example.org' });
      s = { ann: await sessionFor(t.site, ann.id), bob: await sessionFor(t.site, bob.id), root: await sessionFor(t.site, root.id) };
      tokens.read = (await t.site.apiTokens.create(ann.id, { name: 'ro', scopes: ['files:read'] })).token;
      tokens.write = (await t.site.apiTokens.create(ann.id, { name: 'rw', scopes: ['files:write'] })).token;
      tokens.jobs = (await t.site.apiTokens.create(ann.id, { name: 'jobs', scopes: ['jobs:write'] })).token;
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      await t?.close();
    });

    async function call(who: TestSession | string | undefined, method: Method, url: string, body?: unknown): Promise<{ status: number; json: Json }> {
      const headers: Record<string, string> = {};
      if (typeof who === 'string') headers.authorization = `Bearer ${who}`;
      else if (who !== undefined) Object.assign(headers, { cookie: who.cookie, 'x-csrf-token': who.csrf });
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
      return { status: res.statusCode, json: (res.body === '' ? {} : res.json()) as Json };
    }
    const rootOf = async (user: UserRecord): Promise<string[]> => (await (await t.site.files.viewFor({ kind: 'user', userId: user.id })).list('/')).map((e) => e.name);
    const names = async (): Promise<string[]> => (await t.site.vgrids.list()).map((v) => v.name);

    it('takes API tokens without CSRF: files:read looks, files:write changes, other scopes are refused', async () => {
      const denied = await call(tokens.read, 'POST', '/api/v1/vgrids', { name: 'Lab' });
      expect([denied.status, denied.json.code]).toEqual([403, 'MIG_E_TOKEN_SCOPE']);
      const made = await call(tokens.write, 'POST', '/api/v1/vgrids', { name: 'Lab', description: 'made by a script' });
      expect(made.status, JSON.stringify(made.json)).toBe(201);
      expect(made.json).toMatchObject({ name: 'Lab', role: 'owner', settings: { description: 'made by a script' } });
      expect((await call(tokens.write, 'POST', '/api/v1/vgrids', { name: 'Lab/Deep' })).status).toBe(201);
      const listed = await call(tokens.read, 'GET', '/api/v1/vgrids?mine=1');
      expect((listed.json.vgrids as Json[]).map((v) => [v.name, v.role])).toEqual([['Lab', 'owner'], ['Lab/Deep', 'owner']]);
      const adding = await call(tokens.read, 'PUT', `/api/v1/vgrids/Lab/members/${encodeURIComponent(bob.email)}`);
      expect([adding.status, adding.json.code]).toEqual([403, 'MIG_E_TOKEN_SCOPE']);
      expect((await call(tokens.jobs, 'GET', '/api/v1/vgrids')).json.code).toBe('MIG_E_TOKEN_SCOPE');
      expect((await call(tokens.jobs, 'GET', '/api/v1/vgrid-requests')).json.code).toBe('MIG_E_TOKEN_SCOPE');
      expect((await call('mig_0000000000000000_' + '0'.repeat(64), 'GET', '/api/v1/vgrids')).status).toBe(401);
      // A session without its CSRF token changes nothing.
      const noCsrf = await app.inject({ method: 'PUT', url: `/api/v1/vgrids/Lab/members/${encodeURIComponent(bob.email)}`, headers: { cookie: s.ann.cookie } });
      expect(noCsrf.statusCode).toBe(403);
      expect(await t.site.vgrids.roleOf(bob.id, 'Lab')).toBeNull();
      const added = await call(tokens.write, 'PUT', `/api/v1/vgrids/Lab/members/${encodeURIComponent(bob.email)}`);
      expect(added.status).toBe(204);
      expect(await rootOf(bob)).toContain('Lab');
    });

    it('takes a nested name as one encoded segment; unencoded and hostile segments answer with codes, changing nothing', async () => {
      for (const url of ['/api/v1/vgrids/Lab%2FDeep', '/api/v1/vgrids/Lab%2fDeep']) {
        const shown = await call(s.ann, 'GET', url);
        expect([shown.status, shown.json.name], url).toEqual([200, 'Lab/Deep']);
      }
      const unencoded = await call(s.ann, 'GET', '/api/v1/vgrids/Lab/Deep');
      expect([unencoded.status, unencoded.json.code]).toEqual([404, 'MIG_E_NOT_FOUND']);
      const hostile: [Method, string][] = [
        ['PUT', '/api/v1/vgrids/Lab/members/..%2F..%2Fetc%2Fpasswd'],
        ['PUT', '/api/v1/vgrids/Lab/owners/%00'],
        // Segments up to the router's 1024-character limit reach the routes (longer ones: see the report on frameworkErrors).
        ['PUT', `/api/v1/vgrids/Lab/members/${'x'.repeat(1000)}`],
        ['PUT', `/api/v1/vgrids/${'B'.repeat(1000)}/owners/x%40example.org`],
        ['PUT', '/api/v1/vgrids/..%2FLab/members/x%40example.org'],
        ['PUT', '/api/v1/vgrids/Lab/resources/..%2F..'],
        ['DELETE', '/api/v1/vgrids/Lab/resources/%2Fetc'],
        ['POST', '/api/v1/vgrid-requests/..%2F..%2Fx/accept'],
        ['POST', `/api/v1/vgrids/Lab/requests/${'f'.repeat(32)}/reject`],
        ['POST', '/api/v1/vgrids/Lab/requests/..%2Fx/accept'],
        ['GET', `/api/v1/vgrids/${encodeURIComponent('Lab/Deep/../../etc')}`],
        ['DELETE', `/api/v1/vgrids/${'A'.repeat(300)}`],
        ['PATCH', '/api/v1/vgrids/%2E%2E'],
      ];
      for (const [method, url] of hostile) {
        const r = await call(s.ann, method, url, method === 'PATCH' ? { hidden: true } : undefined);
        expect(r.status, `${method} ${url.slice(0, 80)}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${url.slice(0, 80)}`).toBeLessThan(500);
        expect(String(r.json.code), `${method} ${url.slice(0, 80)}`).toMatch(/^MIG_E_[A-Z_]+$/);
      }
      expect(await names()).toEqual(['Lab', 'Lab/Deep']);
      expect((await t.site.vgrids.participants('Lab')).map((p) => p.userId).sort()).toEqual([ann.id, bob.id].sort());
    });

    it('refuses empty or wrong settings, and removes a VGrid with sub-VGrids only with force', async () => {
      const bad: unknown[] = [{}, { requestRecipients: 0 }, { visibleOwners: 'all' }, { hidden: 'yes' }, { description: 'x'.repeat(5000) }, { description: 'bell\u0007' }];
      for (const body of bad) {
        const r = await call(s.ann, 'PATCH', '/api/v1/vgrids/Lab', body);
        expect([r.status, r.json.code], JSON.stringify(body).slice(0, 60)).toEqual([400, 'MIG_E_INVALID_INPUT']);
      }
      expect((await t.site.vgrids.get('Lab')).settings.description).toBe('made by a script');
      const odd = await call(s.ann, 'DELETE', '/api/v1/vgrids/Lab?force=maybe');
      expect(odd.status).toBe(400);
      const withChild = await call(s.ann, 'DELETE', '/api/v1/vgrids/Lab');
      expect([withChild.status, withChild.json.code]).toEqual([403, 'MIG_E_VGRID_NOT_ALLOWED']);
      const byMember = await call(s.bob, 'DELETE', '/api/v1/vgrids/Lab%2FDeep');
      expect([byMember.status, byMember.json.code]).toEqual([403, 'MIG_E_VGRID_NOT_ALLOWED']);
      expect(await names()).toEqual(['Lab', 'Lab/Deep']);
    });

    it('lets a site admin see a hidden VGrid and manage it; outsiders meet it as unknown on every route', async () => {
      expect((await call(s.ann, 'PATCH', '/api/v1/vgrids/Lab', { hidden: true })).status).toBe(200);
      const outsider = (await createTestUser(t.site)).user;
      const out = await sessionFor(t.site, outsider.id);
      const routes: [Method, string, unknown?][] = [
        ['GET', '/api/v1/vgrids/Lab'],
        ['GET', '/api/v1/vgrids/Lab/participants'],
        ['PATCH', '/api/v1/vgrids/Lab', { hidden: false }],
        ['DELETE', '/api/v1/vgrids/Lab?force=1'],
        ['PUT', `/api/v1/vgrids/Lab/members/${encodeURIComponent(outsider.email)}`],
        ['DELETE', `/api/v1/vgrids/Lab/owners/${encodeURIComponent(ann.email)}`],
        ['POST', '/api/v1/vgrids/Lab/requests', { kind: 'member' }],
        ['GET', '/api/v1/vgrids/Lab/requests'],
      ];
      for (const [method, url, body] of routes) {
        const r = await call(out, method, url, body);
        expect([r.status, r.json.code], `${method} ${url}`).toEqual([404, 'MIG_E_VGRID_NOT_FOUND']);
      }
      expect(((await call(out, 'GET', '/api/v1/vgrids')).json.vgrids as Json[]).map((v) => v.name)).toEqual(['Lab/Deep']);

      // The admin is no participant, yet sees everything and may manage.
      const seen = await call(s.root, 'GET', '/api/v1/vgrids/Lab');
      expect(seen.status).toBe(200);
      expect(seen.json).toMatchObject({ name: 'Lab', role: null });
      expect((seen.json.owners as Json[]).map((o) => o.email)).toEqual([ann.email]);
      expect((await call(s.root, 'PUT', `/api/v1/vgrids/Lab/members/${encodeURIComponent(outsider.email)}`)).status).toBe(204);
      expect(await rootOf(outsider)).toContain('Lab');
      expect((await call(s.root, 'DELETE', `/api/v1/vgrids/Lab/members/${encodeURIComponent(outsider.email)}`)).status).toBe(204);
      expect(await rootOf(outsider)).not.toContain('Lab');
      const gone = await call(s.root, 'DELETE', '/api/v1/vgrids/Lab?force=1');
      expect(gone.status, JSON.stringify(gone.json)).toBe(200);
      expect((gone.json.removed as string[]).sort()).toEqual(['Lab', 'Lab/Deep']);
      expect(await rootOf(bob)).not.toContain('Lab');
      expect(await names()).toEqual([]);
    });
  });
}
