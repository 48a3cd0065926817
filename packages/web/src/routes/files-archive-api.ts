/**
 * Zip archives in the files API: download folders and selections as a zip stream, make a zip
 * file in the home, extract a zip file (zip-slip safe).
 * @packageDocumentation
 */
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { InvalidInputError } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { contentDisposition } from '../files/content-type.js';
import { baseName, displayPath, entrySchema, fileErrorResponses, pathString } from '../files/file-json.js';
import { unzipIntoView } from '../files/unzip-into-view.js';
import { viewOf } from '../files/view-access.js';
import { zipStream } from '../files/zip-from-view.js';
import { statEntry } from './files-api.js';

const tags = ['files'];

/** Registers the zip routes. */
export function registerFilesArchiveRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Querystring: { path?: string; paths?: string[] } }>('/api/v1/files/zip', {
    schema: {
      tags,
      summary: 'Download a folder or several entries as a zip (streamed)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { path: pathString, paths: { type: 'array', maxItems: 1000, items: pathString } },
      },
      response: { 200: { description: 'The zip archive', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } }, ...fileErrorResponses },
    },
  }, async (request, reply) => {
    const { view } = await viewOf(ctx, request, 'read');
    const paths = [...(request.query.path === undefined ? [] : [request.query.path]), ...(request.query.paths ?? [])];
    if (paths.length === 0) throw new InvalidInputError('Say what to zip: path=/folder or paths=… (repeated).');
    const stream = await zipStream(view, paths);
    const first = baseName(displayPath(paths[0] as string)) || 'home';
    const name = paths.length === 1 ? `${first}.zip` : 'files.zip';
    return reply.type('application/zip').header('content-disposition', contentDisposition('attachment', name)).header('cache-control', 'private, no-store').send(stream);
  });

  app.post<{ Body: { paths: string[]; to: string; overwrite?: boolean } }>('/api/v1/files/zip', {
    schema: {
      tags,
      summary: 'Make a zip file of entries in the home',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['paths', 'to'],
        properties: { paths: { type: 'array', minItems: 1, maxItems: 1000, items: pathString }, to: pathString, overwrite: { type: 'boolean' } },
      },
      response: { 201: entrySchema, ...fileErrorResponses },
    },
  }, async (request, reply) => {
    const { view } = await viewOf(ctx, request, 'write');
    const stream = await zipStream(view, request.body.paths);
    const out = await view.createWriteStream(request.body.to, { overwrite: request.body.overwrite === true });
    await pipeline(stream, out);
    return reply.status(201).send(await statEntry(view, request.body.to));
  });

  app.post<{ Body: { path: string; to: string } }>('/api/v1/files/unzip', {
    schema: {
      tags,
      summary: 'Extract a zip file into a folder (zip-slip safe, never overwrites)',
      body: { type: 'object', additionalProperties: false, required: ['path', 'to'], properties: { path: pathString, to: pathString } },
      response: { 200: { type: 'object', required: ['extracted'], properties: { extracted: { type: 'integer' } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const { view } = await viewOf(ctx, request, 'write');
    return { extracted: await unzipIntoView(view, request.body.path, request.body.to) };
  });
}
