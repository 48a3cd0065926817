/**
 * A problem found in a config file, and the error that carries a list of them.
 * @packageDocumentation
 */
import { ConfigError } from '../errors.js';

/**
 * One thing wrong with a config file.
 *
 * @example
 * ```ts
 * { path: 'sftp.port', message: 'must be at most 65535', hint: 'TCP port to listen on (1-65535). Default: 2222' }
 * ```
 */
export interface ConfigProblem {
  /** Dotted key path as in the file (`sftp.port`, `defender.allow_list.2`); `''` for the file as a whole. */
  readonly path: string;
  /** What is wrong, without echoing the value (it may be a secret). */
  readonly message: string;
  /** What to do about it. */
  readonly hint: string;
  /** 1-based line of a TOML syntax error, when known. */
  readonly line?: number;
  /** 1-based column of a TOML syntax error, when known. */
  readonly column?: number;
}

/** One line for a problem: `<key path>: <what is wrong> (hint: …)`. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line !== undefined
    ? `line ${problem.line}, column ${problem.column ?? 1}`
    : problem.path === '' ? 'config' : problem.path;
  return `${where}: ${problem.message} (hint: ${problem.hint})`;
}

/**
 * The {@link ConfigError} (`MIG_E_CONFIG_INVALID`) for a list of problems: one line per problem in
 * the message, the list itself in `details.problems`.
 */
export function configInvalidError(problems: readonly ConfigProblem[], source: string): ConfigError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map(formatProblem).join('\n');
  return new ConfigError(`The configuration in ${source} has ${count}; fix ${problems.length === 1 ? 'it' : 'them'} and try again (mig checkconf shows the same list):\n${lines}`, {
    code: 'MIG_E_CONFIG_INVALID',
    details: { problems: problems.map((p) => ({ ...p })) },
  });
}
