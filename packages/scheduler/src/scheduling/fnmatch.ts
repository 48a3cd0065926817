/**
 * Shell-style name patterns as MiG's `RESOURCE` keyword uses them (Python's `fnmatch`): `*` matches
 * any run of characters, `?` one character, `[seq]` one character in the set, `[!seq]` one not in
 * it; everything else matches itself, case-sensitively.
 *
 * Matching never builds a regular expression: a compiled pattern is a list of one-character tokens
 * and stars, matched greedily with one backtrack point, so the work is at most the pattern length
 * times the name length whatever the pattern (no catastrophic backtracking on `*a*a*a*a*b`).
 * @packageDocumentation
 */

const STAR = -1;
const ANY = -2;

/** One set token: code point ranges as `[lo0, hi0, lo1, hi1, …]`, optionally negated. */
interface CharSet {
  readonly negate: boolean;
  readonly ranges: readonly number[];
}

/** A token: a code point (≥ 0), {@link STAR}, {@link ANY}, or a set. */
type Token = number | CharSet;

/**
 * A pattern prepared for repeated matching (see {@link compilePattern}).
 *
 * @example
 * ```ts
 * const p = compilePattern('*.example.org_*');
 * matchPattern(p, 'cluster.example.org.0_exe0'); // false: the name has '.0' before '_'
 * ```
 */
export interface CompiledPattern {
  /** The pattern as written. */
  readonly source: string;
  /** @internal The tokens, consecutive stars collapsed into one. */
  readonly tokens: readonly Token[];
  /** @internal The fewest characters a matching name has (its non-star tokens). */
  readonly minLength: number;
  /** @internal Set when the pattern has no wildcard at all: the one name it matches. */
  readonly literal: string | undefined;
}

function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(ch.codePointAt(0) ?? 0);
  return out;
}

/** Parses `[...]` starting at `cps[i] === '['`; returns the set and the index after `]`, or undefined when unclosed. */
function parseSet(cps: readonly number[], i: number): { set: CharSet; next: number } | undefined {
  const BANG = 0x21;
  const CLOSE = 0x5d;
  const DASH = 0x2d;
  let j = i + 1;
  if (j < cps.length && cps[j] === BANG) j++;
  if (j < cps.length && cps[j] === CLOSE) j++;
  while (j < cps.length && cps[j] !== CLOSE) j++;
  if (j >= cps.length) return undefined;
  let k = i + 1;
  let negate = false;
  if (cps[k] === BANG) {
    negate = true;
    k++;
  }
  const ranges: number[] = [];
  while (k < j) {
    const lo = cps[k] ?? 0;
    const dash = cps[k + 1];
    const hi = cps[k + 2];
    if (dash === DASH && k + 2 < j && hi !== undefined) {
      // A reversed range (z-a) matches nothing, as in Python.
      if (lo <= hi) ranges.push(lo, hi);
      k += 3;
    } else {
      ranges.push(lo, lo);
      k++;
    }
  }
  return { set: { negate, ranges }, next: j + 1 };
}

/**
 * Prepares `pattern` for matching. Linear in the pattern's length.
 *
 * @example
 * ```ts
 * const p = compilePattern('node-[0-9]?');
 * matchPattern(p, 'node-42'); // true
 * ```
 */
export function compilePattern(pattern: string): CompiledPattern {
  if (!/[*?[]/.test(pattern)) return { source: pattern, tokens: [], minLength: pattern.length, literal: pattern };
  const cps = codePoints(pattern);
  const tokens: Token[] = [];
  let wild = false;
  let minLength = 0;
  for (let i = 0; i < cps.length; ) {
    const c = cps[i] ?? 0;
    if (c === 0x2a) {
      wild = true;
      if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
      i++;
      continue;
    }
    minLength++;
    if (c === 0x3f) {
      wild = true;
      tokens.push(ANY);
      i++;
    } else if (c === 0x5b) {
      const parsed = parseSet(cps, i);
      if (parsed === undefined) {
        tokens.push(c);
        i++;
      } else {
        wild = true;
        tokens.push(parsed.set);
        i = parsed.next;
      }
    } else {
      tokens.push(c);
      i++;
    }
  }
  return { source: pattern, tokens, minLength, literal: wild ? undefined : pattern };
}

function tokenMatches(token: Token, c: number): boolean {
  if (typeof token === 'number') return token === ANY || token === c;
  const { ranges } = token;
  let inside = false;
  for (let r = 0; r + 1 < ranges.length; r += 2) {
    if (c >= (ranges[r] ?? 0) && c <= (ranges[r + 1] ?? -1)) {
      inside = true;
      break;
    }
  }
  return inside !== token.negate;
}

/**
 * Whether `name` matches the compiled pattern. At most `pattern length × name length` steps.
 *
 * @example
 * ```ts
 * matchPattern(compilePattern('*_exe?'), 'res.0_exe1'); // true
 * ```
 */
export function matchPattern(pattern: CompiledPattern, name: string): boolean {
  if (pattern.literal !== undefined) return pattern.literal === name;
  const s = codePoints(name);
  if (s.length < pattern.minLength) return false;
  const t = pattern.tokens;
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  while (i < s.length) {
    const token = t[p];
    if (token === STAR) {
      starP = p++;
      starI = i;
      continue;
    }
    if (token !== undefined && tokenMatches(token, s[i] ?? -3)) {
      p++;
      i++;
      continue;
    }
    if (starP < 0) return false;
    // Let the last star swallow one more character and retry the rest from there.
    p = starP + 1;
    i = ++starI;
  }
  while (t[p] === STAR) p++;
  return p === t.length;
}

/**
 * Whether `name` matches the shell-style `pattern` (Python's `fnmatch.fnmatchcase`).
 *
 * @example
 * ```ts
 * fnmatch('cluster.example.org.0_exe0', 'cluster.*'); // true
 * fnmatch('cluster.example.org.0_exe0', 'Cluster.*'); // false: case matters
 * ```
 */
export function fnmatch(name: string, pattern: string): boolean {
  return matchPattern(compilePattern(pattern), name);
}
