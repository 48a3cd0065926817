/**
 * `npm run bench -- scheduler`: the grid engine's speed, in one run (issue 5).
 *
 * Sections, in order (`BENCH_SCHEDULER_ONLY=api,matchmaking,e2e` picks some):
 * - `api` (`_scheduler-api.ts`): submissions/s through `POST /api/v1/jobs` over HTTPS with a
 *   Bearer token, 16 and 64 keep-alive connections, on SQLite and a throwaway PostgreSQL; jobs/s,
 *   p50/p99 latency and the site's CPU per submission.
 * - `matchmaking` (below): decisions/s and p50/p99 decision latency of the queue index with
 *   1,000 distinct execution units and 10k / 100k / 1M queued jobs of a realistic mix, for
 *   FirstFit and FairFit; the ratio of decision time at the largest vs the smallest queue shows the
 *   cost does not grow linearly. Peer measured in the same run: MiG's own way, a full scan of the
 *   queue with the fitness test on every request (the `selectByFullScan` reference).
 * - `e2e` (`_scheduler-e2e.ts`): trivial jobs/s end to end (API → grid engine → `mig-resource`
 *   with the local executor → FINISHED) next to `sbatch --wrap true` on the tuned private
 *   single-node Slurm, with the ratio, and where our CPU per job goes.
 * Last, a summary of the issue's aims (≥ 5,000 decisions/s at 100k queued; decision cost not
 * linear in the queue; end to end ≥ 10× the tuned Slurm) with MET / NOT MET.
 *
 * Environment: BENCH_SECONDS (per matchmaking measurement, default 2), BENCH_SCHEDULER_SIZES
 * (queue lengths, default 10000,100000,1000000); the sections' own knobs are in their files
 * (BENCH_API_*, BENCH_E2E_*).
 */
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { parseMrsl, type JobSpec } from '@migrid/core';
import {
  fairFitPolicy,
  firstFitPolicy,
  JobQueueIndex,
  selectByFullScan,
  type QueuedJob,
  type ScheduleContext,
  type SchedulingPolicy,
  type UnitOffer,
} from '@migrid/scheduler';
import { apiSubmissionSection } from './_scheduler-api.js';
import { endToEndSection } from './_scheduler-e2e.js';
import { load, type GoalRow } from './_scheduler-support.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const SIZES = (process.env.BENCH_SCHEDULER_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const UNITS = 1000;
const TEMPLATES = 500;
/** Upper bound on decisions per measurement, whatever the clock says. */
const MAX_DECISIONS = 2_000_000;
/** The queue length the decisions/s aim is set at. */
const GOAL_QUEUE = 100_000;

/** mulberry32: a small seeded generator, so every run benchmarks the same workload. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = seeded(20_251_128);
const choose = <T>(values: readonly T[]): T => values[Math.floor(rnd() * values.length)] as T;
const VGRIDS = Array.from({ length: 20 }, (_, i) => `Project${i}`);
const RES = ['PYTHON3', 'R', 'MATLAB', 'JAVA', 'GROMACS', 'BLAST', 'OPENMPI', 'CUDA'];

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

function micros(ms: number): string {
  return `${(ms * 1000).toFixed(1)} µs`;
}

/** 1,000 units of ~330 resources: mostly AMD64 batch clusters, a few sandboxes and GPU boxes. */
function makeUnits(): UnitOffer[] {
  const units: UnitOffer[] = [];
  for (let u = 0; u < UNITS; u++) {
    const res = Math.floor(u / 3);
    const served = ['Generic', ...VGRIDS.filter(() => rnd() < 0.1)];
    units.push({
      resourceId: `res${res}.grid.example.org.0`,
      unitName: `exe${u % 3}`,
      publicName: `res${res}.grid.example.org.0_exe${u % 3}`,
      architecture: rnd() < 0.9 ? 'AMD64' : choose(['X86', 'IA64']),
      platform: '',
      jobType: choose(['batch', 'batch', 'batch', 'bulk', 'all']),
      sandbox: rnd() < 0.05,
      cpuCount: choose([4, 8, 16, 32, 64]),
      nodeCount: choose([1, 1, 1, 2, 4]),
      cpuTime: choose([3600, 7200, 86_400, 172_800]),
      memory: choose([8192, 16_384, 65_536, 262_144]),
      disk: choose([50, 100, 500, 1000]),
      runtimeEnvironments: RES.filter(() => rnd() < 0.5),
      vgrids: served,
    });
  }
  return units;
}

/** 500 job descriptions users submit over and over (parameter sweeps share one description). */
function makeTemplates(): { spec: JobSpec; vgrids: string[] }[] {
  const base = parseMrsl('::EXECUTE::\n./run.sh\n');
  return Array.from({ length: TEMPLATES }, (_, t) => {
    const spec: JobSpec = {
      ...base,
      ARCHITECTURE: rnd() < 0.8 ? '' : 'AMD64',
      JOBTYPE: rnd() < 0.9 ? 'batch' : 'bulk',
      SANDBOX: rnd() < 0.1,
      RUNTIMEENVIRONMENT: RES.filter(() => rnd() < 0.12),
      RESOURCE: rnd() < 0.05 ? [`res${Math.floor(rnd() * 50)}*`] : [],
      CPUTIME: choose([60, 300, 600, 600, 1800, 3600, 3600, 7200, 14_400, 86_400]),
      CPUCOUNT: choose([1, 1, 1, 2, 4, 8, 16, 32]),
      NODECOUNT: choose([1, 1, 1, 1, 2]),
      MEMORY: choose([64, 512, 1024, 2048, 4096, 8192, 32_768]),
      DISK: choose([0, 0, 1, 10, 100]),
      JOBNAME: `template-${t}`,
    };
    const vgrids = rnd() < 0.6 ? ['Generic'] : [choose(VGRIDS), ...(rnd() < 0.3 ? ['Generic'] : [])];
    return { spec, vgrids };
  });
}

interface Measured {
  /** Whole cycles (pick, remove the dispatched job, add a new one) per second. */
  decisionsPerSecond: number;
  /** Picks per second of pick time alone. */
  picksPerSecond: number;
  p50: number;
  p99: number;
  found: number;
  decisions: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/**
 * Steady state: a unit asks, the policy picks, the job is dispatched (removed) and a new job
 * arrives (added), so the queue length stays the same. Latency is the pick alone; decisions/s
 * counts the whole cycle.
 */
function measure(index: JobQueueIndex, units: readonly UnitOffer[], policy: SchedulingPolicy, next: () => QueuedJob, clock: { now: number }): Measured {
  const ctx: ScheduleContext = { now: clock.now, random: seeded(7), expireAfter: 0 };
  const latencies = new Float64Array(MAX_DECISIONS);
  let n = 0;
  let found = 0;
  let pickTime = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  while (n < MAX_DECISIONS && performance.now() < deadline) {
    const unit = units[Math.floor(rnd() * units.length)] as UnitOffer;
    clock.now += 1;
    const t0 = performance.now();
    const job = index.pick(unit, policy, { ...ctx, now: clock.now });
    const took = performance.now() - t0;
    latencies[n++] = took;
    pickTime += took;
    if (job !== undefined) {
      found++;
      index.remove(job.id);
      index.add(next());
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  const sorted = latencies.slice(0, n).sort();
  return { decisionsPerSecond: n / elapsed, picksPerSecond: n / (pickTime / 1000), p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), found, decisions: n };
}

/** MiG's way: every request scans the queue with the fitness test (a few requests only; it is slow). */
function measureFullScan(index: JobQueueIndex, units: readonly UnitOffer[], clock: { now: number }): number {
  const queue = [...index.jobs()];
  const ctx: ScheduleContext = { now: clock.now, random: seeded(7), expireAfter: 0 };
  let n = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  while (n < 1000 && performance.now() < deadline) {
    selectByFullScan(queue, units[Math.floor(rnd() * units.length)] as UnitOffer, firstFitPolicy, ctx);
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

async function inMemorySection(): Promise<GoalRow[]> {
  const sectionStart = performance.now();
  const goals: GoalRow[] = [];
  const units = makeUnits();
  const templates = makeTemplates();
  const clock = { now: Date.UTC(2026, 0, 1) };
  let seq = 0;
  const next = (): QueuedJob => {
    const t = templates[Math.floor(rnd() * templates.length)] as { spec: JobSpec; vgrids: string[] };
    // Batches: a new job queued now, a second after the previous one.
    return { id: `job-${seq++}`, ownerId: `user-${seq % 997}`, spec: t.spec, queuedAt: clock.now, vgrids: t.vgrids };
  };
  console.log('');
  console.log(`in-memory matchmaking: ${UNITS} units, ${TEMPLATES} job descriptions, ${SECONDS} s per measurement`);
  console.log('  decisions/s: pick + dispatch bookkeeping (remove the job, add a new one); picks/s: the pick alone');
  console.log('  queued     build (adds/s)  policy     decisions/s     picks/s   p50 pick    p99 pick  picked  groups  full scan, FirstFit (MiG way)');
  const rows: { size: number; policy: string; m: Measured }[] = [];
  for (const size of SIZES) {
    const index = new JobQueueIndex();
    const t0 = performance.now();
    for (let i = 0; i < size; i++) {
      clock.now += 1;
      index.add(next());
    }
    const addRate = size / ((performance.now() - t0) / 1000);
    const stats = index.stats();
    // Warm up the JIT and the per-unit cache before measuring.
    for (let i = 0; i < 2000; i++) index.pick(units[i % UNITS] as UnitOffer, firstFitPolicy, { now: clock.now, random: rnd, expireAfter: 0 });
    const scan = size <= 100_000 ? `${fmt(measureFullScan(index, units, clock))} /s` : 'skipped';
    for (const policy of [firstFitPolicy, fairFitPolicy]) {
      const m = measure(index, units, policy, next, clock);
      rows.push({ size, policy: policy.name, m });
      console.log(
        `  ${fmt(size).padStart(9)}  ${fmt(addRate).padStart(14)}  ${policy.name.padEnd(9)} ${fmt(m.decisionsPerSecond).padStart(12)} ${fmt(m.picksPerSecond).padStart(11)}  ${micros(m.p50).padStart(10)}  ${micros(m.p99).padStart(10)}  ${((100 * m.found) / m.decisions).toFixed(0).padStart(6)}%  ${String(stats.groups).padStart(6)}  ${policy === firstFitPolicy ? scan : ''}`,
      );
    }
  }
  const smallest = Math.min(...SIZES);
  const largest = Math.max(...SIZES);
  if (largest > smallest) {
    console.log('');
    console.log(`  growth of mean pick time from ${fmt(smallest)} to ${fmt(largest)} queued jobs (${fmt(largest / smallest)}× the jobs):`);
    for (const policy of [firstFitPolicy, fairFitPolicy]) {
      const a = rows.find((r) => r.size === smallest && r.policy === policy.name);
      const b = rows.find((r) => r.size === largest && r.policy === policy.name);
      if (a === undefined || b === undefined) continue;
      const ratio = a.m.picksPerSecond / b.m.picksPerSecond;
      const exponent = Math.log(ratio) / Math.log(largest / smallest);
      console.log(`    ${policy.name.padEnd(9)} ${ratio.toFixed(2)}× slower (linear would be ${fmt(largest / smallest)}×; cost ∝ queue^${exponent.toFixed(2)}); median pick ${(b.m.p50 / a.m.p50).toFixed(2)}× slower`);
      // "Not linear": the mean pick time grows by less than a tenth of the queue's growth.
      goals.push({ goal: `decision cost not linear in the queue, ${policy.name}`, measured: `${ratio.toFixed(2)}× the pick time at ${fmt(largest)} vs ${fmt(smallest)} queued (linear ${fmt(largest / smallest)}×)`, met: ratio < largest / smallest / 10 });
    }
  }
  for (const r of rows.filter((x) => x.size === GOAL_QUEUE)) {
    goals.push({ goal: `≥ 5,000 decisions/s at 100k queued, ${r.policy}`, measured: `${fmt(r.m.decisionsPerSecond)} decisions/s, p99 pick ${micros(r.m.p99)}`, met: r.m.decisionsPerSecond >= 5000 });
  }
  if (!SIZES.includes(GOAL_QUEUE)) goals.push({ goal: '≥ 5,000 decisions/s at 100k queued', measured: `not measured (BENCH_SCHEDULER_SIZES=${SIZES.join(',')})`, met: undefined });
  console.log(`  section took ${fmt((performance.now() - sectionStart) / 1000)} s`);
  return goals;
}

/** The benchmark's sections by name, run in order (`BENCH_SCHEDULER_ONLY` picks some). */
const SECTIONS: Readonly<Record<string, () => Promise<GoalRow[]>>> = {
  api: apiSubmissionSection,
  matchmaking: inMemorySection,
  e2e: endToEndSection,
};
const only = (process.env.BENCH_SCHEDULER_ONLY ?? Object.keys(SECTIONS).join(',')).split(',').map((s) => s.trim());
for (const name of only) if (!(name in SECTIONS)) throw new Error(`BENCH_SCHEDULER_ONLY: unknown section ${JSON.stringify(name)} (sections: ${Object.keys(SECTIONS).join(', ')})`);

const started = performance.now();
console.log(`scheduler benchmark: ${availableParallelism()} cores, ${fmt(totalmem() / 1024 ** 3)} GiB, node ${process.version}, load average ${load()} at start`);
const goals: GoalRow[] = [];
for (const [name, section] of Object.entries(SECTIONS)) if (only.includes(name)) goals.push(...(await section()));

console.log('');
console.log(`summary (load average ${load()} at the end on ${availableParallelism()} cores; total ${fmt((performance.now() - started) / 1000)} s)`);
const width = Math.max(...goals.map((g) => g.goal.length), 4);
console.log(`  ${'goal'.padEnd(width)}  ${'result'.padEnd(8)}  measured`);
for (const g of goals) console.log(`  ${g.goal.padEnd(width)}  ${(g.met === undefined ? '—' : g.met ? 'MET' : 'NOT MET').padEnd(8)}  ${g.measured}`);
if ((loadavg()[0] ?? 0) > availableParallelism()) console.log(`  WARNING: the load average exceeded the ${availableParallelism()} cores: other work competed for the CPU, so the wall-clock numbers are pessimistic`);
