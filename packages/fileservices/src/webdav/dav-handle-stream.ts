/**
 * Reading an already opened view file for GET: small bodies whole (one read, then one socket write
 * together with the headers), large ones as a stream of big positional reads.
 * @packageDocumentation
 */
import { Readable } from 'node:stream';
import type { FileHandleLike } from '@migrid/core';

/** Bodies up to this size are read whole and sent in one write with the headers. */
export const WHOLE_BODY_BYTES = 256 * 1024;

/** Bytes per read when streaming a larger body: big reads keep the event loop and the disk busy less often. */
export const STREAM_CHUNK_BYTES = 1024 * 1024;

/**
 * Reads `length` bytes from `position`; a file that shrank meanwhile gives fewer. The handle stays
 * open (the caller closes it).
 */
export async function readWhole(handle: FileHandleLike, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/**
 * A stream of bytes `start`…`start + length - 1` of an open file, in {@link STREAM_CHUNK_BYTES}
 * reads. It owns the handle: closes it at the end, on error and on `destroy()`. Stops early
 * (without error) if the file shrinks; the client then sees a short body and a cut connection.
 */
export function handleRangeStream(handle: FileHandleLike, start: number, length: number): Readable {
  let position = start;
  let left = length;
  return new Readable({
    // A chunk is queued while the next one is read; more would only hold memory.
    highWaterMark: STREAM_CHUNK_BYTES,
    read(this: Readable) {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const want = Math.min(left, STREAM_CHUNK_BYTES);
      // A fresh buffer per chunk: the socket may still hold the previous one.
      const buf = Buffer.allocUnsafe(want);
      handle.read(buf, 0, want, position).then(
        ({ bytesRead }) => {
          if (bytesRead === 0) {
            left = 0;
            this.push(null);
            return;
          }
          position += bytesRead;
          left -= bytesRead;
          this.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
        },
        (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
      );
    },
    destroy(err, callback) {
      handle.close().then(
        () => callback(err),
        (closeErr: unknown) => callback(err ?? (closeErr instanceof Error ? closeErr : new Error(String(closeErr)))),
      );
    },
  });
}
