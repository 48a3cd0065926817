/**
 * A file's bytes (or one range of them) as a response body, read from a `FileView` handle into a
 * small shared pool of reused buffers instead of a fresh allocation per read.
 *
 * Why: TLS encryption in Node is cheapest with writes of 64–256 KiB, and a stream that allocates a
 * new buffer for every read (node's `createReadStream`) spends as much CPU again in allocation and
 * page faults as the encryption itself. Here each 1 MiB chunk is read into a pooled buffer and
 * written in 256 KiB slices, the last with a callback; a buffer goes
 * back to the pool only when that callback has fired (the writable no longer holds it), and the
 * next chunk is read from disk while the current one is being written.
 * @packageDocumentation
 */
import { Readable, type Writable } from 'node:stream';
import type { FileHandleLike } from '@migrid/core';

/** Bytes per read: page-cache copies are cheapest in big reads. */
const CHUNK = 1024 * 1024;
/** Bytes per write: TLS encrypts 256 KiB writes at the least CPU per byte. */
const SLICE = 256 * 1024;
/** Free buffers kept for reuse across responses (at most 16 MiB held idle). */
const POOL_MAX = 16;
const pool: Buffer[] = [];

function takeBuffer(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
}

function giveBack(buffer: Buffer): void {
  if (pool.length < POOL_MAX) pool.push(buffer);
}

/** Resolves when `dest` drains, or (false) when it closes or fails first. */
function drained(dest: Writable): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      dest.off('drain', onDrain);
      dest.off('close', onEnd);
      dest.off('error', onEnd);
      resolve(ok);
    };
    const onDrain = done(true);
    const onEnd = done(false);
    dest.on('drain', onDrain);
    dest.on('close', onEnd);
    dest.on('error', onEnd);
  });
}

function shrunk(): Error {
  return Object.assign(new Error('The file became shorter while it was being sent.'), { code: 'MIG_E_FILE_CHANGED' });
}

/**
 * A readable of bytes `start`…`end` (inclusive) of an open file; closes the handle when it ends or
 * is destroyed. Piped into a writable (as Fastify does with a stream body) it writes pooled buffers
 * itself with backpressure; read any other way it behaves like a plain readable with fresh buffers.
 */
export class FileSendStream extends Readable {
  private readonly handle: FileHandleLike;
  private position: number;
  /** One past the last byte to send. */
  private readonly stop: number;
  private pumping = false;

  constructor(handle: FileHandleLike, start: number, end: number) {
    super({ highWaterMark: CHUNK });
    this.handle = handle;
    this.position = start;
    this.stop = end + 1;
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // Only the first consumer, before any byte was read, takes the pooled path.
    if (this.pumping || this.readableFlowing !== null || this.readableLength > 0) {
      return super.pipe(destination, options);
    }
    this.pumping = true;
    void this.pump(destination as unknown as Writable, options?.end !== false);
    return destination;
  }

  private async pump(dest: Writable, endDest: boolean): Promise<void> {
    try {
      let pending = this.position < this.stop ? this.readNext() : undefined;
      while (pending !== undefined) {
        const chunk = await pending;
        if (this.destroyed || dest.destroyed) return;
        pending = this.position < this.stop ? this.readNext() : undefined;
        const { view } = chunk;
        let ok = true;
        for (let at = 0; at < view.length; at += SLICE) {
          const last = at + SLICE >= view.length;
          // Callbacks run in order: after the last slice's, the writable holds none of the buffer.
          ok = dest.write(view.subarray(at, at + SLICE), last ? (err) => (err === null || err === undefined) && giveBack(chunk.buffer) : undefined);
        }
        if (!ok && !(await drained(dest))) {
          // The peer went away: stop reading; the buffer being read into is simply dropped.
          if (pending !== undefined) await pending.catch(() => undefined);
          return;
        }
      }
      if (endDest) dest.end();
      // No data was pushed: ending and flowing lets 'end' (and auto-destroy, closing the handle) happen.
      this.push(null);
      this.resume();
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  /** Reads the next chunk at the current position into a pooled buffer; advances the position. */
  private readNext(): Promise<{ buffer: Buffer; view: Buffer }> {
    const read = this.readAt();
    // Awaited later (or dropped when the peer left): never an unhandled rejection meanwhile.
    read.catch(() => undefined);
    return read;
  }

  private async readAt(): Promise<{ buffer: Buffer; view: Buffer }> {
    const buffer = takeBuffer();
    const length = Math.min(CHUNK, this.stop - this.position);
    const at = this.position;
    this.position += length;
    const { bytesRead } = await this.handle.read(buffer, 0, length, at);
    if (bytesRead < length) {
      // A short read only happens at the end of a file that shrank: the promised length cannot be sent.
      if (bytesRead === 0) throw shrunk();
      this.position = at + bytesRead;
    }
    return { buffer, view: bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead) };
  }

  override _read(): void {
    if (this.pumping) return;
    if (this.position >= this.stop) {
      this.push(null);
      return;
    }
    const length = Math.min(CHUNK, this.stop - this.position);
    const buffer = Buffer.allocUnsafe(length);
    const at = this.position;
    this.position += length;
    this.handle.read(buffer, 0, length, at).then(
      ({ bytesRead }) => {
        if (bytesRead === 0) this.destroy(shrunk());
        else {
          if (bytesRead < length) this.position = at + bytesRead;
          this.push(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
        }
      },
      (err: unknown) => this.destroy(err as Error),
    );
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.handle.close().then(
      () => callback(err),
      (closeErr: unknown) => callback(err ?? (closeErr as Error)),
    );
  }
}
