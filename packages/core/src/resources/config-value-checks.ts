/**
 * The character checks MiG applies to resource configuration and runtime environment values
 * (`safeinput.guess_type` by lower-cased keyword name), as small functions that return the reason
 * a value fails (never the value itself) or `undefined`.
 * @packageDocumentation
 */
import { charset, checkCharacters, NAME_CHARSET, PLAIN_TEXT_CHARSET, type Charset } from '../identity/charsets.js';

/** A check of one value: the reason it fails, or `undefined`. Reasons never contain the value. */
export type ValueCheck = (value: string) => string | undefined;

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const FQDN = LETTERS + DIGITS + '.-';
const CURRENCY = '¤$€£¢¥₣₤';
/** MiG `VALID_PATH_CHARACTERS`. */
const PATH = LETTERS + DIGITS + CURRENCY + '/.,_-+±×÷=½¾' + " '" + ':;@§%‰()~!&¶';
/** MiG "any accented": Unicode upper, lower and title case letters. */
const ANY_LETTER = /^[\p{Lu}\p{Ll}\p{Lt}]$/u;

/** The longest free-text value we accept (MiG sets no bound; one line of the format is the bound). */
export const MAX_TEXT_VALUE_LENGTH = 16 * 1024;

const NUMERIC = charset(DIGITS, 'the digits 0-9', false);
const ALPHANUMERIC = charset(LETTERS + DIGITS, 'ASCII letters and digits', false);
const FQDN_CHARSET = charset(FQDN, "ASCII letters, digits, '.' and '-'", false);
const JOB_ID_CHARSET = charset(FQDN + '_', "ASCII letters, digits, '.', '-' and '_'", false);
const SAFE_PATH_CHARSET = charset(LETTERS + DIGITS + '/.,_-+=', "ASCII letters, digits and / . , _ - + =", false);
const BASE_URL_CHARSET = charset(FQDN + ':/_', "ASCII letters, digits and . - : / _", false);
const VGRID_NAME_CHARSET = charset(FQDN + '_ /', "ASCII letters, digits, space and . - _ /", false);
const SOFTWARE_NAME_CHARSET = charset(FQDN + '_ ', "ASCII letters, digits, space and . - _", false);
const PATH_PATTERN_CHARSET: Charset = (() => {
  const set = new Set(PATH + '.*?');
  return {
    description: "letters, digits, space and / . , _ - + = ' : ; @ % ( ) ~ ! & * ? and currency symbols",
    accented: false,
    has: (c: string) => set.has(c) || ANY_LETTER.test(c),
  };
})();

/** MiG `valid_numeric`: digits only (the number itself is judged by the caller). */
export const checkNumeric: ValueCheck = (v) => checkCharacters(v, NUMERIC, 1, 32);
/** MiG `valid_alphanumeric` (the fallback for keywords MiG does not list). */
export const checkAlphanumeric: ValueCheck = (v) => checkCharacters(v, ALPHANUMERIC, 1, 255);
/** MiG `valid_fqdn` (1-255). */
export const checkFqdn: ValueCheck = (v) => checkCharacters(v, FQDN_CHARSET, 1, 255);
/** MiG `valid_fqdn` with `min_length=0` (execution_node, storage_node). */
export const checkOptionalFqdn: ValueCheck = (v) => checkCharacters(v, FQDN_CHARSET, 0, 255);
/** MiG `valid_job_id` (1-255): resource and runtime environment names, MIGUSER. */
export const checkJobId: ValueCheck = (v) => checkCharacters(v, JOB_ID_CHARSET, 1, 255);
/** MiG `valid_job_id` with `min_length=0` (execution_user, storage_user). */
export const checkOptionalJobId: ValueCheck = (v) => checkCharacters(v, JOB_ID_CHARSET, 0, 255);
/** MiG `valid_safe_path` (1-1024): shell-safe paths used in commands on the resource. */
export const checkSafePath: ValueCheck = (v) => checkCharacters(v, SAFE_PATH_CHARSET, 1, 1024);
/** MiG `valid_safe_path`, but empty allowed (for fields whose default is empty). */
export const checkOptionalSafePath: ValueCheck = (v) => checkCharacters(v, SAFE_PATH_CHARSET, 0, 1024);
/** MiG `valid_path_pattern` (1-4096; HOSTKEY). */
export const checkPathPattern: ValueCheck = (v) => checkCharacters(v.normalize('NFC'), PATH_PATTERN_CHARSET, 1, 4096);
/** MiG `valid_plain_text`: no `<` or `>`, common accented letters allowed. */
export const checkPlainText: ValueCheck = (v) => checkCharacters(v, PLAIN_TEXT_CHARSET, 0, MAX_TEXT_VALUE_LENGTH);
/** MiG `valid_base_url` (1-255; SOFTWARE url and icon). */
export const checkBaseUrl: ValueCheck = (v) => checkCharacters(v, BASE_URL_CHARSET, 1, 255);
/** MiG `valid_commonname` (1-255; SOFTWARE version). */
export const checkCommonName: ValueCheck = (v) => checkCharacters(v, NAME_CHARSET, 1, 255);
/** MiG's check of a `name` sub-keyword: FQDN characters plus `_` and space (SOFTWARE name). */
export const checkSoftwareName: ValueCheck = (v) => checkCharacters(v, SOFTWARE_NAME_CHARSET, 1, 255);

/**
 * One VGrid name of a unit's `vgrid` list: MiG `valid_vgrid_name` (1-255), and, stricter than
 * MiG, no empty, `.` or `..` components, so a name can never act as a path.
 */
export const checkVgridName: ValueCheck = (v) => {
  const reason = checkCharacters(v, VGRID_NAME_CHARSET, 1, 255);
  if (reason !== undefined) return reason;
  if (v.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    return "has an empty, '.' or '..' part; write nested VGrids as parent/child";
  }
  return undefined;
};

/**
 * A unit or resource name used in IDs and URLs (`<resource>_<exe>`): MiG `valid_fqdn`, which is
 * what MiG's job request checks the exe name with (1-255).
 */
export const checkUnitName: ValueCheck = (v) => checkCharacters(v, FQDN_CHARSET, 1, 255);

/**
 * A shell environment variable name: a letter or `_`, then letters, digits and `_` (1-255).
 * Stricter than MiG (which lets `.`, `-` and space through although no shell can export them).
 */
export const checkVariableName: ValueCheck = (v) => {
  if (v.length === 0) return 'must not be empty';
  if (v.length > 255) return 'is too long (at most 255 characters)';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
    return 'must be a shell variable name: a letter or _ followed by letters, digits and _';
  }
  return undefined;
};

/**
 * Reads a whole number the way MiG's `int()` does for values that passed `valid_numeric`
 * (digits only), bounded to safe integers. Returns the number or the reason.
 */
export function readWholeNumber(text: string): number | string {
  if (!/^[0-9]+$/.test(text)) return 'must be a whole number (digits only)';
  if (text.length > 16) return `is too large (at most ${Number.MAX_SAFE_INTEGER})`;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) return `is too large (at most ${Number.MAX_SAFE_INTEGER})`;
  return n;
}

/**
 * Reads MiG's boolean spellings (`True/False`, `1/0`, `on/off`, any case). Returns the value or
 * `undefined` when the text is none of them.
 */
export function readBoolean(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  if (lower === 'true' || lower === '1' || lower === 'on') return true;
  if (lower === 'false' || lower === '0' || lower === 'off') return false;
  return undefined;
}
