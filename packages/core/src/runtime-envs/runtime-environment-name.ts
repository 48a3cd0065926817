/**
 * Runtime environment names: MiG's rule (`valid_job_id` on RENAME, then upper-cased) and the
 * canonical form every store and comparison uses.
 * @packageDocumentation
 */
import { InvalidInputError } from '../errors.js';
import { checkJobId } from '../resources/config-value-checks.js';

/**
 * The longest runtime environment name (MiG `valid_job_id`).
 *
 * @example
 * ```ts
 * 'X'.repeat(MAX_RUNTIME_ENVIRONMENT_NAME_LENGTH + 1); // too long
 * ```
 */
export const MAX_RUNTIME_ENVIRONMENT_NAME_LENGTH = 255;

/**
 * Checks a runtime environment name and returns the reason it is not acceptable, or `undefined`.
 * The reason never repeats the value.
 *
 * The rule is MiG's: 1-255 ASCII letters, digits, `.`, `-` and `_` (case does not matter; the
 * name is stored upper-cased). Stricter than MiG, which only refuses path traversal on top: the
 * name must start with a letter or digit, so it is never a hidden file name, `.`/`..`, or
 * something a shell reads as an option.
 *
 * @example
 * ```ts
 * checkRuntimeEnvironmentName('povray-3.6');   // undefined
 * checkRuntimeEnvironmentName('../etc');       // "contains the character U+002F, ..."
 * ```
 */
export function checkRuntimeEnvironmentName(name: string): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  const reason = checkJobId(name);
  if (reason !== undefined) return reason;
  if (!/^[A-Za-z0-9]/.test(name)) return 'must start with a letter or digit';
  return undefined;
}

/**
 * The canonical (upper-case) form of a runtime environment name, after checking it.
 *
 * @throws {@link InvalidInputError} `MIG_E_INVALID_INPUT` when the name breaks the rule of
 *   {@link checkRuntimeEnvironmentName}.
 *
 * @example
 * ```ts
 * normalizeRuntimeEnvironmentName(' povray-3.6 '); // 'POVRAY-3.6'
 * ```
 */
export function normalizeRuntimeEnvironmentName(name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : name;
  const reason = checkRuntimeEnvironmentName(trimmed);
  if (reason !== undefined) {
    throw new InvalidInputError(`The runtime environment name ${reason}; use letters, digits, '.', '-' and '_', starting with a letter or digit, e.g. POVRAY-3.6`);
  }
  return trimmed.toUpperCase();
}
