/**
 * Everything of the file manager: the files, trash and uploads APIs and the `/files` page.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../app/web-context.js';
import { registerFilesApiRoutes } from './files-api.js';
import { registerFilesArchiveRoutes } from './files-archive-api.js';
import { registerFilesPages } from './files-pages.js';
import { registerTrashApiRoutes } from './trash-api.js';
import { registerUploadsApiRoutes } from './uploads-api.js';

/** Registers the file manager's routes. */
export async function registerFilesRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  await registerFilesApiRoutes(app, ctx);
  registerFilesArchiveRoutes(app, ctx);
  registerTrashApiRoutes(app, ctx);
  await registerUploadsApiRoutes(app, ctx);
  registerFilesPages(app, ctx);
}
