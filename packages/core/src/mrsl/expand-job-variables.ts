/**
 * `+JOBID+` and `+JOBNAME+`: the variables a job description may use in any string.
 * @packageDocumentation
 */
import { InvalidInputError } from '../errors.js';
import type { EnvironmentVariable, FileTransfer, JobSpec } from './job-spec.js';
import { checkJobId, checkJobName } from './value-checks.js';

/**
 * The job ID variable.
 *
 * @example
 * ```ts
 * spec.EXECUTE.some((cmd) => cmd.includes(JOBID_VARIABLE));
 * ```
 */
export const JOBID_VARIABLE = '+JOBID+';
/**
 * The job name variable.
 *
 * @example
 * ```ts
 * `echo ${JOBNAME_VARIABLE}`; // 'echo +JOBNAME+'
 * ```
 */
export const JOBNAME_VARIABLE = '+JOBNAME+';

/**
 * What the variables expand to.
 *
 * @example
 * ```ts
 * const values: JobVariables = { jobId: '42_7_2_2025__12_57_15_myhost.0' };
 * ```
 */
export interface JobVariables {
  /** The job's ID (MiG job ID characters: letters, digits, `.`, `-`, `_`). */
  readonly jobId: string;
  /** The job's name; defaults to the job's JOBNAME. */
  readonly jobName?: string;
}

/**
 * Expands `+JOBID+` and `+JOBNAME+` in every string of a job: every single-value field, every
 * list entry (EXECUTE, NOTIFY, RESOURCE …), both ends of every file entry, and environment
 * names and values. `+JOBID+` is replaced first, then `+JOBNAME+`, each in one pass (a
 * replacement is never expanded again). This is MiG's documented behaviour; MiG's Python 3 code
 * skips list entries, which this does not copy.
 *
 * Expand when a job is handed out, not when it is submitted, so that a resubmitted job gets its
 * new ID. Returns a new spec; the input is not changed.
 *
 * @throws {@link InvalidInputError} when `jobId` or `jobName` has characters a job ID or job name
 *   may not have (so an expansion can never smuggle path or shell characters into a job).
 *
 * @example
 * ```ts
 * const spec = parseMrsl('::EXECUTE::\necho +JOBNAME+ > +JOBID+.txt\n\n::JOBNAME::\nfib\n');
 * expandJobVariables(spec, { jobId: '7_1_1_2025__0_0_0_site' }).EXECUTE;
 * // ['echo fib > 7_1_1_2025__0_0_0_site.txt']
 * ```
 */
export function expandJobVariables(spec: JobSpec, variables: JobVariables): JobSpec {
  const idProblem = checkJobId(variables.jobId);
  if (idProblem !== undefined) throw new InvalidInputError(`The job ID ${idProblem}`);
  const jobName = variables.jobName ?? spec.JOBNAME;
  const nameProblem = checkJobName(jobName);
  if (nameProblem !== undefined) throw new InvalidInputError(`The job name ${nameProblem}`);

  const expand = (text: string): string =>
    text.split(JOBID_VARIABLE).join(variables.jobId).split(JOBNAME_VARIABLE).join(jobName);
  const list = (items: readonly string[]): string[] => items.map(expand);
  const files = (items: readonly FileTransfer[]): FileTransfer[] =>
    items.map((f) => ({ source: expand(f.source), destination: expand(f.destination) }));
  const env = (items: readonly EnvironmentVariable[]): EnvironmentVariable[] =>
    items.map((e) => ({ name: expand(e.name), value: expand(e.value) }));

  return {
    ...spec,
    EXECUTE: list(spec.EXECUTE),
    INPUTFILES: files(spec.INPUTFILES),
    OUTPUTFILES: files(spec.OUTPUTFILES),
    EXECUTABLES: files(spec.EXECUTABLES),
    MOUNT: list(spec.MOUNT),
    RESOURCE: list(spec.RESOURCE),
    VGRID: list(spec.VGRID),
    ARCHITECTURE: expand(spec.ARCHITECTURE),
    ENVIRONMENT: env(spec.ENVIRONMENT),
    RUNTIMEENVIRONMENT: list(spec.RUNTIMEENVIRONMENT),
    NOTIFY: list(spec.NOTIFY),
    VERIFYFILES: files(spec.VERIFYFILES),
    JOBTYPE: expand(spec.JOBTYPE),
    JOBNAME: expand(spec.JOBNAME),
    PROJECT: expand(spec.PROJECT),
    PLATFORM: expand(spec.PLATFORM),
    MAXPRICE: expand(spec.MAXPRICE),
    MAXFILL: [...spec.MAXFILL],
  };
}
