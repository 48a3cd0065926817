/**
 * `bench/scheduler.ts`, section "end-to-end trivial jobs/s": a site in its own process with the
 * grid engine (`GridEngine`, sweep every 500 ms, idle units ask again after 0.2 s), a resource with
 * U units served by `mig-resource run --executor local --units U` in its own process (bundled
 * from the current sources as the package ships it, run by plain `node`); M jobs
 * `::EXECUTE::\ntrue` submitted through the API (16 keep-alive connections); the time from the first
 * submission until the last job is FINISHED (its `finishedAt`). Tried for a few U. Peer in the same
 * run: the tuned private single-node Slurm, `sbatch --wrap true` M times (`_scheduler-slurm.ts`),
 * and the ratio ours/Slurm.
 *
 * Where our time goes is printed too: per job, submit→queued, queued→executing (scheduling and the
 * agent's polling) and executing→finished (the agent starting the job's commands, its uploads of
 * stdout, stderr, io-status and status over its keep-alive connection, the site finishing the
 * job); and the CPU seconds of the site process, the agent process and the jobs (the agent's
 * reaped children: the job's `sh` processes; `curl` too with `--transfers script`).
 *
 * Environment: `BENCH_E2E_JOBS` (M, default 200), `BENCH_E2E_UNITS` (comma-separated U to try,
 * default cores, 2×cores, 4×cores), `BENCH_E2E_TIMEOUT` (bound per run in s, default 600),
 * `BENCH_E2E_SLURM=0` (skip the peer), `BENCH_E2E_PROFILE=1` (CPU profiles of the site and agent
 * processes, summarised), `BENCH_E2E_KEEP=1` (keep the run folders: sites, logs, profiles),
 * `BENCH_SCHEDULER_SWEEP_MS` / `BENCH_SCHEDULER_IDLE_RETRY` (the engine's, see `_scheduler-site.ts`),
 * `BENCH_E2E_AGENT_SCRIPT=<file>` (run another `mig-resource` build, e.g. the committed
 * `packages/scheduler/bundle/mig-resource.js`, to compare agent versions),
 * `BENCH_E2E_TRANSFERS=agent|script` (the agent's `--transfers`: who moves the jobs' files).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { slurmTrivialJobs } from './_scheduler-slurm.js';
import { apiClient, bundleAgent, fmt, load, processCpu, makeBenchSite, startAgentProcess, startSiteProcess, TRIVIAL_JOB, type ApiClient, type GoalRow } from './_scheduler-support.js';
import { summariseProfile } from './_web-profile.js';

const JOBS = Math.max(1, Number(process.env.BENCH_E2E_JOBS ?? 200));
const CORES = availableParallelism();
const UNITS = (process.env.BENCH_E2E_UNITS ?? `${CORES},${2 * CORES},${4 * CORES}`).split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
const TIMEOUT = Number(process.env.BENCH_E2E_TIMEOUT ?? 600);
const SLURM = process.env.BENCH_E2E_SLURM !== '0';
const PROFILE = process.env.BENCH_E2E_PROFILE === '1';
const KEEP = process.env.BENCH_E2E_KEEP === '1';
const AGENT_SCRIPT = process.env.BENCH_E2E_AGENT_SCRIPT;
const TRANSFERS = process.env.BENCH_E2E_TRANSFERS;
const SUBMIT_CONNECTIONS = 16;
/** How often the bench asks whether all jobs ended (the end time is the last job's own `finishedAt`). */
const POLL_MS = 250;
const WAITING = 'PARSE,QUEUED,EXECUTING,RETRY,FROZEN';

interface JobJson {
  id: string;
  status: string;
  receivedAt: string | null;
  queuedAt: string | null;
  executingAt: string | null;
  finishedAt: string | null;
}

/** Every job of the token's user (newest first, paged). */
async function allJobs(client: ApiClient): Promise<JobJson[]> {
  const jobs: JobJson[] = [];
  let before: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const { status, json } = await client.request('GET', `/api/v1/jobs?limit=1000${before === null ? '' : `&before=${encodeURIComponent(before)}`}`);
    if (status !== 200) throw new Error(`listing jobs: HTTP ${status}`);
    const body = json as { jobs: JobJson[]; next: string | null };
    jobs.push(...body.jobs);
    before = body.next;
    if (before === null) break;
  }
  return jobs;
}

/** Submits `count` trivial jobs over the client's connections; their ids. */
async function submit(client: ApiClient, count: number): Promise<string[]> {
  const ids: string[] = [];
  let issued = 0;
  await Promise.all(
    Array.from({ length: SUBMIT_CONNECTIONS }, async () => {
      while (issued < count) {
        issued += 1;
        const { status, json } = await client.request('POST', '/api/v1/jobs', { mrsl: TRIVIAL_JOB });
        if (status !== 201) throw new Error(`submitting: HTTP ${status} ${JSON.stringify(json).slice(0, 300)}`);
        ids.push((json as { id: string }).id);
      }
    }),
  );
  return ids;
}

/** Waits until none of the user's jobs waits or runs, or `deadline` (performance.now() ms); true when drained. */
async function drain(client: ApiClient, deadline: number): Promise<boolean> {
  while (performance.now() < deadline) {
    const { status, json } = await client.request('GET', `/api/v1/jobs?status=${WAITING}&limit=1`);
    if (status !== 200) throw new Error(`polling jobs: HTTP ${status}`);
    if ((json as { jobs: unknown[] }).jobs.length === 0) return true;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return false;
}

const at = (iso: string | null): number => (iso === null ? Number.NaN : Date.parse(iso));
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** One run of ours with `units` units. */
interface OursRun {
  readonly units: number;
  readonly finished: number;
  readonly other: Record<string, number>;
  readonly drained: boolean;
  readonly seconds: number;
  readonly submitSeconds: number;
  /** Mean ms per job: submit→queued, queued→executing, executing→finished. */
  readonly toQueued: number;
  readonly toExecuting: number;
  readonly toFinished: number;
  /** CPU seconds over the measured part. */
  readonly cpu: { readonly site: number; readonly agent: number; readonly jobs: number };
  /** Summaries of the site's and the agent's CPU profiles (`BENCH_E2E_PROFILE=1`). */
  readonly profiles: string[];
}

async function runOurs(units: number, work: string, script: string): Promise<OursRun> {
  const dir = await mkdtemp(join(work, `u${units}-`));
  const made = await makeBenchSite(join(dir, 'site'), { units });
  const profileFile = join(dir, 'site.cpuprofile');
  const site = await startSiteProcess(made.configPath, join(dir, 'site.log'), { BENCH_SCHEDULER_ENGINE: '1', ...(PROFILE && { BENCH_SCHEDULER_CPU_PROFILE: profileFile }) });
  let agent: Awaited<ReturnType<typeof startAgentProcess>> | undefined;
  let client: ApiClient | undefined;
  let result: OursRun;
  try {
    agent = startAgentProcess({ script, port: site.port, token: made.resourceToken as string, caFile: made.caFile, units, workDir: join(dir, 'agent'), logFile: join(dir, 'agent.log'), ...(PROFILE && { cpuProfileDir: join(dir, 'agent-profile') }), ...(TRANSFERS !== undefined && { transfers: TRANSFERS }) });
    client = await apiClient(site.port, made.caFile, made.token, SUBMIT_CONNECTIONS);
    // Warm-up (unmeasured): a job per unit, so the agent runs and every part is warm.
    await submit(client, units);
    if (!(await drain(client, performance.now() + 120_000))) throw new Error(`the warm-up jobs did not finish in 120 s (logs in ${dir})`);
    const cpuBefore = { site: await processCpu(site.pid), agent: await processCpu(agent.pid) };
    const t0 = Date.now();
    const start = performance.now();
    const ids = new Set(await submit(client, JOBS));
    const submitSeconds = (performance.now() - start) / 1000;
    const drained = await drain(client, start + TIMEOUT * 1000);
    const elapsed = (performance.now() - start) / 1000;
    const cpuAfter = { site: await processCpu(site.pid), agent: await processCpu(agent.pid) };
    const jobs = (await allJobs(client)).filter((j) => ids.has(j.id));
    const finished = jobs.filter((j) => j.status === 'FINISHED');
    const other: Record<string, number> = {};
    for (const j of jobs) if (j.status !== 'FINISHED') other[j.status] = (other[j.status] ?? 0) + 1;
    const last = Math.max(...finished.map((j) => at(j.finishedAt)));
    result = {
      units,
      finished: finished.length,
      other,
      drained,
      // The last job's own finishing time, so the polling interval does not count.
      seconds: drained && finished.length > 0 ? (last - t0) / 1000 : elapsed,
      submitSeconds,
      toQueued: mean(finished.map((j) => at(j.queuedAt) - at(j.receivedAt))),
      toExecuting: mean(finished.map((j) => at(j.executingAt) - at(j.queuedAt))),
      toFinished: mean(finished.map((j) => at(j.finishedAt) - at(j.executingAt))),
      cpu: { site: cpuAfter.site.self - cpuBefore.site.self, agent: cpuAfter.agent.self - cpuBefore.agent.self, jobs: cpuAfter.agent.children - cpuBefore.agent.children },
      profiles: [],
    };
  } finally {
    await client?.close();
    await agent?.stop();
    await site.stop();
  }
  if (!PROFILE) return result;
  const profiles: string[] = [];
  for (const [name, file] of [['site process (web app + grid engine)', profileFile], ['agent process', await profileIn(join(dir, 'agent-profile'))]] as const) {
    const s = file === undefined ? undefined : await summariseProfile(file).catch(() => undefined);
    if (s === undefined) continue;
    profiles.push(`${name} profile: busy ${fmt(s.busyMs / 1000)} s of ${fmt(s.totalMs / 1000)} s (warm-up included); by place:`);
    for (const l of s.places.slice(0, 8)) profiles.push(`  ${(l.share * 100).toFixed(1).padStart(5)}%  ${l.name}`);
    profiles.push('  by function (self time):');
    for (const l of s.functions.slice(0, 12)) profiles.push(`  ${(l.share * 100).toFixed(1).padStart(5)}%  ${l.name}`);
  }
  return { ...result, profiles };
}

/** The `.cpuprofile` file in `dir` (written by `--cpu-prof` at exit), if any. */
async function profileIn(dir: string): Promise<string | undefined> {
  const name = (await readdir(dir).catch(() => [] as string[])).find((f) => f.endsWith('.cpuprofile'));
  return name === undefined ? undefined : join(dir, name);
}

/** The section; returns the summary row of the ≥ 10× Slurm aim. */
export async function endToEndSection(): Promise<GoalRow[]> {
  console.log('');
  console.log(`end-to-end trivial jobs (::EXECUTE:: true): ${JOBS} jobs submitted through the API, time from the first submission until the last is FINISHED; load ${load()}`);
  console.log(`  ours: site + grid engine in one process (sweep ${process.env.BENCH_SCHEDULER_SWEEP_MS ?? 500} ms, idle retry ${process.env.BENCH_SCHEDULER_IDLE_RETRY ?? 0.2} s), mig-resource run --executor local --units U${TRANSFERS === undefined ? '' : ` --transfers ${TRANSFERS}`} in another; U = ${UNITS.join(', ')}`);
  console.log('  units  finished     jobs/s  seconds  submit s   mean ms: →queued  →executing  →finished   CPU s: site  agent  jobs');
  const work = await mkdtemp(join(tmpdir(), 'mig-bench-sched-e2e-'));
  const runs: OursRun[] = [];
  try {
    const script = AGENT_SCRIPT ?? (await bundleAgent(work));
    for (const units of UNITS) {
      let r: OursRun;
      try {
        r = await runOurs(units, work, script);
      } catch (err) {
        console.log(`  ${String(units).padStart(5)}  failed: ${(err as Error).message}`);
        continue;
      }
      runs.push(r);
      const others = Object.entries(r.other).map(([s, n]) => `${n} ${s}`).join(', ');
      console.log(
        `  ${String(r.units).padStart(5)}  ${`${r.finished}/${JOBS}`.padStart(8)} ${fmt(r.finished / r.seconds).padStart(10)} ${fmt(r.seconds).padStart(8)} ${fmt(r.submitSeconds, 2).padStart(9)}   ${fmt(r.toQueued).padStart(15)} ${fmt(r.toExecuting).padStart(11)} ${fmt(r.toFinished).padStart(10)}   ${fmt(r.cpu.site).padStart(11)} ${fmt(r.cpu.agent).padStart(6)} ${fmt(r.cpu.jobs).padStart(6)}${r.drained ? '' : `  NOT DRAINED in ${TIMEOUT} s`}${others === '' ? '' : `  (${others})`}`,
      );
      for (const line of r.profiles) console.log(`    ${line}`);
    }
  } finally {
    if (KEEP) console.log(`  kept the run folders (sites, logs, profiles) in ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
  const complete = runs.filter((r) => r.drained && r.finished === JOBS);
  const best = complete.reduce<OursRun | undefined>((b, r) => (b === undefined || r.finished / r.seconds > b.finished / b.seconds ? r : b), undefined);
  if (best !== undefined) {
    const cpuPerJob = ((best.cpu.site + best.cpu.agent + best.cpu.jobs) * 1000) / JOBS;
    console.log(`  best: U = ${best.units}, ${fmt(best.finished / best.seconds)} jobs/s; CPU per job ${fmt(cpuPerJob)} ms (site ${fmt((best.cpu.site * 1000) / JOBS)}, agent ${fmt((best.cpu.agent * 1000) / JOBS)}, job processes ${fmt((best.cpu.jobs * 1000) / JOBS)}) on ${CORES} cores: a CPU-bound ceiling of ${fmt((CORES * 1000) / cpuPerJob)} jobs/s`);
  }
  const ours = best === undefined ? Number.NaN : best.finished / best.seconds;
  if (!SLURM) {
    console.log('  Slurm: not measured (BENCH_E2E_SLURM=0)');
    return [{ goal: 'end-to-end ≥ 10× tuned Slurm', measured: `ours ${fmt(ours)} jobs/s; Slurm not measured (BENCH_E2E_SLURM=0)`, met: undefined }];
  }
  const slurm = await slurmTrivialJobs(JOBS, TIMEOUT);
  if (!slurm.ran) {
    console.log(`  Slurm: not measured: ${slurm.why}`);
    return [{ goal: 'end-to-end ≥ 10× tuned Slurm', measured: `ours ${fmt(ours)} jobs/s; Slurm not measured (${slurm.why})`, met: undefined }];
  }
  const theirs = slurm.jobs / slurm.seconds;
  console.log(
    `  Slurm (private single node, ${CORES} CPUs, sched/builtin, sched_interval=1, default_queue_depth=1000, batch_sched_delay=0, MinJobAge=2): ${slurm.jobs}/${JOBS} ended in ${fmt(slurm.seconds)} s (sbatch × ${JOBS}: ${fmt(slurm.submitSeconds, 2)} s) = ${fmt(theirs, 2)} jobs/s${slurm.drained ? '' : `  NOT DRAINED in ${TIMEOUT} s`}`,
  );
  const ratio = ours / theirs;
  console.log(`  ours/Slurm: ${fmt(ratio, 2)}× (aim ≥ 10×)`);
  return [{ goal: 'end-to-end ≥ 10× tuned Slurm', measured: `ours ${fmt(ours)} jobs/s (U = ${best?.units ?? '?'}), Slurm ${fmt(theirs, 2)} jobs/s: ${fmt(ratio, 2)}×`, met: best === undefined ? false : ratio >= 10 }];
}
