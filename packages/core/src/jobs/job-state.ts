/**
 * MiG's job states and the explicit state machine between them (MiG's `defaults.py` and the job
 * lifecycle of `grid_script`), with one error for every refused step.
 * @packageDocumentation
 */
import { ConflictError } from '../errors.js';

/**
 * Every job state, as MiG names them.
 *
 * @example
 * ```ts
 * JOB_STATES.includes('FROZEN'); // true
 * ```
 */
export const JOB_STATES = ['PARSE', 'QUEUED', 'EXECUTING', 'FROZEN', 'RETRY', 'FINISHED', 'CANCELED', 'EXPIRED', 'FAILED'] as const;

/**
 * One job state.
 *
 * @example
 * ```ts
 * const state: JobState = 'QUEUED';
 * ```
 */
export type JobState = (typeof JOB_STATES)[number];

/**
 * The states of a job that is not done yet (MiG's `pending_states`).
 *
 * @example
 * ```ts
 * PENDING_JOB_STATES.includes('EXECUTING'); // true
 * ```
 */
export const PENDING_JOB_STATES: readonly JobState[] = Object.freeze(['PARSE', 'QUEUED', 'EXECUTING', 'RETRY', 'FROZEN'] as const);

/**
 * The states a job never leaves (MiG's `final_states`).
 *
 * @example
 * ```ts
 * FINAL_JOB_STATES.includes('FINISHED'); // true
 * ```
 */
export const FINAL_JOB_STATES: readonly JobState[] = Object.freeze(['FINISHED', 'CANCELED', 'EXPIRED', 'FAILED'] as const);

/**
 * The states of a job waiting in the queue for a resource: QUEUED, and RETRY, which MiG accepts
 * everywhere as a queued state (though its current code never sets it).
 *
 * @example
 * ```ts
 * QUEUED_JOB_STATES.includes('RETRY'); // true
 * ```
 */
export const QUEUED_JOB_STATES: readonly JobState[] = Object.freeze(['QUEUED', 'RETRY'] as const);

/**
 * Every allowed step, from each state (MiG-features §7.2):
 * - PARSE → QUEUED (the job was accepted), or CANCELED (any pending job may be cancelled);
 * - QUEUED and RETRY → EXECUTING (handed to a resource), FROZEN (held), CANCELED, EXPIRED (waited too long);
 * - FROZEN → QUEUED (thawed), CANCELED;
 * - EXECUTING → FINISHED (its status came back), QUEUED (requeued after a timeout or a dead
 *   resource; its retry count grows), FAILED (out of retries), CANCELED;
 * - FINISHED, CANCELED, EXPIRED, FAILED: final, no step out.
 *
 * @example
 * ```ts
 * JOB_TRANSITIONS.FROZEN; // ['QUEUED', 'CANCELED']
 * ```
 */
export const JOB_TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = Object.freeze({
  PARSE: Object.freeze(['QUEUED', 'CANCELED'] as const),
  QUEUED: Object.freeze(['EXECUTING', 'FROZEN', 'CANCELED', 'EXPIRED'] as const),
  RETRY: Object.freeze(['EXECUTING', 'FROZEN', 'CANCELED', 'EXPIRED'] as const),
  FROZEN: Object.freeze(['QUEUED', 'CANCELED'] as const),
  EXECUTING: Object.freeze(['FINISHED', 'QUEUED', 'FAILED', 'CANCELED'] as const),
  FINISHED: Object.freeze([] as const),
  CANCELED: Object.freeze([] as const),
  EXPIRED: Object.freeze([] as const),
  FAILED: Object.freeze([] as const),
});

/**
 * True when `value` is one of {@link JOB_STATES}.
 *
 * @example
 * ```ts
 * isJobState('QUEUED'); // true
 * isJobState('queued'); // false: states are upper case, as in MiG
 * ```
 */
export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && (JOB_STATES as readonly string[]).includes(value);
}

/**
 * True when the job is not done yet.
 *
 * @example
 * ```ts
 * isPendingJobState('FROZEN'); // true
 * ```
 */
export function isPendingJobState(state: JobState): boolean {
  return PENDING_JOB_STATES.includes(state);
}

/**
 * True when the job will never change state again.
 *
 * @example
 * ```ts
 * isFinalJobState('EXPIRED'); // true
 * ```
 */
export function isFinalJobState(state: JobState): boolean {
  return FINAL_JOB_STATES.includes(state);
}

/**
 * True when a job may go from `from` to `to` in one step.
 *
 * @example
 * ```ts
 * canTransition('QUEUED', 'FROZEN');    // true
 * canTransition('FINISHED', 'QUEUED');  // false
 * ```
 */
export function canTransition(from: JobState, to: JobState): boolean {
  return JOB_TRANSITIONS[from]?.includes(to) ?? false;
}

/** What a person can do about a refused step, for the message. */
function hint(from: JobState, to: JobState): string {
  if (isFinalJobState(from)) return `${from} is final; submit the job again (resubmit) to run it once more`;
  if (from === 'FROZEN' && (to === 'EXECUTING' || to === 'EXPIRED')) return 'thaw the job first, so that it is queued again';
  if (from === 'EXECUTING' && to === 'FROZEN') return 'a running job cannot be frozen; cancel it, or wait until it ends';
  if (to === 'FINISHED' || to === 'FAILED') return 'only a job that is executing can finish or fail';
  const allowed: readonly JobState[] = JOB_TRANSITIONS[from] ?? [];
  return allowed.length === 0 ? 'no change is possible' : `from ${from} a job can only go to ${allowed.join(', ')}`;
}

/**
 * Throws unless a job may go from `from` to `to` in one step.
 *
 * @throws {@link ConflictError} `MIG_E_JOB_STATE` (409) naming both states and what to do instead;
 *   `details` has `from`, `to` and, when given, `jobId`.
 *
 * @example
 * ```ts
 * assertTransition('QUEUED', 'EXECUTING');  // fine
 * assertTransition('FINISHED', 'QUEUED');   // throws MIG_E_JOB_STATE: "… FINISHED is final; submit the job again …"
 * ```
 */
export function assertTransition(from: JobState, to: JobState, jobId?: string): void {
  if (canTransition(from, to)) return;
  const what = jobId === undefined ? 'A job' : `Job ${jobId}`;
  throw new ConflictError('MIG_E_JOB_STATE', `${what} cannot go from ${from} to ${to}: ${hint(from, to)}.`, {
    details: { from, to, ...(jobId !== undefined && { jobId }) },
  });
}
