/**
 * The Slurm executor: submits each job with `sbatch`, follows all of its jobs with one `squeue`
 * call per poll, and cancels with `scancel`.
 *
 * - **Submission**: `sbatch --parsable --no-requeue` with job name `mig-<job id>`,
 *   `-D <workDir>`, `-o`/`-e` for the output files, `--time` (the wall time, or the CPU time, in
 *   minutes rounded up: Slurm counts whole minutes), `--cpus-per-task`, `--mem` (MiB) and
 *   `--nodes` from the limits, and `--partition`/`--account` from the options. The batch script is
 *   a small wrapper that applies `ulimit -t`/`-v` (as MiG's ENFORCELIMITS), runs the job's script
 *   with `env -i` and exactly the job's environment (plus a minimal `PATH`/`HOME` and Slurm's own
 *   `SLURM_JOB_ID`, node list, CPU counts, `SLURM_CONF` and `TMPDIR`), and records the script's
 *   exit status in the exit record (`exit-record.ts`): no accounting (`sacct`) is needed.
 * - **Following**: `squeue --states=all -j <all ids>` (one call for every job of this executor,
 *   200 ids a call at most) tells which jobs are queued, running or ended; the interval starts at
 *   `pollIntervalMs.min` and grows by half each quiet poll up to `pollIntervalMs.max`, and is
 *   short again whenever something changes, a job is submitted or canceled, or a deadline is near.
 *   `squeue --states=all` also lists ended jobs with the state `scontrol show job` would give
 *   (`TIMEOUT`, `CANCELLED`, `FAILED`, …) for as long as the controller keeps them (`MinJobAge`,
 *   300 s by default); so `scontrol` is not needed.
 * - **Outcome**, in this order: canceled by {@link RunningJob.cancel} → `canceled`; stopped at
 *   the wall time by the executor, or Slurm state `TIMEOUT`/`DEADLINE` → `timeout`; state
 *   `CANCELLED` (someone ran `scancel`) → `canceled`; an exit status in the exit record →
 *   `exited`. Fallbacks once Slurm has forgotten the job (polls slower than `MinJobAge`): an exit
 *   record `terminated` (Slurm signalled the job) or none at all → `timeout` when the job had run
 *   past its Slurm time limit, otherwise `lost` (node failure, killed from outside).
 * - **Wall time**: Slurm enforces `--time` only to the minute (and checks it about every 30 s), so
 *   with `enforceWallTime` (the default) the executor itself cancels a job that has run longer
 *   than its wall time (counted from Slurm's start time) and reports `timeout`.
 * - **Cancel** runs `scancel` and resolves once Slurm reports the job ended (its processes gone),
 *   at most `cancelTimeoutMs`.
 * - **Reattach** after an agent restart: the handle is the Slurm job id; the executor follows the
 *   job again if Slurm still knows it under the name `mig-<job id>` (a job under another name is
 *   never touched: `lost`), or reads the exit record if it has ended.
 *
 * All commands run with `execFile` (never a shell), a time limit, and an environment of their own
 * (`PATH`, `SLURM_CONF` and `options.env`): nothing of the agent's environment reaches Slurm or
 * the job.
 *
 * @example
 * ```ts
 * const executor = new SlurmExecutor({ slurmConf: '/etc/slurm/slurm.conf', partition: 'mig' });
 * const running = await executor.start(job); // running.handle === '4711'
 * const outcome = await running.wait();
 * await executor.close();
 * ```
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '@migrid/core';
import { effectiveWallTimeSeconds, type Executor, type ExecutorJob, type ExecutorJobRef, type ExecutorOutcome, type RunningJob } from './executor.js';
import { ExecutorError } from './executor-error.js';
import { describeStatus, exitRecordPath, readExitRecord, removeExitRecord, signalOfStatus, type ExitRecord } from './exit-record.js';
import { isSlurmEndedState, isSlurmTimeoutState } from './slurm-state.js';
import { assertCleanAbsolutePath, assertExecutorEnv, assertExecutorLimits, assertJobId, validateExecutorJob } from './validate-executor-job.js';

/** Options of {@link SlurmExecutor}. */
export interface SlurmExecutorOptions {
  /** `SLURM_CONF` for Slurm's commands (and the jobs); default: Slurm's own default. */
  readonly slurmConf?: string;
  /** More environment for Slurm's commands (e.g. `SLURM_CONF`); the agent's own is never passed. */
  readonly env?: Readonly<Record<string, string>>;
  /** Paths of Slurm's commands (defaults `/usr/bin/sbatch`, `/usr/bin/squeue`, `/usr/bin/scancel`). */
  readonly binaries?: { readonly sbatch?: string; readonly squeue?: string; readonly scancel?: string };
  /** `--partition` for every job. */
  readonly partition?: string;
  /** `--account` for every job. */
  readonly account?: string;
  /** The poll interval's bounds in ms (defaults 1000 and 15000). */
  readonly pollIntervalMs?: { readonly min?: number; readonly max?: number };
  /** Time limit of each Slurm command (default 30000 ms). */
  readonly commandTimeoutMs?: number;
  /** How long a cancel waits for Slurm to end the job (default 120000 ms). */
  readonly cancelTimeoutMs?: number;
  /** Cancel a job once it has run longer than its wall time, to the second (default true). */
  readonly enforceWallTime?: boolean;
  /** Apply `ulimit -t` and `ulimit -v` in the batch script, as MiG's ENFORCELIMITS (default true). */
  readonly enforceUlimits?: boolean;
  /** The `PATH` a job gets when its env has none (default `/usr/local/bin:/usr/bin:/bin`). */
  readonly path?: string;
  /** The POSIX shell on the compute nodes (default `/bin/sh`). */
  readonly shell?: string;
  /** `env` on the compute nodes (default `/usr/bin/env`). */
  readonly envBinary?: string;
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const SLURM_ID = /^\d{1,12}$/;
const SQUEUE_BATCH = 200;
const CPU_HARD_EXTRA_SECONDS = 5;
/** Slurm's variables a job keeps (besides its own env). */
const SLURM_PASS_THROUGH = [
  'SLURM_JOB_ID',
  'SLURM_JOB_NAME',
  'SLURM_JOB_NODELIST',
  'SLURM_JOB_NUM_NODES',
  'SLURM_NODELIST',
  'SLURM_NNODES',
  'SLURM_CPUS_ON_NODE',
  'SLURM_CPUS_PER_TASK',
  'SLURM_JOB_CPUS_PER_NODE',
  'SLURM_MEM_PER_NODE',
  'SLURM_NTASKS',
  'SLURM_TASKS_PER_NODE',
  'SLURM_SUBMIT_DIR',
  'SLURM_CLUSTER_NAME',
  'SLURM_JOB_PARTITION',
  'SLURM_CONF',
  'TMPDIR',
];

/** `value` quoted for POSIX sh. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The wrapper batch script of a job (see the module description). */
function wrapperScript(job: ExecutorJob, o: { ulimits: boolean; path: string; shell: string; envBinary: string }): string {
  const exitFile = quote(exitRecordPath(job.workDir, job.jobId));
  const lines = ['#!/bin/sh', `# Batch wrapper of the @migrid/scheduler Slurm executor for MiG job ${job.jobId}.`];
  if (o.ulimits) {
    lines.push(`ulimit -t ${job.limits.cpuTimeSeconds + CPU_HARD_EXTRA_SECONDS} || exit 125`, `ulimit -S -t ${job.limits.cpuTimeSeconds} || exit 125`);
    if (job.limits.memoryMb !== undefined) lines.push(`ulimit -v ${job.limits.memoryMb * 1024} || exit 125`);
  }
  lines.push(`trap ${quote(`printf 'terminated\\n' > ${exitFile}; exit 143`)} TERM`);
  const args = [quote(o.envBinary), '-i', quote(`PATH=${o.path}`), quote(`HOME=${job.workDir}`)];
  for (const name of SLURM_PASS_THROUGH) args.push(`\${${name}+"${name}=$${name}"}`);
  for (const [name, value] of Object.entries(job.env)) args.push(quote(`${name}=${value}`));
  args.push(quote(o.shell), quote(job.script));
  lines.push(args.join(' \\\n  '), 'c=$?', `printf '%s\\n' "$c" > ${exitFile}`, 'exit "$c"', '');
  return lines.join('\n');
}

/** Slurm's start time (`%S`, local time without zone) in epoch ms, when it is one. */
function parseSlurmTime(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(text)) return undefined;
  const ms = new Date(text).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

function intOption(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new InvalidInputError(`${name} must be an integer of at least ${min}.`, { details: { field: name } });
  return value;
}

/** A job the executor follows. */
interface Tracked {
  readonly slurmId: string;
  readonly jobId: string;
  readonly exitFile: string;
  readonly wallMs: number | undefined;
  /** Slurm's time limit in ms (whole minutes), for the fallback when Slurm has forgotten the job. */
  readonly slurmLimitMs: number | undefined;
  state: string | undefined;
  startedAt: number | undefined;
  stopping: { kind: 'timeout' | 'canceled'; reason: string } | undefined;
  done: boolean;
  readonly resolve: (outcome: ExecutorOutcome) => void;
  readonly outcome: Promise<ExecutorOutcome>;
}

class SlurmRunningJob implements RunningJob {
  readonly jobId: string;
  readonly handle: string;
  readonly #tracked: Tracked;
  readonly #cancel: (tracked: Tracked, reason: string) => Promise<void>;

  constructor(tracked: Tracked, cancel: (tracked: Tracked, reason: string) => Promise<void>) {
    this.jobId = tracked.jobId;
    this.handle = tracked.slurmId;
    this.#tracked = tracked;
    this.#cancel = cancel;
  }

  wait(): Promise<ExecutorOutcome> {
    return this.#tracked.outcome;
  }

  cancel(reason = 'canceled'): Promise<void> {
    return this.#cancel(this.#tracked, reason);
  }
}

/** Runs jobs through Slurm. See the module description. */
export class SlurmExecutor implements Executor {
  readonly kind = 'slurm';
  readonly #bin: { sbatch: string; squeue: string; scancel: string };
  readonly #env: Record<string, string>;
  readonly #partition: string | undefined;
  readonly #account: string | undefined;
  readonly #minPoll: number;
  readonly #maxPoll: number;
  readonly #commandTimeout: number;
  readonly #cancelTimeout: number;
  readonly #enforceWall: boolean;
  readonly #wrapper: { ulimits: boolean; path: string; shell: string; envBinary: string };
  readonly #jobs = new Map<string, Tracked>();
  #timer: NodeJS.Timeout | undefined;
  #delay: number;
  #polling = false;
  #again = false;
  #closed = false;
  #squeueCalls = 0;

  constructor(options: SlurmExecutorOptions = {}) {
    this.#bin = {
      sbatch: options.binaries?.sbatch ?? '/usr/bin/sbatch',
      squeue: options.binaries?.squeue ?? '/usr/bin/squeue',
      scancel: options.binaries?.scancel ?? '/usr/bin/scancel',
    };
    for (const [name, path] of Object.entries(this.#bin)) assertCleanAbsolutePath(path, `binaries.${name}`);
    const extra = assertExecutorEnv(options.env ?? {});
    if (options.slurmConf !== undefined) assertCleanAbsolutePath(options.slurmConf, 'slurmConf');
    this.#env = { PATH: DEFAULT_PATH, ...(options.slurmConf === undefined ? {} : { SLURM_CONF: options.slurmConf }), ...extra };
    for (const [field, value] of [['partition', options.partition], ['account', options.account]] as const) {
      if (value !== undefined && !NAME.test(value)) throw new InvalidInputError(`${field} must be 1 to 64 of A-Z a-z 0-9 _ . -.`, { details: { field } });
    }
    this.#partition = options.partition;
    this.#account = options.account;
    this.#minPoll = intOption(options.pollIntervalMs?.min, 1_000, 'pollIntervalMs.min', 10);
    this.#maxPoll = Math.max(this.#minPoll, intOption(options.pollIntervalMs?.max, 15_000, 'pollIntervalMs.max', 10));
    this.#delay = this.#minPoll;
    this.#commandTimeout = intOption(options.commandTimeoutMs, 30_000, 'commandTimeoutMs', 100);
    this.#cancelTimeout = intOption(options.cancelTimeoutMs, 120_000, 'cancelTimeoutMs', 100);
    this.#enforceWall = options.enforceWallTime ?? true;
    const shell = options.shell ?? '/bin/sh';
    const envBinary = options.envBinary ?? '/usr/bin/env';
    assertCleanAbsolutePath(shell, 'shell');
    assertCleanAbsolutePath(envBinary, 'envBinary');
    const path = options.path ?? DEFAULT_PATH;
    if (path.includes('\0')) throw new InvalidInputError('path must not contain NUL.', { details: { field: 'path' } });
    this.#wrapper = { ulimits: options.enforceUlimits ?? true, path, shell, envBinary };
  }

  /** How many jobs the executor follows now. */
  get tracked(): number {
    return this.#jobs.size;
  }

  /** How many `squeue` calls the executor has made (one per poll and 200 jobs). */
  get squeueCalls(): number {
    return this.#squeueCalls;
  }

  async start(input: ExecutorJob): Promise<RunningJob> {
    this.#assertOpen();
    const job = await validateExecutorJob(input);
    const exitFile = exitRecordPath(job.workDir, job.jobId);
    await removeExitRecord(exitFile);
    const wrapper = join(job.workDir, `.mig-slurm-${job.jobId}.sh`);
    await writeFile(wrapper, wrapperScript(job, this.#wrapper), { mode: 0o700 });
    const minutes = Math.ceil(effectiveWallTimeSeconds(job.limits) / 60);
    const args = [
      '--parsable',
      // sbatch's own environment is ours alone (see #run), and the wrapper starts the job with
      // `env -i`; `--export=NONE` would make Slurm load the user's login environment (`su -`),
      // which costs seconds per job and adds nothing the job should see.
      '--export=ALL',
      '--no-requeue',
      `--job-name=mig-${job.jobId}`,
      '-D',
      job.workDir,
      '-o',
      job.stdoutPath,
      '-e',
      job.stderrPath,
      `--time=${minutes}`,
    ];
    if (job.limits.cpus !== undefined) args.push(`--cpus-per-task=${job.limits.cpus}`);
    if (job.limits.memoryMb !== undefined) args.push(`--mem=${job.limits.memoryMb}`);
    if (job.limits.nodes !== undefined) args.push(`--nodes=${job.limits.nodes}`);
    if (this.#partition !== undefined) args.push(`--partition=${this.#partition}`);
    if (this.#account !== undefined) args.push(`--account=${this.#account}`);
    args.push(wrapper);
    let stdout: string;
    try {
      stdout = await this.#run(this.#bin.sbatch, args, job.workDir);
    } catch (err) {
      throw new ExecutorError(this.kind, `sbatch did not accept job ${job.jobId}: ${messageOf(err)}`, { cause: err });
    } finally {
      // sbatch has sent the script to the controller; the copy here is no longer needed.
      await rm(wrapper, { force: true });
    }
    const slurmId = /^(\d{1,12})(;.*)?$/.exec(stdout.trim())?.[1];
    if (slurmId === undefined) throw new ExecutorError(this.kind, `sbatch answered ${JSON.stringify(stdout.slice(0, 200))} instead of a job id.`);
    const tracked = this.#track(slurmId, job.jobId, exitFile, effectiveWallTimeSeconds(job.limits) * 1000, minutes * 60_000);
    return new SlurmRunningJob(tracked, (t, reason) => this.#cancelJob(t, reason));
  }

  async reattach(ref: ExecutorJobRef): Promise<RunningJob> {
    this.#assertOpen();
    assertJobId(ref.jobId);
    assertCleanAbsolutePath(ref.workDir, 'workDir');
    if (typeof ref.handle !== 'string' || !SLURM_ID.test(ref.handle)) {
      throw new InvalidInputError('A Slurm job handle is a Slurm job id.', { details: { field: 'handle' } });
    }
    if (ref.limits !== undefined) assertExecutorLimits(ref.limits);
    const existing = this.#jobs.get(ref.handle);
    if (existing !== undefined) return new SlurmRunningJob(existing, (t, reason) => this.#cancelJob(t, reason));
    const wall = ref.limits === undefined ? undefined : effectiveWallTimeSeconds(ref.limits);
    const tracked = this.#track(ref.handle, ref.jobId, exitRecordPath(ref.workDir, ref.jobId), wall === undefined ? undefined : wall * 1000, wall === undefined ? undefined : Math.ceil(wall / 60) * 60_000);
    return new SlurmRunningJob(tracked, (t, reason) => this.#cancelJob(t, reason));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ExecutorError(this.kind, 'The executor is closed.');
  }

  #track(slurmId: string, jobId: string, exitFile: string, wallMs: number | undefined, slurmLimitMs: number | undefined): Tracked {
    let resolve!: (outcome: ExecutorOutcome) => void;
    const outcome = new Promise<ExecutorOutcome>((r) => (resolve = r));
    const tracked: Tracked = { slurmId, jobId, exitFile, wallMs, slurmLimitMs, state: undefined, startedAt: undefined, stopping: undefined, done: false, resolve, outcome };
    this.#jobs.set(slurmId, tracked);
    this.#kick();
    return tracked;
  }

  /** Polls soon, with the interval back at its minimum. */
  #kick(): void {
    this.#delay = this.#minPoll;
    if (this.#polling) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  #schedule(ms: number): void {
    if (this.#closed || this.#jobs.size === 0) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#poll();
    }, ms);
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    this.#again = false;
    let changed = false;
    try {
      const ids = [...this.#jobs.keys()];
      const rows = new Map<string, { state: string; start: string; name: string }>();
      for (let i = 0; i < ids.length; i += SQUEUE_BATCH) {
        for (const [id, row] of await this.#squeue(ids.slice(i, i + SQUEUE_BATCH))) rows.set(id, row);
      }
      const now = Date.now();
      for (const id of ids) {
        const tracked = this.#jobs.get(id);
        if (tracked === undefined) continue;
        const row = rows.get(id);
        if (row !== undefined && row.name !== `mig-${tracked.jobId}`) {
          changed = true;
          this.#settle(tracked, { kind: 'lost', exitCode: null, message: `Slurm job ${id} is not this job's (its name is ${JSON.stringify(row.name.slice(0, 80))}); left alone.` });
          continue;
        }
        // A state this code does not know is taken as still active: never end a job early.
        if (row === undefined || isSlurmEndedState(row.state)) {
          changed = true;
          void this.#finish(tracked, row?.state);
          continue;
        }
        if (row.state !== tracked.state) changed = true;
        tracked.state = row.state;
        if (tracked.startedAt === undefined && row.state === 'RUNNING') {
          const start = parseSlurmTime(row.start);
          tracked.startedAt = start !== undefined && start <= now ? start : now;
        }
        if (this.#enforceWall && tracked.wallMs !== undefined && tracked.startedAt !== undefined && tracked.stopping === undefined && now - tracked.startedAt >= tracked.wallMs) {
          changed = true;
          tracked.stopping = { kind: 'timeout', reason: `stopped at its wall-time limit of ${Math.round(tracked.wallMs / 1000)} s` };
          void this.#scancel(tracked.slurmId).catch(() => undefined);
        }
      }
    } catch {
      // Slurm's controller did not answer: keep every job and try again later (backing off).
    } finally {
      this.#polling = false;
    }
    this.#delay = changed || this.#again ? this.#minPoll : Math.min(this.#maxPoll, Math.round(this.#delay * 1.5));
    let next = this.#delay;
    const now = Date.now();
    for (const tracked of this.#jobs.values()) {
      if (tracked.stopping !== undefined) next = this.#minPoll;
      else if (this.#enforceWall && tracked.wallMs !== undefined && tracked.startedAt !== undefined) {
        next = Math.min(next, Math.max(this.#minPoll, tracked.startedAt + tracked.wallMs - now));
      }
    }
    this.#schedule(next);
  }

  /** One `squeue` call for `ids`: id → state, start time and name. */
  async #squeue(ids: readonly string[]): Promise<Map<string, { state: string; start: string; name: string }>> {
    this.#squeueCalls++;
    let stdout: string;
    try {
      stdout = await this.#run(this.#bin.squeue, ['--noheader', '--states=all', `--jobs=${ids.join(',')}`, '--format=%i|%T|%S|%j']);
    } catch (err) {
      // With a single id that Slurm has forgotten, squeue fails instead of listing nothing.
      if (/Invalid job id/i.test(messageOf(err))) return new Map();
      throw err;
    }
    const rows = new Map<string, { state: string; start: string; name: string }>();
    for (const line of stdout.split('\n')) {
      const [id, state, start, ...name] = line.trim().split('|');
      if (id === undefined || state === undefined || start === undefined || !SLURM_ID.test(id)) continue;
      rows.set(id, { state, start, name: name.join('|') });
    }
    return rows;
  }

  /** Works out the outcome of a job Slurm reports ended (`state`) or no longer knows (`undefined`). */
  async #finish(tracked: Tracked, state: string | undefined): Promise<void> {
    if (tracked.done) return;
    this.#jobs.delete(tracked.slurmId);
    tracked.done = true;
    let record: ExitRecord | undefined;
    // On a shared file system the record may show up a little after Slurm reports the end.
    for (let i = 0; i < 5; i++) {
      record = await readExitRecord(tracked.exitFile);
      if (record !== undefined || (state !== undefined && state !== 'COMPLETED' && state !== 'FAILED')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    tracked.resolve(this.#outcomeOf(tracked, state, record));
  }

  #outcomeOf(tracked: Tracked, state: string | undefined, record: ExitRecord | undefined): ExecutorOutcome {
    const code = record?.kind === 'exit' ? record.code : null;
    const signal = code === null ? undefined : signalOfStatus(code);
    const base = { exitCode: code, ...(signal === undefined ? {} : { signal }) };
    const seen = state === undefined ? 'Slurm no longer knows the job' : `Slurm state ${state}`;
    const ranPastLimit = tracked.startedAt !== undefined && tracked.slurmLimitMs !== undefined && Date.now() - tracked.startedAt >= tracked.slurmLimitMs;
    if (tracked.stopping?.kind === 'canceled' && (state === 'CANCELLED' || record?.kind !== 'exit' || state === undefined)) {
      return { kind: 'canceled', ...base, message: `The job was canceled: ${tracked.stopping.reason} (${seen}).` };
    }
    if (tracked.stopping?.kind === 'timeout' || (state !== undefined && isSlurmTimeoutState(state))) {
      const why = tracked.stopping?.kind === 'timeout' ? tracked.stopping.reason : 'stopped by Slurm at its time limit';
      return { kind: 'timeout', ...base, message: `The job was ${why} (${seen}).` };
    }
    if (state === 'CANCELLED') return { kind: 'canceled', ...base, message: 'The job was canceled outside the executor (scancel).' };
    if (code !== null) return { kind: 'exited', ...base, message: `The job ${describeStatus(code)} (${seen}).` };
    if (record?.kind === 'terminated' || state === undefined) {
      if (ranPastLimit) return { kind: 'timeout', ...base, message: `The job ran past its Slurm time limit and was ended (${seen}).` };
      const how = record?.kind === 'terminated' ? 'was terminated by Slurm' : 'left no exit record';
      return { kind: 'lost', ...base, message: `The job ${how} (${seen}).` };
    }
    return { kind: 'lost', ...base, message: `The job ended without an exit record (${seen}).` };
  }

  #settle(tracked: Tracked, outcome: ExecutorOutcome): void {
    if (tracked.done) return;
    tracked.done = true;
    this.#jobs.delete(tracked.slurmId);
    tracked.resolve(outcome);
  }

  async #cancelJob(tracked: Tracked, reason: string): Promise<void> {
    if (tracked.done) {
      await tracked.outcome;
      return;
    }
    tracked.stopping ??= { kind: 'canceled', reason };
    try {
      await this.#scancel(tracked.slurmId);
    } catch (err) {
      // Slurm may have ended the job meanwhile; the poll below tells.
      if (!/already|Invalid job id/i.test(messageOf(err))) {
        this.#kick();
        throw new ExecutorError(this.kind, `scancel ${tracked.slurmId} failed: ${messageOf(err)}`, { cause: err });
      }
    }
    this.#kick();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.#cancelTimeout)));
    const result = await Promise.race([tracked.outcome, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') throw new ExecutorError(this.kind, `Slurm job ${tracked.slurmId} did not end within ${this.#cancelTimeout} ms of scancel.`);
  }

  async #scancel(slurmId: string): Promise<void> {
    await this.#run(this.#bin.scancel, [slurmId]);
  }

  /** Runs a Slurm command (no shell) with a time limit and our environment only. */
  #run(file: string, args: readonly string[], cwd?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        file,
        args,
        { env: this.#env, timeout: this.#commandTimeout, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, ...(cwd === undefined ? {} : { cwd }) },
        (err, stdout, stderr) => {
          if (err !== null) reject(new Error(`${file} ${err.killed ? 'timed out' : `failed (${err.code ?? err.signal ?? 'error'})`}: ${String(stderr).trim().slice(0, 500)}`, { cause: err }));
          else resolve(String(stdout));
        },
      );
    });
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
