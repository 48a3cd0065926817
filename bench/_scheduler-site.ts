/**
 * The site as its own process for `bench/scheduler.ts`: the web app over HTTPS and, when asked,
 * the grid engine in the same process (as `mig start` runs them), so the bench's clients and the
 * resource agent never share its event loop.
 *
 * `node --conditions=@migrid/source --import tsx bench/_scheduler-site.ts <mig.toml>` opens the
 * site, serves `WebServer` on 127.0.0.1, a free port, with the site's host certificate, prints one
 * JSON line `{"port":N}` on stdout, and on SIGTERM closes and exits 0.
 *
 * Environment:
 * - `BENCH_SCHEDULER_ENGINE=1`: run a `GridEngine` (job scripts reach `https://localhost:<port>`);
 *   `BENCH_SCHEDULER_SWEEP_MS` (default 500) and `BENCH_SCHEDULER_IDLE_RETRY` (seconds an idle
 *   unit waits before asking again, default 0.2, the agent's floor) tune it;
 * - `BENCH_SCHEDULER_LOG_LEVEL` (default `warn`: no per-request lines);
 * - `BENCH_SCHEDULER_CPU_PROFILE=<file>`: a V8 CPU profile of the serving, written on SIGTERM.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { pino } from 'pino';
import { loadConfig, openSite } from '@migrid/core';
import { GridEngine } from '@migrid/scheduler';
import { WebServer } from '@migrid/web';

const configPath = process.argv[2];
if (configPath === undefined) {
  console.error('usage: _scheduler-site.ts <mig.toml>');
  process.exit(2);
}
const level = process.env.BENCH_SCHEDULER_LOG_LEVEL ?? 'warn';
// Logs go to stderr (a file in the bench's temp folder), stdout carries the port line only.
const site = await openSite(await loadConfig(configPath), { service: 'bench-scheduler', logger: pino({ level }, pino.destination(2)) });
let port = 0;
const engine =
  process.env.BENCH_SCHEDULER_ENGINE === '1'
    ? new GridEngine({
        site,
        siteUrl: () => `https://localhost:${port}`,
        sweepIntervalMs: Number(process.env.BENCH_SCHEDULER_SWEEP_MS ?? 500),
        idleRetrySeconds: Number(process.env.BENCH_SCHEDULER_IDLE_RETRY ?? 0.2),
      })
    : undefined;
await engine?.start();
const server = new WebServer({ site, ...(engine === undefined ? {} : { grid: engine }) });
port = (await server.listen(0, '127.0.0.1')).port;

const profileFile = process.env.BENCH_SCHEDULER_CPU_PROFILE;
const inspector = profileFile === undefined ? undefined : new Session();
if (inspector !== undefined) {
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.setSamplingInterval', { interval: 500 });
  await inspector.post('Profiler.start');
}
process.stdout.write(`${JSON.stringify({ port })}\n`);

let closing = false;
const stop = async (): Promise<void> => {
  if (closing) return;
  closing = true;
  const forced = setTimeout(() => process.exit(1), 10_000);
  forced.unref();
  try {
    if (inspector !== undefined && profileFile !== undefined) {
      const { profile } = await inspector.post('Profiler.stop');
      await writeFile(profileFile, JSON.stringify(profile));
      inspector.disconnect();
    }
    await server.close();
    await engine?.stop();
    await site.close();
  } finally {
    process.exit(0);
  }
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
