/**
 * The text layer of mRSL (MiG's generic `parser.parse`): lines → keyword sections.
 *
 * - A section starts at a non-blank line, the keyword line (trimmed, upper-cased, surrounding `:`
 *   removed, so `::EXECUTE::` and `::execute::` are the same).
 * - Its value lines follow up to the next blank (whitespace-only) line or the end.
 * - In a value line `#` starts a comment, `\#` is a literal `#`, `\\` is one backslash, any other
 *   backslash is kept as written (a lone one at the end of the line is dropped, as in MiG); the
 *   line is then trimmed and dropped if empty.
 * @packageDocumentation
 */
import type { MrslSection, MrslValue } from './build-job-spec.js';
import { MrslError } from './mrsl-error.js';
import { MRSL_LIMITS } from './mrsl-limits.js';
import { checkHostileCharacters, pythonStrip } from './value-checks.js';

/** The comment character of mRSL value lines. */
export const MRSL_COMMENT = '#';
/** The escape character of mRSL value lines. */
export const MRSL_ESCAPE = '\\';

/**
 * Removes a comment and resolves escapes in one value line (MiG `handle_escapes`): `\#` → `#`,
 * `\\` → `\`, any other backslash is kept with the character after it, and a lone backslash at
 * the very end of the line is dropped (as MiG does).
 */
export function unescapeValueLine(line: string): string {
  let out = '';
  let escaping = false;
  for (const char of line) {
    if (char === MRSL_ESCAPE) {
      if (escaping) out += MRSL_ESCAPE;
      escaping = !escaping;
      continue;
    }
    if (escaping) {
      out += char === MRSL_COMMENT ? char : MRSL_ESCAPE + char;
      escaping = false;
    } else if (char === MRSL_COMMENT) {
      return out;
    } else {
      out += char;
    }
  }
  return out;
}

/** Escapes a value so that {@link unescapeValueLine} gives it back (`\` → `\\`, `#` → `\#`). */
export function escapeValueLine(value: string): string {
  let out = '';
  for (const char of value) {
    if (char === MRSL_ESCAPE) out += MRSL_ESCAPE + MRSL_ESCAPE;
    else if (char === MRSL_COMMENT) out += MRSL_ESCAPE + MRSL_COMMENT;
    else out += char;
  }
  return out;
}

function tooLarge(line: number | undefined, message: string, keyword?: string): MrslError {
  return new MrslError([{ line, keyword, message }], { code: 'MIG_E_TOO_LARGE' });
}

/**
 * Splits mRSL text into keyword sections, enforcing the size limits and the hostile-character
 * screen. Keywords are not judged here (see `buildJobSpec`).
 */
export function readMrslSections(text: string): MrslSection[] {
  // Cheap bound before counting bytes: a string never has fewer UTF-16 units than a quarter of its bytes.
  if (text.length > MRSL_LIMITS.maxBytes || Buffer.byteLength(text, 'utf8') > MRSL_LIMITS.maxBytes) {
    throw tooLarge(undefined, `the job description is larger than ${MRSL_LIMITS.maxBytes} bytes; make it smaller or split it into several jobs`);
  }
  // A byte order mark from an editor is not part of the first keyword.
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const lines = body.split(/\r\n|\r|\n/);
  const sections: MrslSection[] = [];
  const hostile: { line: number; keyword?: string; message: string }[] = [];

  const screen = (raw: string, lineNo: number, keyword: string | undefined): boolean => {
    if (raw.length > MRSL_LIMITS.maxLineLength) {
      throw tooLarge(lineNo, `the line is longer than ${MRSL_LIMITS.maxLineLength} characters; shorten it (put long commands in a script file)`, keyword);
    }
    const reason = checkHostileCharacters(raw);
    if (reason === undefined) return true;
    if (hostile.length < MRSL_LIMITS.maxProblems) {
      hostile.push({ line: lineNo, keyword, message: `the ${keyword === undefined ? 'keyword line' : 'line'} ${reason}` });
    }
    return false;
  };

  let i = 0;
  while (i < lines.length) {
    const raw = lines[i] ?? '';
    i += 1;
    const header = pythonStrip(raw);
    if (header === '') continue;
    const headerLine = i;
    if (!screen(raw, headerLine, undefined)) continue;
    if (sections.length >= MRSL_LIMITS.maxSections) {
      throw tooLarge(headerLine, `the job description has more than ${MRSL_LIMITS.maxSections} keyword sections; give each keyword once`);
    }
    const keyword = trimColons(header.toUpperCase());
    const values: MrslValue[] = [];
    while (i < lines.length) {
      const valueRaw = lines[i] ?? '';
      i += 1;
      if (pythonStrip(valueRaw) === '') break;
      const lineNo = i;
      if (!screen(valueRaw, lineNo, printable(keyword))) continue;
      const value = pythonStrip(unescapeValueLine(valueRaw));
      if (value !== '') values.push({ text: value, line: lineNo });
    }
    sections.push({ keyword, line: headerLine, values });
  }
  if (hostile.length > 0) throw new MrslError(hostile);
  return sections;
}

function trimColons(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value[start] === ':') start += 1;
  while (end > start && value[end - 1] === ':') end -= 1;
  return value.slice(start, end);
}

/** The keyword for a problem's `keyword` field, only when it is a plain name. */
function printable(keyword: string): string | undefined {
  return /^[A-Z0-9_.-]{1,64}$/.test(keyword) ? keyword : undefined;
}
