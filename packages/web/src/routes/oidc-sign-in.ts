/**
 * Sign-in with an external OpenID Connect provider (MiG's extoidc login plus its `autocreate`):
 * `GET /login/oidc` sends the browser to the provider with state, nonce and PKCE kept in the
 * session; the callback (`[oidc] redirect_path`) lets openid-client check the answer, finds the
 * account by the provider's verified email and signs in. Someone without an account is refused,
 * gets a sign-up request filed, or gets an account, as `[oidc] auto_create` and `user_permit`
 * say. Every refusal is a clear page, an auth-log line and a defender count.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { isMigError, type OidcSection, type Site } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { completeSignIn } from '../accounts/complete-sign-in.js';
import { addLoginPageExtra, type LoginPageExtra } from '../accounts/login-extras.js';
import { safeNext } from '../accounts/pending-sign-in.js';
import { html, type SafeHtml } from '../html/html.js';
import { sendPage } from '../html/layout.js';
import { identityFromClaims, permittedByFilters, verifiedEmail, type OidcClaims } from '../oidc/oidc-claims.js';
import { OidcRelyingParty, type OidcPendingLogin } from '../oidc/oidc-relying-party.js';

/** Path that starts an OpenID Connect sign-in. */
export const OIDC_LOGIN_PATH = '/login/oidc';
/** Session key of the sign-in waiting for the provider's answer. */
export const OIDC_PENDING_KEY = 'oidcLogin';
/** How long the provider may take to send the browser back (10 minutes). */
export const OIDC_PENDING_MS = 10 * 60_000;

/** The "Sign in with …" link of the sign-in page, when OIDC is on. */
const oidcLoginLink: LoginPageExtra = (request, ctx) => {
  const oidc = ctx.site.config.oidc;
  if (!oidc.enabled) return html``;
  const next = (request.query as Record<string, unknown> | undefined)?.next;
  const target = typeof next === 'string' && safeNext(next, '') !== '' ? `${OIDC_LOGIN_PATH}?next=${encodeURIComponent(next)}` : OIDC_LOGIN_PATH;
  return html`<p class="login-extra"><a class="button secondary" href="${target}">Sign in with ${oidc.display_name}</a></p>`;
};

function readPending(value: unknown): OidcPendingLogin | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const p = value as Partial<Record<keyof OidcPendingLogin, unknown>>;
  if (typeof p.state !== 'string' || typeof p.nonce !== 'string' || typeof p.verifier !== 'string' || typeof p.next !== 'string' || typeof p.until !== 'number') return undefined;
  return { state: p.state, nonce: p.nonce, verifier: p.verifier, next: p.next, until: p.until };
}

/** Why a sign-in was refused: the auth-log reason word and what the person reads. */
interface Refusal {
  readonly reason: string;
  readonly status: number;
  readonly title: string;
  readonly message: SafeHtml | string;
  /** Counted by the defender (everything except the provider saying no, e.g. the user cancelled). */
  readonly count: boolean;
}

function sendRefusal(ctx: WebContext, reply: FastifyReply, refusal: Refusal): FastifyReply {
  return sendPage(reply, ctx.layout, {
    title: refusal.title,
    status: refusal.status,
    body: html`<section class="card narrow error" role="alert"><h1>${refusal.title}</h1><p>${refusal.message}</p>
<p class="actions"><a class="button" href="/login">Back to sign-in</a></p></section>`,
  });
}

async function refuse(ctx: WebContext, request: FastifyRequest, reply: FastifyReply, username: string, refusal: Refusal): Promise<FastifyReply> {
  const { site } = ctx;
  await site.authLog
    .attempt({ outcome: 'failure', protocol: 'https', method: 'oidc', username, address: request.ip, reason: refusal.reason })
    .catch((err: unknown) => request.log.warn({ err }, 'auth log write failed'));
  if (refusal.count) {
    await site.defender.recordFailure({ address: request.ip, username, protocol: 'https' }).catch((err: unknown) => request.log.warn({ err }, 'defender update failed'));
  }
  return sendRefusal(ctx, reply, refusal);
}

async function notifyAdmins(site: Site, request: FastifyRequest, email: string, fullName: string): Promise<void> {
  const admin = site.config.site.admin_email;
  if (admin === undefined) return;
  await site.notifier
    .send({
      to: [admin],
      subject: `${site.config.site.short_title}: account request from ${email}`,
      text: `${fullName} <${email}> signed in with ${site.config.oidc.display_name} and asked for an account.\nReview the request on the admin pages or with mig.\n`,
      topic: 'signup.requested',
    })
    .catch((err: unknown) => request.log.warn({ err }, 'admin notification failed'));
}

/** The person has no account: refuse, file a request or create one, as `[oidc] auto_create` says. */
async function withoutAccount(
  ctx: WebContext, request: FastifyRequest, reply: FastifyReply, oidc: OidcSection, claims: OidcClaims, email: string, next: string,
): Promise<FastifyReply> {
  const { site } = ctx;
  if (oidc.auto_create === 'none') {
    return refuse(ctx, request, reply, email, {
      reason: 'no-account', status: 403, count: true, title: 'No account',
      message: `No account of this site uses ${email}. Ask the site administrators for one, or sign in another way.`,
    });
  }
  if (!permittedByFilters(claims, oidc.user_permit, email)) {
    return refuse(ctx, request, reply, email, {
      reason: 'not-permitted', status: 403, count: true, title: 'No account for you here',
      message: `This site does not give accounts to ${email} automatically. Contact the site administrators if you should have one.`,
    });
  }
  const identity = identityFromClaims(claims, oidc, email);
  const subject = typeof claims.sub === 'string' ? claims.sub.slice(0, 255) : '';
  const comment = `OpenID Connect sign-in with ${oidc.display_name}${subject === '' ? '' : ` (subject ${subject})`}`.replace(/[<>]/g, '');
  try {
    if (oidc.auto_create === 'request') {
      const request_ = await site.signups.submit({ ...identity, comment });
      await site.audit.record({ actor: 'anonymous', action: 'signup.submit', target: request_.id, outcome: 'success', address: request.ip, details: { method: 'oidc' } }).catch(() => undefined);
      if (request_.status === 'accepted' && request_.userId !== null) {
        await site.authLog.attempt({ outcome: 'success', protocol: 'https', method: 'oidc', username: email, address: request.ip, reason: 'ok' }).catch(() => undefined);
        return completeSignIn(ctx, request, reply, request_.userId, { next, method: 'oidc' });
      }
      await notifyAdmins(site, request, email, request_.fullName);
      await site.authLog.attempt({ outcome: 'failure', protocol: 'https', method: 'oidc', username: email, address: request.ip, reason: 'signup-requested' }).catch(() => undefined);
      return sendPage(reply, ctx.layout, {
        title: 'Account requested',
        status: 202,
        body: html`<section class="card narrow"><h1>Account requested</h1>
<p class="notice ok" role="status">You have no account here yet, so a request for one was sent to the site administrators, for ${request_.fullName} &lt;${email}&gt;.</p>
<p>You will get an email when it has been decided. Then sign in with ${oidc.display_name} again.</p></section>`,
      });
    }
    const user = await site.users.create({ ...identity, comment, acceptedTerms: false });
    await site.audit.record({ actor: `user:${user.id}`, action: 'user.create', target: user.id, outcome: 'success', address: request.ip, details: { method: 'oidc', autoCreate: true } }).catch(() => undefined);
    await site.authLog.attempt({ outcome: 'success', protocol: 'https', method: 'oidc', username: email, address: request.ip, reason: 'ok' }).catch(() => undefined);
    return await completeSignIn(ctx, request, reply, user.id, { next, method: 'oidc' });
  } catch (err) {
    if (isMigError(err, 'MIG_E_SIGNUP_EXISTS')) {
      return refuse(ctx, request, reply, email, {
        reason: 'signup-pending', status: 409, count: false, title: 'Request already pending',
        message: `A request for an account for ${email} is already waiting for the site administrators. You will get an email when it has been decided.`,
      });
    }
    if (isMigError(err, 'MIG_E_INVALID_INPUT') || isMigError(err, 'MIG_E_INVALID_DN') || isMigError(err, 'MIG_E_USER_EXISTS')) {
      return refuse(ctx, request, reply, email, {
        reason: 'bad-claims', status: 403, count: false, title: 'No account could be made',
        message: `The details ${oidc.display_name} sent cannot make an account here (${err.message}) Contact the site administrators.`,
      });
    }
    throw err;
  }
}

/** The provider sent the browser back: check everything, then sign in (or refuse). */
async function callback(ctx: WebContext, party: OidcRelyingParty, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { site } = ctx;
  const oidc = site.config.oidc;
  const decision = await site.defender.check({ address: request.ip, username: '', protocol: 'https' });
  if (!decision.allowed) {
    return refuse(ctx, request, reply, '', {
      reason: 'banned', status: 429, count: false, title: 'Too many failed sign-ins',
      message: `Too many failed sign-ins came from your address; try again after ${new Date(decision.until).toISOString()}.`,
    });
  }
  const pending = readPending(request.session.get(OIDC_PENDING_KEY));
  if (pending !== undefined) request.session.set(OIDC_PENDING_KEY, undefined); // one use only
  if (pending === undefined || pending.until <= ctx.now()) {
    return refuse(ctx, request, reply, '', {
      reason: 'invalid-callback', status: 400, count: true, title: 'Sign-in not recognised',
      message: 'This sign-in answer does not belong to a sign-in started here, or it came too late. Start again from the sign-in page.',
    });
  }
  let claims: OidcClaims;
  try {
    // The registered redirect URI with the parameters the provider added (the site may sit below a path prefix).
    const callbackUrl = new URL(party.redirectUri);
    callbackUrl.search = new URL(request.url, 'https://callback.invalid').search;
    claims = await party.finish(callbackUrl, pending);
  } catch (err) {
    if (err instanceof client.AuthorizationResponseError) {
      return refuse(ctx, request, reply, '', {
        reason: 'provider-refused', status: 403, count: false, title: 'Sign-in cancelled',
        message: `${oidc.display_name} did not sign you in (${err.error.slice(0, 64)}). Try again, or sign in another way.`,
      });
    }
    request.log.warn({ err }, 'OpenID Connect callback refused');
    return refuse(ctx, request, reply, '', {
      reason: 'invalid-callback', status: 400, count: true, title: 'Sign-in not accepted',
      message: `The answer from ${oidc.display_name} could not be verified. Start again from the sign-in page.`,
    });
  }
  const found = verifiedEmail(claims, oidc);
  const subject = typeof claims.sub === 'string' ? claims.sub : '';
  if ('problem' in found) {
    return refuse(ctx, request, reply, subject, {
      reason: found.problem === 'missing' ? 'no-email' : 'email-not-verified', status: 403, count: true,
      title: found.problem === 'missing' ? 'No email address' : 'Email address not verified',
      message: found.problem === 'missing'
        ? `${oidc.display_name} did not tell us your email address, which identifies you here. Allow sharing it, or ask the site administrators.`
        : `${oidc.display_name} has not verified your email address. Verify it there first, then sign in again.`,
    });
  }
  const { email } = found;
  const next = safeNext(pending.next);
  const user = await site.users.find(email);
  if (user === undefined || user.email !== email) return withoutAccount(ctx, request, reply, oidc, claims, email, next);
  await site.defender.recordSuccess({ address: request.ip, username: email, protocol: 'https' }).catch(() => undefined);
  try {
    const answer = await completeSignIn(ctx, request, reply, user.id, { next, method: 'oidc' });
    await site.authLog.attempt({ outcome: 'success', protocol: 'https', method: 'oidc', username: email, address: request.ip, reason: 'ok' }).catch(() => undefined);
    return answer;
  } catch (err) {
    if (isMigError(err, 'MIG_E_ACCOUNT_DISABLED') || isMigError(err, 'MIG_E_PROTOCOL_DISABLED')) {
      return refuse(ctx, request, reply, email, {
        reason: err.code === 'MIG_E_ACCOUNT_DISABLED' ? 'account-disabled' : 'protocol-disabled', status: 403, count: true,
        title: 'Sign-in refused', message: err.message,
      });
    }
    throw err;
  }
}

/**
 * Registers `GET /login/oidc` and the callback at `[oidc] redirect_path` (both answer 404 while
 * `[oidc] enabled` is false), and the sign-in page's "Sign in with <display_name>" link.
 */
export function registerOidcRoutes(app: FastifyInstance, ctx: WebContext): void {
  const oidc = ctx.site.config.oidc;
  addLoginPageExtra(oidcLoginLink);
  const party = new OidcRelyingParty(oidc, `${ctx.baseUrl}${oidc.redirect_path}`);
  const notEnabled = (reply: FastifyReply): FastifyReply => sendPage(reply, ctx.layout, {
    title: 'Not found', status: 404,
    body: html`<section class="card narrow"><h1>Not found</h1><p>OpenID Connect sign-in is not enabled on this site.</p><p><a href="/login">Sign in</a></p></section>`,
  });

  app.get(OIDC_LOGIN_PATH, {
    schema: { querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 2048 } } } },
  }, async (request, reply) => {
    if (!oidc.enabled) return notEnabled(reply);
    const next = safeNext((request.query as { next?: string }).next);
    let started: Awaited<ReturnType<OidcRelyingParty['begin']>>;
    try {
      started = await party.begin(next, ctx.now(), OIDC_PENDING_MS);
    } catch (err) {
      request.log.warn({ err }, 'OpenID Connect provider unavailable');
      return sendPage(reply, ctx.layout, {
        title: 'Provider unavailable', status: 502,
        body: html`<section class="card narrow error" role="alert"><h1>Provider unavailable</h1><p>${oidc.display_name} cannot be reached right now. Try again later, or sign in another way.</p><p><a class="button" href="/login">Back to sign-in</a></p></section>`,
      });
    }
    request.session.set(OIDC_PENDING_KEY, started.pending);
    return reply.header('cache-control', 'no-store').redirect(started.url, 303);
  });

  app.get(oidc.redirect_path, {
    schema: { querystring: { type: 'object', properties: { code: { type: 'string', maxLength: 4096 }, state: { type: 'string', maxLength: 1024 }, error: { type: 'string', maxLength: 256 } } } },
  }, async (request, reply) => {
    if (!oidc.enabled) return notEnabled(reply);
    reply.header('cache-control', 'no-store');
    return callback(ctx, party, request, reply);
  });
}
