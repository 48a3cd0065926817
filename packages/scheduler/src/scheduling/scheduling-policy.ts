/**
 * The scheduling-policy seam: how the engine chooses one of the queued jobs that fit a unit.
 * @packageDocumentation
 */
import type { QueuedJob } from './queued-job.js';
import type { ScheduleContext } from './schedule-context.js';
import type { UnitOffer } from './unit-offer.js';

/**
 * How much of the fitting queue a policy needs to see, so the queue index can hand it a small
 * candidate set without changing its choice:
 *
 * - `'queue-head'`: only the first job of the whole queue, and only if it fits (FIFO);
 * - `'earliest'`: only the earliest fitting job (FirstFit);
 * - `'best-score'`: the policy has a {@link SchedulingPolicy.score | score} that depends only on the
 *   job's requirements, its `queuedAt` and the offer, never prefers a job queued later over an
 *   equal one queued earlier, and chooses the highest score, the earliest on ties. The index then
 *   scores only the earliest job of each group with identical requirements (BestFit, FairFit,
 *   MaxThroughput);
 * - `'sample'`: the policy chooses uniformly at random, so one fitting job drawn uniformly with
 *   `ctx.random` is enough (Random);
 * - `'all'`: every fitting job, in queue order (the default; cost grows with the queue).
 */
export type CandidateScope = 'queue-head' | 'earliest' | 'best-score' | 'sample' | 'all';

/**
 * A scheduling policy. `select` receives jobs that all fit the offer, in queue order (earliest
 * first), never an empty set, and returns the one to dispatch or `undefined` for none.
 *
 * @example
 * ```ts
 * // Prefer the job of the owner who has waited longest; a plain 'all' policy.
 * const oldestOwnerFirst: SchedulingPolicy = {
 *   name: 'OldestOwner',
 *   select(candidates) {
 *     for (const job of candidates) if (job.ownerId.startsWith('vip-')) return job;
 *     return candidates[Symbol.iterator]().next().value;
 *   },
 * };
 * registry.registerPolicy('OldestOwner', oldestOwnerFirst);
 * ```
 */
export interface SchedulingPolicy {
  /** A name for logs (the registry's key may differ). */
  readonly name: string;
  /** How many candidates the policy needs (default `'all'`); see {@link CandidateScope}. */
  readonly scope?: CandidateScope;
  /** Chooses among fitting candidates given in queue order. */
  select(candidates: Iterable<QueuedJob>, offer: UnitOffer, ctx: ScheduleContext): QueuedJob | undefined;
  /** Required with scope `'best-score'`: higher is better; NaN counts as the lowest score. */
  score?(job: QueuedJob, offer: UnitOffer, ctx: ScheduleContext): number;
}

/**
 * The job with the highest score among `candidates` (earliest on ties; a NaN score is lowest):
 * the `select` of every `'best-score'` policy.
 *
 * @example
 * ```ts
 * const shortestFirst: SchedulingPolicy = {
 *   name: 'Shortest', scope: 'best-score',
 *   score: (job) => -job.spec.CPUTIME,
 *   select: (candidates, offer, ctx) => selectByScore(candidates, (job) => -job.spec.CPUTIME),
 * };
 * ```
 */
export function selectByScore(candidates: Iterable<QueuedJob>, score: (job: QueuedJob) => number): QueuedJob | undefined {
  let best: QueuedJob | undefined;
  let bestScore = -Infinity;
  for (const job of candidates) {
    const s = score(job);
    if (best === undefined || s > bestScore) {
      best = job;
      bestScore = Number.isNaN(s) ? -Infinity : s;
    }
  }
  return best;
}
