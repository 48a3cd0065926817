/**
 * MiG's `MaxThroughput` policy.
 * @packageDocumentation
 */
import { selectByScore, type SchedulingPolicy } from './scheduling-policy.js';

/**
 * The fitting job with the shortest CPUTIME (the earliest on ties), hoping to free the unit soon.
 *
 * @example
 * ```ts
 * index.pick(offer, maxThroughputPolicy, ctx);
 * ```
 */
export const maxThroughputPolicy: SchedulingPolicy = {
  name: 'MaxThroughput',
  scope: 'best-score',
  score: (job) => -job.spec.CPUTIME,
  select: (candidates) => selectByScore(candidates, (job) => -job.spec.CPUTIME),
};
