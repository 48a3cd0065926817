/**
 * The body of a file answer, the same for the files API, share-link pages and VGrid web folders:
 * one `Range` (honouring `If-Range` by ETag or date) gives 206, an unsatisfiable one 416
 * (`MIG_E_RANGE_INVALID`), HEAD the length without the bytes. The file is opened through the
 * caller's view, so its read check applies even for HEAD.
 * @packageDocumentation
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError, type FileInfo, type FileView } from '@migrid/core';
import { FileSendStream } from './file-send-stream.js';
import { parseRange } from './http-range.js';

/** The validator of a file answer: its size and modification time. */
export function fileEtag(info: Pick<FileInfo, 'size' | 'mtime'>): string {
  return `"${info.size.toString(36)}-${info.mtime.getTime().toString(36)}"`;
}

/**
 * Sends the bytes of `path` (whose `stat` is `info`), as a whole or as the one range asked for.
 * Headers other than the length and range (type, ETag, caching, disposition) are the caller's.
 * @throws InvalidInputError `MIG_E_RANGE_INVALID` for a range that does not fit (with `Content-Range: bytes *\/size` set).
 */
export async function sendFileBody(request: FastifyRequest, reply: FastifyReply, view: FileView, path: string, info: FileInfo): Promise<FastifyReply> {
  const ifRange = request.headers['if-range'];
  const rangeHeader = typeof ifRange === 'string' && ifRange !== fileEtag(info) && ifRange !== info.mtime.toUTCString() ? undefined : request.headers.range;
  const range = parseRange(rangeHeader, info.size);
  if (range.kind === 'unsatisfiable') {
    reply.header('content-range', `bytes */${info.size}`);
    throw new InvalidInputError(`The requested range does not fit the ${info.size}-byte file.`, { code: 'MIG_E_RANGE_INVALID' });
  }
  if (range.kind !== 'range' && info.size === 0) return reply.header('content-length', 0).send('');
  const { start, end } = range.kind === 'range' ? range : { start: 0, end: info.size - 1 };
  // Opened (read access checked) even for HEAD, which then sends no bytes: Fastify would read and
  // drop a whole stream for HEAD, so it gets an empty one and the length set here.
  const handle = await view.open(path, 'r');
  const body = request.method === 'HEAD' ? new FileSendStream(handle, 0, -1) : new FileSendStream(handle, start, end);
  if (range.kind === 'range') reply.status(206).header('content-range', `bytes ${start}-${end}/${info.size}`);
  return reply.header('content-length', end - start + 1).send(body);
}
