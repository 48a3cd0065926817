/**
 * X.509 client certificates (MiG's migcert login): `GET /login/certificate` signs in with the
 * certificate the browser presented in the TLS handshake, when the site CA issued it; the
 * settings page `/settings/certificate` issues a certificate and key for the signed-in user, as a
 * password-protected PKCS#12 bundle or as PEM.
 * @packageDocumentation
 */
import type { TLSSocket, PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError, isMigError, pkcs12Bundle, verifyCertificateChain, type UserRecord } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { completeSignIn } from '../accounts/complete-sign-in.js';
import { addLoginPageExtra, type LoginPageExtra } from '../accounts/login-extras.js';
import { safeNext } from '../accounts/pending-sign-in.js';
import { html, type SafeHtml } from '../html/html.js';
import { csrfField, sendPage } from '../html/layout.js';
import { requireUser } from '../plugins/authentication.js';
import { certificateDays, issueSiteUserCertificate, siteCertificateAuthority, MAX_USER_CERT_DAYS } from './certificate-site-ca.js';

/** Path of certificate sign-in. */
export const CERTIFICATE_LOGIN_PATH = '/login/certificate';
/** Path of the certificate download in the settings. */
export const CERTIFICATE_SETTINGS_PATH = '/settings/certificate';

/** The DN fields of a certificate subject, in MiG's order. */
const DN_FIELDS = ['C', 'ST', 'L', 'O', 'OU', 'CN', 'emailAddress'] as const;

/** The "Sign in with your certificate" link of the sign-in page. */
const certificateLoginLink: LoginPageExtra = (request) => {
  const next = (request.query as Record<string, unknown> | undefined)?.next;
  const target = typeof next === 'string' && safeNext(next, '') !== '' ? `${CERTIFICATE_LOGIN_PATH}?next=${encodeURIComponent(next)}` : CERTIFICATE_LOGIN_PATH;
  return html`<p class="login-extra"><a class="button secondary" href="${target}">Sign in with your user certificate</a></p>`;
};

/** One value of a subject field (the first, if the certificate repeats it). */
function field(subject: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const value = Object.hasOwn(subject, name) ? subject[name] : undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first.length > 0 && first.length <= 256 ? first : undefined;
}

/**
 * The MiG DN of a certificate subject (`/C=DK/ST=NA/L=NA/O=Org/OU=NA/CN=Name/emailAddress=x`,
 * absent parts `NA`) and its email (the subject's emailAddress, else an rfc822Name alt name).
 */
export function migDnOfPeer(peer: Pick<PeerCertificate, 'subject' | 'subjectaltname'>): { dn: string | undefined; email: string | undefined } {
  const subject = (peer.subject ?? {}) as unknown as Readonly<Record<string, string | string[] | undefined>>;
  const altEmail = /(?:^|,\s*)email:([^,\s]+)/.exec(peer.subjectaltname ?? '')?.[1];
  const email = (field(subject, 'emailAddress') ?? altEmail)?.toLowerCase();
  const parts = DN_FIELDS.map((name) => [name, name === 'emailAddress' ? email : field(subject, name)] as const);
  if (parts.some(([, value]) => value !== undefined && /[/\u0000-\u001f\u007f]/.test(value))) return { dn: undefined, email };
  const cn = field(subject, 'CN');
  const dn = cn === undefined ? undefined : parts.map(([name, value]) => `/${name}=${value ?? 'NA'}`).join('');
  return { dn, email };
}

function page(ctx: WebContext, reply: FastifyReply, status: number, title: string, message: SafeHtml | string): FastifyReply {
  return sendPage(reply, ctx.layout, {
    title,
    status,
    body: html`<section class="card narrow${status >= 400 ? ' error' : ''}" role="${status >= 400 ? 'alert' : 'status'}"><h1>${title}</h1><p>${message}</p>
<p class="actions"><a class="button" href="/login">Back to sign-in</a></p></section>`,
  });
}

async function refuse(ctx: WebContext, request: FastifyRequest, reply: FastifyReply, username: string, reason: string, title: string, message: string, count = true): Promise<FastifyReply> {
  await ctx.site.authLog
    .attempt({ outcome: 'failure', protocol: 'https', method: 'certificate', username, address: request.ip, reason })
    .catch((err: unknown) => request.log.warn({ err }, 'auth log write failed'));
  if (count) {
    await ctx.site.defender.recordFailure({ address: request.ip, username, protocol: 'https' }).catch((err: unknown) => request.log.warn({ err }, 'defender update failed'));
  }
  return page(ctx, reply, 403, title, message);
}

const NO_CERTIFICATE = 'Your browser sent no client certificate. Install the certificate from Settings → Certificate in your browser (or operating system), then open this page again; or sign in with your password.';

/** `GET /login/certificate`: sign in with the TLS client certificate. */
async function certificateSignIn(ctx: WebContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { site } = ctx;
  reply.header('cache-control', 'no-store');
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') {
    return page(ctx, reply, 400, 'No certificate', 'Certificate sign-in needs a direct HTTPS connection to the site. ' + NO_CERTIFICATE);
  }
  const peer = socket.getPeerCertificate(false);
  if (peer === null || typeof peer !== 'object' || !Buffer.isBuffer(peer.raw) || peer.raw.length === 0) {
    return page(ctx, reply, 401, 'No certificate', NO_CERTIFICATE);
  }
  const { dn, email } = migDnOfPeer(peer);
  const username = email ?? dn ?? '';
  const decision = await site.defender.check({ address: request.ip, username, protocol: 'https' });
  if (!decision.allowed) {
    return refuse(ctx, request, reply, username, 'banned', 'Too many failed sign-ins', `Too many failed sign-ins came from your address; try again after ${new Date(decision.until).toISOString()}.`, false);
  }
  // The TLS layer asked for certificates of the site CA but let any through; this is the real check.
  const ca = await siteCertificateAuthority(site);
  let verdict: ReturnType<typeof verifyCertificateChain>;
  try {
    verdict = verifyCertificateChain(ca.certPem, new X509Certificate(peer.raw).toString(), { at: new Date(ctx.now()) });
  } catch {
    return refuse(ctx, request, reply, username, 'bad-certificate', 'Certificate refused', 'The certificate your browser sent cannot be read.');
  }
  if (!verdict.valid) {
    const expired = verdict.reason === 'expired' || verdict.reason === 'not-yet-valid';
    return refuse(
      ctx, request, reply, username, expired ? 'certificate-expired' : 'untrusted-certificate', 'Certificate refused',
      expired
        ? 'Your certificate is not valid now (it has expired). Get a new one in Settings → Certificate after signing in with your password.'
        : 'Your certificate was not issued by this site. Use a certificate from Settings → Certificate of this site, or sign in with your password.',
    );
  }
  let user: UserRecord | undefined;
  if (dn !== undefined) user = await site.users.find(dn).catch((err: unknown) => (isMigError(err, 'MIG_E_INVALID_DN') ? undefined : Promise.reject(err)));
  if (user === undefined && email !== undefined) {
    const byEmail = await site.users.find(email);
    if (byEmail?.email === email) user = byEmail;
  }
  if (user === undefined) {
    return refuse(ctx, request, reply, username, 'no-account', 'No account', 'No account of this site matches your certificate (its name or email address has changed, or the account was deleted). Sign in with your password and get a new certificate.');
  }
  const next = safeNext((request.query as { next?: string }).next);
  try {
    const answer = await completeSignIn(ctx, request, reply, user.id, { next, method: 'certificate' });
    await site.defender.recordSuccess({ address: request.ip, username, protocol: 'https' }).catch(() => undefined);
    await site.authLog.attempt({ outcome: 'success', protocol: 'https', method: 'certificate', username: user.email, address: request.ip, reason: 'ok' }).catch(() => undefined);
    return answer;
  } catch (err) {
    if (isMigError(err, 'MIG_E_ACCOUNT_DISABLED') || isMigError(err, 'MIG_E_PROTOCOL_DISABLED')) {
      return refuse(ctx, request, reply, user.email, err.code === 'MIG_E_ACCOUNT_DISABLED' ? 'account-disabled' : 'protocol-disabled', 'Sign-in refused', err.message);
    }
    throw err;
  }
}

/** File name of a download: the email's safe characters. */
function downloadName(user: UserRecord, ext: string): string {
  return `${user.email.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 100)}.${ext}`;
}

/**
 * Registers certificate sign-in (`GET /login/certificate`), the settings page
 * (`GET /settings/certificate`) and the download (`POST /settings/certificate`, CSRF-protected;
 * form fields `format` = `p12` | `pem`, `password` for p12, optional `days`), and the sign-in
 * page's link.
 */
export function registerCertificateRoutes(app: FastifyInstance, ctx: WebContext): void {
  addLoginPageExtra(certificateLoginLink);

  app.get(CERTIFICATE_LOGIN_PATH, {
    schema: { querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 2048 } } } },
  }, (request, reply) => certificateSignIn(ctx, request, reply));

  app.get(CERTIFICATE_SETTINGS_PATH, async (request, reply) => {
    const user = requireUser(request);
    const days = certificateDays(ctx.site, user, ctx.now());
    return sendPage(reply, ctx.layout, {
      title: 'User certificate',
      body: html`<section class="card narrow"><h1>User certificate</h1>
<p>A certificate lets your browser sign you in without a password (<a href="${CERTIFICATE_LOGIN_PATH}">Sign in with your user certificate</a>). It names you as <code>${user.dn}</code> and is valid for ${days} days.</p>
<p>Each download makes a new certificate and key; keep the file safe, as it signs in as you.</p>
<form method="post" action="${CERTIFICATE_SETTINGS_PATH}" class="stack">${csrfField(request)}
<label>Format <select name="format"><option value="p12">PKCS#12 (.p12) for browsers, protected by a password</option><option value="pem">PEM (certificate and key, unencrypted)</option></select></label>
<label>Password for the .p12 file <input type="password" name="password" autocomplete="new-password" minlength="4" maxlength="1024"></label>
<p class="actions"><button type="submit">Download certificate</button></p>
</form></section>`,
    });
  });

  app.post<{ Body: { format?: string; password?: string; days?: string } }>(CERTIFICATE_SETTINGS_PATH, {
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          _csrf: { type: 'string', maxLength: 256 },
          format: { type: 'string', enum: ['p12', 'pem'] },
          password: { type: 'string', maxLength: 1024 },
          days: { type: 'string', maxLength: 6, pattern: '^[0-9]*$' },
        },
      },
    },
  }, async (request, reply) => {
    const user = requireUser(request);
    const format = request.body?.format ?? 'p12';
    const password = request.body?.password ?? '';
    if (format === 'p12' && password.length < 4) {
      throw new InvalidInputError('Choose a password of at least 4 characters for the .p12 file; you type it again when you import the file.');
    }
    const rawDays = request.body?.days;
    const requested = rawDays === undefined || rawDays === '' ? undefined : Number.parseInt(rawDays, 10);
    if (requested !== undefined && (!Number.isInteger(requested) || requested < 1 || requested > MAX_USER_CERT_DAYS)) {
      throw new InvalidInputError(`days must be a whole number from 1 to ${MAX_USER_CERT_DAYS}.`);
    }
    const days = certificateDays(ctx.site, user, ctx.now(), requested);
    const issued = await issueSiteUserCertificate(ctx.site, user, days);
    await ctx.site.audit
      .record({ actor: `user:${user.id}`, action: 'certificate.issue', target: user.id, outcome: 'success', address: request.ip, details: { days, format } })
      .catch(() => undefined);
    reply.header('cache-control', 'no-store');
    if (format === 'pem') {
      return reply
        .type('application/x-pem-file')
        .header('content-disposition', `attachment; filename="${downloadName(user, 'pem')}"`)
        .send(`${issued.certPem.trim()}\n${(issued.keyPem ?? '').trim()}\n`);
    }
    const p12 = pkcs12Bundle({ certPem: issued.certPem, keyPem: issued.keyPem ?? '', caCertPem: issued.caCertPem, password, friendlyName: `${user.fullName} (${ctx.site.config.site.short_title})`.slice(0, 128) });
    return reply
      .type('application/x-pkcs12')
      .header('content-disposition', `attachment; filename="${downloadName(user, 'p12')}"`)
      .send(p12);
  });
}
