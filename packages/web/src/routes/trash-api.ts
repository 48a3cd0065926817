/**
 * Deleting to the trash and the trash API (`/api/v1/files/delete`, `/api/v1/trash…`), over the
 * core's trash (each root's hidden `.trash`). Restoring never overwrites: a taken name comes back
 * as `name (restored)`.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import { createTrash, type TrashItem } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { fileErrorResponses, pathString, trashItemSchema, entrySchema } from '../files/file-json.js';
import { viewOf } from '../files/view-access.js';
import { statEntry } from './files-api.js';

/** The API form of a trash item. */
export function trashItemJson(item: TrashItem): Record<string, unknown> {
  return { id: item.id, originalPath: item.originalPath, name: item.name, type: item.type, size: item.size, deletedAt: item.deletedAt.toISOString() };
}

const idString = { type: 'string', minLength: 1, maxLength: 64 } as const;

/** Registers delete and the trash routes. */
export function registerTrashApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.post<{ Body: { paths: string[]; permanent?: boolean } }>('/api/v1/files/delete', {
    schema: {
      tags: ['files', 'trash'],
      summary: 'Delete entries (to the trash, or for good with permanent)',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['paths'],
        properties: { paths: { type: 'array', minItems: 1, maxItems: 1000, items: pathString }, permanent: { type: 'boolean' } },
      },
      response: {
        200: {
          type: 'object',
          properties: { trashed: { type: 'array', items: trashItemSchema }, deleted: { type: 'integer' } },
        },
        ...fileErrorResponses,
      },
    },
  }, async (request) => {
    const { view } = await viewOf(ctx, request, 'write');
    if (request.body.permanent === true) {
      let deleted = 0;
      for (const path of request.body.paths) {
        await view.remove(path, { recursive: true });
        deleted += 1;
      }
      return { deleted };
    }
    const trash = createTrash(view, { now: ctx.now });
    const trashed: Array<Record<string, unknown>> = [];
    for (const path of request.body.paths) trashed.push(trashItemJson(await trash.moveToTrash(path)));
    return { trashed };
  });

  app.get('/api/v1/trash', {
    schema: {
      tags: ['trash'],
      summary: 'The items in the trash, newest first',
      response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: trashItemSchema } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const { view } = await viewOf(ctx, request, 'read');
    return { items: (await createTrash(view).list()).map(trashItemJson) };
  });

  app.post<{ Body: { ids: string[] } }>('/api/v1/trash/restore', {
    schema: {
      tags: ['trash'],
      summary: 'Restore items (a taken name comes back as "name (restored)")',
      body: { type: 'object', additionalProperties: false, required: ['ids'], properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, items: idString } } },
      response: { 200: { type: 'object', required: ['restored'], properties: { restored: { type: 'array', items: entrySchema } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const { view } = await viewOf(ctx, request, 'write');
    const trash = createTrash(view);
    const restored = [];
    for (const id of request.body.ids) restored.push(await statEntry(view, await trash.restore(id)));
    return { restored };
  });

  app.post<{ Body: { ids?: string[] } }>('/api/v1/trash/empty', {
    schema: {
      tags: ['trash'],
      summary: 'Empty the trash (or remove only the given items for good)',
      body: { type: 'object', additionalProperties: false, properties: { ids: { type: 'array', maxItems: 1000, items: idString } } },
      response: { 200: { type: 'object', required: ['removed'], properties: { removed: { type: 'integer' } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const { view } = await viewOf(ctx, request, 'write');
    const trash = createTrash(view);
    const ids = request.body?.ids;
    if (ids === undefined) return { removed: await trash.empty() };
    for (const id of ids) await trash.purge(id);
    return { removed: ids.length };
  });
}
