/**
 * Request URLs and `Destination:` headers to view paths, and view paths back to hrefs. The URL is
 * split on `/` *before* percent-decoding, so `%2f` can never make a new path component; `.`, `..`
 * and everything else are left to the view's own checks.
 * @packageDocumentation
 */
import { DavStatusError } from './dav-status-error.js';

const MAX_URL = 16_384;

/** The decoded view path of a request target (`/a%20b/c?x` → `/a b/c`). */
export function viewPathOf(rawTarget: string): string {
  if (rawTarget.length > MAX_URL) throw new DavStatusError(414, 'The request URL is too long.');
  // A fragment never belongs in a request target; refusing it keeps `/a/#b` from meaning `/a/`.
  if (rawTarget.includes('#')) throw new DavStatusError(400, 'The request URL must not contain a fragment (#).');
  let raw = rawTarget;
  const cut = raw.indexOf('?');
  if (cut >= 0) raw = raw.slice(0, cut);
  if (!raw.startsWith('/')) throw new DavStatusError(400, 'The request target must be an absolute path.');
  const segments: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg.length === 0) continue;
    let name: string;
    try {
      name = decodeURIComponent(seg);
    } catch {
      throw new DavStatusError(400, 'The request URL has a malformed percent-encoding.');
    }
    if (name.includes('/') || name.includes('\u0000')) throw new DavStatusError(400, 'A path component of the URL names a separator or NUL.');
    segments.push(name);
  }
  return `/${segments.join('/')}`;
}

/**
 * The view path a `Destination:` header names. An absolute URL must point at this server
 * (`host`, the request's `Host:`); another host or port is `502 Bad Gateway`.
 */
export function destinationPathOf(header: string | undefined, host: string | undefined): string {
  if (header === undefined || header.length === 0) throw new DavStatusError(400, 'A Destination header is required.');
  if (header.startsWith('/')) return viewPathOf(header);
  const m = /^(https?):\/\/([^/?#]+)(.*)$/i.exec(header);
  if (m === null) throw new DavStatusError(400, 'The Destination header is not an absolute URL or path.');
  const authority = (m[2] as string).toLowerCase();
  if (host === undefined || authority !== host.toLowerCase()) {
    throw new DavStatusError(502, 'The Destination is on another server; copy and move only work within this one.');
  }
  const rest = m[3] as string;
  return viewPathOf(rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`);
}

/** The percent-encoded href of a view path (`collection` adds the trailing slash). */
export function hrefOf(viewPath: string, collection: boolean): string {
  const segments = viewPath.split('/').filter((s) => s.length > 0);
  const path = `/${segments.map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/')}`;
  return collection && path !== '/' ? `${path}/` : path;
}

/** The parent path of a view path (`/` for top-level entries and `/` itself). */
export function parentOf(viewPath: string): string {
  const i = viewPath.lastIndexOf('/');
  return i <= 0 ? '/' : viewPath.slice(0, i);
}

/** Joins a folder path and a name. */
export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}
