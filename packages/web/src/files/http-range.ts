/**
 * HTTP `Range` requests (RFC 9110 §14): one byte range, as the files API serves.
 * @packageDocumentation
 */

/** What a `Range` header asks for, against a file of a known size. */
export type RangeRequest =
  | { readonly kind: 'none' }
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

/**
 * Parses a `Range` header for a file of `size` bytes. Multiple ranges and other units are ignored
 * (the whole file is sent, which RFC 9110 allows); a syntactically valid single range that does
 * not overlap the file is `unsatisfiable` (416).
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'none' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null) {
    return /^\s*bytes\s*=/i.test(header) && !header.includes(',') ? { kind: 'unsatisfiable' } : { kind: 'none' };
  }
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return { kind: 'unsatisfiable' };
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  if (!Number.isSafeInteger(start) || start >= size) return { kind: 'unsatisfiable' };
  let end = b === '' ? size - 1 : Number(b);
  if (!Number.isSafeInteger(end) || end < start) return { kind: 'unsatisfiable' };
  if (end >= size) end = size - 1;
  return { kind: 'range', start, end };
}
