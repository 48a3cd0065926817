/**
 * How a VGrid's web folders are served: real content types (these folders hold web pages, unlike
 * the file manager, which serves markup as text), and a Content-Security-Policy that keeps the
 * pages from acting as the site:
 * - public pages run in a sandbox (an opaque origin): their scripts run but can never read the
 *   site's pages or use a visitor's session;
 * - private pages (members only) load only from the site itself and run no scripts at all, so a
 *   participant's page cannot act as another participant.
 * @packageDocumentation
 */
import { contentTypeFor, extensionOf } from '../files/content-type.js';

const WEB_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  xhtml: 'application/xhtml+xml; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  json: 'application/json; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  wasm: 'application/wasm',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  mp4: 'video/mp4',
  webm: 'video/webm',
  ogg: 'audio/ogg',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  zip: 'application/zip',
  gz: 'application/gzip',
};

/** Which of a VGrid's two web folders an answer comes from. */
export type WebFolderKind = 'public' | 'private';

/**
 * The `Content-Type` of a file in a VGrid web folder, by extension (HTML as HTML, CSS, scripts,
 * fonts, media); anything unknown is `application/octet-stream`.
 *
 * @example
 * ```ts
 * webContentTypeFor('index.html'); // 'text/html; charset=utf-8'
 * ```
 */
export function webContentTypeFor(name: string): string {
  return WEB_TYPES[extensionOf(name)] ?? contentTypeFor(name);
}

/** The Content-Security-Policy of every answer from a web folder of this kind. */
export function webFolderCsp(kind: WebFolderKind): string {
  return kind === 'public'
    ? "sandbox allow-scripts allow-popups allow-forms; frame-ancestors 'self'; base-uri 'self'"
    : "default-src 'self'; script-src 'none'; object-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self'; "
      + "font-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; frame-src 'self'";
}
