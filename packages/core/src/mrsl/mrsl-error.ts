/**
 * The error every mRSL rule raises: one {@link MrslError} that lists each problem with its line
 * (or JSON path) and keyword.
 * @packageDocumentation
 */
import { MigError, type MigErrorOptions } from '../errors.js';

/**
 * One thing wrong with a job description.
 *
 * @example
 * ```ts
 * const p: MrslProblem = { line: 12, keyword: 'CPUTIME', message: 'the value must be one whole number of seconds, e.g. 600' };
 * ```
 */
export interface MrslProblem {
  /** 1-based line of the mRSL text, when the job came as text. */
  readonly line?: number;
  /** Where in the JSON form (`INPUTFILES[2]`), when the job came as JSON. */
  readonly path?: string;
  /** The keyword the problem belongs to, when there is one. */
  readonly keyword?: string;
  /** What is wrong and what to do; never contains the raw value. */
  readonly message: string;
}

/** How many problems the message spells out; `details.problems` has them all. */
const PROBLEMS_IN_MESSAGE = 5;

/** `line 12, keyword CPUTIME` / `INPUTFILES[2]` / `keyword EXECUTE`: where a problem is, for people. */
export function describeProblemPlace(problem: MrslProblem): string {
  const parts: string[] = [];
  if (problem.line !== undefined) parts.push(`line ${problem.line}`);
  if (problem.path !== undefined) parts.push(problem.path);
  else if (problem.keyword !== undefined) parts.push(`keyword ${problem.keyword}`);
  return parts.join(', ');
}

function summarise(problems: readonly MrslProblem[]): string {
  const shown = problems.slice(0, PROBLEMS_IN_MESSAGE).map((p) => {
    const place = describeProblemPlace(p);
    return place === '' ? p.message : `${place}: ${p.message}`;
  });
  const more = problems.length - shown.length;
  const tail = more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : '';
  return `Invalid job description: ${shown.join('; ')}${tail}.`;
}

/**
 * A job description (mRSL text or its JSON form) that breaks the language's rules.
 *
 * `code` is `MIG_E_MRSL_INVALID` (400), or `MIG_E_TOO_LARGE` (413) when the input is over a size
 * limit. `problems` (also in `details.problems`) lists every problem found, each with its line or
 * JSON path and keyword; the message spells out the first few. Raw values are never echoed.
 *
 * @example
 * ```ts
 * try {
 *   parseMrsl('::EXECUTE::\nls\n\n::CPUTIME::\nabc\n');
 * } catch (err) {
 *   if (err instanceof MrslError) console.log(err.problems[0]);
 *   // { line: 5, keyword: 'CPUTIME', message: 'the value must be one whole number of seconds, e.g. 600 (digits only)' }
 * }
 * ```
 */
export class MrslError extends MigError {
  /** Every problem found, in input order. */
  readonly problems: readonly MrslProblem[];

  constructor(
    problems: readonly MrslProblem[],
    options: MigErrorOptions & { code?: 'MIG_E_MRSL_INVALID' | 'MIG_E_TOO_LARGE' } = {},
  ) {
    const list = problems.length > 0 ? problems : [{ message: 'the job description is not valid' }];
    super(options.code ?? 'MIG_E_MRSL_INVALID', summarise(list), { ...options, details: { problems: list } });
    this.problems = list;
  }
}
