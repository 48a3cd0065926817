/**
 * MiG's `BestFit` policy.
 * @packageDocumentation
 */
import type { QueuedJob } from './queued-job.js';
import { selectByScore, type SchedulingPolicy } from './scheduling-policy.js';
import type { UnitOffer } from './unit-offer.js';

/** How much each request counts in the best-fit score (MiG's weights). */
export const BEST_FIT_WEIGHTS = { CPUCOUNT: 100, NODECOUNT: 100, CPUTIME: 60, MEMORY: 30, DISK: 10 } as const;

/** The factor applied when the job's and the unit's sandbox flags differ (keeps ordinary units for ordinary jobs). */
export const SANDBOX_MISMATCH_FACTOR = 0.0001;

function ratio(need: number, offered: number): number {
  // A fitting job on a unit offering 0 also asks 0: a perfect fit.
  return offered === 0 ? 1 : need / offered;
}

/**
 * MiG's best-fit score of a job on a unit: Σ weight × request/offer over CPUCOUNT (100),
 * NODECOUNT (100), CPUTIME (60), MEMORY (30) and DISK (10), times 0.0001 when the sandbox flags of
 * job and unit differ. A job that fills the unit exactly scores 300.
 *
 * @example
 * ```ts
 * bestFitScore(job, offer); // 300 when the job asks for exactly what the unit offers
 * ```
 */
export function bestFitScore(job: QueuedJob, offer: UnitOffer): number {
  const spec = job.spec;
  let score =
    BEST_FIT_WEIGHTS.CPUCOUNT * ratio(spec.CPUCOUNT, offer.cpuCount) +
    BEST_FIT_WEIGHTS.NODECOUNT * ratio(spec.NODECOUNT, offer.nodeCount) +
    BEST_FIT_WEIGHTS.CPUTIME * ratio(spec.CPUTIME, offer.cpuTime) +
    BEST_FIT_WEIGHTS.MEMORY * ratio(spec.MEMORY, offer.memory) +
    BEST_FIT_WEIGHTS.DISK * ratio(spec.DISK, offer.disk);
  if (spec.SANDBOX !== offer.sandbox) score *= SANDBOX_MISMATCH_FACTOR;
  return score;
}

/**
 * The fitting job that fills the unit best ({@link bestFitScore}); the earliest on ties.
 *
 * @example
 * ```ts
 * index.pick(offer, bestFitPolicy, ctx);
 * ```
 */
export const bestFitPolicy: SchedulingPolicy = {
  name: 'BestFit',
  scope: 'best-score',
  score: (job, offer) => bestFitScore(job, offer),
  select: (candidates, offer) => selectByScore(candidates, (job) => bestFitScore(job, offer)),
};
