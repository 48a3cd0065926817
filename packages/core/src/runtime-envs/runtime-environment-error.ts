/**
 * The error every runtime environment rule raises.
 * @packageDocumentation
 */
import { MigError, type MigErrorOptions } from '../errors.js';
import { summariseProblems, type ResourceProblem } from '../resources/resource-config-error.js';

/**
 * A runtime environment (text or JSON form) that breaks MiG's rules.
 *
 * `code` is `MIG_E_RUNTIME_ENV_INVALID` (400), or `MIG_E_TOO_LARGE` (413) when the input is over
 * a size limit. `problems` (also in `details.problems`) lists every problem with its line or JSON
 * path, keyword and sub-keyword; raw values are never echoed.
 *
 * @example
 * ```ts
 * try {
 *   parseRuntimeEnvironment('::DESCRIPTION::\nno name\n');
 * } catch (err) {
 *   if (err instanceof RuntimeEnvironmentError) console.log(err.problems[0]?.keyword); // 'RENAME'
 * }
 * ```
 */
export class RuntimeEnvironmentError extends MigError {
  /** Every problem found, in input order. */
  readonly problems: readonly ResourceProblem[];

  constructor(
    problems: readonly ResourceProblem[],
    options: MigErrorOptions & { code?: 'MIG_E_RUNTIME_ENV_INVALID' | 'MIG_E_TOO_LARGE' } = {},
  ) {
    const list = problems.length > 0 ? problems : [{ message: 'the runtime environment is not valid' }];
    super(options.code ?? 'MIG_E_RUNTIME_ENV_INVALID', summariseProblems('Invalid runtime environment', list), {
      ...options,
      details: { problems: list },
    });
    this.problems = list;
  }
}
