/**
 * The reference way to schedule: test every queued job, then let the policy choose. What MiG
 * does on each request; fine for small queues and the yardstick the queue index is tested against.
 * @packageDocumentation
 */
import { fitsView } from './job-fits-unit.js';
import { viewOf } from './job-requirements.js';
import type { QueuedJob } from './queued-job.js';
import type { ScheduleContext } from './schedule-context.js';
import type { SchedulingPolicy } from './scheduling-policy.js';
import type { UnitOffer } from './unit-offer.js';

/**
 * Chooses a job for `offer` from `queue` (in queue order) by a full scan: FIFO-scoped policies see
 * the head only, every other policy sees all fitting jobs. Cost grows with the queue; use
 * {@link JobQueueIndex} for real queues.
 *
 * @example
 * ```ts
 * const job = selectByFullScan(queuedJobs, offer, firstFitPolicy, ctx);
 * ```
 */
export function selectByFullScan(
  queue: Iterable<QueuedJob>,
  offer: UnitOffer,
  policy: SchedulingPolicy,
  ctx: ScheduleContext,
): QueuedJob | undefined {
  const view = viewOf(offer);
  const fitting: QueuedJob[] = [];
  for (const job of queue) {
    if (fitsView(job, view)) fitting.push(job);
    if (policy.scope === 'queue-head') break;
  }
  return fitting.length === 0 ? undefined : policy.select(fitting, offer, ctx);
}
