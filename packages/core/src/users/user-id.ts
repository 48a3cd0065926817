/**
 * User ids: 64 random characters `[A-Za-z0-9]`, as MiG's `unique_id` (`unique_id_length`,
 * `unique_id_charset`). The id names the home folder, so it is a safe file name by construction
 * and never changes when the user's name or email does.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../errors.js';

/** The characters of a user id. */
export const USER_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The length of a user id. */
export const USER_ID_LENGTH = 64;
/** What a user id looks like. */
export const USER_ID_PATTERN = /^[A-Za-z0-9]{64}$/;

/**
 * A new random id of `length` characters from {@link USER_ID_ALPHABET}, without modulo bias
 * (bytes ≥ 248 are dropped: 248 = 4 × 62).
 */
export function generateRandomId(length: number = USER_ID_LENGTH): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= 248) continue;
      out += USER_ID_ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A new user id. */
export function generateUserId(): string {
  return generateRandomId(USER_ID_LENGTH);
}

/** True when `value` has the form of a user id. */
export function isUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value);
}

/**
 * Returns `value` when it has the form of an id, and throws {@link InvalidInputError} naming
 * `field` otherwise, so a malformed id never reaches a query.
 */
export function requireId(value: unknown, field: string): string {
  if (!isUserId(value)) {
    const message = 'must be an id of 64 letters and digits';
    throw new InvalidInputError(`Invalid ${field}: ${message}.`, { details: { problems: [{ path: field, message }] } });
  }
  return value;
}
