/**
 * Where our WebDAVS server spends its time, per case of `bench/fileservices.ts`: the server runs
 * in this process, the client (curl, as in the benchmark) in its own, and the V8 sampling profiler
 * runs around each case only. Prints the top functions and places by self time and writes each
 * `.cpuprofile` to `PROFILE_DIR` (default: a temp folder) for Chrome DevTools.
 *
 * `node --conditions=@migrid/source --import tsx bench/_webdavs-profile.ts`
 * (`BENCH_BIG_MIB`, default 256, and `BENCH_SMALL_FILES`, default 1000, size the cases; `PROFILE=0`
 * measures the process's CPU time only, without the profiler's own cost; `CASES` picks cases, e.g.
 * `CASES='small up,small down'`; `small down` reads what `small up` wrote).
 *
 * `EXPERIMENT` (comma-separated) measures what-ifs for the core's file layer in THIS process only,
 * by patching node's fs in memory (never do this in a server):
 * - `nofsync`: file handles' `sync`/`datasync` return at once (uploads are not flushed to disk);
 * - `synclstat`: `lstat`/`readlink` of `node:fs/promises` run synchronously (no thread-pool trip).
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, readlinkSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { WebdavServer } from '@migrid/fileservices';
import { createTestUser, openTestSite } from '../test/support/test-site.js';
import { timedCurl, timedSmall, writeRandom, type Endpoint } from './_fileservices-webdavs.js';
import { summariseProfile } from './_web-profile.js';

const experiments = new Set((process.env.EXPERIMENT ?? '').split(',').filter((x) => x.length > 0));
if (experiments.has('nofsync')) {
  const probe = await fsp.open(process.execPath, 'r');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void>; datasync: () => Promise<void> };
  await probe.close();
  proto.sync = () => Promise.resolve();
  proto.datasync = () => Promise.resolve();
}
if (experiments.has('synclstat')) {
  const mutable = fsp as unknown as Record<string, unknown>;
  mutable.lstat = (path: string, options?: { bigint?: false }) => Promise.resolve(lstatSync(path, options));
  mutable.readlink = (path: string) => Promise.resolve(readlinkSync(path));
  syncBuiltinESMExports();
}
if (experiments.size > 0) console.log(`experiments: ${[...experiments].join(', ')}`);

const cases = new Set((process.env.CASES ?? 'big up,big down,small up,small down').split(',').map((c) => c.trim()));
const bigBytes = Number(process.env.BENCH_BIG_MIB ?? 256) * 1024 * 1024;
const smallFiles = Number(process.env.BENCH_SMALL_FILES ?? 1000);
const work = await mkdtemp(join(tmpdir(), 'mig-webdavs-profile-'));
const outDir = process.env.PROFILE_DIR ?? join(work, 'profiles');
await mkdir(outDir, { recursive: true });

const t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
const server = await WebdavServer.fromSite(t.site);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });

/** Runs `fn` under the profiler; prints its summary. */
async function profiled(name: string, fn: () => Promise<string>): Promise<void> {
  const profiling = process.env.PROFILE !== '0';
  if (profiling) await session.post('Profiler.start');
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await fn();
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  const cpuLine = `server process CPU ${((used.user + used.system) / 1000).toFixed(0)} ms (user ${(used.user / 1000).toFixed(0)}, system ${(used.system / 1000).toFixed(0)}) in ${wallMs.toFixed(0)} ms wall`;
  if (!profiling) {
    console.log(`\n== ${name}: ${result}; ${cpuLine}`);
    return;
  }
  const { profile } = await session.post('Profiler.stop');
  const file = join(outDir, `${name.replace(/\s+/g, '-')}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  const s = await summariseProfile(file, 18);
  console.log(`\n== ${name}: ${result}; busy ${s.busyMs.toFixed(0)} of ${s.totalMs.toFixed(0)} ms (${((100 * s.busyMs) / s.totalMs).toFixed(0)}% of the main thread); ${cpuLine}`);
  console.log('  self time by place:');
  for (const l of s.places) console.log(`    ${(100 * l.share).toFixed(1).padStart(5)}%  ${l.name}`);
  console.log('  self time by function:');
  for (const l of s.functions) console.log(`    ${(100 * l.share).toFixed(1).padStart(5)}%  ${l.name}`);
}

try {
  const { port } = await server.listen(0, '127.0.0.1');
  const { user, password } = await createTestUser(t.site);
  const e: Endpoint = { base: `https://localhost:${port}`, port, user: user.email, password, ca: t.caCertPath };
  const big = join(work, 'big.bin');
  if (cases.has('big up') || cases.has('big down')) await writeRandom(big, bigBytes);
  const small = join(work, 'small.bin');
  await writeFile(small, randomBytes(4096));
  const mb = bigBytes / 1e6;
  if (cases.has('big up')) await profiled('big up', async () => `${(mb / (await timedCurl(e, ['-T', big, `${e.base}/big.bin`]))).toFixed(0)} MB/s`);
  if (cases.has('big down')) await profiled('big down', async () => `${(mb / (await timedCurl(e, ['-o', '/dev/null', `${e.base}/big.bin`]))).toFixed(0)} MB/s`);
  await timedCurl(e, ['-X', 'MKCOL', `${e.base}/small/`]);
  if (cases.has('small up')) await profiled('small up', async () => `${(await timedSmall(e, 'PUT', smallFiles, small, 'small', work)).toFixed(0)} files/s`);
  if (cases.has('small down')) await profiled('small down', async () => `${(await timedSmall(e, 'GET', smallFiles, small, 'small', work)).toFixed(0)} files/s`);
  console.log(`\nprofiles: ${outDir}`);
} finally {
  session.disconnect();
  await server.close();
  await t.close();
  if (process.env.PROFILE_DIR === undefined) console.log('(temp profiles removed; set PROFILE_DIR to keep them)');
  await rm(work, { recursive: true, force: true });
}
