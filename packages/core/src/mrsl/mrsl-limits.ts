/**
 * Bounds on what the mRSL parser accepts, so a hostile description cannot make it work hard.
 * @packageDocumentation
 */

/**
 * Size limits of a job description. Over any of them the parser throws an {@link MrslError} with
 * code `MIG_E_TOO_LARGE` before doing more work.
 *
 * @example
 * ```ts
 * if (Buffer.byteLength(text) > MRSL_LIMITS.maxBytes) return reply.code(413).send();
 * ```
 */
export const MRSL_LIMITS = {
  /** Whole description, in UTF-8 bytes (1 MiB). */
  maxBytes: 1024 * 1024,
  /** One line, in characters. */
  maxLineLength: 16 * 1024,
  /** Keyword sections (a keyword may be given more than once; MiG has 25 keywords). */
  maxSections: 100,
  /** Value lines of one keyword (summed over its sections). */
  maxValuesPerKeyword: 10_000,
  /** Problems collected before giving up. */
  maxProblems: 50,
} as const;
