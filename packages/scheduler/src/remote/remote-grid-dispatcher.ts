/**
 * The grid engine as a web server in another process sees it: a {@link GridDispatcher} that
 * forwards every call to `grid_script` over its Unix socket ({@link EngineSocketServer}). One
 * connection carries all calls; it is opened on first use and again after the engine restarts.
 * While the engine is down, calls fail with `MIG_E_GRID_UNAVAILABLE` (HTTP 503), and agents retry.
 * @packageDocumentation
 */
import { createConnection, type Socket } from 'node:net';
import {
  jobSpecToJson,
  MigError,
  MIG_ERROR_CODES,
  type FeasibilityReport,
  type GridDispatcher,
  type JobRecord,
  type JobSession,
  type JobSpec,
  type MigErrorCode,
  type ResourceRecord,
  type Site,
  type WorkAnswer,
  type WorkRequest,
} from '@migrid/core';
import { LineSplitter, type EngineRpcMethod, type EngineRpcResponse } from './engine-rpc-messages.js';
import { checkSocketPath } from './engine-socket-server.js';

/** Options of {@link RemoteGridDispatcher}. */
export interface RemoteGridDispatcherOptions {
  /** The site (its files give a job session its view of the owner's home). */
  readonly site: Site;
  /** The engine's socket; normally `site.config.scheduler.socket_file`. */
  readonly socketPath: string;
  /** How long one call may take before it fails (default 30 s). */
  readonly callTimeoutMs?: number;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

function unavailable(path: string, why: string): MigError {
  return new MigError('MIG_E_GRID_UNAVAILABLE', `The grid engine (grid_script) is not reachable on ${path}: ${why}. Start grid_script (mig start runs it) and try again.`);
}

/**
 * Forwards the {@link GridDispatcher} calls to `grid_script` in another process.
 *
 * @example
 * ```ts
 * const grid = new RemoteGridDispatcher({ site, socketPath: site.config.scheduler.socket_file });
 * const server = new WebServer({ site, grid });
 * ```
 */
export class RemoteGridDispatcher implements GridDispatcher {
  private readonly site: Site;
  private readonly socketPath: string;
  private readonly callTimeoutMs: number;
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(options: RemoteGridDispatcherOptions) {
    checkSocketPath(options.socketPath);
    this.site = options.site;
    this.socketPath = options.socketPath;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
  }

  async requestWork(request: WorkRequest): Promise<WorkAnswer> {
    return (await this.call('requestWork', { resourceId: request.resource.id, unit: request.unit, capacity: request.capacity, running: request.running, ...(request.transfers === undefined ? {} : { transfers: request.transfers }) })) as WorkAnswer;
  }

  async heartbeat(request: Omit<WorkRequest, 'capacity'>): Promise<WorkAnswer> {
    return (await this.call('heartbeat', { resourceId: request.resource.id, unit: request.unit, running: request.running })) as WorkAnswer;
  }

  async reportFailure(input: { readonly resource: ResourceRecord; readonly jobId: string; readonly sessionId: string; readonly reason: string }): Promise<JobRecord> {
    const reason = input.reason === '' ? 'no reason given' : input.reason.slice(0, 4096);
    return (await this.call('reportFailure', { resourceId: input.resource.id, jobId: input.jobId, sessionId: input.sessionId, reason })) as JobRecord;
  }

  async openSession(sessionId: string): Promise<JobSession | undefined> {
    const job = (await this.call('openSession', { sessionId })) as JobRecord | null;
    if (job === null) return undefined;
    const view = await this.site.files.viewFor({ kind: 'user', userId: job.ownerId });
    return { job, view };
  }

  async completeSession(sessionId: string): Promise<JobRecord> {
    return (await this.call('completeSession', { sessionId })) as JobRecord;
  }

  async feasibility(spec: JobSpec, ownerId: string): Promise<FeasibilityReport> {
    return (await this.call('feasibility', { spec: jobSpecToJson(spec), ownerId })) as FeasibilityReport;
  }

  jobChanged(job: JobRecord): void {
    // A hint only: the engine also notices changes in the database on its own.
    this.call('jobChanged', { jobId: job.id }).catch((err: unknown) => this.site.logger.debug({ err, jobId: job.id }, 'grid_script not told of a job change'));
  }

  /** Closes the connection; later calls fail. */
  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connect(): Promise<Socket> {
    if (this.socket !== undefined && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.connecting !== undefined) return this.connecting;
    this.connecting = new Promise<Socket>((resolvePromise, reject) => {
      const socket = createConnection(this.socketPath);
      const splitter = new LineSplitter(
        (line) => this.settle(line),
        () => socket.destroy(new Error('the engine sent an oversized answer')),
      );
      socket.once('connect', () => {
        this.socket = socket;
        resolvePromise(socket);
      });
      socket.on('data', (chunk: Buffer) => splitter.push(chunk));
      socket.on('error', (err: NodeJS.ErrnoException) => {
        reject(unavailable(this.socketPath, err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'it does not run' : err.message));
      });
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        this.failAll(unavailable(this.socketPath, 'the connection closed'));
      });
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async call(method: EngineRpcMethod, params: Record<string, unknown>): Promise<unknown> {
    if (this.closed) throw unavailable(this.socketPath, 'this web server is shutting down');
    const socket = await this.connect();
    const id = this.nextId++;
    return new Promise<unknown>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(unavailable(this.socketPath, `no answer to ${method} within ${Math.round(this.callTimeoutMs / 1000)} s`));
      }, this.callTimeoutMs);
      this.pending.set(id, { resolve: resolvePromise, reject, timer });
      socket.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  private settle(line: string): void {
    let answer: EngineRpcResponse;
    try {
      answer = JSON.parse(line) as EngineRpcResponse;
    } catch {
      this.site.logger.warn('grid_script sent a line that is not JSON');
      return;
    }
    const entry = this.pending.get(answer.id);
    if (entry === undefined) return;
    this.pending.delete(answer.id);
    clearTimeout(entry.timer);
    if ('error' in answer) {
      const code: MigErrorCode = answer.error.code in MIG_ERROR_CODES ? answer.error.code : 'MIG_E_INTERNAL';
      entry.reject(new MigError(code, String(answer.error.message), answer.error.details === undefined ? {} : { details: answer.error.details }));
    } else {
      entry.resolve(answer.result);
    }
  }

  private failAll(err: MigError): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(err);
      this.pending.delete(id);
    }
  }
}
