/**
 * OpenID Connect sign-in end to end: a real provider (oidc-provider, with its development
 * interactions) on 127.0.0.1, the real web server over HTTPS, and a small "browser" (requests
 * with a cookie jar, following redirects and submitting the provider's forms).
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { loginPageExtras } from '../src/accounts/login-extras.js';
import { createWebApp } from '../src/app/create-web-app.js';
import { WebServer } from '../src/app/web-server.js';
import { SESSION_COOKIE } from '../src/plugins/sessions.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';

/** Claims of the provider's accounts, by the login typed into its form. */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  known: { email: 'known.person@example.org', email_verified: true, name: 'Known Person' },
  newcomer: { email: 'new.comer@example.org', email_verified: true, name: 'New Comer' },
  requester: { email: 'asking.person@example.org', email_verified: true, name: 'Asking Person' },
  outsider: { email: 'out.sider@elsewhere.test', email_verified: true, name: 'Out Sider' },
  unverified: { email: 'un.verified@example.org', email_verified: false, name: 'Un Verified' },
};

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly url: URL;
}

/** A minimal browser: one cookie jar per origin (paths ignored), manual redirects. */
class Browser {
  readonly jar = new Map<string, Map<string, string>>();
  constructor(private readonly ca: Buffer) {}

  cookies(origin: string): Map<string, string> {
    let cookies = this.jar.get(origin);
    if (cookies === undefined) {
      cookies = new Map();
      this.jar.set(origin, cookies);
    }
    return cookies;
  }

  request(url: URL, method = 'GET', form?: Record<string, string>): Promise<Answer> {
    const body = form === undefined ? undefined : new URLSearchParams(form).toString();
    const cookies = this.cookies(url.origin);
    const headers: Record<string, string> = { accept: 'text/html' };
    if (cookies.size > 0) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, ...(url.protocol === 'https:' && { ca: this.ca }) }, (res) => {
        for (const line of res.headers['set-cookie'] ?? []) {
          const [pair] = line.split(';');
          const eq = pair?.indexOf('=') ?? -1;
          if (pair === undefined || eq <= 0) continue;
          const name = pair.slice(0, eq).trim();
          const value = pair.slice(eq + 1).trim();
          if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name);
          else cookies.set(name, value);
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), url }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * Follows redirects and submits the provider's forms (login with `login`, then consent) until
   * the site answers at `stopPath`; returns that answer.
   */
  async signIn(start: URL, login: string, stopPath: string): Promise<Answer> {
    let answer = await this.request(start);
    for (let step = 0; step < 20; step++) {
      if (answer.url.pathname === stopPath) return answer;
      if (answer.status >= 300 && answer.status < 400 && typeof answer.headers.location === 'string') {
        answer = await this.request(new URL(answer.headers.location, answer.url));
        continue;
      }
      const form = /<form[^>]*action="([^"]+)"[^>]*method="post"/i.exec(answer.body);
      if (answer.status !== 200 || form?.[1] === undefined) throw new Error(`unexpected answer ${answer.status} at ${answer.url.href}: ${answer.body.slice(0, 300)}`);
      const fields: Record<string, string> = {};
      for (const m of answer.body.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/gi)) fields[m[1] ?? ''] = m[2] ?? '';
      if (/name="login"/.test(answer.body)) {
        fields.login = login;
        fields.password = 'anything';
      }
      answer = await this.request(new URL(form[1].replace(/&amp;/g, '&'), answer.url), 'POST', fields);
    }
    throw new Error('too many steps');
  }
}

interface SiteUnderTest {
  readonly t: TestSite;
  readonly server: WebServer;
  readonly base: string;
  readonly browser: Browser;
}

/** The part of oidc-provider's API these tests use (the package ships no type declarations). */
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => { callback(): RequestListener };
const providerModule = 'oidc-provider';

let provider: Server;
let issuer: string;
const sites: SiteUnderTest[] = [];
let direct: SiteUnderTest;
let requesting: SiteUnderTest;

/** Starts a site using the confidential client, or (`publicClient`) the public one that has only PKCE. */
async function startSite(port: number, oidc: Record<string, unknown>, publicClient = false): Promise<SiteUnderTest> {
  const client = publicClient ? { client_id: 'mig-public' } : { client_id: 'mig-site', client_secret: 'a-client-secret-for-tests' };
  const t = await openTestSite({ config: { logging: { level: 'warn' }, oidc: { enabled: true, issuer, ...client, display_name: 'Test IdP', default_organization: 'Example Org', default_country: 'DK', ...oidc } } });
  const base = `https://127.0.0.1:${port}`;
  const server = new WebServer({ site: t.site, baseUrl: base });
  await server.listen(port, '127.0.0.1');
  const site = { t, server, base, browser: new Browser(await readFile(t.caCertPath)) };
  sites.push(site);
  return site;
}

beforeAll(async () => {
  const [providerPort, directPort, requestPort] = [await freePort(), await freePort(), await freePort()];
  issuer = `http://127.0.0.1:${providerPort}`;
  const { default: Provider } = (await import(providerModule)) as { default: ProviderClass };
  const oidc = new Provider(issuer, {
    clients: [{
      client_id: 'mig-site',
      client_secret: 'a-client-secret-for-tests',
      redirect_uris: [`https://127.0.0.1:${directPort}/login/oidc/callback`, `https://127.0.0.1:${requestPort}/login/oidc/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }, {
      client_id: 'mig-public',
      token_endpoint_auth_method: 'none',
      redirect_uris: [`https://127.0.0.1:${requestPort}/login/oidc/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id, ...(ACCOUNTS[id] ?? {}) }) }),
    cookies: { keys: ['cookie-key-for-tests-only'] },
    features: { devInteractions: { enabled: true } },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  });
  provider = createHttpServer(oidc.callback());
  await new Promise<void>((resolve) => provider.listen(providerPort, '127.0.0.1', resolve));
  direct = await startSite(directPort, { auto_create: 'direct', user_permit: ['email:.*@example\\.org$'] });
  requesting = await startSite(requestPort, { auto_create: 'request' }, true);
}, 60_000);

afterAll(async () => {
  for (const s of sites) {
    await s.server.close();
    await s.t.close();
  }
  await new Promise((resolve) => provider?.close(resolve));
});

/** The user id the browser's session at `s` is signed in as, if any. */
async function signedInAs(s: SiteUnderTest): Promise<string | undefined> {
  const cookie = s.browser.cookies(new URL(s.base).origin).get(SESSION_COOKIE);
  if (cookie === undefined) return undefined;
  const res = await s.browser.request(new URL('/api/v1/account', s.base));
  if (res.status !== 200) return undefined;
  return (JSON.parse(res.body) as { id: string }).id;
}

async function authLog(s: SiteUnderTest): Promise<string> {
  await s.t.site.authLog.flush();
  return readFile(s.t.site.paths.authLog, 'utf8').catch(() => '');
}

describe('OpenID Connect sign-in', () => {
  it('signs in an existing user found by the verified email', async () => {
    const { user } = await createTestUser(direct.t.site, { email: 'known.person@example.org', fullName: 'Known Person' });
    const res = await direct.browser.signIn(new URL('/login/oidc?next=/settings', direct.base), 'known', '/login/oidc/callback');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/settings');
    expect(await signedInAs(direct)).toBe(user.id);
    expect(await authLog(direct)).toMatch(/auth success protocol=https method=oidc user="known.person@example.org" address=127\.0\.0\.1 reason=ok/);
  });

  it('creates the account of an admitted newcomer when auto_create is "direct"', async () => {
    const browser = direct.browser;
    browser.jar.clear();
    const res = await browser.signIn(new URL('/login/oidc', direct.base), 'newcomer', '/login/oidc/callback');
    expect(res.status).toBe(303);
    const user = await direct.t.site.users.find('new.comer@example.org');
    expect(user).toMatchObject({ email: 'new.comer@example.org', fullName: 'New Comer', organization: 'Example Org', country: 'DK', status: 'active', hasPassword: false });
    expect(user?.dn).toBe('/C=DK/ST=NA/L=NA/O=Example Org/OU=NA/CN=New Comer/emailAddress=new.comer@example.org');
    expect(await signedInAs(direct)).toBe(user?.id);
  });

  it('refuses someone the user_permit filters do not admit, with an auth-log line and a defender count', async () => {
    direct.browser.jar.clear();
    const res = await direct.browser.signIn(new URL('/login/oidc', direct.base), 'outsider', '/login/oidc/callback');
    expect(res.status).toBe(403);
    expect(res.body).toContain('does not give accounts to out.sider@elsewhere.test');
    expect(await direct.t.site.users.find('out.sider@elsewhere.test')).toBeUndefined();
    expect(await signedInAs(direct)).toBeUndefined();
    expect(await authLog(direct)).toMatch(/auth failure protocol=https method=oidc user="out.sider@elsewhere.test" address=127\.0\.0\.1 reason=not-permitted/);
    const failures = await direct.t.site.db.selectFrom('auth_failures').selectAll().execute();
    expect(failures.length).toBeGreaterThan(0);
  });

  it('refuses an email the provider says is not verified', async () => {
    direct.browser.jar.clear();
    const res = await direct.browser.signIn(new URL('/login/oidc', direct.base), 'unverified', '/login/oidc/callback');
    expect(res.status).toBe(403);
    expect(res.body).toContain('has not verified your email address');
    expect(await direct.t.site.users.find('un.verified@example.org')).toBeUndefined();
    expect(await authLog(direct)).toMatch(/reason=email-not-verified/);
  });

  it('files a sign-up request and does not sign in when auto_create is "request" (public client, PKCE only)', async () => {
    const res = await requesting.browser.signIn(new URL('/login/oidc', requesting.base), 'requester', '/login/oidc/callback');
    expect(res.status).toBe(202);
    expect(res.body).toContain('a request for one was sent to the site administrators');
    expect(await requesting.t.site.users.find('asking.person@example.org')).toBeUndefined();
    const pending = await requesting.t.site.signups.list({ status: 'pending' });
    expect(pending.map((p) => [p.email, p.fullName, p.organization, p.country])).toContainEqual(['asking.person@example.org', 'Asking Person', 'Example Org', 'DK']);
    expect(await signedInAs(requesting)).toBeUndefined();
    // A second try does not file a second request.
    requesting.browser.jar.clear();
    const again = await requesting.browser.signIn(new URL('/login/oidc', requesting.base), 'requester', '/login/oidc/callback');
    expect(again.status).toBe(409);
    expect(await requesting.t.site.signups.list({ status: 'pending' })).toHaveLength(1);
  });

  it('refuses a callback that no sign-in started here (forged state), counting it', async () => {
    const browser = new Browser(await readFile(direct.t.caCertPath));
    const before = await direct.t.site.db.selectFrom('auth_failures').selectAll().execute();
    const res = await browser.request(new URL('/login/oidc/callback?code=forged&state=forged', direct.base));
    expect(res.status).toBe(400);
    expect(res.body).toContain('does not belong to a sign-in started here');
    expect(await authLog(direct)).toMatch(/method=oidc user="" address=127\.0\.0\.1 reason=invalid-callback/);
    const after = await direct.t.site.db.selectFrom('auth_failures').selectAll().execute();
    expect(after.length).toBeGreaterThan(before.length);
  });

  it('refuses a callback whose state does not match the session', async () => {
    direct.browser.jar.clear();
    const start = await direct.browser.request(new URL('/login/oidc', direct.base));
    expect(start.status).toBe(303);
    const res = await direct.browser.request(new URL('/login/oidc/callback?code=abc&state=not-the-state', direct.base));
    expect(res.status).toBe(400);
    expect(await signedInAs(direct)).toBeUndefined();
  });

  it('adds the "Sign in with" link to the sign-in page, keeping a safe next and dropping a hostile one', async () => {
    const ctx = { site: direct.t.site, layout: { title: 'MiG' }, now: Date.now, baseUrl: direct.base };
    const render = (query: Record<string, string>): string =>
      loginPageExtras.map((extra) => extra({ query } as unknown as FastifyRequest, ctx).value).join('');
    expect(render({})).toContain('<a class="button secondary" href="/login/oidc">Sign in with Test IdP</a>');
    expect(render({ next: '/files?x=1' })).toContain('href="/login/oidc?next=%2Ffiles%3Fx%3D1"');
    expect(render({ next: '//evil.example/x' })).toContain('href="/login/oidc"');
    const off = { ...ctx, site: { ...direct.t.site, config: { ...direct.t.site.config, oidc: { ...direct.t.site.config.oidc, enabled: false } } } };
    expect(loginPageExtras.map((extra) => extra({ query: {} } as unknown as FastifyRequest, off).value).join('')).not.toContain('/login/oidc');
  });

  it('answers 404 on both routes while [oidc] is off', async () => {
    const t = await openTestSite();
    try {
      const app = await createWebApp({ site: t.site });
      expect((await app.inject({ method: 'GET', url: '/login/oidc' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/login/oidc/callback?code=x&state=y' })).statusCode).toBe(404);
      await app.close();
    } finally {
      await t.close();
    }
  });
});
