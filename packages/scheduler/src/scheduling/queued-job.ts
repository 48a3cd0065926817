/**
 * A job waiting in the grid engine's queue, as the scheduler sees it.
 * @packageDocumentation
 */
import type { JobSpec } from '@migrid/core';

/**
 * One queued job: its id, owner, parsed description, when it was queued and the VGrids it may
 * run in. The scheduler keeps its own small shape so the durable job store can feed it through a
 * thin adapter.
 *
 * @example
 * ```ts
 * const job: QueuedJob = {
 *   id: '42_7_2_2025__12_57_15_myhost.0',
 *   ownerId: 'user-7',
 *   spec: parseMrsl('::EXECUTE::\necho hello\n'),
 *   queuedAt: Date.now(),
 *   vgrids: ['Generic'],
 * };
 * ```
 */
export interface QueuedJob {
  /** The job's id (unique within the queue). */
  readonly id: string;
  /** The owner's stable user id (the scheduler never interprets it). */
  readonly ownerId: string;
  /** The job description; the scheduler reads the resource requests from it. */
  readonly spec: JobSpec;
  /** When the job entered the queue, epoch milliseconds. Queue order is `queuedAt`, then order of arrival. */
  readonly queuedAt: number;
  /**
   * The VGrids the job may run in, in order of preference, after the caller expanded `ANY` to the
   * owner's VGrids and dropped the ones the owner may not use (MiG does both at submission).
   */
  readonly vgrids: readonly string[];
}
