/**
 * The class-1 methods on file content and the namespace: OPTIONS, GET/HEAD (with single byte
 * ranges), PUT (streamed through the view's temporary-file upload), DELETE, MKCOL, COPY and MOVE.
 * @packageDocumentation
 */
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMigError, type FileHandleLike, type FileInfo } from '@migrid/core';
import { handleRangeStream, readWhole, WHOLE_BODY_BYTES } from './dav-handle-stream.js';
import { checkIfHeader, checkLocks, needsLockCheck, type IfState, type ProtectedTarget } from './dav-lock-guard.js';
import { contentTypeOf } from './dav-live-properties.js';
import { destinationPathOf, hrefOf, joinPath, parentOf } from './dav-request-path.js';
import { continueIfExpected, etagOf, hasBody, headerOf, sendEmpty, statOrUndefined, type DavRequest } from './dav-request.js';
import { ancestorKeys, resourceKeyOf } from './dav-resource-key.js';
import { DavStatusError } from './dav-status-error.js';
import { escapeXml } from './dav-xml.js';

/** Methods this server answers. */
export const ALLOWED_METHODS = 'OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK';

/** OPTIONS. */
export function handleOptions(r: DavRequest): Promise<void> {
  sendEmpty(r.res, 200, { DAV: '1, 2', Allow: ALLOWED_METHODS, 'MS-Author-Via': 'DAV', 'Accept-Ranges': 'bytes' });
  return Promise.resolve();
}

/** Parses a single `bytes=` range against `size`; `undefined` serves the whole file, `null` is unsatisfiable. */
function parseRange(header: string, size: number): { start: number; end: number } | null | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null) return undefined; // several ranges or another unit: the whole file
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return null;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || end < start) return null;
  return { start, end };
}

function listingHtml(path: string, entries: readonly FileInfo[]): string {
  const rows = entries
    .map((e) => {
      const href = escapeXml(hrefOf(joinPath(path, e.name), e.type === 'directory'));
      return `<li><a href="${href}">${escapeXml(e.name)}${e.type === 'directory' ? '/' : ''}</a></li>`;
    })
    .join('\n');
  const title = escapeXml(path);
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><ul>\n${rows}\n</ul></body></html>\n`;
}

/**
 * GET and HEAD. A file is opened once and everything (headers, body) comes from that open file:
 * that is one path resolution instead of two and cannot mix two versions of a file that is
 * replaced meanwhile. Anything that does not open as a file (a folder, a special file, a missing
 * or unreadable path) takes the `stat` route, which gives the listing or the precise error.
 */
export async function handleGet(r: DavRequest, head: boolean): Promise<void> {
  let handle: FileHandleLike;
  try {
    handle = await r.view.open(r.path, 'r');
  } catch {
    await getByStat(r, head);
    return;
  }
  let owned = true;
  try {
    const info = await handle.stat();
    const answer = fileAnswer(r, info);
    if (answer.kind === 'empty') {
      // A 304 carries no Content-Length of its own (it would describe the 200 answer).
      if (answer.status === 416) sendEmpty(r.res, 416, answer.headers);
      else {
        r.res.writeHead(304, answer.headers);
        r.res.end();
      }
      return;
    }
    const { start, length } = answer;
    if (head || length === 0) {
      r.res.writeHead(answer.status, answer.headers);
      r.res.end();
      return;
    }
    if (length <= WHOLE_BODY_BYTES) {
      const body = await readWhole(handle, start, length);
      if (body.length < length) throw new Error('The file shrank while it was read.');
      owned = false;
      await handle.close();
      r.res.writeHead(answer.status, answer.headers);
      r.res.end(body);
      return;
    }
    owned = false;
    const stream = handleRangeStream(handle, start, length);
    r.res.writeHead(answer.status, answer.headers);
    await pipeline(stream, r.res);
  } finally {
    if (owned) await handle.close().catch(() => undefined);
  }
}

/** What to answer for a file: headers and, for 200/206, the byte range to send. */
type FileAnswer =
  | { kind: 'body'; status: 200 | 206; headers: Record<string, string>; start: number; length: number }
  | { kind: 'empty'; status: 304 | 416; headers: Record<string, string> };

/** Conditional (`If-None-Match`) and range (`Range`, `If-Range`) handling for a file. */
function fileAnswer(r: DavRequest, info: FileInfo): FileAnswer {
  const { req } = r;
  const etag = etagOf(info);
  const headers: Record<string, string> = {
    ETag: etag,
    'Last-Modified': info.mtime.toUTCString(),
    'Content-Type': contentTypeOf(info.name),
    'Accept-Ranges': 'bytes',
    'X-Content-Type-Options': 'nosniff',
  };
  const inm = req.headers['if-none-match'];
  if (inm !== undefined && (inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))) {
    return { kind: 'empty', status: 304, headers };
  }
  let range: { start: number; end: number } | null | undefined;
  const rangeHeader = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (rangeHeader !== undefined && (ifRange === undefined || ifRange === etag || ifRange === headers['Last-Modified'])) range = parseRange(rangeHeader, info.size);
  if (range === null) return { kind: 'empty', status: 416, headers: { 'Content-Range': `bytes */${info.size}` } };
  if (range === undefined) {
    headers['Content-Length'] = String(info.size);
    return { kind: 'body', status: 200, headers, start: 0, length: info.size };
  }
  headers['Content-Length'] = String(range.end - range.start + 1);
  headers['Content-Range'] = `bytes ${range.start}-${range.end}/${info.size}`;
  return { kind: 'body', status: 206, headers, start: range.start, length: range.end - range.start + 1 };
}

/** GET and HEAD of what did not open as a file: a folder's listing, or the error `stat` gives. */
async function getByStat(r: DavRequest, head: boolean): Promise<void> {
  const info = await r.view.stat(r.path);
  const { res } = r;
  if (info.type === 'directory') {
    const body = Buffer.from(listingHtml(r.path, await r.view.list(r.path)), 'utf8');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length), 'Content-Security-Policy': "default-src 'none'" });
    res.end(head ? undefined : body);
    return;
  }
  if (info.type !== 'file') throw new DavStatusError(403, 'Only files and folders can be read.');
  // A file that stat can see but that did not open: open it again for the precise error.
  await r.view.open(r.path, 'r').then(async (h) => {
    await h.close();
    throw new DavStatusError(503, 'The file changed while it was opened; try again.', { headers: { 'Retry-After': '1' } });
  });
}

/** Refuses when the parent of `path` is not an existing folder (`409 Conflict`). */
async function requireParentFolder(r: DavRequest, path: string): Promise<void> {
  if (path === '/') throw new DavStatusError(403, 'The top folder cannot be replaced.');
  const parent = await statOrUndefined(r.view, parentOf(path));
  if (parent === undefined || parent.type !== 'directory') throw new DavStatusError(409, 'The parent folder does not exist.');
}

/** Lock targets for creating or removing the entry at `path` (its own locks and its folder's membership). */
async function membershipTargets(r: DavRequest, path: string, key: string, deep: boolean): Promise<ProtectedTarget[]> {
  // The key is canonical up to its last name, so the folder's key is the key without that name.
  const parentKey = ancestorKeys(key).pop();
  return [
    { key, deep },
    { key: parentKey ?? (await resourceKeyOf(r.view, parentOf(path))), deep: false },
  ];
}

/**
 * Streams the request body into `out`. Unlike `pipeline`, a failing upload (quota, disk) leaves the
 * connection open, so the error answer reaches the client; `out` is destroyed (its temporary file
 * removed) on any failure, a client that goes away included.
 */
function receive(req: IncomingMessage, out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = req.socket;
    const onGone = (): void => {
      if (!req.complete) fail(new Error('The client went away during the upload.'));
    };
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      socket.off('close', onGone);
      req.unpipe(out);
      out.destroy();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    out.once('error', fail);
    req.once('error', fail);
    req.once('close', onGone);
    req.once('aborted', onGone);
    socket.once('close', onGone);
    out.once('finish', () => {
      if (settled) return;
      settled = true;
      socket.off('close', onGone);
      resolve();
    });
    // The client may have gone while the checks ran: its events are then already past.
    if (!req.complete && (req.destroyed || socket.destroyed)) fail(new Error('The client went away before the upload.'));
    else req.pipe(out);
  });
}

/** PUT. */
export async function handlePut(r: DavRequest): Promise<void> {
  if (r.req.headers['content-range'] !== undefined) throw new DavStatusError(400, 'Partial PUT (Content-Range) is not supported; send the whole file.');
  const existing = await statOrUndefined(r.view, r.path);
  if (existing?.type === 'directory') throw new DavStatusError(405, 'A folder cannot be replaced by a file.', { headers: { Allow: ALLOWED_METHODS } });
  let out: Writable;
  if (await needsLockCheck(r)) {
    if (existing === undefined) await requireParentFolder(r, r.path);
    const key = await resourceKeyOf(r.view, r.path);
    const ifState = await checkIfHeader(r);
    await checkLocks(r, ifState, existing === undefined ? await membershipTargets(r, r.path, key, false) : [{ key, deep: false }]);
    out = await r.view.createWriteStream(r.path, { overwrite: true });
  } else {
    // No lock to honour and no condition to test: the upload's own resolution checks the parent.
    try {
      out = await r.view.createWriteStream(r.path, { overwrite: true });
    } catch (err) {
      if (existing === undefined && isMigError(err) && err.code === 'MIG_E_PATH_NOT_FOUND') throw new DavStatusError(409, 'The parent folder does not exist.');
      throw err;
    }
  }
  continueIfExpected(r.req, r.res);
  await receive(r.req, out);
  sendEmpty(r.res, existing === undefined ? 201 : 204);
}

/** DELETE. */
export async function handleDelete(r: DavRequest): Promise<void> {
  // The entry itself: a symlink is deleted as a link, wherever it points.
  const info = await r.view.lstat(r.path);
  const depth = headerOf(r.req, 'depth');
  if (info.type === 'directory' && depth !== undefined && depth.toLowerCase() !== 'infinity') throw new DavStatusError(400, 'DELETE of a folder needs Depth: infinity.');
  const key = await resourceKeyOf(r.view, r.path);
  const ifState = await checkIfHeader(r);
  await checkLocks(r, ifState, await membershipTargets(r, r.path, key, true));
  await r.view.remove(r.path, { recursive: true });
  await r.props.removeTree(key);
  await r.locks.removeTree(key);
  sendEmpty(r.res, 204);
}

/** MKCOL. */
export async function handleMkcol(r: DavRequest): Promise<void> {
  if (hasBody(r.req)) throw new DavStatusError(415, 'MKCOL with a request body is not supported.');
  const existing = await statOrUndefined(r.view, r.path).catch(() => undefined);
  if (existing !== undefined || r.path === '/') throw new DavStatusError(405, 'Something with this name already exists.', { headers: { Allow: ALLOWED_METHODS } });
  await requireParentFolder(r, r.path);
  const key = await resourceKeyOf(r.view, r.path);
  const ifState = await checkIfHeader(r);
  await checkLocks(r, ifState, await membershipTargets(r, r.path, key, false));
  await r.view.mkdir(r.path);
  sendEmpty(r.res, 201);
}

/** COPY (`move` false) and MOVE (`move` true). */
export async function handleCopyMove(r: DavRequest, move: boolean): Promise<void> {
  const dest = destinationPathOf(headerOf(r.req, 'destination'), r.req.headers.host);
  const overwriteHeader = (headerOf(r.req, 'overwrite') ?? 'T').toUpperCase();
  if (overwriteHeader !== 'T' && overwriteHeader !== 'F') throw new DavStatusError(400, 'The Overwrite header must be T or F.');
  const overwrite = overwriteHeader === 'T';
  const src = await statOrUndefined(r.view, r.path);
  if (src === undefined) throw new DavStatusError(404, 'Not found.');
  const depthHeader = (headerOf(r.req, 'depth') ?? 'infinity').toLowerCase();
  if (depthHeader !== 'infinity' && (move || depthHeader !== '0')) throw new DavStatusError(400, move ? 'MOVE needs Depth: infinity.' : 'COPY takes Depth: 0 or infinity.');
  const deep = depthHeader === 'infinity';
  if (r.path === '/') throw new DavStatusError(403, 'The top folder cannot be copied or moved.');
  if (dest === r.path) throw new DavStatusError(403, 'The source and the destination are the same.');
  if (src.type === 'directory' && dest.startsWith(`${r.path}/`)) throw new DavStatusError(403, 'A folder cannot be copied or moved into itself.');
  await requireParentFolder(r, dest);
  const existing = await statOrUndefined(r.view, dest);
  if (existing !== undefined && !overwrite) throw new DavStatusError(412, 'The destination exists and Overwrite is F.');

  const srcKey = await resourceKeyOf(r.view, r.path);
  let destKey = await resourceKeyOf(r.view, dest);
  const ifState: IfState | undefined = await checkIfHeader(r);
  const targets: ProtectedTarget[] = [];
  if (move) targets.push(...(await membershipTargets(r, r.path, srcKey, true)));
  targets.push(...(await membershipTargets(r, dest, destKey, true)));
  await checkLocks(r, ifState, targets);

  if (existing !== undefined) {
    await r.view.remove(dest, { recursive: true });
    await r.props.removeTree(destKey);
    await r.locks.removeTree(destKey);
    destKey = await resourceKeyOf(r.view, dest);
  }
  if (move) {
    await r.view.rename(r.path, dest);
    await r.props.transferTree(srcKey, destKey, { move: true, deep: true });
    await r.locks.removeTree(srcKey);
  } else if (src.type === 'directory' && !deep) {
    await r.view.mkdir(dest);
    await r.props.transferTree(srcKey, destKey, { move: false, deep: false });
  } else {
    await r.view.copy(r.path, dest, { recursive: src.type === 'directory' });
    await r.props.transferTree(srcKey, destKey, { move: false, deep: true });
  }
  sendEmpty(r.res, existing === undefined ? 201 : 204);
}
