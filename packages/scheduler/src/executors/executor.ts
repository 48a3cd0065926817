/**
 * The executor seam: how a resource runs a job it pulled from the site.
 *
 * The resource agent hands an {@link Executor} one {@link ExecutorJob} at a time (a work folder,
 * the job script inside it, the job's environment and limits) and gets back a {@link RunningJob}:
 * a handle it can store, an outcome to wait for, and a cancel. Built in are
 * {@link LocalExecutor} (child processes on the agent's host) and {@link SlurmExecutor}
 * (`sbatch`/`squeue`/`scancel`); another batch system (PBS, Kubernetes, …) is one more class that
 * implements this interface, without touching the engine.
 *
 * @example
 * ```ts
 * const executor: Executor = new LocalExecutor({ maxConcurrent: 2 });
 * const running = await executor.start({
 *   jobId: '42_7_2_2025__12_57_15_myhost.0',
 *   workDir: '/var/lib/mig-agent/jobs/42',
 *   script: '/var/lib/mig-agent/jobs/42/job.sh',
 *   env: { MIG_JOBID: '42_7_2_2025__12_57_15_myhost.0' },
 *   limits: { cpuTimeSeconds: 600, memoryMb: 1024 },
 *   stdoutPath: '/var/lib/mig-agent/jobs/42/executor.stdout',
 *   stderrPath: '/var/lib/mig-agent/jobs/42/executor.stderr',
 * });
 * await saveHandle(running.jobId, running.handle); // to reattach after a restart
 * const outcome = await running.wait(); // { kind: 'exited', exitCode: 0, message: … }
 * ```
 * @packageDocumentation
 */

/**
 * The limits a job runs under (MiG's CPUTIME, MEMORY, CPUCOUNT, NODECOUNT). Every value is a
 * positive integer; {@link validateExecutorJob} enforces the bounds in {@link EXECUTOR_LIMIT_BOUNDS}.
 */
export interface ExecutorLimits {
  /** CPU time in seconds (MiG's CPUTIME); also the wall time when `wallTimeSeconds` is absent. */
  readonly cpuTimeSeconds: number;
  /** Wall-clock time in seconds after which the job is stopped and reported as a timeout. */
  readonly wallTimeSeconds?: number;
  /** Memory in MiB (MiG's MEMORY). */
  readonly memoryMb?: number;
  /** CPU cores (MiG's CPUCOUNT). */
  readonly cpus?: number;
  /** Nodes (MiG's NODECOUNT); only batch systems use it. */
  readonly nodes?: number;
}

/** The inclusive upper bound of each limit (the lower bound is 1). */
export const EXECUTOR_LIMIT_BOUNDS: Readonly<Record<keyof ExecutorLimits, number>> = {
  cpuTimeSeconds: 366 * 24 * 3600,
  wallTimeSeconds: 366 * 24 * 3600,
  memoryMb: 64 * 1024 * 1024,
  cpus: 65_536,
  nodes: 65_536,
};

/** One job for an executor to run. */
export interface ExecutorJob {
  /** The job's id: a safe name (`[A-Za-z0-9_.-]`, at most 128, not starting with `.` or `-`). */
  readonly jobId: string;
  /** The job's own folder: absolute, existing; the job runs with it as its working folder. */
  readonly workDir: string;
  /** The POSIX `sh` script to run: a file inside `workDir` (absolute, or relative to `workDir`). */
  readonly script: string;
  /**
   * The job's whole environment. Nothing of the agent's own environment is added, only a minimal
   * `PATH` and `HOME` (the work folder) when these are not given.
   */
  readonly env: Readonly<Record<string, string>>;
  /** The job's limits. */
  readonly limits: ExecutorLimits;
  /** Where the script's standard output goes (absolute, or relative to `workDir`). */
  readonly stdoutPath: string;
  /** Where the script's standard error goes (absolute, or relative to `workDir`). */
  readonly stderrPath: string;
}

/**
 * How a job ended.
 *
 * - `exited`: the script ended by itself; `exitCode` is its status (a status above 128 usually
 *   means it died from signal `status - 128`, e.g. `SIGXCPU` at the CPU-time limit, which is then
 *   named in `signal`).
 * - `timeout`: the executor or the batch system stopped it at its wall-time limit.
 * - `canceled`: {@link RunningJob.cancel} stopped it, or someone outside the agent did (`scancel`).
 * - `lost`: it ended and the executor cannot tell how (no exit record: node failure, killed from
 *   outside, the batch system forgot it).
 */
export type ExecutorOutcomeKind = 'exited' | 'timeout' | 'canceled' | 'lost';

/** How a job ended, as the agent reports it to the site. */
export interface ExecutorOutcome {
  /** See {@link ExecutorOutcomeKind}. */
  readonly kind: ExecutorOutcomeKind;
  /** The script's exit status when known, otherwise `null`. */
  readonly exitCode: number | null;
  /** The signal that ended the script when known, e.g. `SIGXCPU`, `SIGTERM`. */
  readonly signal?: string;
  /** A sentence for logs and the job's history. */
  readonly message: string;
}

/** A job an executor has started (or found again with {@link Executor.reattach}). */
export interface RunningJob {
  /** The MiG job id. */
  readonly jobId: string;
  /**
   * The executor's own id for the job, to store and pass to {@link Executor.reattach} after an
   * agent restart: a process id for the local executor, a Slurm job id for Slurm.
   */
  readonly handle: string;
  /** Resolves once the job has ended and all of its processes are gone; never rejects. */
  wait(): Promise<ExecutorOutcome>;
  /**
   * Stops the job (all of its processes) and resolves once it is really gone; the outcome is then
   * `canceled` with `reason` in its message. Does nothing when the job has already ended.
   */
  cancel(reason?: string): Promise<void>;
}

/** What an agent stores to find a running job again after a restart. */
export interface ExecutorJobRef {
  /** The MiG job id. */
  readonly jobId: string;
  /** The job's work folder (the executor keeps its exit record there). */
  readonly workDir: string;
  /** {@link RunningJob.handle} as it was returned by `start`. */
  readonly handle: string;
  /** The job's limits, so that the wall-time limit still holds after the restart. */
  readonly limits?: ExecutorLimits;
}

/** Options of {@link Executor.start}. */
export interface ExecutorStartOptions {
  /** Gives up waiting for a free slot (executors with a concurrency cap); rejects with its reason. */
  readonly signal?: AbortSignal;
}

/** Runs jobs on a resource. */
export interface Executor {
  /** A short name of the kind of executor, e.g. `local`, `slurm`. */
  readonly kind: string;
  /**
   * Validates `job` and starts it. Rejects with `InvalidInputError` (`MIG_E_INVALID_INPUT`) for a
   * bad job and with {@link ExecutorError} when the job could not be started.
   */
  start(job: ExecutorJob, options?: ExecutorStartOptions): Promise<RunningJob>;
  /**
   * Finds a job again that was started before the agent restarted (best effort; each executor
   * documents what it can tell). A job that ended meanwhile resolves at once with its outcome.
   */
  reattach(ref: ExecutorJobRef): Promise<RunningJob>;
  /** Stops the executor's background work (polling, timers); running jobs are left alone. */
  close(): Promise<void>;
}

/**
 * The wall time a job may run: `wallTimeSeconds`, or `cpuTimeSeconds` when absent (MiG's CPUTIME
 * is "wall/CPU time" and the basis of its job timeouts).
 *
 * @example
 * ```ts
 * effectiveWallTimeSeconds({ cpuTimeSeconds: 600 }); // 600
 * effectiveWallTimeSeconds({ cpuTimeSeconds: 600, wallTimeSeconds: 60 }); // 60
 * ```
 */
export function effectiveWallTimeSeconds(limits: ExecutorLimits): number {
  return limits.wallTimeSeconds ?? limits.cpuTimeSeconds;
}
