/**
 * The text layer shared by resource configurations and runtime environments: MiG's generic
 * `::KEYWORD::` section format (the same family as mRSL), read into keyword sections.
 *
 * - A section starts at a non-blank line, the keyword line (trimmed, upper-cased, surrounding `:`
 *   removed, so `::HOSTURL::` and `::hosturl::` are the same).
 * - Its value lines follow up to the next blank (whitespace-only) line or the end.
 * - In a value line `#` starts a comment, `\#` is a literal `#`, `\\` is one backslash, any other
 *   backslash is kept as written; the line is then trimmed and dropped if empty.
 *
 * Nothing here judges keywords; each format's builder does.
 * @packageDocumentation
 */
import { escapeValueLine, printableSectionKeyword, readKeywordSections, unescapeValueLine } from '../mrsl/read-mrsl-sections.js';
import { checkHostileCharacters as checkHostile, pythonStrip } from '../mrsl/value-checks.js';

/** One value line, already unescaped and trimmed, with where it came from. */
export interface ConfigValue {
  /** The value text. */
  readonly text: string;
  /** 1-based line in the text form. */
  readonly line?: number;
  /** JSON path (`EXECONFIG[0].cputime`) in the JSON form. */
  readonly path?: string;
}

/** One keyword and its value lines. `keyword` is upper-cased with the surrounding colons removed. */
export interface ConfigSection {
  /** The keyword as read (upper-cased, colons removed); may be unknown. */
  readonly keyword: string;
  /** 1-based line of the keyword in the text form. */
  readonly line?: number;
  /** JSON path of the field in the JSON form. */
  readonly path?: string;
  /** The value lines. */
  readonly values: readonly ConfigValue[];
}

/** One problem found while reading or judging sections; never contains the raw value. */
export interface ConfigProblem {
  /** 1-based line of the text form. */
  readonly line?: number;
  /** JSON path, when the input came as JSON. */
  readonly path?: string;
  /** The keyword the problem belongs to. */
  readonly keyword?: string;
  /** The sub-keyword (`cputime` of an EXECONFIG block, `name` of a SOFTWARE block). */
  readonly key?: string;
  /** What is wrong and what to do. */
  readonly message: string;
}

/** Bounds the reader enforces. */
export interface SectionLimits {
  readonly maxBytes: number;
  readonly maxLineLength: number;
  readonly maxSections: number;
  readonly maxProblems: number;
}

/** What {@link readConfigSections} found: sections, or the first size limit crossed, plus problems. */
export interface SectionReadResult {
  readonly sections: ConfigSection[];
  readonly problems: ConfigProblem[];
  /** Set when a size limit was crossed; reading stopped there. */
  readonly tooLarge?: ConfigProblem;
}

// The line rules are mRSL's (the same MiG parser reads both formats): one implementation.

/**
 * Removes a comment and resolves escapes in one value line (MiG `handle_escapes`): `\#` → `#`,
 * `\\` → `\`, any other backslash is kept with the character after it, a lone trailing one is dropped.
 */
export const unescapeConfigLine: (line: string) => string = unescapeValueLine;

/** Escapes a value so that {@link unescapeConfigLine} gives it back (`\` → `\\`, `#` → `\#`). */
export const escapeConfigLine: (value: string) => string = escapeValueLine;

/** Removes leading and trailing whitespace exactly as Python's `str.strip()` does. */
export const stripLikePython: (value: string) => string = pythonStrip;

/**
 * The screen every line and value passes first: no NUL, no control characters (tab is allowed),
 * no Unicode line separators, no broken UTF-16. Returns the reason, never the character itself.
 */
export const checkHostileCharacters: (value: string) => string | undefined = checkHostile;

/** The keyword for a problem's `keyword` field, only when it is a plain name safe to repeat. */
export const printableKeyword: (keyword: string) => string | undefined = printableSectionKeyword;

/**
 * Splits `::KEYWORD::` text into sections, enforcing size limits and the hostile-character screen.
 * `what` names the document in messages ("resource configuration").
 */
export function readConfigSections(text: string, limits: SectionLimits, what: string): SectionReadResult {
  return readKeywordSections(text, limits, { what });
}
