/**
 * Slurm's job states as the Slurm executor reads them from `squeue --states=all` (the same names
 * `scontrol show job` prints as `JobState`), sorted into still-active and ended.
 *
 * @example
 * ```ts
 * isSlurmActiveState('COMPLETING'); // true: processes are still being ended
 * isSlurmEndedState('TIMEOUT'); // true
 * ```
 * @packageDocumentation
 */

/** States of a job that is queued, running or still ending (its processes may live). */
const ACTIVE = new Set([
  'PENDING',
  'CONFIGURING',
  'RUNNING',
  'COMPLETING',
  'SUSPENDED',
  'STOPPED',
  'REQUEUED',
  'REQUEUE_FED',
  'REQUEUE_HOLD',
  'RESIZING',
  'RESV_DEL_HOLD',
  'SIGNALING',
  'SPECIAL_EXIT',
  'STAGE_OUT',
  'POWER_UP_NODE',
  'UPDATE_DB',
]);

/** States of a job that has ended (all of its processes are gone). */
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'DEADLINE', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'BOOT_FAIL', 'REVOKED']);

/** True for a state in which the job may still run or hold processes. */
export function isSlurmActiveState(state: string): boolean {
  return ACTIVE.has(state);
}

/** True for a state in which the job has ended. */
export function isSlurmEndedState(state: string): boolean {
  return ENDED.has(state);
}

/** True for the states in which Slurm itself stopped the job at a time limit. */
export function isSlurmTimeoutState(state: string): boolean {
  return state === 'TIMEOUT' || state === 'DEADLINE';
}
