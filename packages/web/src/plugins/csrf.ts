/**
 * CSRF protection on every state-changing request (POST, PUT, PATCH, DELETE): the request must
 * carry the session's secret token, in the `x-csrf-token` header (scripts) or the `_csrf` form field
 * (HTML forms), and a cross-site `Origin` is refused. Requests authenticated by an API token
 * (`Authorization: Bearer …`) are exempt: browsers never add that header on their own. A route may
 * opt out with `config: { csrf: false }` when it carries its own proof (e.g. the credentials of
 * `POST /api/v1/auth/token`). `[security] csrf_protection` picks the mode as in MiG.
 * @packageDocumentation
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MigError, type CsrfMode } from '@migrid/core';

/** Header scripts send the token in. */
export const CSRF_HEADER = 'x-csrf-token';
/** Form field HTML forms send the token in. */
export const CSRF_FIELD = '_csrf';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` exempts a route from the CSRF check (it must authenticate the request itself). */
    csrf?: boolean;
  }
}

/** The CSRF token of the request's session, creating the session and the secret when needed. */
export function csrfTokenOf(request: FastifyRequest): string {
  let token = request.session.get<string>('csrf');
  if (typeof token !== 'string' || token.length < 32) {
    token = randomBytes(32).toString('base64url');
    request.session.set('csrf', token);
  }
  return token;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** True when the request authenticates with an API token instead of the session. */
export function usesBearerToken(request: FastifyRequest): boolean {
  const header = request.headers.authorization;
  return typeof header === 'string' && /^Bearer\s+\S/i.test(header);
}

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers[CSRF_HEADER];
  if (typeof header === 'string') return header;
  const body = request.body;
  if (typeof body === 'object' && body !== null && !Buffer.isBuffer(body)) {
    const field = (body as Record<string, unknown>)[CSRF_FIELD];
    if (typeof field === 'string') return field;
  }
  return undefined;
}

function crossOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

/** Adds the CSRF check (a preHandler, so form bodies are parsed). */
export function registerCsrf(app: FastifyInstance, mode: CsrfMode): void {
  if (mode === 'MINIMAL') return;
  app.addHook('preHandler', async (request) => {
    if (SAFE_METHODS.has(request.method)) return;
    if (request.routeOptions.config.csrf === false) return;
    if (usesBearerToken(request)) return;
    if (mode === 'MEDIUM' && request.headers.cookie === undefined) return;
    const expected = request.session.get<string>('csrf');
    const presented = presentedToken(request);
    const ok = !crossOrigin(request) && typeof expected === 'string' && presented !== undefined && sameToken(expected, presented);
    if (ok) return;
    if (mode === 'WARN') {
      request.log.warn({ url: request.url, method: request.method }, 'request without a valid CSRF token (allowed: csrf_protection = WARN)');
      return;
    }
    throw new MigError('MIG_E_CSRF', 'This request lacks a valid CSRF token (the page may be stale): reload the page and try again.');
  });
}
