import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import * as OTPAuth from 'otpauth';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { TestBrowser } from './support/browser.js';
import { sessionFor } from './support/sessions.js';

let t: TestSite;
let app: FastifyInstance;
let clock = Date.now();

beforeAll(async () => {
  t = await openTestSite({ config: { defender: { max_user_failures: 3 }, site: { admin_email: 'root@example.org' } } });
  app = await createWebApp({ site: t.site, now: () => clock, baseUrl: 'https://mig.test' });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await t.close();
});

interface Mail { topic: string; to: string[]; subject: string; text: string }
async function mails(): Promise<Mail[]> {
  const text = await readFile(t.site.paths.mailLog, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Mail);
}

async function signIn(b: TestBrowser, login: string, password: string, next = ''): Promise<ReturnType<TestBrowser['post']>> {
  await b.get(`/login${next === '' ? '' : `?next=${encodeURIComponent(next)}`}`);
  return b.post('/login', { login, password, next });
}

describe('accounts over the web', () => {
  const password = 'Signup-Pass-7x!Q';
  const email = 'jane.doe@example.org';
  let totp: OTPAuth.TOTP;

  it('signs up, is accepted by an admin, is emailed, signs in, enables TOTP, and signs in again with a code', async () => {
    const b = new TestBrowser(app, '10.1.0.1');
    const form = await b.get('/signup');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('href="/terms"');
    const differ = await b.post('/signup', { fullName: 'Jane Doe', email, organization: 'Test Org', country: 'DK', password, password2: 'other', acceptedTerms: 'on' });
    expect(differ.statusCode).toBe(400);
    const sent = await b.post('/signup', { fullName: 'Jane Doe', email, organization: 'Test Org', country: 'DK', comment: 'research', password, password2: password, acceptedTerms: 'on' });
    expect(sent.statusCode).toBe(200);
    expect(sent.body).toContain('Request sent');
    expect((await mails()).find((m) => m.topic === 'signup.new')?.to).toEqual(expect.arrayContaining(['root@example.org', t.adminEmail]));

    // Not yet: a pending request cannot sign in.
    const early = await signIn(new TestBrowser(app, '10.1.0.2'), email, password);
    expect(early.statusCode).toBe(401);

    const admin = await sessionFor(t.site, (await t.site.users.find(t.adminEmail))!.id);
    const list = await app.inject({ method: 'GET', url: '/api/v1/admin/requests', headers: { cookie: admin.cookie } });
    const req = list.json<{ requests: { id: string; email: string }[] }>().requests.find((r) => r.email === email)!;
    const accept = await app.inject({ method: 'POST', url: `/admin/requests/${req.id}/accept`, headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${admin.csrf}` });
    expect(accept.statusCode).toBe(303);
    const welcome = (await mails()).find((m) => m.topic === 'signup.accepted' && m.to.includes(email));
    expect(welcome?.text).toContain('https://mig.test/login');

    const signedIn = await signIn(b, email, password, '/settings');
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers.location).toBe('/settings');
    const settings = await b.get('/settings');
    expect(settings.statusCode).toBe(200);
    expect(settings.body).toContain(email);

    const begin = await b.post('/settings/totp/begin');
    expect(begin.statusCode).toBe(200);
    expect(begin.body).toContain('src="data:image/png;base64,');
    const secret = /Key: <code>([A-Z2-7]+)<\/code>/.exec(begin.body)?.[1];
    expect(secret).toBeDefined();
    totp = new OTPAuth.TOTP({ secret: secret! });
    const confirm = await b.post('/settings/totp/confirm', { code: totp.generate({ timestamp: clock }) });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('recovery codes');

    const out = await b.post('/logout');
    expect(out.statusCode).toBe(303);
    expect((await b.get('/settings')).statusCode).toBe(303);

    const step1 = await signIn(b, email, password);
    expect(step1.headers.location).toBe('/login/totp');
    // Not signed in yet between the two steps.
    expect((await b.get('/settings')).headers.location).toMatch(/^\/login/);
    await b.get('/login/totp');
    const wrong = await b.post('/login/totp', { code: '000000' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('MIG_E_TOTP_INVALID');
    // The wrong code was counted by the defender (and logged as a TOTP failure).
    const authLog = await readFile(t.site.paths.authLog, 'utf8');
    expect(authLog).toMatch(/totp/);
    expect(authLog).toContain(email);
    const ok = await b.post('/login/totp', { code: totp.generate({ timestamp: clock + 30_000 }) });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/files');
    expect((await b.get('/settings')).statusCode).toBe(200);
  });

  it('honours ?next= only for same-site paths (no open redirect)', async () => {
    const { user, password: pw } = await createTestUser(t.site);
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const b = new TestBrowser(app, '10.1.1.1');
      const res = await signIn(b, user.email, pw, next);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/files');
    }
  });

  it('bans after repeated wrong passwords over the web, and the ban stops a correct password too', async () => {
    const { user, password: pw } = await createTestUser(t.site);
    const b = new TestBrowser(app, '10.1.2.1');
    for (let i = 0; i < 3; i++) {
      const res = await signIn(b, user.email, `Wrong-Pass-${i}x!Q`);
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('Wrong email or password.');
    }
    const banned = await signIn(b, user.email, pw);
    expect(banned.statusCode).toBe(429);
    expect(banned.body).toContain('MIG_E_BANNED');
    // An unknown account gets the same wrong-password page as a known one.
    const unknown = await signIn(new TestBrowser(app, '10.1.2.2'), 'nobody@example.org', 'Wrong-Pass-1x!Q');
    expect(unknown.statusCode).toBe(401);
    expect(unknown.body).toContain('Wrong email or password.');
  });

  it('resets a password by an emailed single-use link that expires after an hour', async () => {
    const { user, password: old } = await createTestUser(t.site);
    const other = await sessionFor(t.site, user.id);
    const b = new TestBrowser(app, '10.1.3.1');
    await b.get('/reset');
    const unknown = await b.post('/reset', { email: 'nobody@example.org' });
    const known = await b.post('/reset', { email: user.email });
    expect(known.statusCode).toBe(200);
    expect(unknown.body.replace(/content="[^"]+"/g, '')).toBe(known.body.replace(/content="[^"]+"/g, ''));
    const mail = (await mails()).filter((m) => m.topic === 'password.reset' && m.to.includes(user.email)).at(-1)!;
    const link = /https:\/\/mig\.test(\/reset\/[A-Za-z0-9_-]{43})/.exec(mail.text)![1]!;
    expect((await b.get(link)).statusCode).toBe(200);
    const weak = await b.post(link, { password: 'short', password2: 'short' });
    expect(weak.statusCode).toBe(400);
    const fresh = 'Reset-Pass-9x!Q';
    const done = await b.post(link, { password: fresh, password2: fresh });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Password changed');
    // The old sessions are gone, the link works once, the new password works, the old does not.
    expect((await app.inject({ method: 'GET', url: '/api/v1/account', headers: { cookie: other.cookie } })).statusCode).toBe(401);
    const again = await b.post(link, { password: 'Other-Pass-9x!Q', password2: 'Other-Pass-9x!Q' });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('MIG_E_RESET_TOKEN_INVALID');
    expect((await signIn(new TestBrowser(app, '10.1.3.2'), user.email, fresh)).statusCode).toBe(303);
    expect((await signIn(new TestBrowser(app, '10.1.3.3'), user.email, old)).statusCode).toBe(401);

    // A link older than an hour is refused.
    await b.post('/reset', { email: user.email });
    const late = (await mails()).filter((m) => m.topic === 'password.reset' && m.to.includes(user.email)).at(-1)!;
    const lateLink = /https:\/\/mig\.test(\/reset\/[A-Za-z0-9_-]{43})/.exec(late.text)![1]!;
    expect(lateLink).not.toBe(link);
    clock += 3600_000 + 1;
    try {
      const expired = await b.get(lateLink);
      expect(expired.statusCode).toBe(400);
      expect(expired.body).toContain('MIG_E_RESET_TOKEN_INVALID');
    } finally {
      clock = Date.now();
    }
  });

  it('sends an expired user with the right password to the renewal page, which asks the admins', async () => {
    const { user, password: pw } = await createTestUser(t.site);
    await t.site.users.edit(user.id, { expiresAt: Date.now() - 1000 });
    const b = new TestBrowser(app, '10.1.4.1');
    const res = await signIn(b, user.email, pw);
    expect(res.headers.location).toBe('/login/renew');
    const page = await b.get('/login/renew');
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('has expired');
    const asked = await b.post('/login/renew', { message: 'still working on it' });
    expect(asked.body).toContain('Renewal requested');
    expect((await mails()).some((m) => m.topic === 'account.renewal-request' && m.text.includes(user.email))).toBe(true);
    // A wrong password never reaches the renewal page.
    const wrong = await signIn(new TestBrowser(app, '10.1.4.2'), user.email, 'Wrong-Pass-1x!Q');
    expect(wrong.statusCode).toBe(401);
  });

  it('refuses sign-up when it is switched off', async () => {
    const closed = await openTestSite({ config: { accounts: { signup_enabled: false } } });
    const closedApp = await createWebApp({ site: closed.site });
    try {
      const page = await closedApp.inject({ method: 'GET', url: '/signup' });
      expect(page.statusCode).toBe(403);
      expect(page.body).toContain('MIG_E_SIGNUP_DISABLED');
      const api = await closedApp.inject({ method: 'POST', url: '/api/v1/signup', payload: { fullName: 'A B', email: 'a@example.org', organization: 'O', country: 'DK', password: 'Signup-Pass-7x!Q', acceptedTerms: true } });
      expect(api.json().code).toBe('MIG_E_SIGNUP_DISABLED');
    } finally {
      await closedApp.close();
      await closed.close();
    }
  });
});
