/**
 * What a scheduling decision may know besides the queue and the offer.
 * @packageDocumentation
 */

/**
 * The context of one decision: the clock, a random source and the site settings that matter.
 *
 * @example
 * ```ts
 * const ctx: ScheduleContext = { now: Date.now(), random: Math.random, expireAfter: 7 * 24 * 3600 };
 * ```
 */
export interface ScheduleContext {
  /** The decision's time, epoch milliseconds (FairFit ages jobs against it). */
  readonly now: number;
  /** A uniform random number in `[0, 1)` (used by Random); pass a seeded one for repeatable runs. */
  readonly random: () => number;
  /** MiG's `expire_after`: seconds a job may stay queued before it expires; `0` or less disables expiry. */
  readonly expireAfter: number;
}

/**
 * The queue time before which jobs have expired at `ctx.now`, or `undefined` when expiry is off.
 * A job expires when it has been queued for longer than `expireAfter` seconds, as in MiG.
 *
 * @example
 * ```ts
 * const cutoff = expiryCutoff(ctx);
 * const expired = cutoff === undefined ? [] : index.expireBefore(cutoff);
 * ```
 */
export function expiryCutoff(ctx: ScheduleContext): number | undefined {
  if (!(ctx.expireAfter > 0)) return undefined;
  return ctx.now - ctx.expireAfter * 1000;
}
