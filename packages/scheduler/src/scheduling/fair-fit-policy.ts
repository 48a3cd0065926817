/**
 * MiG's `FairFit` policy (the default of MiG's configuration template).
 * @packageDocumentation
 */
import { bestFitScore } from './best-fit-policy.js';
import type { QueuedJob } from './queued-job.js';
import type { ScheduleContext } from './schedule-context.js';
import { selectByScore, type SchedulingPolicy } from './scheduling-policy.js';
import type { UnitOffer } from './unit-offer.js';

/** Score points per second of queueing (MiG's `age_mult`): after about 8 hours any job beats a perfect fit queued now. */
export const FAIR_FIT_AGE_WEIGHT = 0.01;

/**
 * The fair-fit score: the best-fit score plus 0.01 × seconds queued × (1 + 10 / max(CPUTIME, 10)),
 * so waiting jobs are not starved and short jobs reach the front a little sooner.
 *
 * @example
 * ```ts
 * fairFitScore(job, offer, { ...ctx, now: job.queuedAt + 3600_000 }); // bestFitScore + 36 × (1 + 10/CPUTIME)
 * ```
 */
export function fairFitScore(job: QueuedJob, offer: UnitOffer, ctx: ScheduleContext): number {
  const queuedSeconds = (ctx.now - job.queuedAt) / 1000;
  const relativeBonus = 10 / Math.max(job.spec.CPUTIME, 10);
  return bestFitScore(job, offer) + FAIR_FIT_AGE_WEIGHT * queuedSeconds * (1 + relativeBonus);
}

/**
 * The fitting job with the highest {@link fairFitScore}; the earliest on ties.
 *
 * @example
 * ```ts
 * index.pick(offer, fairFitPolicy, { now: Date.now(), random: Math.random, expireAfter: 0 });
 * ```
 */
export const fairFitPolicy: SchedulingPolicy = {
  name: 'FairFit',
  scope: 'best-score',
  score: (job, offer, ctx) => fairFitScore(job, offer, ctx),
  select: (candidates, offer, ctx) => selectByScore(candidates, (job) => fairFitScore(job, offer, ctx)),
};
