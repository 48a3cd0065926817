/**
 * The in-memory queue index: its choices equal a naive full scan (property test on random queues,
 * removals and offers), removal, expiry, lookups, and hostile input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobSpec } from '@migrid/core';
import {
  bestFitPolicy,
  expiryCutoff,
  fairFitPolicy,
  fifoPolicy,
  firstFitPolicy,
  JobQueueIndex,
  jobFitsUnit,
  maxThroughputPolicy,
  randomPolicy,
  selectByFullScan,
  type QueuedJob,
  type SchedulingPolicy,
  type UnitOffer,
} from '../src/index.js';
import { codeOf } from '../../../test/support/errors.js';
import { context, job, offer } from './scheduling-fixtures.js';

const RUNS = Number(process.env.MIG_PROPERTY_RUNS ?? 200);

const NUMBERS = {
  CPUTIME: [0, 1, 59, 60, 600, 1023, 1024, 3600, 3601, 86_400],
  CPUCOUNT: [1, 2, 3, 4, 8, 16],
  NODECOUNT: [1, 1, 2, 3],
  MEMORY: [0, 64, 512, 1000, 1024, 4096, 16_384],
  DISK: [0, 1, 10, 100],
} as const;

const subset = <T>(values: readonly T[]): fc.Arbitrary<T[]> => fc.subarray([...values]);

const specArb: fc.Arbitrary<Partial<JobSpec>> = fc.record({
  ARCHITECTURE: fc.constantFrom('', '', '', 'AMD64', 'X86'),
  PLATFORM: fc.constantFrom('', '', '', '', '', 'one-click'),
  JOBTYPE: fc.constantFrom('batch', 'batch', 'batch', 'batch', 'bulk', 'interactive'),
  SANDBOX: fc.boolean(),
  RUNTIMEENVIRONMENT: fc.oneof(fc.constant([]), fc.constant([]), fc.constant([]), subset(['PYTHON3', 'R', 'JAVA'])),
  RESOURCE: fc.oneof(fc.constant([]), fc.constant([]), fc.constant([]), fc.constant([]), subset(['res1*', '*_exe1', 'res?.0_*', '[!r]*', 'node.0_exe0'])),
  CPUTIME: fc.constantFrom(...NUMBERS.CPUTIME),
  CPUCOUNT: fc.constantFrom(...NUMBERS.CPUCOUNT),
  NODECOUNT: fc.constantFrom(...NUMBERS.NODECOUNT),
  MEMORY: fc.constantFrom(...NUMBERS.MEMORY),
  DISK: fc.constantFrom(...NUMBERS.DISK),
});

const jobArb = fc.record({
  spec: specArb,
  queuedAt: fc.integer({ min: 0, max: 20 }),
  vgrids: fc.oneof(fc.constant(['Generic']), subset(['Generic', 'A', 'B'])),
});

const offerArb: fc.Arbitrary<UnitOffer> = fc.record({
  publicName: fc.constantFrom('res1.0_exe1', 'res2.0_exe0', 'node.0_exe0'),
  architecture: fc.constantFrom('AMD64', 'X86'),
  platform: fc.constantFrom('', '', '', '', 'ONE-CLICK'),
  jobType: fc.constantFrom('batch', 'bulk', 'interactive', 'all', 'all'),
  sandbox: fc.constantFrom(false, false, false, true),
  // Mostly units that provide everything, so that the numbers decide and many jobs fit.
  runtimeEnvironments: fc.oneof(fc.constant(['PYTHON3', 'R', 'JAVA']), fc.constant(['PYTHON3', 'R', 'JAVA']), subset(['PYTHON3', 'R', 'JAVA'])),
  vgrids: fc.oneof(fc.constant(['Generic', 'A', 'B']), fc.constant(['Generic', 'A', 'B']), subset(['Generic', 'A', 'B'])),
  // Mostly generous offers, so that many jobs fit and boundaries (equal values, classes) are hit.
  cpuTime: fc.constantFrom(...NUMBERS.CPUTIME, 2000, 3600, 86_400, 100_000, 100_000),
  cpuCount: fc.constantFrom(...NUMBERS.CPUCOUNT, 5, 8, 16, 32, 32),
  nodeCount: fc.constantFrom(1, 2, 3, 4, 4),
  memory: fc.constantFrom(...NUMBERS.MEMORY, 1024, 2000, 16_384, 65_536, 65_536),
  disk: fc.constantFrom(...NUMBERS.DISK, 5, 10, 100, 1000, 1000),
}).map((o) => offer(o as Partial<UnitOffer>));

/** Keeps every fitting job; picks the last one (checks the lazy merge order against the scan). */
const lastFitPolicy: SchedulingPolicy = {
  name: 'LastFit',
  select(candidates) {
    let last: QueuedJob | undefined;
    for (const j of candidates) last = j;
    return last;
  },
};

const COMPARED: readonly SchedulingPolicy[] = [firstFitPolicy, fifoPolicy, bestFitPolicy, fairFitPolicy, maxThroughputPolicy, lastFitPolicy];

describe('JobQueueIndex.pick equals a naive full scan', () => {
  it('on random queues with removals, dispatches and offers, for every deterministic policy', () => {
    fc.assert(
      fc.property(
        fc.array(jobArb, { minLength: 0, maxLength: 80, size: 'max' }),
        fc.array(fc.nat(), { maxLength: 15, size: 'max' }),
        fc.array(offerArb, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 100_000 }),
        (jobSpecs, removals, offers, now) => {
          const index = new JobQueueIndex();
          const jobs = jobSpecs.map((j, i) => job(`j${i}`, j.spec, j.queuedAt * 1000, j.vgrids));
          for (const j of jobs) index.add(j);
          // The naive queue: queuedAt, then arrival order (Array.prototype.sort is stable).
          let queue = [...jobs].sort((a, b) => a.queuedAt - b.queuedAt);
          for (const r of removals) {
            if (queue.length === 0) break;
            const victim = queue[r % queue.length] as QueuedJob;
            expect(index.remove(victim.id)).toBe(victim);
            queue = queue.filter((j) => j !== victim);
          }
          expect([...index.jobs()]).toEqual(queue);
          const ctx = context(now * 1000);
          for (const unit of offers) {
            for (const policy of COMPARED) {
              expect(index.pick(unit, policy, ctx)?.id, policy.name).toBe(selectByFullScan(queue, unit, policy, ctx)?.id);
            }
            // Dispatch FirstFit's choice, as the engine would, and compare again on the changed queue.
            const chosen = index.pick(unit, firstFitPolicy, ctx);
            if (chosen !== undefined) {
              expect(jobFitsUnit(chosen, unit)).toEqual({ fits: true });
              index.remove(chosen.id);
              queue = queue.filter((j) => j !== chosen);
              expect(index.pick(unit, firstFitPolicy, ctx)?.id).toBe(selectByFullScan(queue, unit, firstFitPolicy, ctx)?.id);
            }
            const sampled = index.pick(unit, randomPolicy, ctx);
            expect(sampled === undefined).toBe(selectByFullScan(queue, unit, firstFitPolicy, ctx) === undefined);
            if (sampled !== undefined) expect(jobFitsUnit(sampled, unit).fits).toBe(true);
          }
          expect(index.size).toBe(queue.length);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('keeps agreeing while many jobs with varied numbers come and go (cells and groups emptied and refilled)', () => {
    const index = new JobQueueIndex();
    let queue: QueuedJob[] = [];
    const ctx = context(5_000_000, 7);
    const rnd = ctx.random;
    const pickOf = <T>(values: readonly T[]): T => values[Math.floor(rnd() * values.length)] as T;
    const units = Array.from({ length: 20 }, (_, i) =>
      offer({ publicName: `res${i}.0_exe0`, cpuTime: pickOf([600, 3600, 7200]), cpuCount: pickOf([1, 4, 16]), memory: pickOf([1024, 8192]) }),
    );
    let n = 0;
    for (let round = 0; round < 300; round++) {
      for (let k = 0; k < 5; k++) {
        const j = job(`n${n++}`, { CPUTIME: 1 + Math.floor(rnd() * 8000), CPUCOUNT: pickOf([1, 2, 4, 8]), MEMORY: Math.floor(rnd() * 9000) }, round * 1000);
        index.add(j);
        queue.push(j);
      }
      const unit = pickOf(units);
      const policy = pickOf([firstFitPolicy, bestFitPolicy, fairFitPolicy, maxThroughputPolicy]);
      const chosen = index.pick(unit, policy, ctx);
      expect(chosen?.id).toBe(selectByFullScan(queue, unit, policy, ctx)?.id);
      if (chosen !== undefined) {
        index.remove(chosen.id);
        queue = queue.filter((j) => j !== chosen);
      }
    }
    expect(index.size).toBe(queue.length);
    expect(index.stats().jobs).toBe(queue.length);
  });
  it('keeps agreeing while thousands of signatures empty out and are retired (unit caches stay valid)', () => {
    const index = new JobQueueIndex();
    let queue: QueuedJob[] = [];
    const ctx = context(9_000_000, 11);
    const units = Array.from({ length: 30 }, (_, i) => offer({ publicName: `res${i}.0_exe0`, runtimeEnvironments: i % 2 === 0 ? ['R'] : [] }));
    for (let i = 0; i < 4_000; i++) {
      const j = job(`s${i}`, { RESOURCE: [`res${i % 30}.*`, `other${i}`], RUNTIMEENVIRONMENT: i % 5 === 0 ? ['R'] : [] }, i);
      index.add(j);
      queue.push(j);
      // Old jobs leave (cancelled), so their one-off signatures empty out.
      if (queue.length > 50) {
        const old = queue.shift() as QueuedJob;
        index.remove(old.id);
      }
      const unit = units[i % units.length] as UnitOffer;
      const chosen = index.pick(unit, firstFitPolicy, ctx);
      expect(chosen?.id).toBe(selectByFullScan(queue, unit, firstFitPolicy, ctx)?.id);
      if (chosen !== undefined && i % 3 === 0) {
        index.remove(chosen.id);
        queue = queue.filter((q) => q !== chosen);
      }
    }
    expect(index.stats().signatures).toBe(new Set(queue.map((q) => JSON.stringify([q.spec.RESOURCE, q.spec.RUNTIMEENVIRONMENT]))).size);
  });
});

describe('JobQueueIndex bookkeeping', () => {
  it('adds, looks up and removes jobs; removing twice or an unknown id is a no-op', () => {
    const index = new JobQueueIndex();
    const a = job('a');
    index.add(a);
    expect(index.get('a')).toBe(a);
    expect(index.has('a')).toBe(true);
    expect(index.size).toBe(1);
    expect(index.remove('a')).toBe(a);
    expect(index.remove('a')).toBeUndefined();
    expect(index.remove('never')).toBeUndefined();
    expect(index.pick(offer(), firstFitPolicy, context())).toBeUndefined();
    expect(index.stats()).toEqual({ jobs: 0, signatures: 0, cells: 0, groups: 0 });
  });

  it('orders by queuedAt, then arrival; a late-arriving older job goes in its place', () => {
    const index = new JobQueueIndex();
    index.add(job('b', {}, 2000));
    index.add(job('c', {}, 3000));
    index.add(job('a', {}, 1000));
    index.add(job('b2', {}, 2000));
    expect([...index.jobs()].map((j) => j.id)).toEqual(['a', 'b', 'b2', 'c']);
    expect(index.pick(offer(), firstFitPolicy, context())?.id).toBe('a');
    expect(index.pick(offer(), fifoPolicy, context())?.id).toBe('a');
  });

  it('a removed (dispatched, cancelled, frozen) job is never picked', () => {
    const index = new JobQueueIndex();
    for (let i = 0; i < 100; i++) index.add(job(`j${i}`, {}, i));
    for (let i = 0; i < 100; i += 2) index.remove(`j${i}`);
    for (let i = 1; i < 100; i += 2) {
      expect(index.pick(offer(), firstFitPolicy, context())?.id).toBe(`j${i}`);
      expect(index.pick(offer(), fifoPolicy, context())?.id).toBe(`j${i}`);
      index.remove(`j${i}`);
    }
    expect(index.pick(offer(), randomPolicy, context())).toBeUndefined();
  });

  it('expireBefore removes exactly the jobs queued before the time, oldest first', () => {
    const index = new JobQueueIndex();
    const day = 24 * 3600 * 1000;
    for (let i = 0; i < 10; i++) index.add(job(`d${i}`, { CPUCOUNT: 1 + (i % 3) }, i * day));
    const ctx = { ...context(9 * day + 1), expireAfter: 3 * 24 * 3600 };
    const cutoff = expiryCutoff(ctx);
    expect(cutoff).toBe(6 * day + 1);
    expect(index.expireBefore(cutoff ?? 0).map((j) => j.id)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6']);
    expect([...index.jobs()].map((j) => j.id)).toEqual(['d7', 'd8', 'd9']);
    expect(index.expireBefore(0)).toEqual([]);
    expect(index.pick(offer(), firstFitPolicy, ctx)?.id).toBe('d7');
    expect(expiryCutoff({ ...ctx, expireAfter: 0 })).toBeUndefined();
    expect(expiryCutoff({ ...ctx, expireAfter: -5 })).toBeUndefined();
  });

  it('refuses an empty id, a duplicate id and a queuedAt that is not a finite number', async () => {
    const index = new JobQueueIndex();
    index.add(job('a'));
    expect(await codeOf(() => index.add(job('a')))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => index.add(job('')))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => index.add(job('n', {}, Number.NaN)))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => index.add(job('i', {}, Infinity)))).toBe('MIG_E_INVALID_INPUT');
    expect(index.size).toBe(1);
  });
});

describe('JobQueueIndex on hostile input', () => {
  it('absurd numbers: NaN is queued but never picked, Infinity only for an infinite offer, huge values exact', () => {
    const index = new JobQueueIndex();
    index.add(job('nan', { CPUTIME: Number.NaN }, 1));
    index.add(job('inf', { MEMORY: Infinity }, 2));
    index.add(job('huge', { DISK: 1e308 }, 3));
    index.add(job('edge', { CPUTIME: 2 ** 53 - 1 }, 4));
    index.add(job('negative', { DISK: -5 }, 5));
    const ctx = context();
    expect(index.pick(offer(), fifoPolicy, ctx)).toBeUndefined();
    expect(index.pick(offer(), firstFitPolicy, ctx)?.id).toBe('negative');
    expect(index.pick(offer({ memory: Infinity }), firstFitPolicy, ctx)?.id).toBe('inf');
    expect(index.pick(offer({ disk: 1e308 }), firstFitPolicy, ctx)?.id).toBe('huge');
    expect(index.pick(offer({ cpuTime: 2 ** 53 - 1 }), firstFitPolicy, ctx)?.id).toBe('edge');
    expect(index.pick(offer({ cpuTime: 2 ** 53 - 2, disk: -6 }), firstFitPolicy, ctx)).toBeUndefined();
    expect(index.pick(offer({ cpuTime: Number.NaN }), bestFitPolicy, ctx)).toBeUndefined();
    expect(index.pick(offer({ memory: Infinity, disk: Infinity, cpuTime: Infinity }), maxThroughputPolicy, ctx)?.id).toBe('inf');
    expect(index.remove('nan')?.id).toBe('nan');
    expect(index.expireBefore(Number.MAX_VALUE).map((j) => j.id)).toEqual(['inf', 'huge', 'edge', 'negative']);
  });

  it('a random source returning 1, NaN or negatives still yields a fitting job', () => {
    const index = new JobQueueIndex();
    for (let i = 0; i < 50; i++) index.add(job(`r${i}`, { CPUCOUNT: 1 + (i % 4) }, i));
    for (const value of [1, Number.NaN, -3, 0.999999999, Infinity]) {
      const picked = index.pick(offer({ cpuCount: 2 }), randomPolicy, { ...context(), random: () => value });
      expect(picked !== undefined && picked.spec.CPUCOUNT <= 2).toBe(true);
    }
  });

  it('many distinct signatures and pathological patterns: decisions stay correct and complete', () => {
    const index = new JobQueueIndex();
    const queue: QueuedJob[] = [];
    for (let i = 0; i < 2_000; i++) {
      const pattern = i % 3 === 0 ? `*a*a*a*a*a*a*a*a*b${i}` : i % 3 === 1 ? `res${i}.*` : `${'?'.repeat(i % 50)}*`;
      const j = job(`p${i}`, { RESOURCE: [pattern] }, i);
      index.add(j);
      queue.push(j);
    }
    const longName = offer({ publicName: 'a'.repeat(5_000) });
    const named = offer({ publicName: 'res1000.0_exe0' });
    for (const unit of [longName, named, offer()]) {
      expect(index.pick(unit, firstFitPolicy, context())?.id).toBe(selectByFullScan(queue, unit, firstFitPolicy, context())?.id);
    }
    // Emptying the index retires every signature and keeps the bookkeeping consistent.
    for (const j of queue) index.remove(j.id);
    expect(index.stats()).toEqual({ jobs: 0, signatures: 0, cells: 0, groups: 0 });
    index.add(job('again', { RESOURCE: ['res1000.*'] }));
    expect(index.pick(named, firstFitPolicy, context())?.id).toBe('again');
  });
});
