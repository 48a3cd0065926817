/**
 * Half-finished sign-ins kept in the (anonymous) session: the password (or OIDC, or certificate)
 * was right but a second factor is still due, or the account has expired and may be renewed.
 * Each lives {@link PENDING_SIGN_IN_MS} and names the user, so the next step needs no secret again.
 * @packageDocumentation
 */
import type { FastifyRequest } from 'fastify';

/** How long a pending sign-in step stays valid (5 minutes). */
export const PENDING_SIGN_IN_MS = 5 * 60_000;

/** Session key of a sign-in waiting for its TOTP code. */
export const PENDING_TOTP_KEY = 'pendingTotp';
/** Session key of a sign-in stopped by an expired account (the renewal page). */
export const PENDING_RENEWAL_KEY = 'pendingRenewal';

/** A pending step, as stored in the session. */
export interface PendingSignIn {
  readonly userId: string;
  /** Where to go once signed in (already checked with `safeNext`). */
  readonly next: string;
  /** How the first step was done (`password`, `oidc`, `certificate`), for the audit log. */
  readonly method: string;
  /** Epoch ms after which the step is void. */
  readonly until: number;
}

/** Stores a pending step. */
export function setPending(request: FastifyRequest, key: string, pending: Omit<PendingSignIn, 'until'>, now: number): void {
  request.session.set(key, { ...pending, until: now + PENDING_SIGN_IN_MS });
}

/** The pending step under `key` if it is well-formed and not expired (an expired one is removed). */
export function getPending(request: FastifyRequest, key: string, now: number): PendingSignIn | undefined {
  const value = request.session.get<Partial<PendingSignIn>>(key);
  if (typeof value !== 'object' || value === null) return undefined;
  const { userId, next, method, until } = value;
  if (typeof userId !== 'string' || typeof next !== 'string' || typeof method !== 'string' || typeof until !== 'number' || until <= now) {
    request.session.set(key, undefined);
    return undefined;
  }
  return { userId, next, method, until };
}

/** Removes a pending step. */
export function clearPending(request: FastifyRequest, key: string): void {
  if (request.session.get(key) !== undefined) request.session.set(key, undefined);
}

/**
 * `next` if it is a same-site relative path (`/files?x=1`), else `fallback`. Refuses absolute and
 * protocol-relative URLs (`//evil`, `/\evil`), control characters and over-long values, so a
 * sign-in link can never redirect elsewhere.
 */
export function safeNext(next: unknown, fallback = '/files'): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  if (/[\u0000-\u001f\u007f\\]/u.test(next)) return fallback;
  if (next === '/login' || next.startsWith('/login?') || next.startsWith('/login/') || next.startsWith('/logout')) return fallback;
  return next;
}
