/**
 * The six built-in policies on one fixed scenario (each picks a different job, as in MiG), the
 * score formulas, the policy registry and a custom registered policy, through both the queue
 * index and the full-scan reference.
 */
import { describe, expect, it } from 'vitest';
import {
  bestFitPolicy,
  bestFitScore,
  createPolicyRegistry,
  fairFitPolicy,
  fairFitScore,
  fifoPolicy,
  firstFitPolicy,
  JobQueueIndex,
  maxThroughputPolicy,
  randomPolicy,
  selectByFullScan,
  type QueuedJob,
  type SchedulingPolicy,
} from '../src/index.js';
import { codeOf } from '../../../test/support/errors.js';
import { context, job, offer } from './scheduling-fixtures.js';

const T = 1_700_000_000_000;
const S = 1000;

/**
 * The scenario: one unit (8 cores, 1 node, 3600 s, 16 GiB, 100 GB, AMD64) and five jobs:
 * - H (head, oldest) needs X86: fits nothing here;
 * - X, 30000 s old, small and long: the earliest fitting job;
 * - Y, 29000 s old, a good fit of half the time: best once waiting counts;
 * - Z, 10 s old, exactly the unit: the best fit;
 * - W, 5 s old, one core for a minute: the shortest.
 */
function scenario(): QueuedJob[] {
  return [
    job('H', { ARCHITECTURE: 'X86' }, T - 40_000 * S),
    job('X', { CPUCOUNT: 1, CPUTIME: 3600, MEMORY: 64, DISK: 0 }, T - 30_000 * S),
    job('Y', { CPUCOUNT: 8, CPUTIME: 1800, MEMORY: 8192, DISK: 50 }, T - 29_000 * S),
    job('Z', { CPUCOUNT: 8, CPUTIME: 3600, MEMORY: 16384, DISK: 100 }, T - 10 * S),
    job('W', { CPUCOUNT: 1, CPUTIME: 60, MEMORY: 64, DISK: 0 }, T - 5 * S),
  ];
}

function both(jobs: readonly QueuedJob[], policy: SchedulingPolicy, seed = 1): { index?: string; scan?: string } {
  const index = new JobQueueIndex();
  for (const j of jobs) index.add(j);
  return {
    index: index.pick(offer(), policy, context(T, seed))?.id,
    scan: selectByFullScan(jobs, offer(), policy, context(T, seed))?.id,
  };
}

describe('built-in policies on a fixed scenario', () => {
  it('FIFO looks at the head only: the head does not fit, so nothing; without it, X', () => {
    expect(both(scenario(), fifoPolicy)).toEqual({ index: undefined, scan: undefined });
    expect(both(scenario().slice(1), fifoPolicy)).toEqual({ index: 'X', scan: 'X' });
  });

  it('FirstFit takes the earliest fitting job: X', () => {
    expect(both(scenario(), firstFitPolicy)).toEqual({ index: 'X', scan: 'X' });
  });

  it('BestFit takes the job filling the unit best: Z (score 300)', () => {
    expect(both(scenario(), bestFitPolicy)).toEqual({ index: 'Z', scan: 'Z' });
    const [, x, y, z, w] = scenario() as [QueuedJob, QueuedJob, QueuedJob, QueuedJob, QueuedJob];
    expect(bestFitScore(z, offer())).toBe(300);
    expect(bestFitScore(y, offer())).toBe(250);
    expect(bestFitScore(x, offer())).toBeCloseTo(12.5 + 100 + 60 + (30 * 64) / 16384, 10);
    expect(bestFitScore(w, offer())).toBeCloseTo(12.5 + 100 + 1 + (30 * 64) / 16384, 10);
  });

  it('FairFit adds 0.01 × seconds queued × (1 + 10/CPUTIME): Y', () => {
    expect(both(scenario(), fairFitPolicy)).toEqual({ index: 'Y', scan: 'Y' });
    const y = scenario()[2] as QueuedJob;
    expect(fairFitScore(y, offer(), context(T))).toBeCloseTo(250 + 0.01 * 29_000 * (1 + 10 / 1800), 9);
  });

  it('MaxThroughput takes the shortest fitting job: W', () => {
    expect(both(scenario(), maxThroughputPolicy)).toEqual({ index: 'W', scan: 'W' });
  });

  it('Random takes a fitting job, repeatably for a seeded source, and reaches every fitting job', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const { index, scan } = both(scenario(), randomPolicy, seed);
      expect(['X', 'Y', 'Z', 'W']).toContain(index);
      expect(['X', 'Y', 'Z', 'W']).toContain(scan);
      expect(both(scenario(), randomPolicy, seed).index).toBe(index);
      seen.add(index ?? '');
    }
    expect([...seen].sort()).toEqual(['W', 'X', 'Y', 'Z']);
  });

  it('BestFit scales a sandbox mismatch by 0.0001 (an ordinary unit prefers ordinary jobs)', () => {
    const jobs = [job('sandboxed', { SANDBOX: true, CPUCOUNT: 8, CPUTIME: 3600, MEMORY: 16384, DISK: 100 }, T - 2 * S), job('plain', { CPUCOUNT: 1 }, T - S)];
    expect(both(jobs, bestFitPolicy)).toEqual({ index: 'plain', scan: 'plain' });
    expect(bestFitScore(jobs[0] as QueuedJob, offer())).toBeCloseTo(0.03, 10);
  });

  it('ties go to the earliest job, as in MiG', () => {
    const jobs = [job('first', {}, T - 2 * S), job('second', {}, T - 2 * S), job('third', {}, T - 2 * S)];
    for (const policy of [bestFitPolicy, maxThroughputPolicy, fairFitPolicy]) {
      expect(both(jobs, policy)).toEqual({ index: 'first', scan: 'first' });
    }
  });
});

describe('policy registry', () => {
  it('holds the six built-ins under MiG names, found without regard to case', () => {
    const registry = createPolicyRegistry();
    expect(registry.policyNames()).toEqual(['FIFO', 'FirstFit', 'BestFit', 'FairFit', 'MaxThroughput', 'Random']);
    expect(registry.getPolicy('FairFit')).toBe(fairFitPolicy);
    expect(registry.getPolicy('firstfit')).toBe(firstFitPolicy);
    expect(registry.hasPolicy('MAXTHROUGHPUT')).toBe(true);
  });

  it('refuses an unknown name with MIG_E_CONFIG_INVALID, listing the known ones', async () => {
    const registry = createPolicyRegistry();
    expect(await codeOf(() => registry.getPolicy('VickreyAuction'))).toBe('MIG_E_CONFIG_INVALID');
    expect(() => registry.getPolicy('nope')).toThrow(/FIFO, FirstFit, BestFit, FairFit, MaxThroughput, Random/);
  });

  it('refuses bad names, bad policies and taken names unless replacing', async () => {
    const registry = createPolicyRegistry();
    const p: SchedulingPolicy = { name: 'Mine', select: () => undefined };
    expect(await codeOf(() => registry.registerPolicy('', p))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => registry.registerPolicy('x'.repeat(1000), p))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => registry.registerPolicy('<script>', p))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => registry.registerPolicy('Bad', { name: 'Bad' } as unknown as SchedulingPolicy))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => registry.registerPolicy('Bad', { name: 'Bad', scope: 'best-score', select: () => undefined }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => registry.registerPolicy('Bad', { name: 'Bad', scope: 'most' as never, select: () => undefined }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => registry.registerPolicy('fifo', p))).toBe('MIG_E_INVALID_INPUT');
    registry.registerPolicy('FIFO', p, { replace: true });
    expect(registry.getPolicy('FIFO')).toBe(p);
  });

  it('runs a custom registered policy, which sees all fitting jobs in queue order', () => {
    const registry = createPolicyRegistry();
    const seen: string[][] = [];
    registry.registerPolicy('LastFit', {
      name: 'LastFit',
      select(candidates) {
        const all = [...candidates];
        seen.push(all.map((j) => j.id));
        return all[all.length - 1];
      },
    });
    const policy = registry.getPolicy('lastfit');
    expect(both(scenario(), policy)).toEqual({ index: 'W', scan: 'W' });
    expect(seen).toEqual([
      ['X', 'Y', 'Z', 'W'],
      ['X', 'Y', 'Z', 'W'],
    ]);
  });

  it('a custom best-score policy is ranked by its score alone', () => {
    const registry = createPolicyRegistry();
    registry.registerPolicy('MostMemory', {
      name: 'MostMemory',
      scope: 'best-score',
      score: (j) => j.spec.MEMORY,
      select: (candidates) => [...candidates].sort((a, b) => b.spec.MEMORY - a.spec.MEMORY)[0],
    });
    expect(both(scenario(), registry.getPolicy('MostMemory'))).toEqual({ index: 'Z', scan: 'Z' });
  });
});
