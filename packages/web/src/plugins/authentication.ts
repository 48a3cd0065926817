/**
 * Who is asking: `request.auth` is set from the session (a signed-in browser) or from
 * `Authorization: Bearer <api token>` (scripts, `miguser`). The account's status and expiry are
 * checked on every request, so a suspension or an expiry takes effect at once; a session whose
 * account may no longer sign in is ended.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthError, MigError, type ApiTokenScope, type Site, type UserRecord } from '@migrid/core';
import { usesBearerToken } from './csrf.js';

/** How a request was authenticated. */
export interface RequestAuth {
  /** The account, read fresh for this request. */
  readonly user: UserRecord;
  readonly via: 'session' | 'token';
  /** For tokens: what the token may do. Sessions may do everything the account may. */
  readonly scopes?: readonly ApiTokenScope[];
  /** For tokens: the token's id. */
  readonly tokenId?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `true` for routes that authenticate the request themselves (resource tokens, job session ids). */
    selfAuthenticated?: boolean;
  }
  interface FastifyRequest {
    /** The authenticated caller, or undefined for anonymous requests. */
    auth: RequestAuth | undefined;
  }
}

/** Whether an account may use the site now (MiG: active or temporal, and not past expiry). */
export function accountUsable(user: UserRecord, now: number): boolean {
  return (user.status === 'active' || user.status === 'temporal') && (user.expiresAt === null || user.expiresAt > now);
}

/** Adds `request.auth`. Runs after the session plugin. */
export function registerAuthentication(app: FastifyInstance, site: Site, now: () => number = Date.now): void {
  app.decorateRequest('auth', undefined);
  app.addHook('onRequest', async (request) => {
    request.auth = undefined;
    // Resource agents and job sessions carry their own credentials (see the agent routes).
    if (request.routeOptions.config.selfAuthenticated === true) return;
    if (usesBearerToken(request)) {
      const token = (request.headers.authorization ?? '').replace(/^Bearer\s+/i, '').trim();
      const result = await site.auth.authenticateToken({ token, address: request.ip, protocol: 'https' });
      const user = await site.users.get(result.userId);
      request.auth = { user, via: 'token', scopes: result.scopes, tokenId: result.tokenId };
      return;
    }
    const userId = request.session.userId;
    if (userId === null) return;
    const user = await site.users.get(userId).catch(() => undefined);
    if (user === undefined || !accountUsable(user, now())) {
      request.session.signOut();
      return;
    }
    if (!user.settings.protocols.web) {
      request.session.signOut();
      return;
    }
    request.auth = { user, via: 'session' };
  });
}

const scopeCovers = (have: readonly ApiTokenScope[], need: ApiTokenScope): boolean => {
  if (have.includes(need)) return true;
  const [area, level] = need.split(':');
  return level === 'read' && have.includes(`${area}:write` as ApiTokenScope);
};

/**
 * The signed-in account, or a `MIG_E_NOT_SIGNED_IN` error. With `scope`, an API token must also
 * carry that scope (`…:write` covers `…:read`).
 */
export function requireUser(request: FastifyRequest, scope?: ApiTokenScope): UserRecord {
  const auth = request.auth;
  if (auth === undefined) throw new MigError('MIG_E_NOT_SIGNED_IN', 'Sign in first (or send an API token as "Authorization: Bearer <token>").');
  if (scope !== undefined && auth.via === 'token' && !scopeCovers(auth.scopes ?? [], scope)) {
    throw new AuthError('MIG_E_TOKEN_SCOPE', `This API token lacks the "${scope}" scope; create a token with it in your settings.`);
  }
  return auth.user;
}

/** The signed-in admin, or `MIG_E_NOT_SIGNED_IN` / `MIG_E_FORBIDDEN`. Tokens need the `admin` scope. */
export function requireAdmin(request: FastifyRequest): UserRecord {
  const user = requireUser(request, 'admin');
  if (!user.roles.includes('admin')) throw new MigError('MIG_E_FORBIDDEN', 'Only site administrators may do this.');
  return user;
}
