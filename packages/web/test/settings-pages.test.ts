import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

let t: TestSite;
let app: FastifyInstance;

beforeAll(async () => {
  t = await openTestSite();
  app = await createWebApp({ site: t.site });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await t.close();
});

const post = (s: TestSession, url: string, fields: Record<string, string>, csrf = true) =>
  app.inject({ method: 'POST', url, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(csrf ? { _csrf: s.csrf, ...fields } : fields).toString() });

describe('settings pages', () => {
  it('refuses a form post without the CSRF token', async () => {
    const { user } = await createTestUser(t.site);
    const s = await sessionFor(t.site, user.id);
    const res = await post(s, '/settings/protocols', { sftp: 'on' }, false);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('MIG_E_CSRF');
  });

  it('changes the password with the current one and ends the other sessions', async () => {
    const { user, password } = await createTestUser(t.site);
    const s = await sessionFor(t.site, user.id);
    const other = await sessionFor(t.site, user.id);
    const wrong = await post(s, '/settings/password', { current: 'Wrong-Pass-1x!Q', password: 'New-Pass-77x!Q', password2: 'New-Pass-77x!Q' });
    expect(wrong.statusCode).toBe(303);
    expect((await app.inject({ method: 'GET', url: '/settings', headers: { cookie: s.cookie } })).body).toContain('The current password is wrong.');
    const ok = await post(s, '/settings/password', { current: password, password: 'New-Pass-77x!Q', password2: 'New-Pass-77x!Q' });
    expect(ok.statusCode).toBe(303);
    expect((await app.inject({ method: 'GET', url: '/settings', headers: { cookie: s.cookie } })).body).toContain('1 other session(s) signed out');
    expect((await app.inject({ method: 'GET', url: '/api/v1/account', headers: { cookie: other.cookie } })).statusCode).toBe(401);
    await expect(t.site.auth.authenticatePassword({ login: user.email, password: 'New-Pass-77x!Q', address: '127.0.0.1', protocol: 'https' })).resolves.toMatchObject({ userId: user.id });
  });

  it('adds and removes SSH keys (comments escaped), switches protocols and shows a new token once', async () => {
    const { user } = await createTestUser(t.site);
    const s = await sessionFor(t.site, user.id);
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl <script>alert(1)</script>';
    expect((await post(s, '/settings/ssh-keys', { publicKey: key })).statusCode).toBe(303);
    const page = await app.inject({ method: 'GET', url: '/settings', headers: { cookie: s.cookie } });
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const [stored] = await t.site.sshKeys.list(user.id);
    expect((await post(s, '/settings/ssh-keys/remove', { id: stored!.id })).statusCode).toBe(303);
    expect(await t.site.sshKeys.list(user.id)).toEqual([]);

    expect((await post(s, '/settings/protocols', { ftps: 'on' })).statusCode).toBe(303);
    expect((await t.site.users.get(user.id)).settings.protocols).toEqual({ web: true, sftp: false, ftps: true, webdavs: false });

    const made = await post(s, '/settings/tokens', { name: 'sync', 'scope_files:read': 'on', days: '10' });
    const token = /<pre class="view">(mig_[^<]+)<\/pre>/.exec(made.body)?.[1];
    expect(token).toBeDefined();
    expect((await app.inject({ method: 'GET', url: '/settings', headers: { cookie: s.cookie } })).body).not.toContain(token!);
  });
});
