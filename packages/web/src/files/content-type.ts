/**
 * The `Content-Type` the files API serves a file with: sniff-safe. Text and images by extension,
 * everything else `application/octet-stream`; markup that a browser would run (HTML, SVG, XML) is
 * served as `text/plain`, so a stored file can never become a page of the site.
 * @packageDocumentation
 */

const TEXT = new Set([
  'txt', 'md', 'csv', 'tsv', 'log', 'json', 'yaml', 'yml', 'toml', 'ini', 'cfg', 'conf', 'py', 'js', 'ts', 'c', 'h', 'cpp', 'hpp', 'java', 'go', 'rs',
  'sh', 'bash', 'r', 'm', 'f', 'f90', 'tex', 'bib', 'mrsl', 'sql', 'css', 'html', 'htm', 'xhtml', 'xml', 'svg', 'rst', 'pl', 'rb', 'php', 'jl', 'dat',
]);

const IMAGES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  avif: 'image/avif',
};

/** The extension of a name, lower-cased, without the dot (`''` when none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/** Whether the files API serves `name` as text. */
export function isTextName(name: string): boolean {
  return TEXT.has(extensionOf(name));
}

/** Whether the files API serves `name` as an image. */
export function isImageName(name: string): boolean {
  return extensionOf(name) in IMAGES;
}

/** The `Content-Type` header for a file named `name`. */
export function contentTypeFor(name: string): string {
  const ext = extensionOf(name);
  const image = IMAGES[ext];
  if (image !== undefined) return image;
  if (TEXT.has(ext)) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

/** A `Content-Disposition` value with an ASCII fallback and the RFC 5987 UTF-8 name. */
export function contentDisposition(kind: 'attachment' | 'inline', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_') || 'download';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
