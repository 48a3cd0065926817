/**
 * Python's `str.title()`, which MiG's `canonical_user` applies to full names. Reproduced exactly
 * (rather than a "smarter" title case) so that a name canonicalised here gives the same DN as on a
 * MiG site: every cased letter that follows a cased letter is lower-cased, every other one is
 * title-cased. Consequences kept on purpose, as in MiG: `van der berg` → `Van Der Berg`,
 * `jean-luc` → `Jean-Luc`, `McDONALD` → `Mcdonald`, `überh4x0r` → `Überh4X0R` (a digit ends a
 * "word").
 * @packageDocumentation
 */

const CASED = /\p{Cased}/u;
const CASE_IGNORABLE = /\p{Case_Ignorable}/u;

// Characters whose title case differs from their upper case (Unicode's Lt letters and the
// special-cased ligatures). JavaScript has no title-case mapping, so the few that matter are listed.
const TITLE_CASE: Readonly<Record<string, string>> = {
  'Ǆ': 'ǅ', 'ǅ': 'ǅ', 'ǆ': 'ǅ',
  'Ǉ': 'ǈ', 'ǈ': 'ǈ', 'ǉ': 'ǈ',
  'Ǌ': 'ǋ', 'ǋ': 'ǋ', 'ǌ': 'ǋ',
  'Ǳ': 'ǲ', 'ǲ': 'ǲ', 'ǳ': 'ǲ',
  'ŉ': 'ʼN',
};

function toTitle(char: string): string {
  const special = TITLE_CASE[char];
  if (special !== undefined) return special;
  const upper = char.toUpperCase();
  // Full mappings that expand (ß → SS, ﬁ → FI): title case keeps only the first letter capital.
  const chars = [...upper];
  if (chars.length <= 1) return upper;
  return (chars[0] ?? '') + chars.slice(1).join('').toLowerCase();
}

/** Greek capital sigma lower-cases to the final form at the end of a word, as Python does. */
function toLower(chars: readonly string[], i: number): string {
  const char = chars[i] ?? '';
  if (char !== 'Σ') return char.toLowerCase();
  let before = false;
  for (let j = i - 1; j >= 0; j--) {
    const c = chars[j] ?? '';
    if (CASE_IGNORABLE.test(c)) continue;
    before = CASED.test(c);
    break;
  }
  let after = false;
  for (let j = i + 1; j < chars.length; j++) {
    const c = chars[j] ?? '';
    if (CASE_IGNORABLE.test(c)) continue;
    after = CASED.test(c);
    break;
  }
  return before && !after ? 'ς' : 'σ';
}

/**
 * Title-cases `text` the way Python's `str.title()` does.
 *
 * @example
 * ```ts
 * pythonTitleCase('harry s. truman'); // 'Harry S. Truman'
 * pythonTitleCase('æblegrød ÅSE');    // 'Æblegrød Åse'
 * ```
 */
export function pythonTitleCase(text: string): string {
  const chars = [...text];
  let out = '';
  let previousIsCased = false;
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] ?? '';
    out += previousIsCased ? toLower(chars, i) : toTitle(char);
    previousIsCased = CASED.test(char);
  }
  return out;
}
