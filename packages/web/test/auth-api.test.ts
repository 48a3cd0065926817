import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import * as OTPAuth from 'otpauth';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor } from './support/sessions.js';

let t: TestSite;
let app: FastifyInstance;

beforeAll(async () => {
  t = await openTestSite({ config: { defender: { max_user_failures: 3 } } });
  app = await createWebApp({ site: t.site });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await t.close();
});

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('POST /api/v1/auth/token and the account API', () => {
  it('trades a user name and password for a token that reads the account', async () => {
    const { user, password } = await createTestUser(t.site);
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: user.email, password, name: 'script' } });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ token: string; id: string; scopes: string[]; expiresAt: string }>();
    expect(body.token).toMatch(/^mig_/);
    expect(body.scopes).toContain('files:write');
    expect(body.scopes).not.toContain('admin');
    const me = await app.inject({ method: 'GET', url: '/api/v1/account', headers: bearer(body.token) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ email: user.email, fullName: user.fullName, status: 'active', roles: [], settings: { protocols: { web: true, sftp: true } } });
    expect(me.body).not.toContain('passwordHash');
  });

  it('refuses a wrong password with the same answer as an unknown user, and bans after repeated failures', async () => {
    const { user, password } = await createTestUser(t.site);
    const wrong = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: user.email, password: 'Wrong-Pass-1x!Q', name: 'x' }, remoteAddress: '10.0.0.7' });
    expect(wrong.statusCode).toBe(401);
    const unknown = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'nobody@example.org', password: 'Wrong-Pass-1x!Q', name: 'x' }, remoteAddress: '10.0.0.8' });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().message).toBe(wrong.json().message);
    for (let i = 2; i <= 3; i++) {
      await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: user.email, password: `Wrong-Pass-${i}x!Q`, name: 'x' }, remoteAddress: '10.0.0.7' });
    }
    const banned = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: user.email, password, name: 'x' }, remoteAddress: '10.0.0.7' });
    expect(banned.statusCode).toBe(429);
    expect(banned.json().code).toBe('MIG_E_BANNED');
  });

  it('needs the TOTP code when the account has one, and refuses admin scope to a plain user', async () => {
    const { user, password } = await createTestUser(t.site);
    const { secret } = await t.site.totp.beginEnrollment(user.id, { issuer: 'Test', label: user.email });
    const totp = new OTPAuth.TOTP({ secret });
    await t.site.totp.confirmEnrollment(user.id, totp.generate());
    const noCode = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: user.email, password, name: 'x' }, remoteAddress: '10.0.1.1' });
    expect(noCode.statusCode).toBe(401);
    expect(noCode.json()).toMatchObject({ code: 'MIG_E_TOTP_INVALID', details: { totpRequired: true } });
    const badCode = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: user.email, password, totp: '000000', name: 'x' }, remoteAddress: '10.0.1.1' });
    expect(badCode.json().code).toBe('MIG_E_TOTP_INVALID');
    const admin = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: user.email, password, totp: totp.generate(), name: 'x', scopes: ['admin'] }, remoteAddress: '10.0.1.1' });
    expect(admin.statusCode).toBe(403);
    const ok = await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: user.email, password, totp: totp.generate({ timestamp: Date.now() + 30_000 }), name: 'x', scopes: ['files:read'] }, remoteAddress: '10.0.1.1' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().scopes).toEqual(['files:read']);
  });

  it('creates, lists and revokes tokens; a revoked token is refused; scopes are enforced', async () => {
    const { user } = await createTestUser(t.site);
    const s = await sessionFor(t.site, user.id);
    const made = await app.inject({ method: 'POST', url: '/api/v1/account/tokens', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, payload: { name: 'reader', scopes: ['files:read'] } });
    expect(made.statusCode).toBe(201);
    const { token, id } = made.json<{ token: string; id: string }>();
    const list = await app.inject({ method: 'GET', url: '/api/v1/account/tokens', headers: { cookie: s.cookie } });
    expect(list.json().tokens).toHaveLength(1);
    expect(list.body).not.toContain(token);
    // files:read does not cover account:read
    const scoped = await app.inject({ method: 'GET', url: '/api/v1/account', headers: bearer(token) });
    expect(scoped.json().code).toBe('MIG_E_TOKEN_SCOPE');
    const revoke = await app.inject({ method: 'DELETE', url: `/api/v1/account/tokens/${id}`, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    expect(revoke.statusCode).toBe(200);
    const after = await app.inject({ method: 'GET', url: '/api/v1/account', headers: bearer(token) });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('MIG_E_AUTH_FAILED');
  });

  it('refuses a settings change without a CSRF token', async () => {
    const { user } = await createTestUser(t.site);
    const s = await sessionFor(t.site, user.id);
    const res = await app.inject({ method: 'PATCH', url: '/api/v1/account/settings', headers: { cookie: s.cookie }, payload: { protocols: { sftp: false } } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('MIG_E_CSRF');
    expect((await t.site.users.get(user.id)).settings.protocols.sftp).toBe(true);
    const ok = await app.inject({ method: 'PATCH', url: '/api/v1/account/settings', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, payload: { protocols: { sftp: false } } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().settings.protocols).toMatchObject({ sftp: false, web: true });
  });
});
