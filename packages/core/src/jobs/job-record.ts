/**
 * The job record and its history events: what the job store gives callers, built from rows.
 * @packageDocumentation
 */
import type { Row, JobEventsTable, JobsTable } from '../db/schema.js';
import type { JobSpec } from '../mrsl/job-spec.js';
import { isJobState, type JobState } from './job-state.js';
import type { JobVerification } from './job-verify.js';

/**
 * One job as the store knows it. Times are epoch milliseconds.
 *
 * @example
 * ```ts
 * const job: JobRecord = await site.jobs.get('42_7_2_2025__12_57_15_myhost');
 * if (job.state === 'EXECUTING') console.log(job.resourceId, job.unitName);
 * ```
 */
export interface JobRecord {
  /** The MiG job id (`42_7_2_2025__12_57_15_myhost`). */
  readonly id: string;
  /** The site-wide counter the id starts with: the order jobs were received in. */
  readonly seq: number;
  /** The owner's stable user id. */
  readonly ownerId: string;
  /** The job's JOBNAME, `''` when none. */
  readonly name: string;
  readonly state: JobState;
  /** The validated job description. */
  readonly spec: JobSpec;
  /** The mRSL text as submitted, or `null` when the job came in its JSON form. */
  readonly mrsl: string | null;
  /** Executions that ended without the job finishing (timeouts, dead resources). */
  readonly retryCount: number;
  /** Grows with every change: pass it back as `expectVersion` to change the job only if nobody else did. */
  readonly version: number;
  /** True while the job executes with a live session id (the id itself is never stored). */
  readonly hasSession: boolean;
  /** The resource and execution unit the job was last handed to, or `null`. */
  readonly resourceId: string | null;
  readonly unitName: string | null;
  readonly receivedAt: number;
  /** When the job last entered the queue. */
  readonly queuedAt: number | null;
  /** When the job was last handed to a resource. */
  readonly executingAt: number | null;
  /** When the job reached a final state. */
  readonly finishedAt: number | null;
  readonly updatedAt: number;
  /** Why the job failed, or why it was last requeued; `null` when neither. */
  readonly failureMessage: string | null;
  /** The VERIFYFILES result, once the job's results were checked. */
  readonly verified: JobVerification | null;
  readonly verifiedAt: number | null;
}

/**
 * One entry of a job's history: a change of state, who made it and why.
 *
 * @example
 * ```ts
 * for (const e of await site.jobs.history(job.id)) console.log(e.at, e.fromState, '→', e.toState, e.actor);
 * ```
 */
export interface JobEvent {
  readonly id: number;
  readonly jobId: string;
  readonly at: number;
  /** `null` for the event that created the job. */
  readonly fromState: JobState | null;
  readonly toState: JobState;
  /** Who made the change: `user:<id>`, `admin:<id>`, `admin:local`, `grid_script`, `resource:<id>`, … */
  readonly actor: string;
  /** Structured detail: resource and unit, reason, retry count … */
  readonly detail: Readonly<Record<string, unknown>>;
}

function stateOf(value: string): JobState {
  if (!isJobState(value)) throw new Error(`job row has an unknown state ${JSON.stringify(value)}`);
  return value;
}

function parseObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  const value: unknown = JSON.parse(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** Builds the record from a `jobs` row. Internal. */
export function jobRecordFromRow(row: Row<JobsTable>): JobRecord {
  return {
    id: row.id,
    seq: Number(row.seq),
    ownerId: row.owner_id,
    name: row.name,
    state: stateOf(row.state),
    // Stored only after validation by the store; read back as written.
    spec: JSON.parse(row.spec) as JobSpec,
    mrsl: row.mrsl,
    retryCount: Number(row.retry_count),
    version: Number(row.version),
    hasSession: row.session_id_hash !== null,
    resourceId: row.resource_id,
    unitName: row.unit_name,
    receivedAt: Number(row.received_at),
    queuedAt: row.queued_at === null ? null : Number(row.queued_at),
    executingAt: row.executing_at === null ? null : Number(row.executing_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    updatedAt: Number(row.updated_at),
    failureMessage: row.failure_message,
    verified: parseObject(row.verified) as JobVerification | null,
    verifiedAt: row.verified_at === null ? null : Number(row.verified_at),
  };
}

/** Builds the event from a `job_events` row. Internal. */
export function jobEventFromRow(row: Row<JobEventsTable>): JobEvent {
  return {
    id: Number(row.id),
    jobId: row.job_id,
    at: Number(row.at),
    fromState: row.from_state === null ? null : stateOf(row.from_state),
    toState: stateOf(row.to_state),
    actor: row.actor,
    detail: parseObject(row.detail) ?? {},
  };
}
