/**
 * The wire format between `grid_script` and web servers in other processes: one JSON object per
 * line over a Unix socket (MiG's `grid_script` reads commands from a named pipe; this is its
 * two-way, multiplexed successor). Requests carry an `id` the answer repeats, so many calls share
 * one connection.
 * @packageDocumentation
 */
import type { MigErrorCode } from '@migrid/core';

/** The calls `grid_script` answers: the {@link GridDispatcher} methods, with resources by id. */
export const ENGINE_RPC_METHODS = ['requestWork', 'heartbeat', 'reportFailure', 'openSession', 'completeSession', 'jobChanged', 'feasibility'] as const;

/** One of {@link ENGINE_RPC_METHODS}. */
export type EngineRpcMethod = (typeof ENGINE_RPC_METHODS)[number];

/** A call, as sent by the client. */
export interface EngineRpcRequest {
  readonly id: number;
  readonly method: EngineRpcMethod;
  readonly params: Readonly<Record<string, unknown>>;
}

/** The answer to one call: a result or the error the engine threw. */
export type EngineRpcResponse =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: { readonly code: MigErrorCode; readonly message: string; readonly details?: Readonly<Record<string, unknown>> } };

/** The longest line either side accepts (a job script travels in one answer). */
export const MAX_RPC_LINE_BYTES = 32 * 1024 * 1024;

/** Longest socket path Linux accepts (`sun_path` is 108 bytes with its terminating NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Splits a byte stream into lines, refusing any line longer than {@link MAX_RPC_LINE_BYTES}.
 * Feed it chunks; it calls `onLine` for each complete line and `onTooLong` once if a line overflows.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private length = 0;
  private failed = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: () => void,
    private readonly maxBytes: number = MAX_RPC_LINE_BYTES,
  ) {}

  /** Takes the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (this.failed) return;
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      if (this.length + piece.length > this.maxBytes) return this.fail();
      const line = this.parts.length === 0 ? piece.toString('utf8') : Buffer.concat([...this.parts, piece]).toString('utf8');
      this.parts = [];
      this.length = 0;
      start = nl + 1;
      this.onLine(line);
      if (this.failed) return;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) return;
    if (this.length + rest.length > this.maxBytes) return this.fail();
    this.parts.push(Buffer.from(rest));
    this.length += rest.length;
  }

  private fail(): void {
    this.failed = true;
    this.parts = [];
    this.length = 0;
    this.onTooLong();
  }
}
