/**
 * The files API (`/api/v1/files/…`): list, stat, read (streamed, single `Range`), write (streamed
 * raw body through the view's temporary-name upload), mkdir, move, copy, checksum and find. Every
 * access goes through the caller's `FileView`; reads need `files:read`, changes `files:write`.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { ConflictError, type FileView } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { contentDisposition, contentTypeFor } from '../files/content-type.js';
import {
  baseName, childPath, displayPath, entryJson, entrySchema, fileErrorResponses, flagOn, parentPath, pathString, queryFlag, type EntryJson,
} from '../files/file-json.js';
import { findInView } from '../files/find-in-view.js';
import { registerRawBodyRoutes } from '../files/raw-body.js';
import { viewOf } from '../files/view-access.js';
import { fileEtag, sendFileBody } from '../files/send-file-body.js';

const tags = ['files'];
/** Read size for checksums: big reads keep the event loop out of the way of bulk reads. */
const READ_CHUNK = 1024 * 1024;
/** The CSP of a served file: even if a browser renders it, it can run and load nothing. */
const CONTENT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

const pathQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: { path: pathString },
} as const;

const ALGORITHMS = ['sha256', 'sha512', 'sha1', 'md5'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

/** Stats `path` in `view` and returns its entry JSON. */
export async function statEntry(view: FileView, path: string): Promise<EntryJson> {
  const info = await view.stat(path);
  const shown = displayPath(path);
  return entryJson(shown, { ...info, name: baseName(shown) });
}


/** Registers the files API routes. */
export async function registerFilesApiRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  app.get<{ Querystring: { path?: string } }>('/api/v1/files/list', {
    schema: {
      tags,
      summary: 'List a folder (hidden entries left out)',
      querystring: { type: 'object', additionalProperties: false, properties: { path: pathString } },
      response: {
        200: { type: 'object', required: ['path', 'entries'], properties: { path: { type: 'string' }, entries: { type: 'array', items: entrySchema } } },
        ...fileErrorResponses,
      },
    },
  }, async (request) => {
    const { view } = await viewOf(ctx, request, 'read');
    const path = request.query.path ?? '/';
    const infos = await view.list(path);
    const shown = displayPath(path);
    return { path: shown, entries: infos.map((info) => entryJson(childPath(shown, info.name), info)) };
  });

  app.get<{ Querystring: { path: string } }>('/api/v1/files/stat', {
    schema: { tags, summary: 'Metadata of one entry (a final symlink inside the home is followed)', querystring: pathQuery, response: { 200: entrySchema, ...fileErrorResponses } },
  }, async (request) => {
    const { view } = await viewOf(ctx, request, 'read');
    return statEntry(view, request.query.path);
  });

  app.get<{ Querystring: { path: string; download?: string } }>('/api/v1/files/content', {
    schema: {
      tags,
      summary: 'Read a file (streamed; one Range gives 206)',
      description: 'Sends the bytes with ETag and Last-Modified. `Range: bytes=a-b` (one range) answers 206, a range outside the file 416. `download=1` adds Content-Disposition: attachment. HTML and other markup are served as text/plain.',
      querystring: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: pathString, download: queryFlag } },
      response: {
        200: { description: 'The file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        206: { description: 'The requested range', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        304: { description: 'Not modified (If-None-Match)', type: 'null' },
        ...fileErrorResponses,
      },
    },
  }, async (request, reply) => {
    const { view } = await viewOf(ctx, request, 'read');
    const { path } = request.query;
    const info = await view.stat(path);
    if (info.type === 'directory') throw new ConflictError('MIG_E_IS_A_DIRECTORY', 'That is a folder; download it as a zip (GET /api/v1/files/zip).');
    const name = baseName(displayPath(path));
    const etag = fileEtag(info);
    reply.header('etag', etag);
    reply.header('last-modified', info.mtime.toUTCString());
    reply.header('accept-ranges', 'bytes');
    reply.header('cache-control', 'private, no-cache');
    reply.header('content-security-policy', CONTENT_CSP);
    reply.header('content-disposition', contentDisposition(flagOn(request.query.download) ? 'attachment' : 'inline', name));
    reply.type(contentTypeFor(name));
    const inm = request.headers['if-none-match'];
    if (typeof inm === 'string' && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return reply.status(304).send();
    return sendFileBody(request, reply, view, path, info);
  });

  await registerRawBodyRoutes(app, (scope) => {
    scope.put<{ Querystring: { path: string; overwrite?: string; parents?: string } }>('/api/v1/files/content', {
      schema: {
        tags,
        summary: 'Write a file from the raw request body (streamed)',
        description: 'The body (any content type, any size up to the quota) is streamed into a hidden temporary file and renamed into place when complete. Without `overwrite=1` an existing file is 409 MIG_E_PATH_EXISTS; `parents=1` creates missing folders.',
        querystring: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: pathString, overwrite: queryFlag, parents: queryFlag } },
        body: { description: 'The file\'s bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        response: { 201: entrySchema, ...fileErrorResponses },
      },
    }, async (request, reply) => {
      const { view } = await viewOf(ctx, request, 'write');
      const { path } = request.query;
      if (flagOn(request.query.parents)) {
        const parent = parentPath(displayPath(path));
        if (parent !== '/') await view.mkdir(parent, { recursive: true });
      }
      const out = await view.createWriteStream(path, { overwrite: flagOn(request.query.overwrite) });
      await pipeline(request.raw, out);
      return reply.status(201).send(await statEntry(view, path));
    });
  });

  app.post<{ Body: { path: string; parents?: boolean } }>('/api/v1/files/mkdir', {
    schema: {
      tags,
      summary: 'Create a folder',
      body: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: pathString, parents: { type: 'boolean' } } },
      response: { 201: entrySchema, ...fileErrorResponses },
    },
  }, async (request, reply) => {
    const { view } = await viewOf(ctx, request, 'write');
    await view.mkdir(request.body.path, { recursive: request.body.parents === true });
    return reply.status(201).send(await statEntry(view, request.body.path));
  });

  const moveBody = {
    type: 'object',
    additionalProperties: false,
    required: ['from', 'to'],
    properties: { from: pathString, to: pathString, overwrite: { type: 'boolean' } },
  } as const;

  app.post<{ Body: { from: string; to: string; overwrite?: boolean } }>('/api/v1/files/move', {
    schema: { tags, summary: 'Rename or move an entry', body: moveBody, response: { 200: entrySchema, ...fileErrorResponses } },
  }, async (request) => {
    const { view } = await viewOf(ctx, request, 'write');
    await view.rename(request.body.from, request.body.to, { overwrite: request.body.overwrite === true });
    return lstatEntry(view, request.body.to);
  });

  app.post<{ Body: { from: string; to: string; overwrite?: boolean } }>('/api/v1/files/copy', {
    schema: { tags, summary: 'Copy a file or a folder (recursively)', body: moveBody, response: { 200: entrySchema, ...fileErrorResponses } },
  }, async (request) => {
    const { view } = await viewOf(ctx, request, 'write');
    await view.copy(request.body.from, request.body.to, { overwrite: request.body.overwrite === true, recursive: true });
    return statEntry(view, request.body.to);
  });

  app.get<{ Querystring: { path: string; algorithm?: Algorithm } }>('/api/v1/files/checksum', {
    schema: {
      tags,
      summary: 'Checksum of a file',
      querystring: { type: 'object', additionalProperties: false, required: ['path'], properties: { path: pathString, algorithm: { type: 'string', enum: [...ALGORITHMS], default: 'sha256' } } },
      response: { 200: { type: 'object', required: ['path', 'algorithm', 'digest'], properties: { path: { type: 'string' }, algorithm: { type: 'string' }, digest: { type: 'string' } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const { view } = await viewOf(ctx, request, 'read');
    const algorithm = request.query.algorithm ?? 'sha256';
    const info = await view.stat(request.query.path);
    if (info.type === 'directory') throw new ConflictError('MIG_E_IS_A_DIRECTORY', 'A folder has no checksum; pick a file.');
    const hash = createHash(algorithm);
    const stream = await view.createReadStream(request.query.path, undefined, { highWaterMark: READ_CHUNK });
    await pipeline(stream, new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done();
      },
    }));
    return { path: displayPath(request.query.path), algorithm, digest: hash.digest('hex') };
  });

  app.get<{ Querystring: { path?: string; name: string; limit?: number } }>('/api/v1/files/find', {
    schema: {
      tags,
      summary: 'Find entries by name below a folder',
      description: '`name` is a glob (`*`, `?`; case-insensitive); without wildcards it matches names containing it. At most `limit` entries (default 1000); `truncated` says when more were there.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { path: pathString, name: { type: 'string', minLength: 1, maxLength: 255 }, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 } },
      },
      response: {
        200: { type: 'object', required: ['entries', 'truncated'], properties: { entries: { type: 'array', items: entrySchema }, truncated: { type: 'boolean' } } },
        ...fileErrorResponses,
      },
    },
  }, async (request) => {
    const { view } = await viewOf(ctx, request, 'read');
    return findInView(view, request.query.path ?? '/', request.query.name, request.query.limit ?? 1000);
  });
}

async function lstatEntry(view: FileView, path: string): Promise<EntryJson> {
  const info = await view.lstat(path);
  const shown = displayPath(path);
  return entryJson(shown, { ...info, name: baseName(shown) });
}
