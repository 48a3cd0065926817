/**
 * `head` and `tail` without fetching whole files: `head` stops reading after N lines; `tail`
 * reads backwards from the end with `Range` requests until it has N lines.
 * @packageDocumentation
 */
import type { MigClient } from '../mig-client.js';

const NEWLINE = 0x0a;
/** How much `tail` fetches per request. */
export const TAIL_CHUNK = 64 * 1024;

/** The first `lines` lines of a remote file (or its first `bytes` bytes). */
export async function headOf(client: MigClient, path: string, options: { lines?: number; bytes?: number }): Promise<Buffer> {
  if (options.bytes !== undefined) {
    if (options.bytes <= 0) return Buffer.alloc(0);
    const size = (await client.stat(path)).size;
    if (size === 0) return Buffer.alloc(0);
    return collect(await client.download(path, { start: 0, end: Math.min(options.bytes, size) - 1 }));
  }
  const wanted = options.lines ?? 10;
  if (wanted <= 0) return Buffer.alloc(0);
  const body = await client.download(path);
  const parts: Buffer[] = [];
  let seen = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let at = -1;
      while (seen < wanted && (at = chunk.indexOf(NEWLINE, at + 1)) !== -1) seen += 1;
      if (seen >= wanted) {
        parts.push(chunk.subarray(0, at + 1));
        break;
      }
      parts.push(chunk);
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(parts);
}

/** The last `lines` lines of a remote file (or its last `bytes` bytes). */
export async function tailOf(client: MigClient, path: string, options: { lines?: number; bytes?: number }): Promise<Buffer> {
  const size = (await client.stat(path)).size;
  if (size === 0) return Buffer.alloc(0);
  if (options.bytes !== undefined) {
    if (options.bytes <= 0) return Buffer.alloc(0);
    return collect(await client.download(path, { start: Math.max(0, size - options.bytes), end: size - 1 }));
  }
  const wanted = options.lines ?? 10;
  if (wanted <= 0) return Buffer.alloc(0);
  let start = size;
  let data = Buffer.alloc(0);
  while (start > 0) {
    const from = Math.max(0, start - TAIL_CHUNK);
    const chunk = await collect(await client.download(path, { start: from, end: start - 1 }));
    data = Buffer.concat([chunk, data]);
    start = from;
    // A final newline ends the last line; it does not start another.
    const searchEnd = data[data.length - 1] === NEWLINE && start + data.length === size ? data.length - 1 : data.length;
    let count = 0;
    for (let at = searchEnd - 1; at >= 0; at -= 1) {
      if (data[at] === NEWLINE) {
        count += 1;
        if (count === wanted) return data.subarray(at + 1);
      }
    }
  }
  return data;
}

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk);
  return Buffer.concat(parts);
}
