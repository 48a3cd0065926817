/**
 * The HTTP client of `bench/web.ts`, run as its own process so it never shares an event loop with
 * a server. One JSON argument ({@link ClientJob}); prints one JSON line ({@link ClientResult}).
 *
 * - `sequential`: `count` requests one after another on one keep-alive connection (listings);
 * - `load`: `concurrency` keep-alive connections issuing requests until `total` are done or
 *   `seconds` have passed (after `warmup` unmeasured requests).
 *
 * After the warm-up the client prints `warm` and waits for a `go` line on stdin, so the caller can
 * start its measurements (server CPU) exactly with the measured part.
 *
 * The client is undici (the fastest Node HTTP/1.1 client installed), the same for both servers.
 */
import { readFileSync } from 'node:fs';
import { once as onceEvent } from 'node:events';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { percentile } from './_web-stats.js';

/** What the client is asked to do. */
export interface ClientJob {
  readonly mode: 'sequential' | 'load';
  /** e.g. `https://localhost:8443` */
  readonly origin: string;
  /** Path with query, e.g. `/api/v1/files/stat?path=%2Fsmall.txt` */
  readonly path: string;
  readonly method: 'GET' | 'HEAD';
  readonly headers: Readonly<Record<string, string>>;
  /** PEM file of the CA that signed the server certificate. */
  readonly caFile: string;
  /** TLS server name (the certificate's host name). */
  readonly servername: string;
  /** sequential: requests; load: most measured requests. */
  readonly count: number;
  /** load: connections (and requests in flight). */
  readonly concurrency?: number;
  /** load: stop after this many seconds even if `count` is not reached. */
  readonly seconds?: number;
  /** Unmeasured requests first (warms both ends up). */
  readonly warmup?: number;
  /** sequential: parse the first body as JSON and report the number of entries it lists. */
  readonly countEntries?: boolean;
}

/** What the client prints. */
export interface ClientResult {
  /** Measured requests that completed with a 2xx status. */
  readonly ok: number;
  /** Requests that failed or did not answer 2xx. */
  readonly errors: number;
  /** Wall time of the measured part. */
  readonly seconds: number;
  /** Latencies of the measured requests in ms (sorted). */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Every measured latency in ms, sorted (for merging rounds). */
  readonly latencies: number[];
  /** Entries in the first listing (`countEntries`). */
  readonly entries?: number;
  /** The first failure, if any. */
  readonly firstError?: string;
}

function entriesOf(body: string): number {
  const value = JSON.parse(body) as unknown;
  if (Array.isArray(value)) return value.length; // nginx autoindex_format json
  if (typeof value === 'object' && value !== null && Array.isArray((value as { entries?: unknown }).entries)) {
    return (value as { entries: unknown[] }).entries.length;
  }
  return -1;
}

async function run(job: ClientJob): Promise<ClientResult> {
  const ca = readFileSync(job.caFile);
  const concurrency = job.mode === 'sequential' ? 1 : (job.concurrency ?? 64);
  const pool = new Pool(job.origin, {
    connections: concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    connect: { ca, servername: job.servername, rejectUnauthorized: true },
  });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let entries: number | undefined;

  const once = async (measure: boolean, wantBody: boolean): Promise<void> => {
    const t0 = performance.now();
    try {
      const res = await pool.request({ path: job.path, method: job.method, headers: job.headers });
      // Read every byte (body.dump() would drop the connection after 128 KiB).
      let body = '';
      if (wantBody) body = await res.body.text();
      else for await (const chunk of res.body) void chunk;
      const ms = performance.now() - t0;
      if (res.statusCode < 200 || res.statusCode > 299) {
        errors += 1;
        firstError ??= `HTTP ${res.statusCode}: ${body.slice(0, 300)}`;
        return;
      }
      if (wantBody) entries = entriesOf(body);
      if (measure) latencies.push(ms);
    } catch (error) {
      errors += 1;
      firstError ??= String(error);
    }
  };

  const warmup = job.warmup ?? 0;
  const deadline = (): number => performance.now() + (job.seconds ?? 3600) * 1000;
  let start = performance.now();
  const ready = async (): Promise<void> => {
    const lines = createInterface({ input: process.stdin });
    const go = onceEvent(lines, 'line');
    process.stdout.write('warm\n');
    await go;
    lines.close();
    start = performance.now();
  };
  if (job.mode === 'sequential') {
    for (let i = 0; i < warmup; i++) await once(false, job.countEntries === true && i === 0);
    await ready();
    const end = deadline();
    for (let i = 0; i < job.count && performance.now() < end; i++) await once(true, job.countEntries === true && entries === undefined);
  } else {
    // Every connection is opened (TLS handshake) and warmed up before the measured part.
    const loop = async (count: number, measure: boolean, end: number): Promise<void> => {
      let issued = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (issued < count && performance.now() < end) {
            issued += 1;
            await once(measure, false);
          }
        }),
      );
    };
    await loop(Math.max(warmup, concurrency), false, deadline());
    await ready();
    await loop(job.count, true, deadline());
  }
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    ok: latencies.length,
    errors,
    seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    latencies: latencies.map((ms) => Math.round(ms * 1000) / 1000),
    ...(entries !== undefined && { entries }),
    ...(firstError !== undefined && { firstError }),
  };
}

const arg = process.argv[2];
if (arg === undefined) {
  console.error('usage: _web-client.ts <job JSON>');
  process.exit(2);
}
const result = await run(JSON.parse(arg) as ClientJob);
process.stdout.write(`${JSON.stringify(result)}\n`);
