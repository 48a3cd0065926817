/**
 * `grid_script`'s door for web servers in other processes: serves a {@link GridDispatcher} (the
 * grid engine) on a Unix socket, so `grid_web` can run as its own process — or several of them —
 * while one engine makes every scheduling decision. The socket is made readable and writable by
 * its owner only (the site's service account), and a second engine for the same socket is refused,
 * so two engines never hand out work side by side.
 * @packageDocumentation
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { InvalidInputError, isMigError, jobSpecFromJson, MigError, type GridDispatcher, type Site, type UnitCapacity } from '@migrid/core';
import {
  ENGINE_RPC_METHODS,
  LineSplitter,
  MAX_SOCKET_PATH_BYTES,
  type EngineRpcMethod,
  type EngineRpcRequest,
  type EngineRpcResponse,
} from './engine-rpc-messages.js';

/** Options of {@link EngineSocketServer}. */
export interface EngineSocketServerOptions {
  /** The site whose resources and jobs the calls name. */
  readonly site: Site;
  /** The engine to serve (normally the {@link GridEngine} of this process). */
  readonly engine: GridDispatcher;
  /** The socket's path; normally `site.config.scheduler.socket_file`. */
  readonly socketPath: string;
}

/** Whether something answers on the Unix socket at `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolvePromise(true);
    });
    probe.once('error', () => resolvePromise(false));
  });
}

/** Checks the socket path's length, which the kernel limits. */
export function checkSocketPath(path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new InvalidInputError(
      `The grid_script socket path ${path} is ${Buffer.byteLength(path)} bytes; Unix sockets allow ${MAX_SOCKET_PATH_BYTES}. Set a shorter [scheduler] socket_file.`,
      { details: { field: 'scheduler.socket_file' } },
    );
  }
}

function text(params: Readonly<Record<string, unknown>>, name: string, max = 256): string {
  const value = params[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new InvalidInputError(`The call's ${name} must be a non-empty string of at most ${max} characters.`, { details: { field: name } });
  }
  return value;
}

function names(params: Readonly<Record<string, unknown>>, name: string): string[] {
  const value = params[name];
  if (!Array.isArray(value) || value.length > 10_000 || !value.every((v) => typeof v === 'string' && v.length <= 256)) {
    throw new InvalidInputError(`The call's ${name} must be a list of at most 10,000 short strings.`, { details: { field: name } });
  }
  return value as string[];
}

function capacity(params: Readonly<Record<string, unknown>>): UnitCapacity {
  const raw = params.capacity;
  if (typeof raw !== 'object' || raw === null) throw new InvalidInputError('The call\'s capacity must be an object.', { details: { field: 'capacity' } });
  const c = raw as Record<string, unknown>;
  const num = (k: string): number => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidInputError(`The call's capacity.${k} must be a number ≥ 0.`, { details: { field: `capacity.${k}` } });
    return v;
  };
  return { cpuTimeSeconds: num('cpuTimeSeconds'), nodeCount: num('nodeCount'), cpuCount: num('cpuCount'), memoryMb: num('memoryMb'), diskGb: num('diskGb') };
}

/**
 * Serves an engine on a Unix socket.
 *
 * @example
 * ```ts
 * const engine = new GridEngine({ site, siteUrl });
 * await engine.start();
 * const door = new EngineSocketServer({ site, engine, socketPath: site.config.scheduler.socket_file });
 * await door.listen();
 * // … grid_web in another process uses a RemoteGridDispatcher on the same path
 * await door.close();
 * ```
 */
export class EngineSocketServer {
  private readonly site: Site;
  private readonly engine: GridDispatcher;
  private readonly socketPath: string;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(options: EngineSocketServerOptions) {
    this.site = options.site;
    this.engine = options.engine;
    this.socketPath = options.socketPath;
  }

  /**
   * Starts serving. A stale socket left by a crashed engine is replaced; a live one means another
   * engine serves this site, and listening fails with `MIG_E_ENGINE_RUNNING`.
   */
  async listen(): Promise<void> {
    checkSocketPath(this.socketPath);
    const existing = await lstat(this.socketPath).catch(() => undefined);
    if (existing !== undefined) {
      if (!existing.isSocket()) {
        throw new InvalidInputError(`${this.socketPath} exists and is not a socket; move it away or set another [scheduler] socket_file.`, { details: { field: 'scheduler.socket_file' } });
      }
      if (await socketAnswers(this.socketPath)) {
        throw new MigError('MIG_E_ENGINE_RUNNING', `A grid engine already serves this site on ${this.socketPath}; stop it first (only one grid_script may run per site).`);
      }
      await unlink(this.socketPath);
    }
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      // Created with no access for group and others, then made explicit.
      const umask = process.umask(0o177);
      try {
        server.listen(this.socketPath, () => {
          server.off('error', reject);
          resolvePromise();
        });
      } finally {
        process.umask(umask);
      }
    });
    await chmod(this.socketPath, 0o600);
    this.server = server;
  }

  /** Stops serving, drops open connections and removes the socket file. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    await unlink(this.socketPath).catch(() => undefined);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const send = (answer: EngineRpcResponse): void => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(answer)}\n`);
    };
    const splitter = new LineSplitter(
      (line) => void this.answer(line).then(send),
      () => {
        this.site.logger.warn('grid_script socket: a client sent an oversized line; connection closed');
        socket.destroy();
      },
    );
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
  }

  /** Runs one call and shapes its answer; never throws. */
  private async answer(line: string): Promise<EngineRpcResponse> {
    let id = -1;
    try {
      const request = JSON.parse(line) as Partial<EngineRpcRequest>;
      if (typeof request !== 'object' || request === null || !Number.isSafeInteger(request.id)) {
        throw new InvalidInputError('A call must be a JSON object with an integer id.');
      }
      id = request.id as number;
      const method = request.method;
      if (typeof method !== 'string' || !(ENGINE_RPC_METHODS as readonly string[]).includes(method)) {
        throw new InvalidInputError(`Unknown call ${JSON.stringify(String(method).slice(0, 64))}; known: ${ENGINE_RPC_METHODS.join(', ')}.`);
      }
      const params = typeof request.params === 'object' && request.params !== null ? request.params : {};
      return { id, result: await this.call(method as EngineRpcMethod, params) };
    } catch (err) {
      if (isMigError(err)) return { id, error: err.details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details: err.details } };
      if (err instanceof SyntaxError) return { id, error: { code: 'MIG_E_INVALID_INPUT', message: 'A call must be one line of JSON.' } };
      this.site.logger.error({ err }, 'grid_script socket call failed');
      return { id, error: { code: 'MIG_E_INTERNAL', message: 'The grid engine failed on this call; see its log.' } };
    }
  }

  private async call(method: EngineRpcMethod, params: Readonly<Record<string, unknown>>): Promise<unknown> {
    switch (method) {
      case 'requestWork': {
        const resource = await this.site.resources.get(text(params, 'resourceId'));
        const transfers = params.transfers === 'agent' ? { transfers: 'agent' as const } : {};
        return this.engine.requestWork({ resource, unit: text(params, 'unit'), capacity: capacity(params), running: names(params, 'running'), ...transfers });
      }
      case 'heartbeat': {
        const resource = await this.site.resources.get(text(params, 'resourceId'));
        return this.engine.heartbeat({ resource, unit: text(params, 'unit'), running: names(params, 'running') });
      }
      case 'reportFailure': {
        const resource = await this.site.resources.get(text(params, 'resourceId'));
        return this.engine.reportFailure({ resource, jobId: text(params, 'jobId'), sessionId: text(params, 'sessionId'), reason: text(params, 'reason', 4096) });
      }
      case 'openSession': {
        const session = await this.engine.openSession(text(params, 'sessionId'));
        return session === undefined ? null : session.job;
      }
      case 'completeSession':
        return this.engine.completeSession(text(params, 'sessionId'));
      case 'feasibility': {
        if (this.engine.feasibility === undefined) throw new MigError('MIG_E_GRID_UNAVAILABLE', 'This grid engine does not answer feasibility questions.');
        return this.engine.feasibility(jobSpecFromJson(params.spec), text(params, 'ownerId'));
      }
      case 'jobChanged': {
        // The engine trusts the database, not the caller: it re-reads the job.
        const job = await this.site.jobs.get(text(params, 'jobId'));
        this.engine.jobChanged(job);
        return null;
      }
    }
  }
}
