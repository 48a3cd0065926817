/**
 * The named scheduling policies a site can choose from (MiG's `[SCHEDULER] algorithm`).
 * @packageDocumentation
 */
import { ConfigError, InvalidInputError } from '@migrid/core';
import { bestFitPolicy } from './best-fit-policy.js';
import { fairFitPolicy } from './fair-fit-policy.js';
import { fifoPolicy } from './fifo-policy.js';
import { firstFitPolicy } from './first-fit-policy.js';
import { maxThroughputPolicy } from './max-throughput-policy.js';
import { randomPolicy } from './random-policy.js';
import type { CandidateScope, SchedulingPolicy } from './scheduling-policy.js';

/** The built-in policies under MiG's names. */
export const BUILT_IN_POLICIES: Readonly<Record<string, SchedulingPolicy>> = {
  FIFO: fifoPolicy,
  FirstFit: firstFitPolicy,
  BestFit: bestFitPolicy,
  FairFit: fairFitPolicy,
  MaxThroughput: maxThroughputPolicy,
  Random: randomPolicy,
};

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const SCOPES: readonly CandidateScope[] = ['queue-head', 'earliest', 'best-score', 'sample', 'all'];

/** Options of {@link PolicyRegistry.registerPolicy}. */
export interface RegisterPolicyOptions {
  /** Replace a policy already registered under the name (built-ins included). Default false. */
  readonly replace?: boolean;
}

/**
 * Policies by name. Names are matched without regard to case (`fairfit` finds `FairFit`).
 *
 * @example
 * ```ts
 * const registry = createPolicyRegistry();
 * registry.registerPolicy('Shortest', myPolicy);
 * const policy = registry.getPolicy(config.scheduler.algorithm); // throws on an unknown name
 * ```
 */
export interface PolicyRegistry {
  /** Adds a policy. Throws `MIG_E_INVALID_INPUT` for a bad name or policy, or a taken name without `replace`. */
  registerPolicy(name: string, policy: SchedulingPolicy, options?: RegisterPolicyOptions): void;
  /** The policy registered under `name`. Throws `MIG_E_CONFIG_INVALID` naming the known policies when there is none. */
  getPolicy(name: string): SchedulingPolicy;
  /** Whether a policy is registered under `name`. */
  hasPolicy(name: string): boolean;
  /** The registered names, as registered. */
  policyNames(): string[];
}

/**
 * A registry holding the six built-in policies under MiG's names: `FIFO`, `FirstFit`, `BestFit`,
 * `FairFit`, `MaxThroughput`, `Random`.
 *
 * @example
 * ```ts
 * createPolicyRegistry().getPolicy('FairFit') === fairFitPolicy; // true
 * ```
 */
export function createPolicyRegistry(): PolicyRegistry {
  const byKey = new Map<string, { name: string; policy: SchedulingPolicy }>();
  const registry: PolicyRegistry = {
    registerPolicy(name, policy, options = {}) {
      if (typeof name !== 'string' || !NAME.test(name)) {
        throw new InvalidInputError('A scheduling policy name is 1 to 64 letters, digits, "_", "." or "-", starting with a letter.', {
          details: { field: 'name' },
        });
      }
      if (typeof policy !== 'object' || policy === null || typeof policy.select !== 'function') {
        throw new InvalidInputError(`Scheduling policy ${name} has no select function.`, { details: { name } });
      }
      const scope = policy.scope ?? 'all';
      if (!SCOPES.includes(scope)) {
        throw new InvalidInputError(`Scheduling policy ${name} has an unknown scope; use one of ${SCOPES.join(', ')}.`, { details: { name } });
      }
      if (scope === 'best-score' && typeof policy.score !== 'function') {
        throw new InvalidInputError(`Scheduling policy ${name} has scope best-score but no score function.`, { details: { name } });
      }
      const key = name.toLowerCase();
      const existing = byKey.get(key);
      if (existing !== undefined && options.replace !== true) {
        throw new InvalidInputError(`A scheduling policy named ${existing.name} is already registered; pass { replace: true } to replace it.`, {
          details: { name },
        });
      }
      byKey.set(key, { name, policy });
    },
    getPolicy(name) {
      const found = typeof name === 'string' ? byKey.get(name.toLowerCase()) : undefined;
      if (found === undefined) {
        const known = [...byKey.values()].map((e) => e.name);
        throw new ConfigError(`Unknown scheduling policy; choose one of ${known.join(', ')}.`, {
          details: { known },
        });
      }
      return found.policy;
    },
    hasPolicy(name) {
      return typeof name === 'string' && byKey.has(name.toLowerCase());
    },
    policyNames() {
      return [...byKey.values()].map((e) => e.name);
    },
  };
  for (const [name, policy] of Object.entries(BUILT_IN_POLICIES)) registry.registerPolicy(name, policy);
  return registry;
}
