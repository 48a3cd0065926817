/**
 * The per-keyword value checks MiG applies to job descriptions (`safeinput.guess_type` by keyword
 * name), plus the hostile-character screen every value passes first.
 * @packageDocumentation
 */
import { checkCharacters, codePointName, PLAIN_TEXT_CHARSET, type Charset } from '../identity/charsets.js';
import { MRSL_LIMITS } from './mrsl-limits.js';
import type { MrslKeywordName } from './job-spec.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const FQDN = LETTERS + DIGITS + '.-';
const CURRENCY = '¤$€£¢¥₣₤';
/** MiG `VALID_PATH_CHARACTERS` (space included). */
const PATH = LETTERS + DIGITS + CURRENCY + '/.,_-+±×÷=½¾' + " '" + ':;@§%‰()~!&¶';
/** MiG's "any accented" letters: Unicode upper, lower and title case letters. */
const ANY_LETTER = /^[\p{Lu}\p{Ll}\p{Lt}]$/u;

function plainSet(chars: string, description: string): Charset {
  const set = new Set(chars);
  return { description, accented: false, has: (c) => set.has(c) };
}

const PATH_CHARSET: Charset = (() => {
  const set = new Set(PATH);
  return {
    description: "letters, digits, space and / . , _ - + = ' : ; @ % ( ) ~ ! & and currency symbols",
    accented: false,
    has: (c: string) => set.has(c) || ANY_LETTER.test(c),
  };
})();
const NUMERIC = plainSet(DIGITS, 'the digits 0-9');
const ALPHANUMERIC = plainSet(LETTERS + DIGITS, 'ASCII letters and digits');
const FQDN_CHARSET = plainSet(FQDN, "ASCII letters, digits, '.' and '-'");
const JOB_ID_PATTERN = plainSet(FQDN + '_.*?', "ASCII letters, digits, '.', '-', '_', '*' and '?'");
const VGRID_NAMES = plainSet(FQDN + '_ /,', "ASCII letters, digits, space and . - _ / ,");
const JOB_NAME = plainSet(FQDN + '_+@%', "ASCII letters, digits and . - _ + @ %");

/** A check of one value: the reason it fails, or `undefined`. Reasons never contain the value. */
export type ValueCheck = (value: string) => string | undefined;

/** MiG `valid_path` (1-4096 characters, NFC-normalised first). */
export const checkPath: ValueCheck = (v) => checkCharacters(v.normalize('NFC'), PATH_CHARSET, 1, 4096);

/** MiG `valid_path_src_dst_lines` for INPUTFILES and friends (0-4096 characters). */
const checkPathLine: ValueCheck = (v) => checkCharacters(v.normalize('NFC'), PATH_CHARSET, 0, 4096);

/** MiG `valid_plain_text` (no `<` or `>`); MiG sets no length limit, we use the line limit. */
const checkPlainText: ValueCheck = (v) => checkCharacters(v, PLAIN_TEXT_CHARSET, 0, MRSL_LIMITS.maxLineLength);

/** MiG `valid_free_text`: anything (the hostile-character screen has run already). */
const checkFreeText: ValueCheck = () => undefined;

const unlimited = (set: Charset, min: number): ValueCheck => (v) => checkCharacters(v, set, min, MRSL_LIMITS.maxLineLength);
const limited = (set: Charset, min: number, max: number): ValueCheck => (v) => checkCharacters(v, set, min, max);

/** MiG `valid_job_name`: FQDN characters plus `_+@%`, at most 255. */
export const checkJobName: ValueCheck = limited(JOB_NAME, 0, 255);

/** MiG `valid_job_id`: FQDN characters plus `_`, 1-255 (used for job IDs given to expansion). */
export const checkJobId: ValueCheck = limited(plainSet(FQDN + '_', "ASCII letters, digits, '.', '-' and '_'"), 1, 255);

/**
 * The check MiG's `guess_type` picks for each job keyword (by its lower-case name); keywords
 * MiG does not list get its strict alphanumeric default.
 */
export const KEYWORD_VALUE_CHECKS: Readonly<Record<MrslKeywordName, ValueCheck>> = {
  EXECUTE: checkFreeText,
  INPUTFILES: checkPathLine,
  OUTPUTFILES: checkPathLine,
  EXECUTABLES: checkPathLine,
  VERIFYFILES: checkPathLine,
  MOUNT: checkPlainText,
  RESOURCE: limited(JOB_ID_PATTERN, 1, 255),
  VGRID: limited(VGRID_NAMES, 0, 255),
  NODECOUNT: unlimited(NUMERIC, 0),
  CPUCOUNT: unlimited(NUMERIC, 0),
  CPUTIME: unlimited(NUMERIC, 0),
  MEMORY: unlimited(NUMERIC, 0),
  DISK: unlimited(NUMERIC, 0),
  ARCHITECTURE: limited(FQDN_CHARSET, 1, 255),
  PLATFORM: limited(FQDN_CHARSET, 1, 255),
  MAXFILL: unlimited(ALPHANUMERIC, 0),
  ENVIRONMENT: checkPlainText,
  RUNTIMEENVIRONMENT: checkPlainText,
  NOTIFY: checkPlainText,
  RETRIES: unlimited(ALPHANUMERIC, 0),
  JOBTYPE: unlimited(ALPHANUMERIC, 0),
  JOBNAME: checkJobName,
  PROJECT: unlimited(ALPHANUMERIC, 0),
  SANDBOX: unlimited(ALPHANUMERIC, 0),
  MAXPRICE: unlimited(ALPHANUMERIC, 0),
};

// C0 and C1 controls except tab, DEL, the Unicode line and paragraph separators, lone surrogates.
const HOSTILE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]|\p{Cs}/u;

/**
 * The screen every value and every line passes before anything else: no NUL, no control
 * characters (tab is allowed), no Unicode line separators, no broken UTF-16. MiG lets these
 * through in free-text fields; they have no business in a job description.
 */
export function checkHostileCharacters(value: string): string | undefined {
  const match = HOSTILE.exec(value);
  if (match === null) return undefined;
  const char = match[0];
  if (char === '\u0000') return 'contains a NUL character, which is not allowed; remove it';
  if (char === '\n' || char === '\r') return 'contains a line break; give each line as its own entry';
  if (/\p{Cs}/u.test(char)) return 'contains an invalid Unicode sequence; save the text as UTF-8';
  return `contains the control character ${codePointName(char)}, which is not allowed; remove it`;
}

/**
 * Python's `str.strip()` whitespace, which is what MiG trims from every line (JavaScript's
 * `trim` differs: it also trims U+FEFF and keeps U+001C-U+001F and U+0085). All of them are
 * single UTF-16 code units.
 */
const PY_SPACE = new Set(
  '\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006' +
    '\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000',
);

/** Removes leading and trailing whitespace exactly as Python's `str.strip()` does (linear time). */
export function pythonStrip(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && PY_SPACE.has(value.charAt(start))) start += 1;
  while (end > start && PY_SPACE.has(value.charAt(end - 1))) end -= 1;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}
