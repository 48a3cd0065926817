/**
 * The resource agent (`mig-resource run`): runs on a resource's front-end as an unprivileged user
 * with only outbound HTTPS. Each execution unit asks the site for work, runs the job script it
 * gets through the executor (`local` or `slurm`), sends the job's output while it runs (live
 * output), stops jobs the site cancels, and reports jobs that ended without their `.status`
 * upload so the site can requeue them. See `docs/resource-protocol.md`.
 * @packageDocumentation
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { InvalidInputError } from '@migrid/core';
import type { Executor, ExecutorOutcome, RunningJob } from '../executors/executor.js';

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
}

interface AgentAnswer {
  job: { id: string; name: string; sessionId: string; script: string; limits: { cpuTimeSeconds: number; wallTimeSeconds: number; memoryMb: number; cpus: number; nodes: number } } | null;
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
  private readonly running = new Map<string, { unit: string; job: RunningJob; sessionId: string; dir: string }>();
  private readonly wakeups = new Set<() => void>();
  /** Units sleeping because the site had no work for them. */
  private readonly idleUnits = new Set<() => void>();
  /**
   * Keep-alive connections to the site, so a unit asking for work, its heartbeats and reports do
   * not pay a TLS handshake each (idle connections close after 30 s, before the site's 65 s).
   */
  private connections: HttpsAgent | HttpAgent | undefined;

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
  }

  /** Jobs running now, by id. */
  get runningJobs(): string[] {
    return [...this.running.keys()];
  }

  /** Starts a loop per unit. */
  async start(): Promise<void> {
    if (this.options.caFile !== undefined) this.ca = await readFile(this.options.caFile);
    const keepAlive = { keepAlive: true, timeout: 30_000 };
    this.connections = this.base.protocol === 'https:' ? new HttpsAgent({ ...keepAlive, ...(this.ca === undefined ? {} : { ca: this.ca }) }) : new HttpAgent(keepAlive);
    await mkdir(this.options.workDir, { recursive: true, mode: 0o700 });
    for (const unit of this.options.units) this.loops.push(this.unitLoop(unit));
  }

  /** Stops asking for work; cancels running jobs when `cancelRunning` (default: let them be reported as lost). */
  async stop(options: { cancelRunning?: boolean } = {}): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakeups) wake();
    if (options.cancelRunning === true) for (const r of this.running.values()) await r.job.cancel('the agent stops').catch(() => undefined);
    await Promise.allSettled(this.loops);
    this.connections?.destroy();
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

  /** One HTTP(S) request to the site; JSON or raw body. */
  private call(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          headers: {
            ...(Buffer.isBuffer(body) ? { 'content-type': 'application/octet-stream' } : body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(payload === undefined ? {} : { 'content-length': String(payload.length) }),
            ...headers,
          },
          ...(this.ca === undefined ? {} : { ca: this.ca }),
          ...(this.connections === undefined ? {} : { agent: this.connections }),
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`the site did not answer ${method} ${url.pathname} in 60 s`)));
      req.on('error', reject);
      req.end(payload);
    });
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
        await r.job.cancel('cancelled by the site').catch(() => undefined);
      }
    }
  }

  private async unitLoop(unit: AgentUnit): Promise<void> {
    let backoff = 1;
    while (!this.stopping) {
      let answer: AgentAnswer;
      try {
        answer = await this.agentCall('/api/v1/agent/work', { unit: unit.name, capacity: unit.capacity, running: this.runningOn(unit.name) });
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

  private async runJob(unit: AgentUnit, job: NonNullable<AgentAnswer['job']>): Promise<void> {
    const dir = join(this.options.workDir, job.id);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const script = join(dir, 'job.sh');
    await writeFile(script, job.script, { mode: 0o700 });
    this.log(`unit ${unit.name}: running job ${job.id}`);
    let running: RunningJob;
    try {
      running = await this.options.executor.start({
        jobId: job.id,
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
    this.running.set(job.id, { unit: unit.name, job: running, sessionId: job.sessionId, dir });
    const done = running.wait();
    let finished = false;
    // Only this job's heartbeat wait ends early when it finishes (not other jobs' heartbeats).
    const heartbeatWait = new Set<() => void>();
    void done.finally(() => {
      finished = true;
      for (const wake of heartbeatWait) wake();
    });
    const sizes = new Map<string, number>();
    while (!finished) {
      await this.sleep(this.options.heartbeatMs ?? 5000, heartbeatWait);
      if (finished) break;
      await this.sendLiveOutput(job, dir, sizes);
      try {
        const answer = await this.agentCall('/api/v1/agent/heartbeat', { unit: unit.name, running: this.runningOn(unit.name) });
        await this.applyCancels(answer.cancel);
      } catch (err) {
        this.log(`unit ${unit.name}: heartbeat failed: ${(err as Error).message}`);
      }
      if (this.stopping) break;
    }
    const outcome: ExecutorOutcome = await done;
    this.running.delete(job.id);
    if (!(outcome.kind === 'exited' && outcome.exitCode === 0)) {
      await this.reportFailure(job, `${outcome.kind}${outcome.exitCode === null ? '' : ` with exit code ${outcome.exitCode}`}: ${outcome.message}`);
    }
    this.log(`unit ${unit.name}: job ${job.id} ended (${outcome.kind}${outcome.exitCode === null ? '' : ` ${outcome.exitCode}`})`);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
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
      await this.agentCall(`/api/v1/agent/jobs/${encodeURIComponent(job.id)}/failed`, { sessionId: job.sessionId, reason: reason.slice(0, 1000) });
    } catch (err) {
      // The site may have moved the job on already (cancelled, requeued); nothing to do then.
      this.log(`job ${job.id}: reporting the failure did not work: ${(err as Error).message}`);
    }
  }
}
