/**
 * Password hashing: scrypt for every new hash, and verification of MiG's `PBKDF2$sha256$…` hashes
 * so that accounts imported from a MiG site keep working (and are upgraded at their next login).
 *
 * Stored format of our own hashes: `scrypt$<logN>$<r>$<p>$<salt b64>$<key b64>`.
 * @packageDocumentation
 */
import { pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { MAX_PASSWORD_LENGTH } from '../config/password-policy-spec.js';
import { InvalidInputError } from '../errors.js';

/** scrypt cost parameters of a new hash. */
export interface PasswordHashOptions {
  /** log2 of the CPU/memory cost N (default 15, i.e. N = 32768). Between 10 and 20; 128·N·r at most 256 MiB and N·r·p at most 2^24. */
  readonly logN?: number;
  /** Block size r (default 8). Between 1 and 32. */
  readonly r?: number;
  /** Parallelism p (default 3). Between 1 and 16. */
  readonly p?: number;
}

/** A stored hash taken apart by {@link parsePasswordHash}. */
export type ParsedPasswordHash =
  | { readonly kind: 'scrypt'; readonly logN: number; readonly r: number; readonly p: number; readonly salt: Buffer; readonly key: Buffer }
  | { readonly kind: 'pbkdf2'; readonly digest: 'sha256'; readonly iterations: number; readonly saltText: string; readonly key: Buffer };

/** The parameters of new hashes: OWASP's scrypt recommendation (N=2^15, r=8, p=3). */
export const DEFAULT_PASSWORD_HASH_OPTIONS: Readonly<Required<PasswordHashOptions>> = Object.freeze({ logN: 15, r: 8, p: 3 });

/** Limits on parameters read from a stored hash, so a planted hash cannot make verification hog CPU or memory. */
const SCRYPT_LIMITS = { logN: [10, 20], r: [1, 32], p: [1, 16] } as const;
/** Together the parameters must stay below these, so no single verification can take seconds or gigabytes. */
const SCRYPT_MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const SCRYPT_MAX_WORK = 2 ** 24; // N·r·p; the default is 2^15·8·3 ≈ 2^19.6
const PBKDF2_MAX_ITERATIONS = 10_000_000;

/** Why these scrypt parameters are too costly, or undefined when they are fine. */
function scryptCostProblem(logN: number, r: number, p: number): string | undefined {
  if (128 * r * 2 ** logN > SCRYPT_MAX_MEMORY_BYTES) return `N and r need more than ${SCRYPT_MAX_MEMORY_BYTES / 1024 / 1024} MiB`;
  if (2 ** logN * r * p > SCRYPT_MAX_WORK) return 'N·r·p exceeds 2^24';
  return undefined;
}
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const MAX_STORED_LENGTH = 512;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DECIMAL = /^[1-9][0-9]{0,8}$/;

/** How many characters (code points, as MiG counts them) a password has. */
function passwordLength(password: string): number {
  let n = 0;
  for (const _ of password) n += 1;
  return n;
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new InvalidInputError(`The ${what} must be a string.`, { details: { field: what } });
  return value;
}

function hashFormatError(message: string): InvalidInputError {
  return new InvalidInputError(`Stored password hash is malformed: ${message}. Set a new password for this account.`, {
    code: 'MIG_E_PASSWORD_HASH_FORMAT',
  });
}

function parseBoundedInt(text: string | undefined, min: number, max: number, what: string): number {
  if (text === undefined || !DECIMAL.test(text)) throw hashFormatError(`${what} is not a positive whole number`);
  const n = Number(text);
  if (n < min || n > max) throw hashFormatError(`${what} ${n} is outside ${min}–${max}`);
  return n;
}

function parseBase64(text: string | undefined, what: string, minBytes: number, maxBytes: number): Buffer {
  if (text === undefined || !BASE64.test(text) || text.length % 4 !== 0) throw hashFormatError(`${what} is not base64`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < minBytes || bytes.length > maxBytes) throw hashFormatError(`${what} has ${bytes.length} bytes, expected ${minBytes}–${maxBytes}`);
  return bytes;
}

/**
 * Takes a stored password hash apart and checks its parameters are sane. Accepts our
 * `scrypt$logN$r$p$salt$key` and MiG's `PBKDF2$sha256$<iterations>$<salt>$<key>`.
 *
 * @throws InvalidInputError `MIG_E_PASSWORD_HASH_FORMAT` when the text is not a hash we know, or its
 *   parameters are absurd (logN > 20, scrypt needing over 256 MiB, more than 10^7 PBKDF2 rounds …),
 *   which would let a planted hash exhaust the server.
 *
 * @example
 * ```ts
 * parsePasswordHash('PBKDF2$sha256$10000$MDAwMDAwMDAwMDAw$epib2rEg/HYTQZFnCp7hmIGZ6rzHnViy').kind; // 'pbkdf2'
 * ```
 */
export function parsePasswordHash(stored: string): ParsedPasswordHash {
  if (typeof stored !== 'string' || stored.length === 0) throw hashFormatError('it is empty or not text');
  if (stored.length > MAX_STORED_LENGTH) throw hashFormatError(`it is longer than ${MAX_STORED_LENGTH} characters`);
  const parts = stored.split('$');
  const [kind] = parts;
  if (kind === 'scrypt') {
    if (parts.length !== 6) throw hashFormatError('an scrypt hash has 6 fields separated by $');
    const logN = parseBoundedInt(parts[1], SCRYPT_LIMITS.logN[0], SCRYPT_LIMITS.logN[1], 'logN');
    const r = parseBoundedInt(parts[2], SCRYPT_LIMITS.r[0], SCRYPT_LIMITS.r[1], 'r');
    const p = parseBoundedInt(parts[3], SCRYPT_LIMITS.p[0], SCRYPT_LIMITS.p[1], 'p');
    const problem = scryptCostProblem(logN, r, p);
    if (problem !== undefined) throw hashFormatError(`its cost is too high (${problem})`);
    const salt = parseBase64(parts[4], 'salt', 8, 64);
    const key = parseBase64(parts[5], 'key', 16, 64);
    return { kind: 'scrypt', logN, r, p, salt, key };
  }
  if (kind === 'PBKDF2') {
    if (parts.length !== 5) throw hashFormatError('a PBKDF2 hash has 5 fields separated by $');
    if (parts[1] !== 'sha256') throw hashFormatError('only PBKDF2 with sha256 is supported');
    const iterations = parseBoundedInt(parts[2], 1, PBKDF2_MAX_ITERATIONS, 'iterations');
    const saltText = parts[3];
    // MiG feeds the salt's base64 text itself to PBKDF2, so we keep the text, but it must still look like base64.
    parseBase64(saltText, 'salt', 4, 64);
    const key = parseBase64(parts[4], 'key', 16, 64);
    return { kind: 'pbkdf2', digest: 'sha256', iterations, saltText: saltText as string, key };
  }
  throw hashFormatError('unknown scheme (expected scrypt$… or PBKDF2$sha256$…)');
}

/** Memory scrypt needs for these parameters, with headroom; Node refuses to run above `maxmem`. */
function scryptMaxmem(logN: number, r: number, p: number): number {
  return 128 * r * (2 ** logN + p + 2) + 1024 * 1024;
}

function scryptKey(password: string, salt: Buffer, keyLength: number, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, { N: 2 ** logN, r, p, maxmem: scryptMaxmem(logN, r, p) }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function pbkdf2Key(password: string, saltText: string, iterations: number, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password, 'utf8'), Buffer.from(saltText, 'utf8'), iterations, keyLength, 'sha256', (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function checkOption(value: number | undefined, fallback: number, [min, max]: readonly [number, number], what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`Password hash option ${what} must be a whole number from ${min} to ${max}.`, { details: { field: what } });
  }
  return value;
}

/**
 * Hashes a password with scrypt and a fresh 16-byte random salt. Runs in libuv's thread pool, so it
 * never blocks the event loop.
 *
 * Passwords are Unicode-normalised (NFC) first, so the same password typed on different systems
 * gives the same hash.
 *
 * @throws InvalidInputError `MIG_E_INVALID_INPUT` for an empty password, one longer than 256
 *   characters, or cost options out of range.
 *
 * @example
 * ```ts
 * const stored = await hashPassword('correct horse battery staple');
 * // 'scrypt$15$8$3$…$…'
 * ```
 */
export async function hashPassword(password: string, options: PasswordHashOptions = {}): Promise<string> {
  requireString(password, 'password');
  const length = passwordLength(password);
  if (length === 0) throw new InvalidInputError('The password must not be empty.', { details: { field: 'password' } });
  if (length > MAX_PASSWORD_LENGTH) {
    throw new InvalidInputError(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`, { details: { field: 'password', max: MAX_PASSWORD_LENGTH } });
  }
  if (typeof options !== 'object' || options === null) throw new InvalidInputError('Password hash options must be an object.');
  const logN = checkOption(options.logN, DEFAULT_PASSWORD_HASH_OPTIONS.logN, SCRYPT_LIMITS.logN, 'logN');
  const r = checkOption(options.r, DEFAULT_PASSWORD_HASH_OPTIONS.r, SCRYPT_LIMITS.r, 'r');
  const p = checkOption(options.p, DEFAULT_PASSWORD_HASH_OPTIONS.p, SCRYPT_LIMITS.p, 'p');
  const problem = scryptCostProblem(logN, r, p);
  if (problem !== undefined) throw new InvalidInputError(`Password hash options are too costly: ${problem}.`, { details: { field: 'options' } });
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptKey(password, salt, KEY_BYTES, logN, r, p);
  return `scrypt$${logN}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Checks a password against a stored hash (ours or MiG's PBKDF2) in constant time.
 *
 * Returns `false`, never throws, for a wrong password, an empty or over-long password, and a
 * malformed stored hash (use {@link parsePasswordHash} to learn what is wrong with one).
 *
 * @throws InvalidInputError `MIG_E_INVALID_INPUT` only when an argument is not a string at all.
 *
 * @example
 * ```ts
 * if (await verifyPassword(given, user.passwordHash)) { … }
 * ```
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  requireString(password, 'password');
  requireString(stored, 'stored password hash');
  const length = passwordLength(password);
  if (length === 0 || length > MAX_PASSWORD_LENGTH) return false;
  let parsed: ParsedPasswordHash;
  try {
    parsed = parsePasswordHash(stored);
  } catch {
    return false;
  }
  const derived =
    parsed.kind === 'scrypt'
      ? await scryptKey(password, parsed.salt, parsed.key.length, parsed.logN, parsed.r, parsed.p)
      : await pbkdf2Key(password, parsed.saltText, parsed.iterations, parsed.key.length);
  return derived.length === parsed.key.length && timingSafeEqual(derived, parsed.key);
}

/**
 * True when a stored hash should be replaced by a fresh {@link hashPassword} result at the next
 * successful login: MiG's PBKDF2 hashes, scrypt hashes weaker than the current defaults (or than
 * `options`, if the site hashes with other costs), and malformed hashes.
 *
 * @example
 * ```ts
 * if (ok && needsRehash(stored)) await users.updatePasswordHash(id, await hashPassword(given));
 * ```
 */
export function needsRehash(stored: string, options: PasswordHashOptions = {}): boolean {
  let parsed: ParsedPasswordHash;
  try {
    parsed = parsePasswordHash(stored);
  } catch {
    return true;
  }
  if (parsed.kind !== 'scrypt') return true;
  const d = { ...DEFAULT_PASSWORD_HASH_OPTIONS, ...options };
  return parsed.logN < d.logN || parsed.r < d.r || parsed.p < d.p || parsed.salt.length < SALT_BYTES || parsed.key.length < KEY_BYTES;
}
