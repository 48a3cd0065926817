/**
 * Bounds on what the resource configuration parser accepts, so a hostile file cannot make it work hard.
 * @packageDocumentation
 */

/**
 * Size limits of a resource configuration. Over any of them the parser throws a
 * {@link ResourceConfigError} with code `MIG_E_TOO_LARGE` before doing more work.
 *
 * @example
 * ```ts
 * if (Buffer.byteLength(body) > RESOURCE_CONFIG_LIMITS.maxBytes) return reply.code(413).send();
 * ```
 */
export const RESOURCE_CONFIG_LIMITS = {
  /** Whole configuration, in UTF-8 bytes (1 MiB). */
  maxBytes: 1024 * 1024,
  /** One line, in characters (an RSA host key line is under 1 KiB). */
  maxLineLength: 16 * 1024,
  /** Keyword sections (one per execution and storage unit, plus the top-level keywords). */
  maxSections: 1200,
  /** Execution units of one resource. */
  maxExeUnits: 1000,
  /** Storage units of one resource. */
  maxStoreUnits: 100,
  /** Provided runtime environments. */
  maxRuntimeEnvironments: 500,
  /** Variables of one provided runtime environment (MiG `max_environment_entries`). */
  maxVariablesPerRuntimeEnvironment: 40,
  /** Lines of one keyword (summed over its sections). */
  maxValuesPerKeyword: 20_000,
  /** Administrator addresses in ADMINEMAIL. */
  maxAdminEmails: 20,
  /** Problems collected before giving up. */
  maxProblems: 50,
} as const;
