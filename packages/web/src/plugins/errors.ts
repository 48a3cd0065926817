/**
 * One error answer for the whole app. The API (`/api/…`) answers JSON `{ code, message }` with the
 * core's stable codes and HTTP statuses; pages answer an HTML page (messages escaped), and a page
 * that needs a signed-in user redirects to the sign-in page. Unexpected errors are logged and
 * answered `MIG_E_INTERNAL` without internals.
 * @packageDocumentation
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isMigError, MigError } from '@migrid/core';
import { html } from '../html/html.js';
import { sendPage, type LayoutSite } from '../html/layout.js';

/** The JSON error body of the API. */
export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** True for requests answered with JSON. */
export function wantsJson(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/') || request.url === '/healthz';
}

function classify(err: unknown): { status: number; body: ApiErrorBody; internal: boolean } {
  if (isMigError(err)) {
    return { status: err.status, body: { code: err.code, message: err.message, ...(err.details !== undefined && { details: err.details }) }, internal: err.status >= 500 };
  }
  const fe = err as FastifyError;
  if (fe.validation !== undefined) {
    return { status: 400, body: { code: 'MIG_E_INVALID_INPUT', message: `Invalid request: ${fe.message}.` }, internal: false };
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, body: { code: 'MIG_E_TOO_LARGE', message: 'The request body is too large.' }, internal: false };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { code: 'MIG_E_INVALID_INPUT', message: `Invalid request: ${fe.message}.` }, internal: false };
  }
  return { status: 500, body: { code: 'MIG_E_INTERNAL', message: 'Something went wrong on the server; it has been logged. Try again, or contact the site administrators.' }, internal: true };
}

/** Sends an error answer (for use in routes that catch errors themselves). */
export function sendError(request: FastifyRequest, reply: FastifyReply, site: LayoutSite, err: unknown): FastifyReply {
  const { status, body, internal } = classify(err);
  if (internal) request.log.error({ err }, 'request failed');
  if (reply.sent || reply.raw.headersSent) return reply;
  if (wantsJson(request)) return reply.status(status).type('application/json; charset=utf-8').send(body);
  if (body.code === 'MIG_E_NOT_SIGNED_IN' && request.method === 'GET') {
    return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
  }
  return sendPage(reply, site, {
    title: status === 404 ? 'Not found' : 'Error',
    status,
    body: html`<section class="card error" role="alert"><h1>${status === 404 ? 'Not found' : 'That did not work'}</h1><p>${body.message}</p><p class="code">${body.code}</p><p><a href="/">Back to the start page</a></p></section>`,
  });
}

/** Installs the error and not-found handlers. */
export function registerErrors(app: FastifyInstance, site: LayoutSite): void {
  app.setErrorHandler((err, request, reply) => sendError(request, reply, site, err));
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, site, new MigError('MIG_E_NOT_FOUND', `No such page or API route: ${request.method} ${request.url.split('?')[0] ?? ''}.`)),
  );
}
