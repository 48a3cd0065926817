/**
 * The typed form of a MiG runtime environment (RE): one field per keyword of MiG's
 * `rekeywords.py`, named exactly as the keyword is written (`::RENAME::` → `RENAME`).
 *
 * A runtime environment names software a resource provides (e.g. `POVRAY-3.6`); jobs require
 * it by name in RUNTIMEENVIRONMENT, resources provide it with values for its variables, and job
 * scripts export those values.
 * @packageDocumentation
 */

/**
 * One `::SOFTWARE::` block: a piece of software the runtime environment stands for.
 *
 * @example
 * ```ts
 * const povray: RuntimeEnvironmentSoftware = {
 *   name: 'povray', version: '3.6', url: 'http://www.povray.org/download/',
 *   description: 'The Persistence of Vision Raytracer', icon: 'http://www.povray.org/povray.png',
 * };
 * ```
 */
export interface RuntimeEnvironmentSoftware {
  /** Software name (letters, digits, space, `.`, `-`, `_`). */
  readonly name: string;
  /** Version (letters, digits, space, `.`, `-`). */
  readonly version: string;
  /** Home page (`scheme://host/path`, letters, digits and `. - : / _`). */
  readonly url: string;
  /** Free description (plain text, may be empty). */
  readonly description: string;
  /** Icon address, in the same form as `url`. */
  readonly icon: string;
}

/**
 * One `::ENVIRONMENTVARIABLE::` block: a variable a resource must set to provide the runtime
 * environment.
 *
 * @example
 * ```ts
 * const home: RuntimeEnvironmentVariable = { name: 'POVRAY_HOME', example: '/usr/local/povray', description: 'Path to Povray home' };
 * ```
 */
export interface RuntimeEnvironmentVariable {
  /** Variable name (a shell variable name), unique in the runtime environment. */
  readonly name: string;
  /** Example value shown to resource owners (plain text, may be empty). */
  readonly example: string;
  /** What the variable is for (plain text, may be empty). */
  readonly description: string;
}

/**
 * A MiG runtime environment, typed, with MiG's defaults filled in. The site adds who created it
 * and when (MiG's CREATOR and CREATED_TIMESTAMP) where it stores it.
 *
 * @example
 * ```ts
 * const re: RuntimeEnvironment = parseRuntimeEnvironment('::RENAME::\npython-3\n');
 * re.RENAME;      // 'PYTHON-3'
 * re.DESCRIPTION; // 'Not available'
 * ```
 */
export interface RuntimeEnvironment {
  /** The name, upper-cased (required). */
  readonly RENAME: string;
  /** One line of description (default `Not available`). */
  readonly DESCRIPTION: string;
  /** Software entries (default [], at most 40 as in MiG). */
  readonly SOFTWARE: readonly RuntimeEnvironmentSoftware[];
  /**
   * The test job that checks a resource provides the runtime environment, as mRSL text (`''` for
   * none). The text form stores it base64-encoded, as MiG does. It may hold at most one
   * `::VERIFYFILES::` section (the site adds the one that checks VERIFYSTDOUT/…).
   */
  readonly TESTPROCEDURE: string;
  /** Expected lines of the test job's stdout (regular expressions; default []). */
  readonly VERIFYSTDOUT: readonly string[];
  /** Expected lines of the test job's stderr (default []). */
  readonly VERIFYSTDERR: readonly string[];
  /** Expected lines of the test job's status file, e.g. `.* 0` (default []). */
  readonly VERIFYSTATUS: readonly string[];
  /** Variables a resource must set (default [], at most 40, names unique). */
  readonly ENVIRONMENTVARIABLE: readonly RuntimeEnvironmentVariable[];
}

/**
 * A runtime environment keyword name.
 *
 * @example
 * ```ts
 * const k: RuntimeEnvironmentKeywordName = 'SOFTWARE';
 * ```
 */
export type RuntimeEnvironmentKeywordName = keyof RuntimeEnvironment;

/**
 * The runtime environment keywords in MiG's order (the order the formatter writes).
 *
 * @example
 * ```ts
 * RUNTIME_ENVIRONMENT_KEYWORDS[0]; // 'RENAME'
 * ```
 */
export const RUNTIME_ENVIRONMENT_KEYWORDS: readonly RuntimeEnvironmentKeywordName[] = [
  'RENAME', 'DESCRIPTION', 'SOFTWARE', 'TESTPROCEDURE', 'VERIFYSTDOUT', 'VERIFYSTDERR', 'VERIFYSTATUS', 'ENVIRONMENTVARIABLE',
];

/**
 * MiG's default DESCRIPTION.
 *
 * @example
 * ```ts
 * parseRuntimeEnvironment('::RENAME::\nX\n').DESCRIPTION === DEFAULT_RUNTIME_ENVIRONMENT_DESCRIPTION; // true
 * ```
 */
export const DEFAULT_RUNTIME_ENVIRONMENT_DESCRIPTION = 'Not available';

/**
 * Size limits of a runtime environment. Over any of them the parser throws a
 * {@link RuntimeEnvironmentError} with code `MIG_E_TOO_LARGE`.
 *
 * @example
 * ```ts
 * RUNTIME_ENVIRONMENT_LIMITS.maxSoftware; // 40, as MiG's max_software_entries
 * ```
 */
export const RUNTIME_ENVIRONMENT_LIMITS = {
  /** Whole text, in UTF-8 bytes (256 KiB). */
  maxBytes: 256 * 1024,
  /** One line, in characters. */
  maxLineLength: 16 * 1024,
  /** Keyword sections. */
  maxSections: 200,
  /** SOFTWARE entries (MiG `max_software_entries`). */
  maxSoftware: 40,
  /** ENVIRONMENTVARIABLE entries (MiG `max_environment_entries`). */
  maxEnvironmentVariables: 40,
  /** Lines of each VERIFY keyword. */
  maxVerifyLines: 1000,
  /** The decoded test procedure, in UTF-8 bytes (64 KiB). */
  maxTestProcedureBytes: 64 * 1024,
  /** Problems collected before giving up. */
  maxProblems: 50,
} as const;
