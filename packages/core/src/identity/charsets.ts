/**
 * MiG's white-list character sets for identity fields (`mig/shared/safeinput.py`), and the one
 * scanner that checks a value against them. Kept as data so that tests and forms can show users
 * exactly what is allowed.
 * @packageDocumentation
 */

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

/**
 * The "common accented" letters MiG accepts on top of ASCII in names, organisations and text
 * (Danish/Nordic, French, German, Spanish, Turkish dotless/dotted i, Icelandic). Anything more
 * exotic (`Ź`, `ŕ`, Arabic …) is refused, as in MiG.
 */
export const COMMON_ACCENTED_LETTERS =
  'áÁàÀâÂäÄãÃåÅæÆçÇéÉèÈêÊëËíÍìÌîÎïÏñÑóÓòÒôÔöÖõÕøØœŒßúÚùÙûÛüÜ' + 'ıİ' + 'ÐðÝýÞþ';

/** Currency symbols MiG allows in paths and plain text. */
const CURRENCY = '¤$€£¢¥₣₤';

/**
 * Characters of a person's name (MiG `VALID_NAME_CHARACTERS`): letters, digits, space, `-` and `.`.
 * Never `+` or `_`: MiG reserves them for mapping a DN to a folder name.
 */
export const NAME_CHARACTERS = ASCII_LETTERS + DIGITS + ' -.';
/** Characters of an organisation, unit or locality (MiG `VALID_ORG_CHARACTERS`): name characters and `,`. */
export const ORGANIZATION_CHARACTERS = NAME_CHARACTERS + ',';
/** Characters of a whole distinguished name (MiG `VALID_DN_CHARACTERS`): organisation characters and `/=:_@`. */
export const DN_CHARACTERS = ORGANIZATION_CHARACTERS + '/=:_@';
/** Characters of MiG's path-like text (MiG `VALID_PATH_CHARACTERS`). */
const PATH_CHARACTERS = ASCII_LETTERS + DIGITS + CURRENCY + '/.,_-+±×÷=½¾' + " '" + ':;@§%‰()~!&¶';
/**
 * Characters of plain free text such as a sign-up comment (MiG `VALID_TEXT_CHARACTERS`): path
 * characters, `?#*[]{}"` `` ` `` `|^\`, newline, carriage return and tab. Never `<` or `>`.
 */
export const PLAIN_TEXT_CHARACTERS = PATH_CHARACTERS + '?#*[]{}"`|^\\' + '\n\r\t';
/** ASCII letters: the characters of a country or state code. */
export const ASCII_LETTER_CHARACTERS = ASCII_LETTERS;

/** A character set compiled for fast membership tests. */
export interface Charset {
  /** A short human description, used in messages ("letters, digits, space, '-' and '.'"). */
  readonly description: string;
  /** Whether {@link COMMON_ACCENTED_LETTERS} are allowed too. */
  readonly accented: boolean;
  has(char: string): boolean;
}

const ACCENTED = new Set(COMMON_ACCENTED_LETTERS);

/** Builds a {@link Charset} from a string of allowed characters. */
export function charset(chars: string, description: string, accented: boolean): Charset {
  const set = new Set(chars);
  return {
    description,
    accented,
    has: (char) => set.has(char) || (accented && ACCENTED.has(char)),
  };
}

/** Names: {@link NAME_CHARACTERS} plus the common accented letters. */
export const NAME_CHARSET = charset(NAME_CHARACTERS, "letters, digits, space, '-' and '.'", true);
/** Organisations, units, localities: {@link ORGANIZATION_CHARACTERS} plus the common accented letters. */
export const ORGANIZATION_CHARSET = charset(ORGANIZATION_CHARACTERS, "letters, digits, space, '-', '.' and ','", true);
/** Plain text: {@link PLAIN_TEXT_CHARACTERS} plus the common accented letters. */
export const PLAIN_TEXT_CHARSET = charset(
  PLAIN_TEXT_CHARACTERS,
  "letters, digits, spaces, line breaks and common punctuation, but not '<' or '>'",
  true,
);
/** Country and state codes: ASCII letters only. */
export const COUNTRY_CHARSET = charset(ASCII_LETTERS, 'the ASCII letters A-Z', false);

/** `U+003C` style name of a character, safe to show anywhere (never the raw character). */
export function codePointName(char: string): string {
  const cp = char.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

// C0 and C1 controls and DEL; tab/newline/CR are decided by each charset.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Checks that `value` has between `min` and `max` characters (Unicode code points, as MiG counts)
 * and only characters of `set`. Returns the reason it does not, or `undefined` when it does.
 * The reason never contains the raw value, so it is safe in HTML and logs.
 */
export function checkCharacters(value: string, set: Charset, min: number, max: number): string | undefined {
  // A cheap bound first, so a hostile multi-megabyte value is not iterated over.
  if (value.length > max * 2) return `is too long (at most ${max} characters)`;
  let count = 0;
  for (const _ of value) count += 1;
  if (count > max) return `is too long (at most ${max} characters)`;
  if (count < min) return min === 1 ? 'must not be empty' : `is too short (at least ${min} characters)`;
  if (value.includes('\u0000')) return 'contains a NUL character';
  if (CONTROL.test(value)) return 'contains a control character';
  if (LONE_SURROGATE.test(value)) return 'contains an invalid Unicode sequence';
  for (const char of value) {
    if (!set.has(char)) {
      if (char === '\t' || char === '\n' || char === '\r') return 'contains a control character';
      const what = char === '<' || char === '>' ? 'HTML markup' : `the character ${codePointName(char)}`;
      return `contains ${what}, which is not allowed (allowed: ${set.description}${set.accented ? ' and common accented letters' : ''})`;
    }
  }
  return undefined;
}
