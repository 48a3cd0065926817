/**
 * Our web server as its own process for `bench/web.ts`, so the bench's clients never share its
 * event loop (and can be profiled alone).
 *
 * `node --conditions=@migrid/source --import tsx bench/_web-server.ts <mig.toml>` opens the site,
 * serves `WebServer` on 127.0.0.1, a free port, with the site's host certificate, prints one JSON
 * line `{"port":N}` on stdout, and on SIGTERM closes and exits 0 (which writes a CPU profile
 * when asked, see below). `BENCH_WEB_LOG_LEVEL` sets the log level (default `warn`:
 * no per-request lines, as the nginx peer runs with `access_log off`). `BENCH_WEB_CPU_PROFILE=<file>`
 * writes a V8 CPU profile of the time after listening.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { pino } from 'pino';
import { loadConfig, openSite } from '@migrid/core';
import { WebServer } from '@migrid/web';

const configPath = process.argv[2];
if (configPath === undefined) {
  console.error('usage: _web-server.ts <mig.toml>');
  process.exit(2);
}
const level = process.env.BENCH_WEB_LOG_LEVEL ?? 'warn';
// Logs go to stderr (a file in the bench's temp folder), stdout carries the port line only.
const site = await openSite(await loadConfig(configPath), { service: 'bench-web', logger: pino({ level }, pino.destination(2)) });
const server = new WebServer({ site });
const { port } = await server.listen(0, '127.0.0.1');

// BENCH_WEB_CPU_PROFILE=<file>: a V8 CPU profile of the serving only (not of start-up), written on SIGTERM.
const profileFile = process.env.BENCH_WEB_CPU_PROFILE;
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
    await site.close();
  } finally {
    process.exit(0);
  }
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
