/**
 * The live (server-computed) WebDAV properties of a file or folder, and the lock XML they share
 * with LOCK answers.
 * @packageDocumentation
 */
import type { FileInfo } from '@migrid/core';
import type { DavLock } from './dav-lock-store.js';
import { etagOf } from './dav-request.js';
import { escapeXml } from './dav-xml.js';

/** Live properties, by Clark name; none of them can be set or removed. */
export const LIVE_PROPERTIES = [
  '{DAV:}creationdate',
  '{DAV:}getcontentlength',
  '{DAV:}getcontenttype',
  '{DAV:}getetag',
  '{DAV:}getlastmodified',
  '{DAV:}resourcetype',
  '{DAV:}supportedlock',
  '{DAV:}lockdiscovery',
] as const;

const LIVE = new Set<string>(LIVE_PROPERTIES);

/** Whether a property is live (protected). */
export function isLiveProperty(clark: string): boolean {
  return LIVE.has(clark);
}

const MIME: Record<string, string> = {
  txt: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  csv: 'text/csv',
  js: 'text/javascript',
  json: 'application/json',
  xml: 'application/xml',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  mrsl: 'text/plain',
  py: 'text/x-python',
  sh: 'text/x-shellscript',
  md: 'text/markdown',
};

/** A content type from the file name's extension. */
export function contentTypeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  const ext = dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
  return MIME[ext] ?? 'application/octet-stream';
}

/** One `<D:activelock>`. `rootHref` is the lock root's href. */
export function activeLockXml(lock: DavLock, rootHref: string, now: number): string {
  const seconds = Math.max(0, Math.ceil((lock.expiresAt - now) / 1000));
  return (
    `<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:${lock.scope}/></D:lockscope>` +
    `<D:depth>${lock.depth === 'infinity' ? 'infinity' : '0'}</D:depth>${lock.owner}` +
    `<D:timeout>Second-${seconds}</D:timeout><D:locktoken><D:href>${escapeXml(lock.token)}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${escapeXml(rootHref)}</D:href></D:lockroot></D:activelock>`
  );
}

/**
 * The value XML (the whole element) of a live property, or `undefined` when the resource has none
 * of that name. `locks` are the locks covering the resource, with their root hrefs.
 */
export function livePropertyXml(clark: string, info: FileInfo, locks: readonly { lock: DavLock; rootHref: string }[], now: number): string | undefined {
  const dir = info.type === 'directory';
  switch (clark) {
    case '{DAV:}creationdate':
      return `<D:creationdate>${info.ctime.toISOString().replace(/\.\d{3}Z$/, 'Z')}</D:creationdate>`;
    case '{DAV:}getcontentlength':
      return dir ? undefined : `<D:getcontentlength>${info.size}</D:getcontentlength>`;
    case '{DAV:}getcontenttype':
      return dir ? undefined : `<D:getcontenttype>${contentTypeOf(info.name)}</D:getcontenttype>`;
    case '{DAV:}getetag':
      return `<D:getetag>${escapeXml(etagOf(info))}</D:getetag>`;
    case '{DAV:}getlastmodified':
      return `<D:getlastmodified>${info.mtime.toUTCString()}</D:getlastmodified>`;
    case '{DAV:}resourcetype':
      return dir ? '<D:resourcetype><D:collection/></D:resourcetype>' : '<D:resourcetype/>';
    case '{DAV:}supportedlock':
      return (
        '<D:supportedlock>' +
        '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
        '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
        '</D:supportedlock>'
      );
    case '{DAV:}lockdiscovery':
      return `<D:lockdiscovery>${locks.map((l) => activeLockXml(l.lock, l.rootHref, now)).join('')}</D:lockdiscovery>`;
    default:
      return undefined;
  }
}
