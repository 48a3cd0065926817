import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { requireUser } from '@migrid/web';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, sessionCookieOf } from './support/sessions.js';

let t: TestSite;
let app: FastifyInstance;

beforeAll(async () => {
  t = await openTestSite();
  app = await createWebApp({ site: t.site });
  // Routes only for this test: something state-changing and something that needs a user.
  app.post('/test/change', async () => ({ changed: true }));
  app.get('/api/v1/test/whoami', async (request) => ({ email: requireUser(request, 'account:read').email }));
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await t.close();
});

describe('the web app foundation', () => {
  it('answers the health check with the database state', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', database: 'ok' });
  });

  it('sends the security headers on every answer', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('same-origin');
  });

  it('answers unknown API routes with a JSON error and unknown pages with an escaped HTML page', async () => {
    const api = await app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ code: 'MIG_E_NOT_FOUND' });
    const page = await app.inject({ method: 'GET', url: '/<script>alert(1)</script>' });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('No such page');
  });

  it('refuses a state-changing request without a valid CSRF token, and accepts it with one', async () => {
    const { user } = await createTestUser(t.site);
    const s = await sessionFor(t.site, user.id);
    const none = await app.inject({ method: 'POST', url: '/test/change', headers: { cookie: s.cookie } });
    expect(none.statusCode).toBe(403);
    expect(none.body).toContain('MIG_E_CSRF');
    const wrong = await app.inject({ method: 'POST', url: '/test/change', headers: { cookie: s.cookie, 'x-csrf-token': 'x'.repeat(43) } });
    expect(wrong.statusCode).toBe(403);
    const anonymous = await app.inject({ method: 'POST', url: '/test/change' });
    expect(anonymous.statusCode).toBe(403);
    const crossSite = await app.inject({ method: 'POST', url: '/test/change', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: 'https://evil.example', host: 'localhost' } });
    expect(crossSite.statusCode).toBe(403);
    const header = await app.inject({ method: 'POST', url: '/test/change', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    expect(header.statusCode).toBe(200);
    const form = await app.inject({ method: 'POST', url: '/test/change', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${s.csrf}` });
    expect(form.statusCode).toBe(200);
  });

  it('authenticates API tokens, enforces their scopes, and never needs CSRF for them', async () => {
    const { user } = await createTestUser(t.site);
    const { token } = await t.site.apiTokens.create(user.id, { name: 'script', scopes: ['account:read'] });
    const ok = await app.inject({ method: 'GET', url: '/api/v1/test/whoami', headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ email: user.email });
    const { token: filesOnly } = await t.site.apiTokens.create(user.id, { name: 'files', scopes: ['files:read'] });
    const scoped = await app.inject({ method: 'GET', url: '/api/v1/test/whoami', headers: { authorization: `Bearer ${filesOnly}` } });
    expect(scoped.statusCode).toBe(403);
    expect(scoped.json()).toMatchObject({ code: 'MIG_E_TOKEN_SCOPE' });
    const bad = await app.inject({ method: 'GET', url: '/api/v1/test/whoami', headers: { authorization: 'Bearer mig_nope_nope' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ code: 'MIG_E_AUTH_FAILED' });
    const post = await app.inject({ method: 'POST', url: '/test/change', headers: { authorization: `Bearer ${token}` } });
    expect(post.statusCode).toBe(200);
  });

  it('ends the session of an account that is suspended or expired, at its next request', async () => {
    const { user } = await createTestUser(t.site);
    const s = await sessionFor(t.site, user.id);
    const before = await app.inject({ method: 'GET', url: '/api/v1/test/whoami', headers: { cookie: s.cookie } });
    expect(before.statusCode).toBe(200);
    await t.site.users.suspend(user.id, 'test');
    const after = await app.inject({ method: 'GET', url: '/api/v1/test/whoami', headers: { cookie: s.cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ code: 'MIG_E_NOT_SIGNED_IN' });
    expect(sessionCookieOf(after.headers['set-cookie'])).toMatch(/=$/);
    const rows = await t.site.db.selectFrom('web_sessions').select('id_hash').where('user_id', '=', user.id).execute();
    expect(rows).toEqual([]);
  });

  it('serves the OpenAPI document and the readable API page', async () => {
    const doc = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(doc.statusCode).toBe(200);
    expect(doc.json()).toMatchObject({ openapi: '3.0.3' });
    const page = await app.inject({ method: 'GET', url: '/api/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('/api/v1/openapi.json');
  });

  it('serves the stylesheet', async () => {
    const res = await app.inject({ method: 'GET', url: '/static/app.css' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/css/);
  });
});
