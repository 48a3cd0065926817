/**
 * VERIFYFILES: comparing a finished job's `.status`, `.stdout` and `.stderr` with templates the
 * user keeps in their home, as MiG's `put` does when a job's status arrives.
 *
 * MiG's rules, kept: a template ends in `.status`, `.stdout` or `.stderr` and is compared with the
 * job's file of that suffix; both are read as lines with surrounding white space removed; the line
 * counts must be equal; each template line is a regular expression that must match its line from
 * the start (Python's `re.match`); an empty template matches a missing file; the whole comparison
 * of one file gets 3 seconds. The outcome is `SUCCESS` (every template fits), `FAILURE` (one does
 * not), or `NO` (the job has no VERIFYFILES).
 *
 * Differences, on purpose: regular expressions are JavaScript's (Python's `(?P<name>…)` and
 * `(?P=name)` are translated); the time limit is enforced even inside one catastrophic regular
 * expression (MiG only checks it between lines); mismatch messages name line numbers instead of
 * quoting the job's output; files are read through the owner's view and are bounded in size.
 * @packageDocumentation
 */
import { Script, createContext } from 'node:vm';
import { isMigError } from '../errors.js';
import type { FileView } from '../fs/file-view.js';
import type { FileTransfer } from '../mrsl/job-spec.js';
import { assertJobId } from './job-id.js';
import { jobResultPath, readViewText } from './job-results.js';

/**
 * The overall outcome, as MiG's VERIFIED field starts.
 *
 * @example
 * ```ts
 * const r: JobVerificationResult = 'SUCCESS';
 * ```
 */
export type JobVerificationResult = 'SUCCESS' | 'FAILURE' | 'NO';

/**
 * The check of one VERIFYFILES entry.
 *
 * @example
 * ```ts
 * const c: JobVerificationCheck = { file: 'verify/job.status', check: 'status', ok: true, message: 'OK' };
 * ```
 */
export interface JobVerificationCheck {
  /** The template, as the VERIFYFILES entry names it (relative to the owner's home). */
  readonly file: string;
  /** Which result file it was compared with, or `null` when the suffix is not one MiG knows. */
  readonly check: 'status' | 'stdout' | 'stderr' | null;
  readonly ok: boolean;
  /** `OK`, or what did not fit (line numbers, never the job's output). */
  readonly message: string;
}

/**
 * The result of checking a job's VERIFYFILES.
 *
 * @example
 * ```ts
 * const v = await verifyJobResults(view, job);
 * v.summary; // 'SUCCESS - status: OK stdout: OK'
 * ```
 */
export interface JobVerification {
  readonly result: JobVerificationResult;
  readonly checks: readonly JobVerificationCheck[];
  /** MiG's VERIFIED text: `NO`, or `SUCCESS -`/`FAILURE -` followed by ` <check>: OK|FAILED (why)` per entry. */
  readonly summary: string;
}

/** Options of {@link verifyJobResults}. */
export interface VerifyJobResultsOptions {
  /** Time allowed for comparing one file, in milliseconds (default 3000, MiG's `allowed_time`). */
  readonly timeoutMs?: number;
  /** Largest template or result file compared, in bytes (default 4 MiB). */
  readonly maxBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 3000;
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

// Runs in its own context, so that `timeout` can stop a runaway regular expression.
// Returns -1 when every line fits, i >= 0 for the first line that does not, -2 - i for a template
// line that is not a regular expression.
const MATCHER = new Script(`(function () {
  for (var i = 0; i < templates.length; i++) {
    var re;
    try { re = new RegExp(templates[i], 'y'); } catch (e) { return -2 - i; }
    re.lastIndex = 0;
    if (!re.test(lines[i])) return i;
  }
  return -1;
})()`);

/** Python's named groups in JavaScript spelling. */
function fromPythonSyntax(pattern: string): string {
  return pattern.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>');
}

/** Python's `readlines()` followed by `strip()` of each line. */
function strippedLines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((l) => l.trim());
}

/**
 * Compares a result file's text with a template's text by MiG's rules (see the module
 * description): `undefined` when they fit, else why not (line numbers only, never the content).
 * `actualText` is `undefined` when the result file does not exist.
 *
 * @example
 * ```ts
 * compareWithTemplate('hello\n[0-9]+\n', 'hello world\n42\n'); // undefined: it fits
 * compareWithTemplate('world\n', 'hello world\n');              // 'line 1 does not match the template'
 * ```
 */
export function compareWithTemplate(templateText: string, actualText: string | undefined, timeoutMs: number = DEFAULT_TIMEOUT_MS): string | undefined {
  const templates = strippedLines(templateText);
  if (actualText === undefined) return templates.length === 0 ? undefined : 'the job has no such result file';
  const lines = strippedLines(actualText);
  if (lines.length !== templates.length) {
    return `line count mismatch: the template has ${templates.length} lines, the result ${lines.length}`;
  }
  if (templates.length === 0) return undefined;
  let outcome: unknown;
  try {
    const context = createContext({ templates: templates.map(fromPythonSyntax), lines });
    outcome = MATCHER.runInContext(context, { timeout: Math.max(1, Math.floor(timeoutMs)) });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      return `the comparison took longer than ${timeoutMs} ms and was stopped`;
    }
    throw err;
  }
  const index = typeof outcome === 'number' ? outcome : -1;
  if (index === -1) return undefined;
  if (index <= -2) return `template line ${-index - 1} is not a valid regular expression`;
  return `line ${index + 1} does not match the template`;
}

const CHECKS = ['status', 'stdout', 'stderr'] as const;

async function checkOne(view: FileView, jobId: string, entry: FileTransfer, options: Required<VerifyJobResultsOptions>): Promise<JobVerificationCheck> {
  const file = entry.source;
  const check = CHECKS.find((c) => file.endsWith(`.${c}`)) ?? null;
  const fail = (message: string): JobVerificationCheck => ({ file, check, ok: false, message });
  if (check === null) return fail('unknown file suffix: a verify file ends in .status, .stdout or .stderr');
  if (file.includes('://')) return fail('a verify file must be in your home, not at a URL');
  let template: string | undefined;
  try {
    template = await readViewText(view, `/${file}`, options.maxBytes);
  } catch (err) {
    return fail(isMigError(err) ? `the template cannot be read: ${err.message}` : 'the template cannot be read');
  }
  if (template === undefined) return fail(`${file} does not exist`);
  let actual: string | undefined;
  try {
    actual = await readViewText(view, jobResultPath(jobId, check), options.maxBytes);
  } catch (err) {
    return fail(isMigError(err) ? `the result cannot be read: ${err.message}` : 'the result cannot be read');
  }
  const problem = compareWithTemplate(template, actual, options.timeoutMs);
  return problem === undefined ? { file, check, ok: true, message: 'OK' } : fail(problem);
}

/**
 * Checks a job's results against its VERIFYFILES, reading templates and results through the
 * owner's view (`site.files.viewFor({ kind: 'user', userId: job.ownerId })`).
 *
 * @throws {@link InvalidInputError} for a malformed job id. Problems with single files are
 *   reported in the result, never thrown.
 *
 * @example
 * ```ts
 * const view = await site.files.viewFor({ kind: 'user', userId: job.ownerId });
 * const verified = await verifyJobResults(view, job);
 * await site.jobs.transition(job.id, { from: 'EXECUTING', to: 'FINISHED', actor: 'grid_script', set: { verified } });
 * ```
 */
export async function verifyJobResults(
  view: FileView,
  job: { readonly id: string; readonly spec: { readonly VERIFYFILES: readonly FileTransfer[] } },
  options: VerifyJobResultsOptions = {},
): Promise<JobVerification> {
  const jobId = assertJobId(job.id);
  const entries = job.spec.VERIFYFILES;
  if (entries.length === 0) return { result: 'NO', checks: [], summary: 'NO' };
  const resolved = { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES };
  const checks: JobVerificationCheck[] = [];
  for (const entry of entries) checks.push(await checkOne(view, jobId, entry, resolved));
  const ok = checks.every((c) => c.ok);
  const parts = checks.map((c) =>
    c.check === null ? ` ${c.file}: unknown file suffix!` : c.ok ? ` ${c.check}: OK` : ` ${c.check}: FAILED (${c.message})`,
  );
  return { result: ok ? 'SUCCESS' : 'FAILURE', checks, summary: `${ok ? 'SUCCESS' : 'FAILURE'} -${parts.join('')}` };
}
