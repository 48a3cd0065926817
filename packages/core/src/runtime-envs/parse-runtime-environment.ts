/**
 * `parseRuntimeEnvironment`: MiG runtime environment text → validated {@link RuntimeEnvironment}.
 * @packageDocumentation
 */
import { readConfigSections } from '../resources/config-sections.js';
import { buildRuntimeEnvironment } from './build-runtime-environment.js';
import { RUNTIME_ENVIRONMENT_LIMITS, type RuntimeEnvironment } from './runtime-environment.js';
import { RuntimeEnvironmentError } from './runtime-environment-error.js';

/**
 * Parses and validates a runtime environment in MiG's `::KEYWORD::` format (what MiG's `createre`
 * writes before storing it) and returns it with MiG's defaults filled in.
 *
 * `::RENAME::` is required and upper-cased; `::SOFTWARE::` and `::ENVIRONMENTVARIABLE::` take one
 * block of `key=value` lines per entry, every key required (`name, version, url, description,
 * icon` and `name, example, description`); `::TESTPROCEDURE::` is base64-encoded mRSL that must
 * parse as a job; `::VERIFYSTDOUT::`, `::VERIFYSTDERR::`, `::VERIFYSTATUS::` are lists of lines.
 * Values pass MiG's per-keyword character checks. Stricter than MiG: names start with a letter
 * or digit, variable names are shell names, unknown sub-keys and lines without `=` are errors,
 * control characters are refused and sizes are bounded ({@link RUNTIME_ENVIRONMENT_LIMITS}).
 *
 * @throws {@link RuntimeEnvironmentError} `MIG_E_RUNTIME_ENV_INVALID` listing every problem with
 *   its line, keyword and sub-keyword, or `MIG_E_TOO_LARGE` when a size limit is crossed.
 *
 * @example
 * ```ts
 * const re = parseRuntimeEnvironment([
 *   '::RENAME::', 'povray-3.6', '',
 *   '::DESCRIPTION::', 'Support execution of POVRAY-3.6 jobs.', '',
 *   '::ENVIRONMENTVARIABLE::', 'name=POVRAY_HOME', 'example=/usr/local/povray/', 'description=Path to Povray home.', '',
 * ].join('\n'));
 * re.RENAME;                         // 'POVRAY-3.6'
 * re.ENVIRONMENTVARIABLE[0]?.name;   // 'POVRAY_HOME'
 * ```
 */
export function parseRuntimeEnvironment(text: string): RuntimeEnvironment {
  if (typeof text !== 'string') throw new RuntimeEnvironmentError([{ message: 'a runtime environment must be text' }]);
  const read = readConfigSections(text, RUNTIME_ENVIRONMENT_LIMITS, 'runtime environment');
  if (read.tooLarge !== undefined) throw new RuntimeEnvironmentError([read.tooLarge], { code: 'MIG_E_TOO_LARGE' });
  if (read.problems.length > 0) throw new RuntimeEnvironmentError(read.problems);
  return buildRuntimeEnvironment(read.sections);
}
