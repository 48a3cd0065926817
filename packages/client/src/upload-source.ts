/**
 * Where the bytes of an upload come from: a local file (any range can be read again, so a chunk
 * can be resent from any offset) or a stream (read once; the current chunk is kept in memory so
 * it can be resent after an error).
 * @packageDocumentation
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { MigClientError } from './errors.js';

/** Bytes `[start, end)` of an upload, ready to send. */
export interface ChunkSource {
  /** The total size, when known. */
  readonly size: number | undefined;
  /** A fresh body for bytes `[start, end)`. */
  range(start: number, end: number): Promise<AsyncIterable<Uint8Array>>;
  /** The whole content as one body (for a simple upload). */
  whole(): AsyncIterable<Uint8Array>;
}

/** A local file as a chunk source. */
export async function fileChunkSource(file: string): Promise<ChunkSource> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new MigClientError('MIG_E_LOCAL_IO', `${file} is not a regular file.`);
    size = info.size;
  } catch (err) {
    if (err instanceof MigClientError) throw err;
    throw new MigClientError('MIG_E_LOCAL_IO', `Cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const open = (options: { start?: number; end?: number }): Readable =>
    createReadStream(file, { ...options, highWaterMark: 1024 * 1024 });
  return {
    size,
    range: (start, end) => Promise.resolve(end > start ? open({ start, end: end - 1 }) : emptyBody()),
    whole: () => open({}),
  };
}

async function* emptyBody(): AsyncIterable<Uint8Array> {
  // nothing to send
}

async function* fromBuffer(buffer: Buffer): AsyncIterable<Uint8Array> {
  const step = 1024 * 1024;
  for (let at = 0; at < buffer.length; at += step) yield buffer.subarray(at, Math.min(at + step, buffer.length));
}

/**
 * A stream as a chunk source. Ranges must move forward: a range may start anywhere inside the
 * chunk read last (a resend) or at its end (the next chunk).
 */
export function streamChunkSource(stream: Readable, size: number | undefined): ChunkSource {
  const iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let leftover: Buffer = Buffer.alloc(0);
  let ended = false;
  let bufferStart = 0;
  let buffer: Buffer = Buffer.alloc(0);

  async function take(count: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    if (leftover.length > 0) {
      const part = leftover.subarray(0, count);
      leftover = leftover.subarray(part.length);
      parts.push(part);
      have += part.length;
    }
    while (have < count && !ended) {
      const next = await iterator.next();
      if (next.done === true) {
        ended = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      const need = count - have;
      parts.push(chunk.subarray(0, need));
      have += Math.min(need, chunk.length);
      if (chunk.length > need) leftover = chunk.subarray(need);
    }
    return Buffer.concat(parts, have);
  }

  return {
    size,
    async range(start, end) {
      const bufferEnd = bufferStart + buffer.length;
      if (start < bufferStart || start > bufferEnd) {
        throw new MigClientError('MIG_E_TRANSFER', `Cannot resend bytes from ${start} of a stream (only ${bufferStart}–${bufferEnd} are kept); upload from a file to resume.`);
      }
      if (end > bufferEnd) {
        const keep = buffer.subarray(start - bufferStart);
        const more = await take(end - bufferEnd);
        if (more.length < end - bufferEnd) {
          throw new MigClientError('MIG_E_TRANSFER', `The stream ended after ${bufferEnd + more.length} bytes, before the announced ${size ?? end} bytes.`);
        }
        buffer = Buffer.concat([keep, more]);
        bufferStart = start;
      }
      return fromBuffer(buffer.subarray(start - bufferStart, end - bufferStart));
    },
    whole: () => stream as AsyncIterable<Uint8Array>,
  };
}
