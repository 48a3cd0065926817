/**
 * Certificate sign-in over real HTTPS: the web server asks for client certificates of the site
 * CA; a certificate it issued signs in, one from another CA is refused (auth log, defender), no
 * certificate gets a clear page. And the settings download of a certificate (PKCS#12 and PEM).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueUserCertificate, verifyCertificateChain } from '@migrid/core';
import { WebServer } from '../src/app/web-server.js';
import { SESSION_COOKIE } from '../src/plugins/sessions.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor } from './support/sessions.js';

const run = promisify(execFile);

let t: TestSite;
let server: WebServer;
let base: URL;
let caPem: string;
let tmp: string;

beforeAll(async () => {
  t = await openTestSite({ config: { logging: { level: 'warn' } } });
  server = new WebServer({ site: t.site });
  const { port } = await server.listen(0, '127.0.0.1');
  base = new URL(`https://127.0.0.1:${port}`);
  caPem = await readFile(t.caCertPath, 'utf8');
  tmp = await mkdtemp(join(tmpdir(), 'mig-cert-test-'));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await t?.close();
  await rm(tmp, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** One HTTPS request trusting the site CA, optionally with a client certificate. */
function get(path: string, options: { cert?: string; key?: string; cookie?: string; method?: string; form?: Record<string, string> } = {}): Promise<Answer> {
  const body = options.form === undefined ? undefined : new URLSearchParams(options.form).toString();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, base), {
      method: options.method ?? 'GET',
      ca: caPem,
      agent: false,
      ...(options.cert !== undefined && { cert: options.cert, key: options.key }),
      headers: {
        accept: 'text/html',
        ...(options.cookie !== undefined && { cookie: options.cookie }),
        ...(body !== undefined && { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) }),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function authLog(): Promise<string> {
  await t.site.authLog.flush();
  return readFile(t.site.paths.authLog, 'utf8').catch(() => '');
}

async function failureCount(): Promise<number> {
  return (await t.site.db.selectFrom('auth_failures').selectAll().execute()).length;
}

async function siteCa(): Promise<{ certPem: string; keyPem: string }> {
  return { certPem: caPem, keyPem: await readFile(join(t.site.config.site.cert_dir, 'ca.key'), 'utf8') };
}

describe('certificate sign-in', () => {
  it('signs in with a certificate issued by the site CA', async () => {
    const { user } = await createTestUser(t.site, { email: 'cert.user@example.org', fullName: 'Cert User' });
    const { certPem, keyPem } = await issueUserCertificate(await siteCa(), { dn: user.dn, validDays: 30 });
    const res = await get('/login/certificate?next=/settings', { cert: certPem, key: keyPem ?? '' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/settings');
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const session = setCookie.find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.split(';')[0];
    expect(session).toBeDefined();
    const account = await get('/api/v1/account', { cookie: session });
    expect(account.status).toBe(200);
    expect(JSON.parse(account.body.toString()).id).toBe(user.id);
    expect(await authLog()).toMatch(/auth success protocol=https method=certificate user="cert.user@example.org" address=127\.0\.0\.1 reason=ok/);
  });

  it('finds the account by the certificate email when the DN changed since', async () => {
    const { user } = await createTestUser(t.site, { email: 'renamed.user@example.org', fullName: 'Old Name' });
    const { certPem, keyPem } = await issueUserCertificate(await siteCa(), { dn: user.dn, validDays: 30 });
    await t.site.users.edit(user.id, { fullName: 'New Name' });
    const res = await get('/login/certificate', { cert: certPem, key: keyPem ?? '' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/files');
  });

  it('refuses a certificate from another CA, with an auth-log line and a defender count', async () => {
    const { user } = await createTestUser(t.site, { email: 'victim.user@example.org' });
    const otherCa = await createCertificateAuthority({ commonName: 'Evil CA', validDays: 30 });
    const forged = await issueUserCertificate(otherCa, { dn: user.dn, validDays: 30 });
    expect(verifyCertificateChain(caPem, forged.certPem).valid).toBe(false);
    const before = await failureCount();
    const res = await get('/login/certificate', { cert: forged.certPem, key: forged.keyPem ?? '' });
    expect(res.status).toBe(403);
    expect(res.body.toString()).toContain('was not issued by this site');
    // Any session the refusal page made is anonymous.
    const session = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.split(';')[0];
    if (session !== undefined) expect((await get('/api/v1/account', { cookie: session })).status).toBe(401);
    expect(await authLog()).toMatch(/auth failure protocol=https method=certificate user="victim.user@example.org" address=127\.0\.0\.1 reason=untrusted-certificate/);
    expect(await failureCount()).toBeGreaterThan(before);
  });

  it('refuses a site certificate whose account no longer exists', async () => {
    const { user } = await createTestUser(t.site, { email: 'gone.user@example.org' });
    const { certPem, keyPem } = await issueUserCertificate(await siteCa(), { dn: user.dn, validDays: 30 });
    await t.site.users.delete(user.id, { purge: true });
    const res = await get('/login/certificate', { cert: certPem, key: keyPem ?? '' });
    expect(res.status).toBe(403);
    expect(res.body.toString()).toContain('No account of this site matches your certificate');
    expect(await authLog()).toMatch(/user="gone.user@example.org" address=127\.0\.0\.1 reason=no-account/);
  });

  it('refuses the certificate of a suspended account', async () => {
    const { user } = await createTestUser(t.site, { email: 'suspended.user@example.org' });
    const { certPem, keyPem } = await issueUserCertificate(await siteCa(), { dn: user.dn, validDays: 30 });
    await t.site.users.suspend(user.id, 'test');
    const res = await get('/login/certificate', { cert: certPem, key: keyPem ?? '' });
    expect(res.status).toBe(403);
    expect(await authLog()).toMatch(/user="suspended.user@example.org" address=127\.0\.0\.1 reason=account-disabled/);
  });

  it('explains what to do when the browser sends no certificate', async () => {
    const res = await get('/login/certificate');
    expect(res.status).toBe(401);
    expect(res.body.toString()).toContain('Your browser sent no client certificate');
  });
});

describe('certificate download in the settings', () => {
  it('issues a PKCS#12 bundle protected by the typed password, which signs in', async () => {
    const { user } = await createTestUser(t.site, { email: 'p12.user@example.org', fullName: 'Pkcs Twelve' });
    const s = await sessionFor(t.site, user.id);
    const form = await get('/settings/certificate', { cookie: s.cookie });
    expect(form.status).toBe(200);
    expect(form.body.toString()).toContain('name="password"');
    const res = await get('/settings/certificate', { method: 'POST', cookie: s.cookie, form: { _csrf: s.csrf, format: 'p12', password: 'bundle-secret', days: '10' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-pkcs12');
    expect(String(res.headers['content-disposition'])).toContain('p12.user@example.org.p12');
    const p12 = join(tmp, 'user.p12');
    await writeFile(p12, res.body);
    const { stdout } = await run('openssl', ['pkcs12', '-in', p12, '-passin', 'pass:bundle-secret', '-nodes']);
    expect(stdout).toContain('BEGIN CERTIFICATE');
    expect(stdout).toContain('BEGIN PRIVATE KEY');
    await expect(run('openssl', ['pkcs12', '-in', p12, '-passin', 'pass:wrong-password', '-nodes'])).rejects.toThrow();
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout.slice(stdout.indexOf('Pkcs Twelve')))?.[0] ?? '';
    const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(stdout)?.[0] ?? '';
    expect(verifyCertificateChain(caPem, certPem).valid).toBe(true);
    const login = await get('/login/certificate', { cert: certPem, key: keyPem });
    expect(login.status).toBe(303);
  });

  it('issues PEM, refuses a missing password for p12, and needs the CSRF token and a session', async () => {
    const { user } = await createTestUser(t.site, { email: 'pem.user@example.org' });
    const s = await sessionFor(t.site, user.id);
    const pem = await get('/settings/certificate', { method: 'POST', cookie: s.cookie, form: { _csrf: s.csrf, format: 'pem' } });
    expect(pem.status).toBe(200);
    const text = pem.body.toString();
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0] ?? '';
    const certFile = join(tmp, 'pem-user.pem');
    await writeFile(certFile, certPem);
    const { stdout } = await run('openssl', ['verify', '-CAfile', t.caCertPath, certFile]);
    expect(stdout).toContain(': OK');
    expect(text).toContain('BEGIN PRIVATE KEY');
    const noPassword = await get('/settings/certificate', { method: 'POST', cookie: s.cookie, form: { _csrf: s.csrf, format: 'p12' } });
    expect(noPassword.status).toBe(400);
    const noCsrf = await get('/settings/certificate', { method: 'POST', cookie: s.cookie, form: { format: 'pem' } });
    expect(noCsrf.status).toBe(403);
    const anonymous = await get('/settings/certificate', { method: 'POST', form: { format: 'pem' } });
    expect(anonymous.status).toBeGreaterThanOrEqual(400);
    expect(anonymous.body.toString()).not.toContain('BEGIN PRIVATE KEY');
    const badDays = await get('/settings/certificate', { method: 'POST', cookie: s.cookie, form: { _csrf: s.csrf, format: 'pem', days: '99999999' } });
    expect(badDays.status).toBe(400);
    const tooLong = await get('/settings/certificate', { method: 'POST', cookie: s.cookie, form: { _csrf: s.csrf, format: 'pem', days: '5000' } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.toString()).toContain('days must be a whole number from 1 to 3650');
  });
});
