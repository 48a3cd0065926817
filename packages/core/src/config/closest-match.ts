/**
 * Suggestions for misspelt names ("prot" → "port"), used by the config checker.
 * @packageDocumentation
 */

/** Longest name we compare; longer input cannot be a typo of a config key and is not worth the work. */
const MAX_COMPARED_LENGTH = 64;

/**
 * The Damerau–Levenshtein (optimal string alignment) distance between two strings: the number of
 * single-character insertions, deletions, substitutions and adjacent swaps that turn `a` into `b`.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i += 1) d[i * cols] = i;
  for (let j = 0; j < cols; j += 1) d[j] = j;
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate closest to `name`, or `undefined` when none is close enough to be a plausible typo.
 *
 * A candidate is close enough when its edit distance is at most a third of its length (at least 1),
 * or when one name is a prefix of the other (an abbreviation such as `max_sessions`).
 *
 * @example
 * ```ts
 * closestMatch('prot', ['host', 'port', 'enabled']); // 'port'
 * ```
 */
export function closestMatch(name: string, candidates: readonly string[]): string | undefined {
  if (name.length === 0 || name.length > MAX_COMPARED_LENGTH) return undefined;
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    const limit = Math.max(1, Math.floor(candidate.length / 3));
    const prefix = lower.length >= 3 && (candidate.startsWith(lower) || lower.startsWith(candidate));
    if ((distance <= limit || prefix) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
