/**
 * MiG distinguished names (client ids): `/C=DK/ST=NA/L=NA/O=Org/OU=NA/CN=Full Name/emailAddress=me@x.org`.
 *
 * - {@link formatDn} always writes MiG's fixed field order (`cert_field_order`: C, ST, L, O, OU, CN,
 *   emailAddress) and `NA` for every empty part, as MiG's `fill_distinguished_name` does.
 * - {@link parseDn} is tolerant of field order and of missing fields, like MiG's
 *   `distinguished_name_to_user`, and reads `NA` back as empty. It is stricter than MiG in three
 *   ways, because a DN reaching it comes from outside: every part must be `KEY=value` (MiG skips
 *   junk), only the seven known keys are accepted (MiG keeps unknown ones such as DanID's
 *   `serialNumber`; we have no field to keep them in), and a key may appear once.
 * - Values use MiG's DN character set (`VALID_DN_CHARACTERS`: letters, digits, common accented
 *   letters, space and `-.,=:_@`), plus `+` in `emailAddress` because our email rule allows it.
 *   Never `/` (the separator), control characters, NUL or HTML.
 *
 * A consequence kept from MiG: a part whose value is literally `NA` means "empty".
 * @packageDocumentation
 */
import { InvalidInputError } from '../errors.js';
import { DN_CHARACTERS, charset, checkCharacters } from './charsets.js';
import { IDENTITY_LIMITS } from './identity-fields.js';

/** The seven parts of a MiG distinguished name, by their user-record names. Empty string = not set. */
export interface DnParts {
  /** Two-letter country code (`C`). */
  readonly country: string;
  /** Two-letter state code or empty (`ST`). */
  readonly state: string;
  /** Locality (`L`). */
  readonly locality: string;
  /** Organisation (`O`). */
  readonly organization: string;
  /** Organisational unit (`OU`). */
  readonly organizationalUnit: string;
  /** Full name (`CN`). */
  readonly fullName: string;
  /** Email address (`emailAddress`). */
  readonly email: string;
}

/** MiG's `cert_field_order`: each part's record name and DN key, in the order a DN is written. */
export const DN_FIELD_ORDER: ReadonlyArray<readonly [keyof DnParts, string]> = Object.freeze([
  ['country', 'C'],
  ['state', 'ST'],
  ['locality', 'L'],
  ['organization', 'O'],
  ['organizationalUnit', 'OU'],
  ['fullName', 'CN'],
  ['email', 'emailAddress'],
] as const);

/** The placeholder MiG writes for an empty part. */
export const DN_EMPTY_VALUE = 'NA';

const KEY_TO_FIELD = new Map<string, keyof DnParts>(DN_FIELD_ORDER.map(([field, key]) => [key, field]));
const VALUE_CHARSET = charset(DN_CHARACTERS.replace('/', ''), "letters, digits, space and '-.,=:_@'", true);
const EMAIL_VALUE_CHARSET = charset(DN_CHARACTERS.replace('/', '') + '+', "letters, digits and '-.,=:_@+'", true);

function dnError(message: string, field?: string): InvalidInputError {
  return new InvalidInputError(message, {
    code: 'MIG_E_INVALID_DN',
    ...(field === undefined ? {} : { details: { problems: [{ path: field, message }] } }),
  });
}

function checkValue(field: keyof DnParts, value: string): string | undefined {
  return checkCharacters(value, field === 'email' ? EMAIL_VALUE_CHARSET : VALUE_CHARSET, 0, IDENTITY_LIMITS.organization);
}

/** An all-empty {@link DnParts}. */
export const EMPTY_DN_PARTS: DnParts = Object.freeze({
  country: '', state: '', locality: '', organization: '', organizationalUnit: '', fullName: '', email: '',
});

/**
 * Writes a distinguished name from its parts, in MiG's fixed order with `NA` for empty parts.
 *
 * @throws InvalidInputError `MIG_E_INVALID_DN` when a part has a character a DN cannot hold (`/`,
 *   control characters, HTML …) or the result is longer than 1024 characters.
 *
 * @example
 * ```ts
 * formatDn({ country: 'DK', state: '', locality: '', organization: 'UCPH', organizationalUnit: '',
 *            fullName: 'Jane Doe', email: 'jane@ku.dk' });
 * // '/C=DK/ST=NA/L=NA/O=UCPH/OU=NA/CN=Jane Doe/emailAddress=jane@ku.dk'
 * ```
 */
export function formatDn(parts: Partial<DnParts>): string {
  if (typeof parts !== 'object' || parts === null) throw dnError('Invalid distinguished name: the parts must be an object.');
  let dn = '';
  for (const [field, key] of DN_FIELD_ORDER) {
    const raw: unknown = parts[field] ?? '';
    if (typeof raw !== 'string') throw dnError(`Invalid distinguished name: ${field} must be text.`, field);
    const reason = checkValue(field, raw);
    if (reason !== undefined) throw dnError(`Invalid distinguished name: ${field} ${reason}.`, field);
    dn += `/${key}=${raw === '' ? DN_EMPTY_VALUE : raw}`;
  }
  if (dn.length > IDENTITY_LIMITS.dn) {
    throw dnError(`Invalid distinguished name: it would be longer than ${IDENTITY_LIMITS.dn} characters; shorten the name, organisation or unit.`, 'dn');
  }
  return dn;
}

/**
 * Reads a distinguished name into its parts. Field order does not matter, missing fields and `NA`
 * values are empty.
 *
 * @throws InvalidInputError `MIG_E_INVALID_DN` when the text is not a DN: does not start with `/`,
 *   has a part without `=`, an unknown or repeated key, a bad character, or is over 1024 characters.
 *
 * @example
 * ```ts
 * parseDn('/C=DK/ST=NA/L=NA/O=UCPH/OU=NA/CN=Jane Doe/emailAddress=jane@ku.dk').fullName; // 'Jane Doe'
 * parseDn('/CN=Jane Doe/C=DK').country; // 'DK' (order is free, absent parts are '')
 * ```
 */
export function parseDn(text: string): DnParts {
  if (typeof text !== 'string') throw dnError('Invalid distinguished name: must be text.', 'dn');
  if (text.length > IDENTITY_LIMITS.dn) throw dnError(`Invalid distinguished name: longer than ${IDENTITY_LIMITS.dn} characters.`, 'dn');
  if (!text.startsWith('/')) throw dnError('Invalid distinguished name: it must start with "/", as in /C=DK/O=Org/CN=Name/emailAddress=name@example.org.', 'dn');
  const parts: Record<keyof DnParts, string> = { ...EMPTY_DN_PARTS };
  const seen = new Set<string>();
  for (const segment of text.slice(1).split('/')) {
    const eq = segment.indexOf('=');
    if (eq <= 0) throw dnError('Invalid distinguished name: every part must be KEY=value.', 'dn');
    const key = segment.slice(0, eq);
    const field = KEY_TO_FIELD.get(key);
    if (field === undefined) {
      const known = DN_FIELD_ORDER.map(([, k]) => k).join(', ');
      const shown = /^[A-Za-z]{1,32}$/.test(key) ? `"${key}"` : 'a key';
      throw dnError(`Invalid distinguished name: ${shown} is not one of the known keys (${known}).`, 'dn');
    }
    if (seen.has(key)) throw dnError(`Invalid distinguished name: ${key} appears more than once.`, field);
    seen.add(key);
    const value = segment.slice(eq + 1);
    const reason = checkValue(field, value);
    if (reason !== undefined) throw dnError(`Invalid distinguished name: ${key} ${reason}.`, field);
    parts[field] = value === DN_EMPTY_VALUE ? '' : value;
  }
  return parts;
}

/** True when `text` is a DN {@link parseDn} accepts. */
export function isDistinguishedName(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  try {
    parseDn(text);
    return true;
  } catch {
    return false;
  }
}
