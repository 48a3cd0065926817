/**
 * MiG's `Random` policy.
 * @packageDocumentation
 */
import type { QueuedJob } from './queued-job.js';
import type { SchedulingPolicy } from './scheduling-policy.js';

/**
 * A fitting job chosen uniformly at random with `ctx.random`.
 *
 * @example
 * ```ts
 * index.pick(offer, randomPolicy, { now: Date.now(), random: Math.random, expireAfter: 0 });
 * ```
 */
export const randomPolicy: SchedulingPolicy = {
  name: 'Random',
  scope: 'sample',
  select(candidates, _offer, ctx) {
    const all: QueuedJob[] = Array.isArray(candidates) ? (candidates as QueuedJob[]) : [...candidates];
    if (all.length === 0) return undefined;
    const r = ctx.random();
    const i = Math.min(all.length - 1, Math.max(0, Math.floor((Number.isFinite(r) ? r : 0) * all.length)));
    return all[i];
  },
};
