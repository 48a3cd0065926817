/**
 * The error an executor throws when the machinery under it fails: a child process that cannot be
 * spawned, `sbatch` refusing a job, Slurm's controller not answering, a cancel that does not take.
 *
 * @example
 * ```ts
 * try {
 *   await executor.start(job);
 * } catch (err) {
 *   if (err instanceof ExecutorError) log.warn(`job ${job.jobId} not started: ${err.message}`);
 * }
 * ```
 * @packageDocumentation
 */
import { MigError, type MigErrorOptions } from '@migrid/core';

/**
 * An executor could not do what was asked (start, cancel, reattach) because of the system under
 * it. Its code is `MIG_E_INTERNAL` (the resource's fault, not the job owner's); `details.executor`
 * names the executor kind.
 */
export class ExecutorError extends MigError {
  constructor(executor: string, message: string, options: MigErrorOptions = {}) {
    super('MIG_E_INTERNAL', message, { ...options, details: { executor, ...options.details } });
  }
}
