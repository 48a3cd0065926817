/**
 * `GET /healthz`: is the server up and its database answering? For load balancers and monitors.
 * @packageDocumentation
 */
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../app/web-context.js';

/** Registers the health endpoint. */
export function registerHealthRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/healthz', { config: { csrf: false } }, async (_request, reply) => {
    const started = Date.now();
    try {
      await sql`select 1`.execute(ctx.site.db);
      return { status: 'ok', database: 'ok', databaseMs: Date.now() - started };
    } catch {
      return reply.status(503).send({ status: 'degraded', database: 'unreachable' });
    }
  });
}
