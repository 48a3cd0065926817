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
import type { MrslSection } from './build-job-spec.js';
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
  const read = readKeywordSections(text, MRSL_LIMITS, {
    what: 'job description',
    tooBig: 'make it smaller or split it into several jobs',
    longLine: 'shorten it (put long commands in a script file)',
    manySections: 'give each keyword once',
  });
  if (read.tooLarge !== undefined) throw tooLarge(read.tooLarge.line, read.tooLarge.message, read.tooLarge.keyword);
  if (read.problems.length > 0) throw new MrslError(read.problems);
  return read.sections;
}

/** One section as {@link readKeywordSections} reads it. */
export interface KeywordSection {
  /** Upper-cased, surrounding colons removed; may be unknown. */
  readonly keyword: string;
  /** 1-based line of the keyword. */
  readonly line: number;
  /** The value lines, unescaped and trimmed, empty ones dropped. */
  readonly values: { readonly text: string; readonly line: number }[];
}

/** A problem {@link readKeywordSections} found; never contains the raw text. */
export interface KeywordProblem {
  readonly line?: number;
  readonly keyword?: string;
  readonly message: string;
}

/** What {@link readKeywordSections} found: sections, problems, or the first size limit crossed. */
export interface KeywordReadResult {
  readonly sections: KeywordSection[];
  readonly problems: KeywordProblem[];
  /** Set when a size limit was crossed; reading stopped there. */
  readonly tooLarge?: KeywordProblem;
}

/** How a document of the `::KEYWORD::` family is named and advised on in messages. */
export interface KeywordReadWording {
  /** The document, e.g. "resource configuration". */
  readonly what: string;
  /** Advice after "is larger than N bytes;" (default "make it smaller"). */
  readonly tooBig?: string;
  /** Advice after "the line is longer than N characters;" (default "shorten it"). */
  readonly longLine?: string;
  /** Advice after "has more than N keyword sections;" (default "make it smaller"). */
  readonly manySections?: string;
}

/**
 * MiG's generic `::KEYWORD::` reader (mRSL, resource configurations and runtime environments are
 * all this format): text → keyword sections, enforcing size limits and the hostile-character
 * screen. A keyword line that fails the screen skips its whole block.
 */
export function readKeywordSections(
  text: string,
  limits: { readonly maxBytes: number; readonly maxLineLength: number; readonly maxSections: number; readonly maxProblems: number },
  wording: KeywordReadWording,
): KeywordReadResult {
  const problems: KeywordProblem[] = [];
  const sections: KeywordSection[] = [];
  // A string never has fewer UTF-16 units than a quarter of its UTF-8 bytes: cheap bound first.
  if (text.length > limits.maxBytes || Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    return { sections, problems, tooLarge: { message: `the ${wording.what} is larger than ${limits.maxBytes} bytes; ${wording.tooBig ?? 'make it smaller'}` } };
  }
  // A byte order mark from an editor is not part of the first keyword.
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const lines = body.split(/\r\n|\r|\n/);

  let tooLarge: KeywordProblem | undefined;
  const screen = (raw: string, lineNo: number, keyword: string | undefined): boolean => {
    if (raw.length > limits.maxLineLength) {
      tooLarge = { line: lineNo, ...(keyword === undefined ? {} : { keyword }), message: `the line is longer than ${limits.maxLineLength} characters; ${wording.longLine ?? 'shorten it'}` };
      return false;
    }
    const reason = checkHostileCharacters(raw);
    if (reason === undefined) return true;
    if (problems.length < limits.maxProblems) {
      problems.push({ line: lineNo, ...(keyword === undefined ? {} : { keyword }), message: `the ${keyword === undefined ? 'keyword line' : 'line'} ${reason}` });
    }
    return false;
  };

  let i = 0;
  while (i < lines.length && tooLarge === undefined) {
    const raw = lines[i] ?? '';
    i += 1;
    const header = pythonStrip(raw);
    if (header === '') continue;
    const headerLine = i;
    if (!screen(raw, headerLine, undefined)) {
      // Skip the rest of this block: its values belong to a keyword we could not read.
      while (i < lines.length && pythonStrip(lines[i] ?? '') !== '') i += 1;
      continue;
    }
    if (sections.length >= limits.maxSections) {
      tooLarge = { line: headerLine, message: `the ${wording.what} has more than ${limits.maxSections} keyword sections; ${wording.manySections ?? 'make it smaller'}` };
      break;
    }
    const keyword = trimColons(header.toUpperCase());
    const values: { text: string; line: number }[] = [];
    while (i < lines.length) {
      const valueRaw = lines[i] ?? '';
      i += 1;
      if (pythonStrip(valueRaw) === '') break;
      const lineNo = i;
      if (!screen(valueRaw, lineNo, printableSectionKeyword(keyword))) {
        if (tooLarge !== undefined) break;
        continue;
      }
      const value = pythonStrip(unescapeValueLine(valueRaw));
      if (value !== '') values.push({ text: value, line: lineNo });
    }
    sections.push({ keyword, line: headerLine, values });
  }
  return tooLarge === undefined ? { sections, problems } : { sections, problems, tooLarge };
}

function trimColons(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value[start] === ':') start += 1;
  while (end > start && value[end - 1] === ':') end -= 1;
  return value.slice(start, end);
}

/** The keyword for a problem's `keyword` field, only when it is a plain name safe to repeat. */
export function printableSectionKeyword(keyword: string): string | undefined {
  return /^[A-Za-z0-9_.\- ]{1,64}$/.test(keyword) ? keyword : undefined;
}
