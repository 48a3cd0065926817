/**
 * `bench/scheduler.ts`, section "API submissions/s": a site in its own process (web app only, no
 * grid engine: the submission path is the API, the mRSL parser and the job store; an engine in the
 * same process would add an in-memory index insert per job) on SQLite and, when `initdb` is
 * installed, on a throwaway PostgreSQL; 16 and 64 keep-alive HTTPS connections POST a small mRSL
 * job to `/api/v1/jobs` with a Bearer token. Prints jobs/s and p50/p99 latency.
 *
 * Environment: `BENCH_API_SUBMISSIONS` (measured submissions per run, default 5000; 2 databases ×
 * 2 connection counts stay ≤ 20k), `BENCH_API_SECONDS` (bound per run, default 30).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPostgresBin, startPostgresCluster, type PostgresCluster } from '../test/support/postgres-cluster.js';
import { apiClient, fmt, load, makeBenchSite, processCpu, startSiteProcess, TRIVIAL_JOB, type GoalRow } from './_scheduler-support.js';
import { percentile } from './_web-stats.js';

const SUBMISSIONS = Math.min(20_000, Number(process.env.BENCH_API_SUBMISSIONS ?? 5000));
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 30);
const CONNECTIONS = [16, 64];
const WARMUP = 200;

interface Run {
  readonly ok: number;
  readonly errors: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU seconds of the site process over the measured part. */
  readonly cpu: number;
  readonly firstError?: string;
}

/** `count` submissions (after a warm-up) over `connections` connections, bounded by `SECONDS`. */
async function submitMany(port: number, sitePid: number, caFile: string, token: string, connections: number, count: number): Promise<Run> {
  const client = await apiClient(port, caFile, token, connections);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const once = async (measure: boolean): Promise<void> => {
    const t0 = performance.now();
    try {
      const { status, json } = await client.request('POST', '/api/v1/jobs', { mrsl: TRIVIAL_JOB });
      if (status !== 201) {
        errors += 1;
        firstError ??= `HTTP ${status}: ${JSON.stringify(json).slice(0, 300)}`;
        return;
      }
      if (measure) latencies.push(performance.now() - t0);
    } catch (err) {
      errors += 1;
      firstError ??= String(err);
    }
  };
  const loop = async (n: number, measure: boolean, end: number): Promise<void> => {
    let issued = 0;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (issued < n && performance.now() < end) {
          issued += 1;
          await once(measure);
        }
      }),
    );
  };
  try {
    // Opens every connection (TLS handshakes) and warms both ends up before the measured part.
    await loop(Math.max(WARMUP, connections), false, performance.now() + SECONDS * 1000);
    const before = (await processCpu(sitePid)).self;
    const start = performance.now();
    await loop(count, true, start + SECONDS * 1000);
    const seconds = (performance.now() - start) / 1000;
    const cpu = (await processCpu(sitePid)).self - before;
    latencies.sort((a, b) => a - b);
    return { ok: latencies.length, errors, seconds, cpu, p50: percentile(latencies, 50), p99: percentile(latencies, 99), ...(firstError !== undefined && { firstError }) };
  } finally {
    await client.close();
  }
}

/** The section; returns its rows for the summary (none: the issue sets no aim for submissions). */
export async function apiSubmissionSection(): Promise<GoalRow[]> {
  console.log('');
  console.log(`API submissions: POST /api/v1/jobs (mRSL "::EXECUTE:: true"), Bearer token, HTTPS keep-alive (undici); site in its own process, web app only (no grid engine); ${fmt(SUBMISSIONS, 0)} submissions per run after ${WARMUP} unmeasured, ≤ ${SECONDS} s; load ${load()}`);
  console.log('  database     connections     jobs/s   p50 ms   p99 ms   submitted  errors   site CPU ms/job');
  const work = await mkdtemp(join(tmpdir(), 'mig-bench-sched-api-'));
  let pg: PostgresCluster | undefined;
  const rows: GoalRow[] = [];
  try {
    const databases: { name: string; url?: string }[] = [{ name: 'SQLite' }];
    if (findPostgresBin() !== null) {
      try {
        pg = await startPostgresCluster();
        databases.push({ name: 'PostgreSQL', url: pg.url });
      } catch (err) {
        console.log(`  PostgreSQL: not measured, the throwaway cluster did not start: ${(err as Error).message.split('\n')[0] ?? ''}`);
      }
    } else {
      console.log('  PostgreSQL: not measured (no initdb/pg_ctl on PATH or in /usr/lib/postgresql)');
    }
    for (const db of databases) {
      const dir = join(work, db.name.toLowerCase());
      await mkdir(dir, { recursive: true });
      const made = await makeBenchSite(join(dir, 'site'), db.url === undefined ? {} : { databaseUrl: db.url });
      const site = await startSiteProcess(made.configPath, join(dir, 'site.log'));
      try {
        for (const connections of CONNECTIONS) {
          const r = await submitMany(site.port, site.pid, made.caFile, made.token, connections, SUBMISSIONS);
          const rate = r.ok / r.seconds;
          console.log(`  ${db.name.padEnd(12)} ${String(connections).padStart(11)} ${fmt(rate).padStart(10)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)} ${fmt(r.ok, 0).padStart(11)} ${String(r.errors).padStart(7)}   ${fmt((r.cpu * 1000) / r.ok, 2).padStart(15)}${r.firstError !== undefined ? `  first error: ${r.firstError}` : ''}`);
          rows.push({ goal: `submissions/s, ${db.name}, ${connections} connections (no aim)`, measured: `${fmt(rate, 0)} jobs/s, p99 ${fmt(r.p99)} ms, site CPU ${fmt((r.cpu * 1000) / r.ok, 2)} ms/job`, met: undefined });
        }
      } finally {
        await site.stop();
      }
    }
  } finally {
    await pg?.stop();
    await rm(work, { recursive: true, force: true });
  }
  return rows;
}
