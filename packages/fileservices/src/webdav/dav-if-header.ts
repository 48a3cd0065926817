/**
 * The WebDAV `If:` request header (RFC 4918 §10.4): untagged and tagged lists of conditions, each
 * a state token (`<opaquelocktoken:…>`) or an entity tag (`["etag"]`), optionally negated with
 * `Not`. Parsing is strict and bounded; anything malformed is `400 Bad Request`.
 * @packageDocumentation
 */
import { DavStatusError } from './dav-status-error.js';

/** One condition of a list. */
export interface IfCondition {
  readonly not: boolean;
  readonly kind: 'token' | 'etag';
  /** The state token URI (without `<>`) or the entity tag as written (quotes and `W/` kept). */
  readonly value: string;
}

/** One parenthesised list; `resource` is the tag (a URL or path) of a tagged list. */
export interface IfList {
  readonly resource: string | undefined;
  readonly conditions: readonly IfCondition[];
}

const MAX_LISTS = 64;
const MAX_CONDITIONS = 256;

/** Parses an `If:` header value into its lists. */
export function parseIfHeader(value: string): IfList[] {
  if (value.length > 16_384) throw new DavStatusError(400, 'The If header is too long.');
  const lists: IfList[] = [];
  let i = 0;
  let tag: string | undefined;
  let tagged: boolean | undefined;
  let conditions = 0;
  const bad = (): never => {
    throw new DavStatusError(400, 'The If header is malformed.');
  };
  const skipSpace = (): void => {
    while (i < value.length && /[ \t\r\n]/.test(value[i] as string)) i++;
  };
  const until = (close: string): string => {
    const end = value.indexOf(close, i);
    if (end < 0) bad();
    const s = value.slice(i, end);
    i = end + 1;
    return s;
  };
  for (;;) {
    skipSpace();
    if (i >= value.length) break;
    const c = value[i];
    if (c === '<') {
      // A resource tag starts a tagged production; all lists must then be tagged.
      if (tagged === false) bad();
      tagged = true;
      i++;
      tag = until('>');
      if (tag.length === 0) bad();
      skipSpace();
      if (value[i] !== '(') bad();
      continue;
    }
    if (c !== '(') bad();
    if (tagged === undefined) tagged = false;
    i++;
    const conds: IfCondition[] = [];
    for (;;) {
      skipSpace();
      if (i >= value.length) bad();
      if (value[i] === ')') {
        i++;
        break;
      }
      let not = false;
      if (value.slice(i, i + 3).toLowerCase() === 'not') {
        not = true;
        i += 3;
        skipSpace();
      }
      if (value[i] === '<') {
        i++;
        const token = until('>');
        if (token.length === 0 || /\s/.test(token)) bad();
        conds.push({ not, kind: 'token', value: token });
      } else if (value[i] === '[') {
        i++;
        const etag = until(']').trim();
        if (!/^(W\/)?"[^"]*"$/.test(etag)) bad();
        conds.push({ not, kind: 'etag', value: etag });
      } else {
        bad();
      }
      if (++conditions > MAX_CONDITIONS) bad();
    }
    if (conds.length === 0) bad();
    lists.push({ resource: tagged ? tag : undefined, conditions: conds });
    if (lists.length > MAX_LISTS) bad();
  }
  if (lists.length === 0) bad();
  return lists;
}

/** Every state token named in the lists (negated or not): the lock tokens the client submits. */
export function submittedTokens(lists: readonly IfList[]): Set<string> {
  const out = new Set<string>();
  for (const l of lists) for (const c of l.conditions) if (c.kind === 'token') out.add(c.value);
  return out;
}
