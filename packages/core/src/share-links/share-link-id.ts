/**
 * Share link ids, in MiG's format: the first character says the mode, the rest is random.
 * @packageDocumentation
 */
import { randomInt } from 'node:crypto';
import { MigError } from '../errors.js';
import type { ShareLinkMode } from './share-link.js';

/** The characters of an id after the first: `[a-zA-Z0-9]` (URL- and login-name-safe, as MiG's). */
export const SHARE_ID_CHARSET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * The first character of an id, per mode, as MiG splits `aAbB…xX` in three: `a–h`/`A–H`
 * read-only, `i–p`/`I–P` read-write, `q–x`/`Q–X` write-only. Any of the 16 may start an id of
 * that mode, so the first character still carries 4 random bits.
 */
export const SHARE_MODE_CHARS: Readonly<Record<ShareLinkMode, string>> = Object.freeze({
  ro: 'abcdefghABCDEFGH',
  rw: 'ijklmnopIJKLMNOP',
  wo: 'qrstuvwxQRSTUVWX',
});

/**
 * Length of an id. MiG's default is 10 (about 58 bits); ours is 16: 4 bits from the mode
 * character and 15 × log2(62) ≈ 89.3 from the rest, about 93 bits in all.
 */
export const SHARE_ID_LENGTH = 16;

const SHAPE = /^[a-xA-X][a-zA-Z0-9]{15}$/;
const UPPER = /[A-Z]/;

/**
 * Makes a new random id for `mode` (every character from `crypto.randomInt`, uniform).
 *
 * @example
 * ```ts
 * const id = generateShareId('wo'); // e.g. 'sV3b…' (first character in q–x / Q–X)
 * ```
 */
export function generateShareId(mode: ShareLinkMode): string {
  const first = SHARE_MODE_CHARS[mode];
  // An id without an upper-case letter (about 1 in 7,000) is drawn again: login aliases are
  // lower-cased, so ids and user login names can never be equal. This costs < 0.001 bits.
  for (let attempt = 0; attempt < 1000; attempt++) {
    let id = first.charAt(randomInt(first.length));
    for (let i = 1; i < SHARE_ID_LENGTH; i++) id += SHARE_ID_CHARSET.charAt(randomInt(SHARE_ID_CHARSET.length));
    if (UPPER.test(id)) return id;
  }
  throw new MigError('MIG_E_INTERNAL', 'The random number generator keeps giving ids without an upper-case letter; refusing to go on.');
}

/**
 * Whether `name` has the shape of a share link id: 16 characters of `[a-zA-Z0-9]`, a mode
 * character first, at least one upper-case letter. File services use it to tell a share-link
 * login from a user login: user login names are emails or lower-cased aliases, never this shape.
 */
export function isShareIdShape(name: string): boolean {
  return SHAPE.test(name) && UPPER.test(name);
}

/** The mode an id encodes, or `undefined` when `id` is not shaped like one. */
export function modeOfShareId(id: string): ShareLinkMode | undefined {
  if (!isShareIdShape(id)) return undefined;
  const c = id.charAt(0);
  for (const mode of ['ro', 'rw', 'wo'] as const) if (SHARE_MODE_CHARS[mode].includes(c)) return mode;
  return undefined;
}
