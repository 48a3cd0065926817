/**
 * MiG's `FIFO` policy.
 * @packageDocumentation
 */
import type { SchedulingPolicy } from './scheduling-policy.js';

/**
 * Strict first in, first out: only the job at the head of the queue is considered; when it does
 * not fit the asking unit, the unit gets nothing.
 *
 * @example
 * ```ts
 * index.pick(offer, fifoPolicy, ctx); // the head of the queue, or undefined
 * ```
 */
export const fifoPolicy: SchedulingPolicy = {
  name: 'FIFO',
  scope: 'queue-head',
  select(candidates) {
    for (const job of candidates) return job;
    return undefined;
  },
};
