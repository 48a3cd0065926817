/**
 * MiG's `FirstFit` policy (the default of MiG's code).
 * @packageDocumentation
 */
import type { SchedulingPolicy } from './scheduling-policy.js';

/**
 * The earliest queued job that fits the asking unit.
 *
 * @example
 * ```ts
 * index.pick(offer, firstFitPolicy, ctx);
 * ```
 */
export const firstFitPolicy: SchedulingPolicy = {
  name: 'FirstFit',
  scope: 'earliest',
  select(candidates) {
    for (const job of candidates) return job;
    return undefined;
  },
};
