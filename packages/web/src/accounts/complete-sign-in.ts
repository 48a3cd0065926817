/**
 * The last step every sign-in method shares (password, OpenID Connect, certificate): once the
 * first factor is proven, check the account, ask for the TOTP code when the user enrolled one,
 * then start the session (a fresh id), audit and redirect to `next`.
 * @packageDocumentation
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { accountUsable } from '../plugins/authentication.js';
import { PENDING_RENEWAL_KEY, PENDING_TOTP_KEY, clearPending, safeNext, setPending } from './pending-sign-in.js';

/** Options of {@link completeSignIn}. */
export interface CompleteSignInOptions {
  /** Where to go afterwards; only same-site relative paths are honoured (default `/files`). */
  readonly next?: string | undefined;
  /** How the first factor was proven (`password`, `oidc`, `certificate`), for the audit log. */
  readonly method?: string | undefined;
  /** True when the TOTP code was checked already (the `/login/totp` step itself). */
  readonly secondFactorDone?: boolean | undefined;
}

/** Path of the second-factor step. */
export const TOTP_STEP_PATH = '/login/totp';
/** Path of the renewal page an expired account is sent to. */
export const RENEWAL_PATH = '/login/renew';

/**
 * Finishes a sign-in of `userId`, whose first factor the caller has verified:
 * - a suspended/retired account → `MIG_E_ACCOUNT_DISABLED` (thrown; the error page shows it);
 * - an expired account → redirect to the renewal page (`/login/renew`, pending for 5 minutes);
 * - per-protocol switch `web` off → `MIG_E_PROTOCOL_DISABLED`;
 * - TOTP enabled and not yet checked → redirect to `/login/totp` (pending for 5 minutes);
 * - else `request.session.signIn(userId)`, an `auth.web-sign-in` audit entry, and a 303 to `next`.
 *
 * @example
 * ```ts
 * const { userId } = await ctx.site.auth.authenticatePassword({ login, password, address: request.ip, protocol: 'https' });
 * return completeSignIn(ctx, request, reply, userId, { next: body.next, method: 'password' });
 * ```
 */
export async function completeSignIn(
  ctx: WebContext,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: string,
  options: CompleteSignInOptions = {},
): Promise<FastifyReply> {
  const { site } = ctx;
  const now = ctx.now();
  const next = safeNext(options.next);
  const method = options.method ?? 'password';
  const user = await site.users.get(userId);
  if (user.status === 'suspended' || user.status === 'retired') {
    throw new AuthError('MIG_E_ACCOUNT_DISABLED', 'This account is disabled; contact the site administrators.');
  }
  if (!accountUsable(user, now)) {
    clearPending(request, PENDING_TOTP_KEY);
    setPending(request, PENDING_RENEWAL_KEY, { userId, next, method }, now);
    return reply.redirect(RENEWAL_PATH, 303);
  }
  if (!user.settings.protocols.web) {
    throw new AuthError('MIG_E_PROTOCOL_DISABLED', 'Web sign-in is switched off for this account; ask the site administrators to turn it on again.');
  }
  if (options.secondFactorDone !== true) {
    const totp = await site.totp.status(userId);
    if (totp.enabled) {
      setPending(request, PENDING_TOTP_KEY, { userId, next, method }, now);
      return reply.redirect(TOTP_STEP_PATH, 303);
    }
  }
  request.session.signIn(userId);
  await site.audit
    .record({ actor: `user:${userId}`, action: 'auth.web-sign-in', target: userId, outcome: 'success', address: request.ip, details: { method, secondFactor: options.secondFactorDone === true } })
    .catch(() => undefined);
  return reply.redirect(next, 303);
}
