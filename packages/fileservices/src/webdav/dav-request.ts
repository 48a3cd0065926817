/**
 * What every WebDAV method handler gets (the request, the user's view, the stores) and the small
 * helpers they share: bounded XML bodies, `stat` without throwing, ETags, answers.
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isMigError, type FileInfo, type FileView } from '@migrid/core';
import type { Document } from '@xmldom/xmldom';
import type { DavLockStore } from './dav-lock-store.js';
import type { DavPropertyStore } from './dav-property-store.js';
import { DavStatusError } from './dav-status-error.js';
import { parseXml } from './dav-xml.js';

/** One WebDAV request being served. */
export interface DavRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The logged-in user's file view. */
  readonly view: FileView;
  /** Who is asking, as stored with locks (`user:<id>`). */
  readonly principal: string;
  /** The decoded view path of the request URL. */
  readonly path: string;
  readonly locks: DavLockStore;
  readonly props: DavPropertyStore;
  /** Largest XML request body, in bytes. */
  readonly maxXmlBytes: number;
  /** Serialises LOCK/UNLOCK decisions within this process. */
  readonly lockMutex: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Lock timeouts in seconds. */
  readonly lockTimeouts: { readonly defaultSeconds: number; readonly maxSeconds: number };
}

/** Whether the request carries a body (a length above zero, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** Sends `100 Continue` when the client waits for it (once), before reading a body. */
export function continueIfExpected(req: IncomingMessage, res: ServerResponse): void {
  const expect = req.headers.expect;
  const state = res as ServerResponse & { migContinued?: boolean };
  if (expect !== undefined && expect.toLowerCase() === '100-continue' && state.migContinued !== true && !res.headersSent) {
    state.migContinued = true;
    res.writeContinue();
  }
}

/** Reads a whole (small) body as UTF-8; over `limit` bytes is `413`. */
export async function readSmallBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw new DavStatusError(413, `XML request bodies are limited to ${limit} bytes.`);
  continueIfExpected(req, res);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > limit) throw new DavStatusError(413, `XML request bodies are limited to ${limit} bytes.`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads and parses an XML body; `undefined` when there is none. */
export async function readXmlBody(r: DavRequest): Promise<Document | undefined> {
  if (!hasBody(r.req)) return undefined;
  const text = await readSmallBody(r.req, r.res, r.maxXmlBytes);
  if (text.trim().length === 0) return undefined;
  return parseXml(text);
}

/** `stat`, with `undefined` for a missing entry (or a parent that is not a folder). */
export async function statOrUndefined(view: FileView, path: string): Promise<FileInfo | undefined> {
  try {
    return await view.stat(path);
  } catch (err) {
    if (isMigError(err) && (err.code === 'MIG_E_PATH_NOT_FOUND' || err.code === 'MIG_E_NOT_A_DIRECTORY')) return undefined;
    throw err;
  }
}

/** A strong ETag from size and modification time. */
export function etagOf(info: FileInfo): string {
  return `"${info.size.toString(16)}-${info.mtime.getTime().toString(16)}"`;
}

/** Answers with `status` and no body. */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': '0' });
  res.end();
}

/** Answers with an XML document. */
export function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(`<?xml version="1.0" encoding="utf-8"?>\n${xml}`, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'application/xml; charset=utf-8', 'Content-Length': String(body.length) });
  res.end(body);
}

/** Answers with a short plain-text reason. */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(`${text}\n`, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length) });
  res.end(body);
}

/** Answers a {@link DavStatusError}: a `<D:error>` body for a DAV condition, text otherwise. */
export function sendStatusError(res: ServerResponse, err: DavStatusError): void {
  if (err.condition !== undefined) {
    sendXml(res, err.status, `<D:error xmlns:D="DAV:"><D:${err.condition}/></D:error>`, err.headers);
  } else {
    sendText(res, err.status, err.message, err.headers);
  }
}

/** One request header as a string (repeated headers joined with `, `). */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
