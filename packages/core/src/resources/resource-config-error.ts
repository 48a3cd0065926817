/**
 * The error every resource configuration rule raises: one {@link ResourceConfigError} listing each
 * problem with its line (or JSON path), keyword and sub-keyword.
 * @packageDocumentation
 */
import { MigError, type MigErrorOptions } from '../errors.js';
import type { ConfigProblem } from './config-sections.js';

/**
 * One thing wrong with a resource configuration or runtime environment.
 *
 * @example
 * ```ts
 * const p: ResourceProblem = { line: 7, keyword: 'EXECONFIG', key: 'cputime', message: 'must be a whole number (digits only)' };
 * ```
 */
export type ResourceProblem = ConfigProblem;

/** How many problems the message spells out; `details.problems` has them all. */
const PROBLEMS_IN_MESSAGE = 5;

/** `line 7, EXECONFIG cputime` / `EXECONFIG[0].cputime` / `keyword HOSTURL`: where a problem is, for people. */
export function describeProblemPlace(problem: ConfigProblem): string {
  const parts: string[] = [];
  if (problem.line !== undefined) parts.push(`line ${problem.line}`);
  if (problem.path !== undefined) parts.push(problem.path);
  else if (problem.keyword !== undefined) {
    parts.push(problem.key === undefined ? `keyword ${problem.keyword}` : `keyword ${problem.keyword}, ${problem.key}`);
  }
  return parts.join(', ');
}

/** The one-sentence summary of a list of problems, used as the error message. */
export function summariseProblems(title: string, problems: readonly ConfigProblem[]): string {
  const shown = problems.slice(0, PROBLEMS_IN_MESSAGE).map((p) => {
    const place = describeProblemPlace(p);
    return place === '' ? p.message : `${place}: ${p.message}`;
  });
  const more = problems.length - shown.length;
  const tail = more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : '';
  return `${title}: ${shown.join('; ')}${tail}.`;
}

/**
 * A resource configuration (text or JSON form) that breaks MiG's rules.
 *
 * `code` is `MIG_E_RESOURCE_CONFIG_INVALID` (400), or `MIG_E_TOO_LARGE` (413) when the input is
 * over a size limit ({@link RESOURCE_CONFIG_LIMITS}). `problems` (also in `details.problems`)
 * lists every problem, each with its line or JSON path, keyword and sub-keyword; the message
 * spells out the first few. Raw values are never echoed.
 *
 * @example
 * ```ts
 * try {
 *   parseResourceConfig('::HOSTURL::\nhost.example.org\n\n::CPUCOUNT::\nfour\n');
 * } catch (err) {
 *   if (err instanceof ResourceConfigError) console.log(err.problems[0]);
 *   // { line: 5, keyword: 'CPUCOUNT', message: 'the value must be a whole number (digits only), e.g. 4' }
 * }
 * ```
 */
export class ResourceConfigError extends MigError {
  /** Every problem found, in input order. */
  readonly problems: readonly ResourceProblem[];

  constructor(
    problems: readonly ResourceProblem[],
    options: MigErrorOptions & { code?: 'MIG_E_RESOURCE_CONFIG_INVALID' | 'MIG_E_TOO_LARGE' } = {},
  ) {
    const list = problems.length > 0 ? problems : [{ message: 'the resource configuration is not valid' }];
    super(options.code ?? 'MIG_E_RESOURCE_CONFIG_INVALID', summariseProblems('Invalid resource configuration', list), {
      ...options,
      details: { problems: list },
    });
    this.problems = list;
  }
}
