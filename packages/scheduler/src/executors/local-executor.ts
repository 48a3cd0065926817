/**
 * The local executor: runs each job as `sh <script>` in a child process on the agent's own host.
 *
 * - **Isolation of the environment**: the job gets exactly its `env` plus a minimal `PATH` and
 *   `HOME` (its work folder) when these are not given; nothing of the agent's own environment
 *   (tokens, keys, `SLURM_CONF`, …) leaks into it.
 * - **Limits** (as MiG's ENFORCELIMITS in its job scripts): CPU time with `ulimit -t` and memory
 *   with `ulimit -v` in a tiny `sh -c` prelude; the wall time (`wallTimeSeconds`, else
 *   `cpuTimeSeconds`) by a timer that ends the whole job.
 * - **Ending a job**: the job is the leader of a session of its own; a timeout or cancel sends
 *   `SIGTERM` to every process of that session, then `SIGKILL` after `killGraceMs`. Processes the
 *   script left behind when it ended (`sleep 300 &`) are ended the same way, as a batch system
 *   would. The outcome resolves only once every process is gone.
 * - **Concurrency**: at most `maxConcurrent` jobs run at once; `start` waits (in order) for a
 *   free slot, which an `AbortSignal` can give up.
 * - **Reattach** after an agent restart: the handle is the job's process id. The executor checks
 *   that the process is still this job's wrapper (its command line names the job's exit record),
 *   then watches it and reads the status from the exit record the wrapper writes
 *   (see `exit-record.ts`). The wall-time clock counts from the process's start. A job that
 *   ended meanwhile resolves from its exit record; one that left none is `lost`.
 *
 * @example
 * ```ts
 * const executor = new LocalExecutor({ maxConcurrent: 4, killGraceMs: 5_000 });
 * const running = await executor.start(job);
 * const outcome = await running.wait();
 * if (outcome.kind === 'exited') console.log('status', outcome.exitCode);
 * ```
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { InvalidInputError } from '@migrid/core';
import { effectiveWallTimeSeconds, type Executor, type ExecutorJob, type ExecutorJobRef, type ExecutorOutcome, type ExecutorStartOptions, type RunningJob } from './executor.js';
import { ExecutorError } from './executor-error.js';
import { describeStatus, exitRecordPath, readExitRecord, removeExitRecord, signalOfStatus } from './exit-record.js';
import { processAgeSeconds, readProcessArgs, readProcessStat, terminateSession } from './process-session.js';
import { assertCleanAbsolutePath, assertExecutorLimits, assertJobId, validateExecutorJob } from './validate-executor-job.js';

/** Options of {@link LocalExecutor}. */
export interface LocalExecutorOptions {
  /** How many jobs may run at once (default: the number of CPUs). */
  readonly maxConcurrent?: number;
  /** How long processes get between `SIGTERM` and `SIGKILL` (default 5000 ms). */
  readonly killGraceMs?: number;
  /** The `PATH` a job gets when its env has none (default `/usr/local/bin:/usr/bin:/bin`). */
  readonly path?: string;
  /** The POSIX shell (default `/bin/sh`). */
  readonly shell?: string;
  /** Apply `ulimit -t` (CPU time) and `ulimit -v` (memory) as MiG's ENFORCELIMITS (default true). */
  readonly enforceUlimits?: boolean;
  /** How often a reattached job is looked at (default 1000 ms). */
  readonly reattachPollMs?: number;
}

/** The argument that marks the executor's wrapper in a process's command line (`$0` of the prelude). */
const WRAPPER_NAME = 'mig-job';
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';
/** Seconds between the soft CPU-time limit (`SIGXCPU`) and the hard one (`SIGKILL`). */
const CPU_HARD_EXTRA_SECONDS = 5;

/**
 * The `sh -c` prelude: limits, then the script in a shell of its own, then the exit record.
 * Positional parameters: `$1` the shell, `$2` the script, `$3` the exit record. Only validated
 * integers are interpolated.
 */
function prelude(job: ExecutorJob, enforceUlimits: boolean): string {
  const lines: string[] = [];
  if (enforceUlimits) {
    // A soft limit sends SIGXCPU (which a job may catch to save its work); the hard one, a little
    // later, SIGKILL. Equal limits would kill at once.
    lines.push(`ulimit -t ${job.limits.cpuTimeSeconds + CPU_HARD_EXTRA_SECONDS} || exit 125`, `ulimit -S -t ${job.limits.cpuTimeSeconds} || exit 125`);
    if (job.limits.memoryMb !== undefined) lines.push(`ulimit -v ${job.limits.memoryMb * 1024} || exit 125`);
  }
  lines.push('"$1" "$2"', 'c=$?', `printf '%s\\n' "$c" > "$3"`, 'exit "$c"');
  return lines.join('\n');
}

/** The positive integer option `value`, or `fallback`. */
function positiveOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new InvalidInputError(`${name} must be a non-negative integer.`, { details: { field: name } });
  return value;
}

/** A job as the executor tracks it. */
class LocalRunningJob implements RunningJob {
  readonly jobId: string;
  readonly handle: string;
  readonly #outcome: Promise<ExecutorOutcome>;
  readonly #stop: (kind: 'canceled', reason: string) => Promise<void>;

  constructor(jobId: string, pid: number, outcome: Promise<ExecutorOutcome>, stop: (kind: 'canceled', reason: string) => Promise<void>) {
    this.jobId = jobId;
    this.handle = String(pid);
    this.#outcome = outcome;
    this.#stop = stop;
  }

  wait(): Promise<ExecutorOutcome> {
    return this.#outcome;
  }

  async cancel(reason = 'canceled'): Promise<void> {
    await this.#stop('canceled', reason);
    await this.#outcome;
  }
}

/** Runs jobs as local child processes. See the module description. */
export class LocalExecutor implements Executor {
  readonly kind = 'local';
  /** How many jobs may run at once. */
  readonly maxConcurrent: number;
  readonly #grace: number;
  readonly #path: string;
  readonly #shell: string;
  readonly #ulimits: boolean;
  readonly #reattachPollMs: number;
  #active = 0;
  readonly #waiting: { grant: () => void; signal?: AbortSignal; onAbort?: () => void }[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(options: LocalExecutorOptions = {}) {
    this.maxConcurrent = positiveOption(options.maxConcurrent, availableParallelism(), 'maxConcurrent');
    if (this.maxConcurrent < 1) throw new InvalidInputError('maxConcurrent must be at least 1.', { details: { field: 'maxConcurrent' } });
    this.#grace = positiveOption(options.killGraceMs, 5_000, 'killGraceMs');
    this.#path = options.path ?? DEFAULT_PATH;
    this.#shell = options.shell ?? '/bin/sh';
    assertCleanAbsolutePath(this.#shell, 'shell');
    this.#ulimits = options.enforceUlimits ?? true;
    this.#reattachPollMs = positiveOption(options.reattachPollMs, 1_000, 'reattachPollMs') || 1_000;
  }

  /** How many jobs run now (including reattached ones). */
  get running(): number {
    return this.#active;
  }

  /** How many `start` calls wait for a free slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  async start(input: ExecutorJob, options: ExecutorStartOptions = {}): Promise<RunningJob> {
    const job = await validateExecutorJob(input);
    await this.#acquire(options.signal);
    try {
      return await this.#spawn(job);
    } catch (err) {
      this.#release();
      throw err;
    }
  }

  async reattach(ref: ExecutorJobRef): Promise<RunningJob> {
    assertJobId(ref.jobId);
    assertCleanAbsolutePath(ref.workDir, 'workDir');
    if (typeof ref.handle !== 'string' || !/^\d{1,10}$/.test(ref.handle) || Number(ref.handle) <= 1) {
      throw new InvalidInputError('A local job handle is a process id.', { details: { field: 'handle' } });
    }
    if (ref.limits !== undefined) assertExecutorLimits(ref.limits);
    const pid = Number(ref.handle);
    const exitFile = exitRecordPath(ref.workDir, ref.jobId);
    const stat = await readProcessStat(pid);
    const args = await readProcessArgs(pid);
    const ours = stat !== undefined && stat.state !== 'Z' && stat.session === pid && args?.[3] === WRAPPER_NAME && args[6] === exitFile;
    if (!ours) {
      const outcome = await this.#outcomeFromRecord(exitFile, 'it was not running when the agent came back');
      return new LocalRunningJob(ref.jobId, pid, Promise.resolve(outcome), async () => {});
    }
    this.#active++;
    const age = (await processAgeSeconds(pid)) ?? 0;
    const wallMs = ref.limits === undefined ? undefined : Math.max(0, effectiveWallTimeSeconds(ref.limits) * 1000 - age * 1000);
    return this.#track(ref.jobId, pid, exitFile, wallMs, this.#watchForeign(pid));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  async #spawn(job: ExecutorJob): Promise<RunningJob> {
    const exitFile = exitRecordPath(job.workDir, job.jobId);
    await removeExitRecord(exitFile);
    const env: Record<string, string> = { PATH: this.#path, HOME: job.workDir, ...job.env };
    const out = await open(job.stdoutPath, 'w', 0o600).catch((e: unknown) => {
      throw new ExecutorError(this.kind, `Cannot open the job's stdout file: ${String(e)}`, { cause: e });
    });
    let err;
    try {
      err = job.stderrPath === job.stdoutPath ? out : await open(job.stderrPath, 'w', 0o600);
    } catch (e) {
      await out.close();
      throw new ExecutorError(this.kind, `Cannot open the job's stderr file: ${String(e)}`, { cause: e });
    }
    try {
      const child = spawn(this.#shell, ['-c', prelude(job, this.#ulimits), WRAPPER_NAME, this.#shell, job.script, exitFile], {
        cwd: job.workDir,
        env,
        detached: true,
        stdio: ['ignore', out.fd, err.fd],
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (e) => reject(new ExecutorError(this.kind, `Cannot start the job's shell ${this.#shell}: ${e.message}`, { cause: e })));
      });
      const pid = child.pid;
      if (pid === undefined) throw new ExecutorError(this.kind, 'The job started without a process id.');
      return this.#track(job.jobId, pid, exitFile, effectiveWallTimeSeconds(job.limits) * 1000, exited);
    } finally {
      await out.close();
      if (err !== out) await err.close();
    }
  }

  /** Polls a process that is not our child until it is gone; its status comes from the exit record. */
  #watchForeign(pid: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; fromRecord: true }> {
    return new Promise((resolve) => {
      const look = async (): Promise<void> => {
        const stat = await readProcessStat(pid);
        if (stat === undefined || stat.state === 'Z' || stat.session !== pid) {
          resolve({ code: null, signal: null, fromRecord: true });
          return;
        }
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          void look();
        }, this.#reattachPollMs);
        this.#timers.add(timer);
      };
      void look();
    });
  }

  /** Wires the wall-time timer, cancel and the outcome around a started (or found) job. */
  #track(jobId: string, pid: number, exitFile: string, wallMs: number | undefined, exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; fromRecord?: true }>): RunningJob {
    let stopped: { kind: 'timeout' | 'canceled'; reason: string } | undefined;
    let stopping: Promise<unknown> = Promise.resolve();
    let ended = false;
    const stop = async (kind: 'timeout' | 'canceled', reason: string): Promise<void> => {
      if (ended || stopped !== undefined) {
        await stopping;
        return;
      }
      stopped = { kind, reason };
      stopping = terminateSession(pid, this.#grace);
      await stopping;
    };
    let timer: NodeJS.Timeout | undefined;
    if (wallMs !== undefined) {
      timer = setTimeout(() => {
        if (timer !== undefined) this.#timers.delete(timer);
        void stop('timeout', `stopped at its wall-time limit of ${Math.round(wallMs / 1000)} s`);
      }, wallMs);
      this.#timers.add(timer);
    }
    const outcome = (async (): Promise<ExecutorOutcome> => {
      const end = await exited;
      if (timer !== undefined) {
        clearTimeout(timer);
        this.#timers.delete(timer);
      }
      ended = true;
      await stopping;
      // Whatever the script left behind goes too, as a batch system would do.
      const allGone = await terminateSession(pid, this.#grace);
      this.#release();
      const leftover = allGone ? '' : ' (some of its processes could not be ended)';
      let code = end.code;
      if (end.fromRecord === true) {
        const record = await readExitRecord(exitFile);
        code = record?.kind === 'exit' ? record.code : null;
      }
      const signal = end.signal ?? (code === null ? undefined : signalOfStatus(code));
      const base = { exitCode: code, ...(signal === undefined ? {} : { signal }) };
      if (stopped !== undefined) return { kind: stopped.kind, ...base, message: `The job was ${stopped.kind === 'timeout' ? '' : 'canceled: '}${stopped.reason}${leftover}.` };
      if (code !== null) return { kind: 'exited', ...base, message: `The job ${describeStatus(code)}${leftover}.` };
      if (end.signal !== null) return { kind: 'lost', ...base, message: `The job's shell was killed by ${end.signal} from outside the executor${leftover}.` };
      return { kind: 'lost', ...base, message: `The job ended without an exit record${leftover}.` };
    })();
    return new LocalRunningJob(jobId, pid, outcome, stop);
  }

  async #outcomeFromRecord(exitFile: string, why: string): Promise<ExecutorOutcome> {
    const record = await readExitRecord(exitFile);
    if (record?.kind === 'exit') {
      const signal = signalOfStatus(record.code);
      return { kind: 'exited', exitCode: record.code, ...(signal === undefined ? {} : { signal }), message: `The job ${describeStatus(record.code)}.` };
    }
    return { kind: 'lost', exitCode: null, message: `The job left no exit record: ${why}.` };
  }

  async #acquire(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.#closed) throw new ExecutorError(this.kind, 'The executor is closed.');
    if (this.#active < this.maxConcurrent && this.#waiting.length === 0) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const entry: { grant: () => void; signal?: AbortSignal; onAbort?: () => void } = {
        grant: () => {
          if (entry.onAbort !== undefined) signal?.removeEventListener('abort', entry.onAbort);
          resolve();
        },
      };
      if (signal !== undefined) {
        entry.onAbort = () => {
          const at = this.#waiting.indexOf(entry);
          if (at >= 0) this.#waiting.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.#waiting.push(entry);
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next.grant();
    else this.#active = Math.max(0, this.#active - 1);
  }
}
