import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

let t: TestSite;
let app: FastifyInstance;
let admin: TestSession;
let adminId: string;

beforeAll(async () => {
  t = await openTestSite();
  app = await createWebApp({ site: t.site });
  await app.ready();
  adminId = (await t.site.users.find(t.adminEmail))!.id;
  admin = await sessionFor(t.site, adminId);
});
afterAll(async () => {
  await app.close();
  await t.close();
});

const form = (s: TestSession, fields: Record<string, string> = {}): { headers: Record<string, string>; payload: string } => ({
  headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
  payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
});

describe('admin pages and API', () => {
  it('refuses non-admins (403) and anonymous callers (redirect to sign-in, 401 on the API)', async () => {
    const { user } = await createTestUser(t.site);
    const s = await sessionFor(t.site, user.id);
    for (const url of ['/admin', '/admin/users', `/admin/users/${adminId}`, '/admin/requests', '/admin/bans']) {
      const anon = await app.inject({ method: 'GET', url });
      expect(anon.statusCode, url).toBe(303);
      expect(anon.headers.location).toBe(`/login?next=${encodeURIComponent(url)}`);
      const plain = await app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
      expect(plain.statusCode, url).toBe(403);
      expect((await app.inject({ method: 'GET', url, headers: { cookie: admin.cookie } })).statusCode, url).toBe(200);
    }
    for (const url of ['/api/v1/admin/users', '/api/v1/admin/status', '/api/v1/admin/bans', '/api/v1/admin/requests']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
      expect((await app.inject({ method: 'GET', url, headers: { cookie: s.cookie } })).json().code, url).toBe('MIG_E_FORBIDDEN');
    }
    const del = await app.inject({ method: 'POST', url: `/admin/users/${adminId}/delete`, ...form(s, { confirm: 'on' }) });
    expect(del.statusCode).toBe(403);
    expect(await t.site.users.find(t.adminEmail)).toBeDefined();
  });

  it('shows hostile names and key comments escaped', async () => {
    const { user } = await createTestUser(t.site);
    await t.site.db.updateTable('users').set({ full_name: '<script>alert(1)</script>' }).where('id', '=', user.id).execute();
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl <img src=x onerror=alert(2)>';
    await t.site.sshKeys.add(user.id, key);
    const list = await app.inject({ method: 'GET', url: '/admin/users', headers: { cookie: admin.cookie } });
    const page = await app.inject({ method: 'GET', url: `/admin/users/${user.id}`, headers: { cookie: admin.cookie } });
    for (const body of [list.body, page.body]) {
      expect(body).not.toContain('<script>alert(1)');
      expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
    expect(page.body).not.toContain('<img src=x');
    expect(page.body).toContain('&lt;img src=x onerror=alert(2)&gt;');
  });

  it('searches, suspends (ending sessions), reactivates, renews and deletes with confirmation', async () => {
    const { user } = await createTestUser(t.site, { fullName: 'Findable Person' });
    const victim = await sessionFor(t.site, user.id);
    const found = await app.inject({ method: 'GET', url: '/api/v1/admin/users?search=Findable', headers: { cookie: admin.cookie } });
    expect(found.json().users.map((u: { id: string }) => u.id)).toEqual([user.id]);
    const suspend = await app.inject({ method: 'POST', url: `/admin/users/${user.id}/suspend`, ...form(admin, { reason: 'testing' }) });
    expect(suspend.statusCode).toBe(303);
    expect((await t.site.users.get(user.id)).status).toBe('suspended');
    expect((await app.inject({ method: 'GET', url: '/api/v1/account', headers: { cookie: victim.cookie } })).statusCode).toBe(401);
    const react = await app.inject({ method: 'POST', url: `/api/v1/admin/users/${user.id}/reactivate`, headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf } });
    expect(react.json().status).toBe('active');
    await t.site.users.edit(user.id, { expiresAt: Date.now() + 1000 });
    const renew = await app.inject({ method: 'POST', url: `/api/v1/admin/users/${user.id}/renew`, headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf }, payload: { days: 30 } });
    expect(Date.parse(renew.json().expiresAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const noConfirm = await app.inject({ method: 'POST', url: `/admin/users/${user.id}/delete`, ...form(admin) });
    expect(noConfirm.statusCode).toBe(303);
    expect(await t.site.users.find(user.id)).toBeDefined();
    const del = await app.inject({ method: 'POST', url: `/admin/users/${user.id}/delete`, ...form(admin, { confirm: 'on' }) });
    expect(del.headers.location).toBe('/admin/users');
    expect(await t.site.users.find(user.id)).toBeUndefined();
    const self = await app.inject({ method: 'DELETE', url: `/api/v1/admin/users/${adminId}`, headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf } });
    expect(self.json().code).toBe('MIG_E_FORBIDDEN');
  });

  it('lists and lifts bans, rejects sign-ups by email, and reports status', async () => {
    const { user } = await createTestUser(t.site);
    for (let i = 0; i < 12; i++) await t.site.defender.recordFailure({ address: '10.9.9.9', username: user.email, protocol: 'https', secret: `x${i}` });
    const bans = await app.inject({ method: 'GET', url: '/api/v1/admin/bans', headers: { cookie: admin.cookie } });
    const subjects = bans.json<{ bans: { subject: string }[] }>().bans.map((b) => b.subject);
    expect(subjects.length).toBeGreaterThan(0);
    const lift = await app.inject({ method: 'DELETE', url: `/api/v1/admin/bans/${encodeURIComponent(subjects[0]!)}`, headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf } });
    expect(lift.json()).toEqual({ lifted: true });
    const signup = await app.inject({ method: 'POST', url: '/api/v1/signup', payload: { fullName: 'Rex Jected', email: 'rex@example.org', organization: 'O', country: 'DK', password: 'Signup-Pass-7x!Q', acceptedTerms: true } });
    expect(signup.statusCode).toBe(201);
    const status = await app.inject({ method: 'GET', url: '/api/v1/admin/status', headers: { cookie: admin.cookie } });
    expect(status.json()).toMatchObject({ pendingRequests: 1, database: 'sqlite' });
    const reject = await app.inject({ method: 'POST', url: `/api/v1/admin/requests/${signup.json().id}/reject`, headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf }, payload: { reason: 'unknown organisation' } });
    expect(reject.json(), reject.body).toMatchObject({ status: 'rejected' });
    const page = await app.inject({ method: 'GET', url: '/admin', headers: { cookie: admin.cookie } });
    expect(page.body).toContain('Site status');
  });

  it('documents every account, auth and admin API route in OpenAPI', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{ paths: Record<string, Record<string, { tags?: string[] }>> }>();
    for (const path of ['/api/v1/auth/token', '/api/v1/account', '/api/v1/account/ssh-keys/{id}', '/api/v1/account/tokens', '/api/v1/signup', '/api/v1/admin/users/{id}/suspend', '/api/v1/admin/bans/{subject}', '/api/v1/admin/status']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/api/v1/admin/status']?.get?.tags).toEqual(['admin']);
    expect(JSON.stringify(doc.paths)).not.toContain('/admin/users/{id}/edit');
  });
});
