/**
 * Resumable uploads (`/api/v1/uploads…`) for big files in chunks: start, append a chunk at an
 * offset (409 `MIG_E_UPLOAD_OFFSET` with the right offset in `details.offset`), ask where it
 * stands, complete, cancel. Backed by the core's resumable uploads (`upload_sessions` table, a
 * hidden temporary file in the target folder). The lead's housekeeping calls
 * {@link ResumableUploads.sweep} for abandoned sessions.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createResumableUploads, uploadOwnerOf, type ResumableUploads, type UploadState } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { entrySchema, fileErrorResponses, pathString, uploadStateSchema } from '../files/file-json.js';
import { registerRawBodyRoutes } from '../files/raw-body.js';
import { viewOf } from '../files/view-access.js';
import { statEntry } from './files-api.js';

const tags = ['uploads'];
const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

function stateJson(s: UploadState): Record<string, unknown> {
  return { id: s.id, offset: s.offset, size: s.size, path: s.path, expiresAt: s.expiresAt.toISOString() };
}

async function callerOf(ctx: WebContext, request: FastifyRequest): Promise<{ view: Awaited<ReturnType<typeof viewOf>>['view']; owner: string }> {
  const { user, view } = await viewOf(ctx, request, 'write');
  return { view, owner: uploadOwnerOf(user.id) };
}

/** Registers the resumable upload routes; returns the service (its `sweep` is for housekeeping). */
export async function registerUploadsApiRoutes(app: FastifyInstance, ctx: WebContext): Promise<ResumableUploads> {
  const uploads = createResumableUploads({ db: ctx.site.db, now: ctx.now });

  app.post<{ Body: { path: string; size: number; overwrite?: boolean; parents?: boolean } }>('/api/v1/uploads', {
    schema: {
      tags,
      summary: 'Start a resumable upload',
      description: 'Checks the target (folder exists or `parents`, no existing file without `overwrite`) and the free space, then answers the session id. Send the bytes in chunks with PUT /api/v1/uploads/{id}?offset=N and finish with POST …/complete.',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'size'],
        properties: { path: pathString, size: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, overwrite: { type: 'boolean' }, parents: { type: 'boolean' } },
      },
      response: { 201: uploadStateSchema, ...fileErrorResponses },
    },
  }, async (request, reply) => {
    const { view, owner } = await callerOf(ctx, request);
    return reply.status(201).send(stateJson(await uploads.start(view, owner, request.body)));
  });

  app.get<{ Params: { id: string } }>('/api/v1/uploads/:id', {
    schema: { tags, summary: 'Where an upload stands (the offset to resume from)', params: idParams, response: { 200: uploadStateSchema, ...fileErrorResponses } },
  }, async (request) => {
    const { view, owner } = await callerOf(ctx, request);
    return stateJson(await uploads.status(view, owner, request.params.id));
  });

  await registerRawBodyRoutes(app, (scope) => {
    scope.put<{ Params: { id: string }; Querystring: { offset: number } }>('/api/v1/uploads/:id', {
      schema: {
        tags,
        summary: 'Append a chunk (raw body) at an offset',
        description: 'The offset must equal the bytes received so far; otherwise 409 MIG_E_UPLOAD_OFFSET with `details.offset`, the offset to resume from.',
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, required: ['offset'], properties: { offset: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } } },
        body: { description: 'The chunk\'s bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        response: { 200: uploadStateSchema, ...fileErrorResponses },
      },
    }, async (request) => {
      const { view, owner } = await callerOf(ctx, request);
      return stateJson(await uploads.append(view, owner, request.params.id, request.query.offset, request.raw));
    });
  });

  app.post<{ Params: { id: string } }>('/api/v1/uploads/:id/complete', {
    schema: { tags, summary: 'Put the finished file in place', params: idParams, response: { 200: entrySchema, ...fileErrorResponses } },
  }, async (request) => {
    const { view, owner } = await callerOf(ctx, request);
    return statEntry(view, await uploads.complete(view, owner, request.params.id));
  });

  app.delete<{ Params: { id: string } }>('/api/v1/uploads/:id', {
    schema: { tags, summary: 'Cancel an upload (its bytes are removed)', params: idParams, response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } }, ...fileErrorResponses } },
  }, async (request) => {
    const { view, owner } = await callerOf(ctx, request);
    await uploads.abort(view, owner, request.params.id);
    return { ok: true };
  });

  return uploads;
}
