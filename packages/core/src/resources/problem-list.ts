/**
 * Collects problems up to a limit, so one pass can report everything wrong with a document.
 * @packageDocumentation
 */
import { closestMatch } from '../config/closest-match.js';
import type { ConfigProblem, ConfigSection, ConfigValue } from './config-sections.js';
import { printableKeyword } from './config-sections.js';

/** Problems found so far, capped at `max`. */
export class ProblemList {
  readonly items: ConfigProblem[] = [];

  constructor(private readonly max: number) {}

  /** Adds one problem (ignored past the cap). */
  add(problem: ConfigProblem): void {
    if (this.items.length < this.max) this.items.push(problem);
  }

  /** Adds a problem placed at a value (or its section when there is no value). */
  at(section: ConfigSection, value: ConfigValue | undefined, keyword: string, message: string, key?: string): void {
    const line = value?.line ?? section.line;
    const path = value?.path ?? section.path;
    this.add({
      ...(line === undefined ? {} : { line }),
      ...(path === undefined ? {} : { path }),
      keyword,
      ...(key === undefined ? {} : { key }),
      message,
    });
  }

  /** Whether nothing was found. */
  get empty(): boolean {
    return this.items.length === 0;
  }
}

/**
 * The message for a keyword the format does not know, with a suggestion when one is close.
 * Never repeats a keyword that is not a plain name.
 */
export function unknownKeywordMessage(section: ConfigSection, known: readonly string[], example: string): string {
  const shown = printableKeyword(section.keyword);
  if (section.line !== undefined && section.keyword.startsWith('#')) {
    return 'a comment cannot stand on its own line between keywords (it is read as a keyword); remove it or put it after a value';
  }
  const suggestion = shown === undefined ? undefined : closestMatch(shown, known);
  const name = shown === undefined ? 'an unknown keyword' : `unknown keyword ${section.line === undefined ? shown : `::${shown}::`}`;
  const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
  const form = section.line === undefined
    ? `use one of ${known.join(', ')}`
    : `a keyword is written alone on its line as ::NAME::, e.g. ${example}, followed by its value lines and a blank line`;
  return `${name}${hint}; ${form}`;
}

/** The known keyword a value line looks like (`::EXECONFIG::`), if any: a forgotten blank line. */
export function keywordLookalike(text: string, isKnown: (name: string) => boolean): string | undefined {
  const m = /^:+([^:]+):+$/.exec(text);
  if (m === null) return undefined;
  const name = (m[1] ?? '').toUpperCase();
  return isKnown(name) ? name : undefined;
}
