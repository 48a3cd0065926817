/**
 * `GET /`: the files of a signed-in user, the sign-in page for everyone else.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';

/** Registers the start page. */
export function registerStartPage(app: FastifyInstance): void {
  app.get('/', async (request, reply) => reply.redirect(request.auth === undefined ? '/login' : '/files', 303));
}
