/**
 * The resource agent (`mig-resource run`): runs on a resource's front-end as an unprivileged user
 * with only outbound HTTPS. Each execution unit asks the site for work, runs the job it gets
 * through the executor (`local` or `slurm`), sends the job's output while it runs (live output),
 * stops jobs the site cancels, and reports jobs that ended without their `.status` upload so the
 * site can requeue them. See `docs/resource-protocol.md`.
 *
 * Who moves a job's files (`transfers`): with the local executor the agent itself fetches the
 * inputs and sends the results over its keep-alive connection (`job-staging.ts`), and the job's
 * process is one `sh` running the commands; otherwise (Slurm, or `transfers: 'script'`) the job
 * script does it with `curl` on the execution node. Both use the same session URLs.
 * @packageDocumentation
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobTransfers, StagedJob } from '@migrid/core';
import { InvalidInputError } from '@migrid/core';
import type { Executor, ExecutorOutcome, RunningJob } from '../executors/executor.js';
import { fetchInputs, sendResults, type StagingContext } from './job-staging.js';
import { SiteClient } from './site-client.js';
import { checkJobId, checkSessionId, checkStagedJob } from './staged-job-manifest.js';

/** What one unit offers the site. */
export interface AgentUnit {
  /** The unit's name in the resource's configuration (`exe0`…). */
  readonly name: string;
  readonly capacity: { readonly cpuTimeSeconds: number; readonly nodeCount: number; readonly cpuCount: number; readonly memoryMb: number; readonly diskGb: number };
}

/** Options of {@link ResourceAgent}. */
export interface ResourceAgentOptions {
  /** The site's base URL, e.g. `https://mig.example.org:8443`. */
  readonly siteUrl: string;
  /** The resource token (`migres_…`) printed by `mig resource add`. */
  readonly token: string;
  readonly executor: Executor;
  readonly units: readonly AgentUnit[];
  /** Where job folders are made (one per job, removed after it ends). */
  readonly workDir: string;
  /** A CA certificate file to trust for the site (also handed to job scripts as `MIG_SITE_CA`). */
  readonly caFile?: string;
  /** How often a running job is reported and its output sent, ms (default 5000). */
  readonly heartbeatMs?: number;
  /** Longest wait between requests for work, s (default 60). */
  readonly maxIdleSeconds?: number;
  /** Where the agent logs (default: nothing). */
  readonly log?: (message: string) => void;
  /**
   * Who fetches inputs and sends results: `agent` (over the agent's own connection; the job's
   * process runs only the commands) or `script` (the job script, with `curl`). Default: `agent`
   * for the local executor, `script` for any other (its jobs run on other nodes).
   */
  readonly transfers?: JobTransfers;
  /** The first pause before an agent transfer is tried again, ms (default 1000; for tests). */
  readonly retryDelayMs?: number;
}

interface AgentAnswer {
  job: { id: string; name: string; sessionId: string; script: string; staged?: unknown; limits: { cpuTimeSeconds: number; wallTimeSeconds: number; memoryMb: number; cpus: number; nodes: number } } | null;
  retryAfterSeconds: number;
  cancel: string[];
}

/** An HTTP error from the site, with its JSON code when it sent one. */
export class SiteRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'SiteRequestError';
  }
}

const MAX_LIVE_BYTES = 64 * 1024 * 1024;

/** The agent. `start()` runs every unit's loop until `stop()`. */
export class ResourceAgent {
  private readonly options: ResourceAgentOptions;
  private readonly base: URL;
  private ca: Buffer | undefined;
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly running = new Map<string, { unit: string; cancel: (reason: string) => Promise<void> }>();
  private readonly wakeups = new Set<() => void>();
  /** Units sleeping because the site had no work for them. */
  private readonly idleUnits = new Set<() => void>();
  /**
   * Keep-alive connections to the site, so a unit asking for work, its heartbeats, reports and
   * file transfers do not pay a TLS handshake each.
   */
  private client: SiteClient | undefined;
  private readonly transfers: JobTransfers;

  constructor(options: ResourceAgentOptions) {
    let base: URL;
    try {
      base = new URL(options.siteUrl);
    } catch {
      throw new InvalidInputError('The site URL is not a URL (e.g. https://mig.example.org:8443).');
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new InvalidInputError('The site URL must be https:// (or http:// for a test).');
    if (options.units.length === 0) throw new InvalidInputError('The agent needs at least one execution unit.');
    this.options = options;
    this.base = base;
    this.transfers = options.transfers ?? (options.executor.kind === 'local' ? 'agent' : 'script');
  }

  /** Jobs running now, by id. */
  get runningJobs(): string[] {
    return [...this.running.keys()];
  }

  /** Starts a loop per unit. */
  async start(): Promise<void> {
    if (this.options.caFile !== undefined) this.ca = await readFile(this.options.caFile);
    this.client = new SiteClient(this.base, this.ca);
    await mkdir(this.options.workDir, { recursive: true, mode: 0o700 });
    for (const unit of this.options.units) this.loops.push(this.unitLoop(unit));
  }

  /** Stops asking for work; cancels running jobs when `cancelRunning` (default: let them be reported as lost). */
  async stop(options: { cancelRunning?: boolean } = {}): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakeups) wake();
    if (options.cancelRunning === true) for (const r of this.running.values()) await r.cancel('the agent stops').catch(() => undefined);
    await Promise.allSettled(this.loops);
    this.client?.close();
  }

  private log(message: string): void {
    this.options.log?.(message);
  }

  /** Waits `ms`; `stop()` wakes every sleeper, and whoever holds `group` can wake its own. */
  private sleep(ms: number, group?: Set<() => void>): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeups.delete(done);
        group?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeups.add(done);
      group?.add(done);
    });
  }

  /** One request to the site; a JSON body is serialised, bytes are sent as they are. */
  private call(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    if (this.client === undefined) return Promise.reject(new Error('the agent has not started'));
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const type: Record<string, string> = Buffer.isBuffer(body) ? { 'content-type': 'application/octet-stream' } : body === undefined ? {} : { 'content-type': 'application/json' };
    return this.client.request(method, path, { ...(payload === undefined ? {} : { body: payload }), headers: { ...type, ...headers } });
  }

  private async agentCall(path: string, body: unknown): Promise<AgentAnswer> {
    const { status, text } = await this.call('POST', path, body, { authorization: `Bearer ${this.options.token}` });
    if (status !== 200) {
      let code: string | undefined;
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as { code?: string; message?: string };
        code = parsed.code;
        message = parsed.message ?? message;
      } catch {
        // not JSON
      }
      throw new SiteRequestError(status, code, `${path}: ${status} ${code ?? ''} ${message}`.trim());
    }
    return JSON.parse(text) as AgentAnswer;
  }

  private runningOn(unit: string): string[] {
    return [...this.running].filter(([, r]) => r.unit === unit).map(([id]) => id);
  }

  private async applyCancels(cancel: readonly string[]): Promise<void> {
    for (const id of cancel) {
      const r = this.running.get(id);
      if (r !== undefined) {
        this.log(`cancelling job ${id} as the site asked`);
        await r.cancel('cancelled by the site').catch(() => undefined);
      }
    }
  }

  private async unitLoop(unit: AgentUnit): Promise<void> {
    let backoff = 1;
    while (!this.stopping) {
      let answer: AgentAnswer;
      try {
        answer = await this.agentCall('/api/v1/agent/work', { unit: unit.name, capacity: unit.capacity, running: this.runningOn(unit.name), ...(this.transfers === 'agent' ? { transfers: 'agent' } : {}) });
        backoff = 1;
      } catch (err) {
        const fatal = err instanceof SiteRequestError && (err.status === 401 || err.status === 400);
        this.log(`unit ${unit.name}: asking for work failed: ${(err as Error).message}`);
        if (fatal) return;
        await this.sleep(Math.min(60, backoff) * 1000);
        backoff *= 2;
        continue;
      }
      await this.applyCancels(answer.cancel);
      if (answer.job === null) {
        await this.sleep(Math.max(0.2, Math.min(this.options.maxIdleSeconds ?? 60, answer.retryAfterSeconds)) * 1000, this.idleUnits);
        continue;
      }
      // Work has arrived, so more may wait: one idle unit asks now rather than after its retry
      // time (and, when it gets a job too, wakes the next), at most one extra request per job.
      const [next] = this.idleUnits;
      next?.();
      await this.runJob(unit, answer.job);
    }
  }

  /**
   * Runs one job: fetches its inputs (agent transfers), starts it through the executor, reports
   * the unit's jobs and sends live output every `heartbeatMs` from the moment it arrives until
   * its results are sent, then sends the results (agent transfers) or reports the failure.
   */
  private async runJob(unit: AgentUnit, job: NonNullable<AgentAnswer['job']>): Promise<void> {
    let id: string;
    try {
      id = checkJobId(job.id);
      checkSessionId(job.sessionId);
    } catch (err) {
      this.log(`unit ${unit.name}: refusing a job from the site: ${(err as Error).message}`);
      await this.reportFailure(job, (err as Error).message);
      return;
    }
    const dir = join(this.options.workDir, id);
    const abort = new AbortController();
    let current: RunningJob | undefined;
    let cancelled: string | undefined;
    this.running.set(id, {
      unit: unit.name,
      cancel: async (reason) => {
        cancelled ??= reason;
        abort.abort();
        await current?.cancel(reason);
      },
    });
    let finished = false;
    // Only this job's heartbeat wait ends early when it finishes (not other jobs' heartbeats).
    const heartbeatWait = new Set<() => void>();
    const work = this.work(unit, job, id, dir, abort.signal, {
      started: (running) => {
        current = running;
        if (cancelled !== undefined) void running.cancel(cancelled);
      },
      cancelled: () => cancelled,
    }).finally(() => {
      finished = true;
      for (const wake of heartbeatWait) wake();
    });
    const sizes = new Map<string, number>();
    while (!finished) {
      await this.sleep(this.options.heartbeatMs ?? 5000, heartbeatWait);
      if (finished) break;
      if (current !== undefined) await this.sendLiveOutput(job, dir, sizes);
      try {
        const answer = await this.agentCall('/api/v1/agent/heartbeat', { unit: unit.name, running: this.runningOn(unit.name) });
        await this.applyCancels(answer.cancel);
      } catch (err) {
        this.log(`unit ${unit.name}: heartbeat failed: ${(err as Error).message}`);
      }
      if (this.stopping) break;
    }
    // Every step reports its own failures; anything else must not end the unit's loop.
    await work.catch((err: unknown) => this.log(`unit ${unit.name}: job ${id} failed in the agent: ${err instanceof Error ? err.message : String(err)}`));
    this.running.delete(id);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** The job's own steps (see {@link runJob}); every failure ends in a report to the site. */
  private async work(
    unit: AgentUnit,
    job: NonNullable<AgentAnswer['job']>,
    id: string,
    dir: string,
    signal: AbortSignal,
    hooks: { started: (running: RunningJob) => void; cancelled: () => string | undefined },
  ): Promise<void> {
    let staged: StagedJob | undefined;
    let staging: StagingContext | undefined;
    const notes: string[] = [];
    try {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      if (this.transfers === 'agent' && job.staged !== undefined) {
        staged = checkStagedJob(job.staged);
        const client = this.client as SiteClient;
        staging = { client, jobId: id, sessionId: job.sessionId, dir, signal, ...(this.options.caFile === undefined ? {} : { caFile: this.options.caFile }), ...(this.options.retryDelayMs === undefined ? {} : { retryDelayMs: this.options.retryDelayMs }) };
        const fetched = await fetchInputs(staging, staged.inputs, notes);
        if (!fetched.ok) {
          const stopped = hooks.cancelled();
          await this.reportFailure(job, stopped === undefined ? `the agent could not fetch an input (exit code 3, as the job script's): ${fetched.reason}` : `canceled: ${stopped}`);
          return;
        }
      }
    } catch (err) {
      await this.reportFailure(job, `the agent could not prepare the job: ${(err as Error).message}`);
      return;
    }
    const stopped = hooks.cancelled();
    if (stopped !== undefined) {
      await this.reportFailure(job, `canceled: ${stopped}`);
      return;
    }
    // The commands of a staged job run from a file an input is unlikely to be named after (it
    // replaces one that is); the full job script is job.sh.
    const script = join(dir, staged === undefined ? 'job.sh' : '.mig-commands.sh');
    let running: RunningJob;
    try {
      await writeFile(script, staged === undefined ? job.script : staged.commands, { mode: 0o700 });
      this.log(`unit ${unit.name}: running job ${id}`);
      running = await this.options.executor.start({
        jobId: id,
        workDir: dir,
        script,
        env: this.options.caFile === undefined ? {} : { MIG_SITE_CA: this.options.caFile },
        limits: { cpuTimeSeconds: job.limits.cpuTimeSeconds, wallTimeSeconds: job.limits.wallTimeSeconds, ...(job.limits.memoryMb > 0 ? { memoryMb: job.limits.memoryMb } : {}), cpus: Math.max(1, job.limits.cpus), nodes: Math.max(1, job.limits.nodes) },
        stdoutPath: join(dir, 'agent.out'),
        stderrPath: join(dir, 'agent.err'),
      });
    } catch (err) {
      await this.reportFailure(job, `the executor could not start the job: ${(err as Error).message}`);
      return;
    }
    hooks.started(running);
    const outcome: ExecutorOutcome = await running.wait();
    if (!(outcome.kind === 'exited' && outcome.exitCode === 0)) {
      await this.reportFailure(job, `${outcome.kind}${outcome.exitCode === null ? '' : ` with exit code ${outcome.exitCode}`}: ${outcome.message}`);
    } else if (staged !== undefined && staging !== undefined) {
      const sent = await sendResults(staging, staged.outputs, notes);
      if (!sent.ok) await this.reportFailure(job, `the agent could not send the results (exit code 4, as the job script's): ${sent.reason}`);
    }
    this.log(`unit ${unit.name}: job ${id} ended (${outcome.kind}${outcome.exitCode === null ? '' : ` ${outcome.exitCode}`})`);
  }

  /** Sends the job's stdout/stderr when they grew (live output). */
  private async sendLiveOutput(job: NonNullable<AgentAnswer['job']>, dir: string, sizes: Map<string, number>): Promise<void> {
    for (const kind of ['stdout', 'stderr']) {
      const file = join(dir, `${job.id}.${kind}`);
      const size = await stat(file).then((s) => s.size, () => -1);
      if (size < 0 || size > MAX_LIVE_BYTES || size === sizes.get(kind)) continue;
      sizes.set(kind, size);
      const path = `/sid_redirect/${job.sessionId}/job_output/${encodeURIComponent(job.id)}/${encodeURIComponent(`${job.id}.${kind}`)}`;
      await this.call('PUT', path, await readFile(file)).catch(() => undefined);
    }
  }

  private async reportFailure(job: NonNullable<AgentAnswer['job']>, reason: string): Promise<void> {
    try {
      await this.agentCall(`/api/v1/agent/jobs/${encodeURIComponent(String(job.id).slice(0, 128))}/failed`, { sessionId: String(job.sessionId).slice(0, 64), reason: reason.slice(0, 1000) });
    } catch (err) {
      // The site may have moved the job on already (cancelled, requeued); nothing to do then.
      this.log(`job ${String(job.id).slice(0, 128)}: reporting the failure did not work: ${(err as Error).message}`);
    }
  }
}
