/**
 * Routes whose request body is raw bytes streamed from `request.raw` (file uploads): registered in
 * an encapsulated scope where every content type is accepted and left unread, so neither the JSON
 * parser nor the app's `bodyLimit` ever touches the bytes.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';

/** Registers `routes` in a scope whose bodies stay unread streams (read `request.raw`). */
export async function registerRawBodyRoutes(app: FastifyInstance, routes: (scope: FastifyInstance) => void): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    routes(scope);
  });
}
