/**
 * `npm run bench -- web`: the files API of our web server against nginx serving the same folder
 * with the same certificate, measured in one run with the same clients.
 *
 * Cases:
 * - (a) one big file (default 1 GiB of random bytes) up (`PUT /api/v1/files/content` vs nginx's
 *   dav `PUT`) and down (`GET /api/v1/files/content` vs a static GET), with `curl` over TLS 1.3
 *   and the default cipher on both; MB/s, median of 3 runs; bytes checked by SHA-256;
 * - (b) a folder of 10,000 files listed 200 times in a row on one keep-alive connection
 *   (`GET /api/v1/files/list` vs nginx `autoindex_format json`); median and p99 ms;
 * - (c) `GET /api/v1/files/stat` under 64 concurrent keep-alive connections vs nginx answering a
 *   `HEAD` of a static file; requests/s and p50/p99 ms.
 *
 * Our server runs as its own process (`bench/_web-server.ts`), a fresh one per section, and the
 * listing/stat client too (`bench/_web-client.ts`, undici), so no two share an event loop. nginx
 * runs one worker (ours is one Node process), `access_log off` (ours logs at `warn`).
 *
 * Environment: `BENCH_WEB_BYTES` (big file size, default 1 GiB), `BENCH_WEB_RUNS` (3),
 * `BENCH_WEB_FILES` (10000), `BENCH_WEB_LISTINGS` (200), `BENCH_WEB_STATS` (20000),
 * `BENCH_WEB_SECONDS` (10, bound per stat measurement), `BENCH_WEB_SERVER_SCRIPT` (another
 * server entry with `_web-server.ts`'s contract, to measure a variant), `BENCH_WEB_PROFILE=1` (run our server
 * under `--cpu-prof` and print where its time goes per section), `BENCH_WEB_KNOBS=0` (skip the
 * extra rows that show the effect of server-side settings), `BENCH_WEB_ONLY=transfer,list,stat`.
 *
 * Without a server: `bench/_web-listing.ts` gives the CPU per listing of the listing path alone
 * (`view.list`, entry JSON, serialisation), for judging changes there on a busy machine.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createInterface } from 'node:readline';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { initSite, loadConfig, openSite } from '@migrid/core';
import type { ClientJob, ClientResult } from './_web-client.js';
import { childrenOf, cpuSeconds, withCpu } from './_web-cpu.js';
import { startNginx, type BenchNginx } from './_web-nginx.js';
import { summariseProfile } from './_web-profile.js';
import { median, percentile } from './_web-stats.js';

const exec = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const NODE_ARGS = ['--conditions=@migrid/source', '--import', 'tsx'];

const BYTES = Number(process.env.BENCH_WEB_BYTES ?? 1024 ** 3);
const RUNS = Number(process.env.BENCH_WEB_RUNS ?? 3);
const FILES = Number(process.env.BENCH_WEB_FILES ?? 10_000);
const LISTINGS = Number(process.env.BENCH_WEB_LISTINGS ?? 200);
const STATS = Number(process.env.BENCH_WEB_STATS ?? 20_000);
const STAT_SECONDS = Number(process.env.BENCH_WEB_SECONDS ?? 10);
const CONCURRENCY = 64;
const PROFILE = process.env.BENCH_WEB_PROFILE === '1';
const KNOBS = process.env.BENCH_WEB_KNOBS !== '0';
const ONLY = new Set((process.env.BENCH_WEB_ONLY ?? 'transfer,list,stat').split(','));
/** The host certificate is for `localhost`; clients connect to 127.0.0.1 under that name. */
const HOST = 'localhost';

function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest('hex');
}

async function writeRandom(file: string, bytes: number): Promise<void> {
  const chunk = 8 * 1024 * 1024;
  await pipeline(
    (async function* () {
      for (let done = 0; done < bytes; done += chunk) yield randomBytes(Math.min(chunk, bytes - done));
    })(),
    createWriteStream(file),
  );
}

/** Our server in its own process; `env` adds settings (e.g. `BENCH_WEB_CPU_PROFILE`). */
async function startOurs(configPath: string, logFile: string, env: Record<string, string> = {}): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const script = process.env.BENCH_WEB_SERVER_SCRIPT ?? join(here, '_web-server.ts');
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [...NODE_ARGS, script, configPath], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stderr.pipe(log);
  let tail = '';
  child.stderr.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`our server did not start within 60 s (log: ${logFile})`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = /^(\{.*\})\n/m.exec(out);
      if (line !== null) {
        clearTimeout(timer);
        resolve((JSON.parse(line[1] as string) as { port: number }).port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`our server exited (${code}) before listening:\n${tail}`));
    });
  });
  return {
    port,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      log.end();
    },
  };
}

/**
 * Runs the client process with `job`; `pids` are the server's processes, whose CPU time is taken
 * over the measured part only (the client says `warm` after its warm-up and waits for `go`).
 */
async function runClient(job: ClientJob, pids: () => Promise<readonly number[]>): Promise<ClientResult & { cpu: number }> {
  const child = spawn(process.execPath, [...NODE_ARGS, join(here, '_web-client.ts'), JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let measuring: { list: readonly number[]; before: number } | undefined;
  let cpu = 0;
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const lines = createInterface({ input: child.stdout });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`client exited ${code}: ${err}`))));
  });
  for await (const line of lines) {
    if (line === 'warm') {
      const list = await pids();
      measuring = { list, before: await cpuSeconds(list) };
      child.stdin.end('go\n');
    } else if (line.startsWith('{')) {
      if (measuring !== undefined) cpu = (await cpuSeconds(measuring.list)) - measuring.before;
      out = line;
    }
  }
  await done;
  return { ...(JSON.parse(out) as ClientResult), cpu };
}

/** The negotiated TLS version and cipher, asked the way curl asks (TLS 1.3, default ciphers). */
async function tlsOf(port: number, caFile: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const ca = await readFile(caFile);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: HOST, ca, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, () => {
      const c = socket.getCipher();
      resolve(`${socket.getProtocol() ?? '?'} ${c.standardName}`);
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** One curl transfer; returns seconds (curl's own `time_total`). */
async function curl(args: readonly string[], caFile: string, port: number): Promise<{ seconds: number; status: number }> {
  const common = ['-sS', '--tlsv1.3', '--tls-max', '1.3', '--cacert', caFile, '--resolve', `${HOST}:${port}:127.0.0.1`, '-w', '%{http_code} %{time_total}'];
  const { stdout } = await exec('curl', [...common, ...args], { maxBuffer: 1024 * 1024 });
  const [status, seconds] = stdout.trim().split(/\s+/).slice(-2).map(Number) as [number, number];
  if (status < 200 || status > 299) throw new Error(`curl ${args.join(' ').replace(/Bearer \S+/, 'Bearer …')}: HTTP ${status}`);
  return { seconds, status };
}

/** Rounds of one target merged. */
interface Merged {
  readonly ok: number;
  /** Server CPU seconds over the measured parts of all rounds. */
  readonly cpu: number;
  readonly errors: number;
  readonly seconds: number;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly entries?: number;
  readonly firstError?: string;
}

function merge(results: ReadonlyArray<ClientResult & { cpu: number }>): Merged {
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const ok = results.reduce((n, r) => n + r.ok, 0);
  const seconds = results.reduce((n, r) => n + r.seconds, 0);
  const firstError = results.find((r) => r.firstError !== undefined)?.firstError;
  const entries = results.find((r) => r.entries !== undefined)?.entries;
  return {
    ok,
    cpu: results.reduce((n, r) => n + r.cpu, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    seconds,
    rate: ok / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    ...(entries !== undefined && { entries }),
    ...(firstError !== undefined && { firstError }),
  };
}

interface Row {
  readonly name: string;
  readonly unit: string;
  readonly ours: number;
  readonly nginx: number;
  /** true: bigger is better; false: smaller is better (the ratio is ours/nginx either way). */
  readonly higherBetter: boolean;
  readonly note?: string;
  /** Server CPU per operation (`cpuUnit`), ours and nginx. */
  readonly cpu?: { readonly unit: string; readonly ours: number; readonly nginx: number };
}

/** A server under test: where it listens and which processes do its work. */
interface Target {
  readonly name: 'ours' | 'nginx';
  readonly port: number;
  readonly pids: () => Promise<readonly number[]>;
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'mig-bench-web-'));
  const curlVersion = (await exec('curl', ['--version'])).stdout.split('\n')[0] ?? 'curl';
  const cores = availableParallelism();
  console.log(`web benchmark: ${cores} cores, node ${process.version}, ${curlVersion.split(' ').slice(0, 2).join(' ')}, load average ${load()} at start`);
  console.log(`  big file ${fmt(BYTES / 1024 ** 2, 0)} MiB × ${RUNS} runs, ${fmt(FILES, 0)}-file listing × ${LISTINGS}, stat × ${fmt(STATS, 0)} at ${CONCURRENCY} connections (≤ ${STAT_SECONDS} s)`);
  const started = performance.now();
  const rows: Row[] = [];
  const notes: string[] = [];
  let nginx: BenchNginx | undefined;
  try {
    // The site, a user with an API token, and the data on disk in the user's home.
    const made = await initSite({ dir: join(work, 'site'), fqdn: HOST });
    const config = await loadConfig(made.configPath);
    const site = await openSite(config, { service: 'bench', logger: pino({ level: 'silent' }) });
    let token: string;
    let home: string;
    try {
      const user = await site.users.create({ email: 'bench@example.org', fullName: 'Bench User', organization: 'Bench', country: 'DK', password: 'Bench-Passw0rd-x9!Q' });
      token = (await site.apiTokens.create(user.id, { name: 'bench', scopes: ['files:read', 'files:write'] })).token;
      home = await site.users.homeDir(user.id);
    } finally {
      await site.close();
    }
    const auth = { authorization: `Bearer ${token}` };
    const caFile = made.caCertPath;
    const source = join(work, 'source.bin');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'small.txt'), 'hello from the bench\n');

    nginx = await startNginx({ dir: join(work, 'nginx'), root: home, certFile: config.web.cert_file, keyFile: config.web.key_file });
    const ng = nginx;
    const theirs: Target = { name: 'nginx', port: ng.port, pids: async () => [ng.pid, ...(await childrenOf(ng.pid))] };
    const profileDir = join(work, 'profiles');
    await mkdir(profileDir, { recursive: true });
    const serverLog = join(work, 'server.log');
    const profiles: Array<{ section: string; file: string }> = [];

    /** Runs `fn` against a fresh server process (profiled when asked). */
    const withOurs = async <T>(section: string, fn: (ours: Target) => Promise<T>, env: Record<string, string> = {}): Promise<T> => {
      const file = join(profileDir, `${section.replace(/\W+/g, '-')}.cpuprofile`);
      const server = await startOurs(made.configPath, serverLog, { ...env, ...(PROFILE && { BENCH_WEB_CPU_PROFILE: file }) });
      try {
        return await fn({ name: 'ours', port: server.port, pids: () => Promise.resolve([server.pid]) });
      } finally {
        await server.stop();
        if (PROFILE) profiles.push({ section, file });
      }
    };

    const tls = await withOurs('tls', (ours) => tlsOf(ours.port, caFile));
    const ngTls = await tlsOf(ng.port, caFile);
    notes.push(`TLS: ours ${tls}, nginx ${ngTls} (curl --tlsv1.3 --tls-max 1.3, default ciphers; undici the same)`);
    notes.push(`nginx ${ng.version}: 1 worker, sendfile on (unused: TLS without kTLS), access_log off, dav_methods PUT, autoindex_format json; our server: one process, [logging] level=warn`);

    // (a) big file up and down with curl.
    if (ONLY.has('transfer')) {
      process.stdout.write(`  making ${fmt(BYTES / 1024 ** 2, 0)} MiB of random data … `);
      await writeRandom(source, BYTES);
      const sourceHash = await sha256File(source);
      await copyFile(source, join(home, 'big.bin'));
      console.log('done');
      const down = join(work, 'down.bin');
      const fresh = (): { up: number[]; down: number[]; upCpu: number[]; downCpu: number[] } => ({ up: [], down: [], upCpu: [], downCpu: [] });
      const samples = { ours: fresh(), nginx: fresh() };
      const checks: string[] = [];
      const gib = BYTES / 1024 ** 3;
      const bearer = ['-H', `Authorization: ${auth.authorization}`];
      const uploaded = { ours: join(home, 'up-ours.bin'), nginx: join(home, 'up-nginx.bin') };
      // Uploads, then downloads, each on a fresh server of ours (and profiled apart when asked).
      for (const direction of ['upload', 'download'] as const) {
        await withOurs(direction, async (ours) => {
          for (let run = 0; run < RUNS; run++) {
            for (const target of [ours, theirs]) {
              const s = samples[target.name];
              const base = `https://${HOST}:${target.port}`;
              if (direction === 'upload') {
                await rm(uploaded[target.name], { force: true });
                await exec('sync');
                const args = target.name === 'ours'
                  ? [...bearer, '-T', source, `${base}/api/v1/files/content?path=%2Fup-ours.bin&overwrite=1`]
                  : ['-T', source, `${base}/up-nginx.bin`];
                const up = await withCpu(target.pids, () => curl(['-H', 'Content-Type: application/octet-stream', '-o', '/dev/null', ...args], caFile, target.port));
                s.up.push(BYTES / 1e6 / up.result.seconds);
                s.upCpu.push(up.cpu / gib);
                if (run === 0 && (await sha256File(uploaded[target.name])) !== sourceHash) throw new Error(`${target.name}: the uploaded file differs from the source`);
              } else {
                await rm(down, { force: true });
                await exec('sync');
                const args = target.name === 'ours' ? [...bearer, `${base}/api/v1/files/content?path=%2Fbig.bin`] : [`${base}/big.bin`];
                const dl = await withCpu(target.pids, () => curl(['-o', down, ...args], caFile, target.port));
                s.down.push(BYTES / 1e6 / dl.result.seconds);
                s.downCpu.push(dl.cpu / gib);
                if (run === 0) {
                  if ((await sha256File(down)) !== sourceHash) throw new Error(`${target.name}: the downloaded file differs from the source`);
                  checks.push(target.name);
                }
              }
            }
          }
        });
      }
      await rm(down, { force: true });
      const size = `${fmt(BYTES / 1024 ** 2, 0)} MiB`;
      rows.push({
        name: `upload ${size} (curl -T)`, unit: 'MB/s', ours: median(samples.ours.up), nginx: median(samples.nginx.up), higherBetter: true,
        cpu: { unit: 'CPU s/GiB', ours: median(samples.ours.upCpu), nginx: median(samples.nginx.upCpu) },
      });
      rows.push({
        name: `download ${size} (curl -o)`, unit: 'MB/s', ours: median(samples.ours.down), nginx: median(samples.nginx.down), higherBetter: true,
        cpu: { unit: 'CPU s/GiB', ours: median(samples.ours.downCpu), nginx: median(samples.nginx.downCpu) },
      });
      const runs = (v: number[]): string => v.map((x) => fmt(x, 0)).join('/');
      notes.push(`big file: SHA-256 of the uploaded and the downloaded bytes equal the source's for ${checks.join(' and ')}`);
      notes.push(`big file runs (MB/s): ours up ${runs(samples.ours.up)}, down ${runs(samples.ours.down)}; nginx up ${runs(samples.nginx.up)}, down ${runs(samples.nginx.down)}`);
      await rm(join(home, 'up-ours.bin'), { force: true });
      await rm(join(home, 'up-nginx.bin'), { force: true });
      await rm(join(home, 'big.bin'), { force: true });
      await rm(source, { force: true });
    }

    const job = (target: Target, path: string, method: 'GET' | 'HEAD', headers: Record<string, string>): Omit<ClientJob, 'mode' | 'count'> => ({
      origin: `https://${HOST}:${target.port}`,
      path,
      method,
      headers,
      caFile,
      servername: HOST,
    });
    /**
     * Runs `rounds` rounds alternating ours and nginx (so a busy machine slows both alike), each
     * round one client process, and merges them: latencies pooled, rate = requests / seconds.
     */
    const alternate = async (rounds: number, ours: Target, jobOf: (target: Target, round: number) => ClientJob): Promise<[Merged, Merged]> => {
      const a: Array<ClientResult & { cpu: number }> = [];
      const b: Array<ClientResult & { cpu: number }> = [];
      for (let round = 0; round < rounds; round++) {
        for (const [target, into] of [[ours, a], [theirs, b]] as const) {
          into.push(await runClient(jobOf(target, round), target.pids));
        }
      }
      return [merge(a), merge(b)];
    };
    const perOp = (m: Merged, scale: number): number => (m.cpu / m.ok) * scale;

    // (b) listing a folder of FILES files.
    let listOurs: Merged | undefined;
    if (ONLY.has('list')) {
      const big = join(home, 'big');
      await mkdir(big, { recursive: true });
      for (let i = 0; i < FILES; i += 500) {
        await Promise.all(Array.from({ length: Math.min(500, FILES - i) }, (_, k) => writeFile(join(big, `file-${String(i + k).padStart(6, '0')}.txt`), `file ${i + k}\n`)));
      }
      const rounds = 4;
      const [ours, nginxList] = await withOurs('list', (o) =>
        alternate(rounds, o, (target, round) => ({
          ...job(target, target.name === 'ours' ? '/api/v1/files/list?path=%2Fbig' : '/big/', 'GET', target.name === 'ours' ? auth : {}),
          mode: 'sequential',
          count: Math.ceil(LISTINGS / rounds),
          warmup: round === 0 ? 5 : 1,
          countEntries: true,
        })),
      );
      for (const [name, r] of [['ours', ours], ['nginx', nginxList]] as const) {
        if (r.errors > 0) throw new Error(`listing (${name}): ${r.errors} errors, first: ${r.firstError ?? ''}`);
        if (r.entries !== FILES) throw new Error(`listing (${name}): ${r.entries ?? 'no'} entries instead of ${FILES}`);
      }
      listOurs = ours;
      rows.push({
        name: `list ${fmt(FILES, 0)} files, median`, unit: 'ms', ours: ours.p50, nginx: nginxList.p50, higherBetter: false,
        cpu: { unit: 'CPU ms/listing', ours: perOp(ours, 1000), nginx: perOp(nginxList, 1000) },
      });
      rows.push({ name: `list ${fmt(FILES, 0)} files, p99`, unit: 'ms', ours: ours.p99, nginx: nginxList.p99, higherBetter: false, note: 'nginx: autoindex json' });
      notes.push(`listing: ${ours.ok} + ${nginxList.ok} requests in ${rounds} alternating rounds on one keep-alive connection each (+ unmeasured warm-up); max ours ${fmt(ours.max)} ms, nginx ${fmt(nginxList.max)} ms`);
    }

    // (c) stat under 64 connections.
    let statOurs: Merged | undefined;
    if (ONLY.has('stat')) {
      const rounds = 3;
      const statPath = '/api/v1/files/stat?path=%2Fsmall.txt';
      const loadJob = (target: Target, path: string, method: 'GET' | 'HEAD', headers: Record<string, string>): ClientJob => ({
        ...job(target, path, method, headers),
        mode: 'load',
        count: Math.ceil(STATS / rounds),
        concurrency: CONCURRENCY,
        seconds: STAT_SECONDS / rounds,
        warmup: 200,
      });
      const [ours, nginxStat] = await withOurs('stat', (o) =>
        alternate(rounds, o, (target) => (target.name === 'ours' ? loadJob(target, statPath, 'GET', auth) : loadJob(target, '/small.txt', 'HEAD', {}))),
      );
      for (const [name, r] of [['ours', ours], ['nginx', nginxStat]] as const) {
        if (r.errors > 0) throw new Error(`stat (${name}): ${r.errors} errors, first: ${r.firstError ?? ''}`);
      }
      statOurs = ours;
      rows.push({
        name: `stat, ${CONCURRENCY} connections`, unit: 'req/s', ours: ours.rate, nginx: nginxStat.rate, higherBetter: true, note: 'nginx: HEAD of a static file',
        cpu: { unit: 'CPU µs/request', ours: perOp(ours, 1e6), nginx: perOp(nginxStat, 1e6) },
      });
      rows.push({ name: 'stat latency p50', unit: 'ms', ours: ours.p50, nginx: nginxStat.p50, higherBetter: false });
      rows.push({ name: 'stat latency p99', unit: 'ms', ours: ours.p99, nginx: nginxStat.p99, higherBetter: false });
      notes.push(`stat: ${ours.ok} + ${nginxStat.ok} requests in ${rounds} alternating rounds (each ≤ ${fmt(STAT_SECONDS / rounds)} s; each round opens its ${CONCURRENCY} connections and warms up with 200 unmeasured requests)`);
      if (KNOBS) {
        // One round each on a fresh server; only the named thing differs.
        const one = async (section: string, path: string, method: 'GET' | 'HEAD', headers: Record<string, string>, env?: Record<string, string>): Promise<Merged> =>
          withOurs(section, async (o) => merge([await runClient(loadJob(o, path, method, headers), o.pids)]), env);
        const shown = (r: Merged): string => `${fmt(r.rate, 0)} req/s, ${fmt(perOp(r, 1e6), 0)} CPU µs/request${r.errors > 0 ? ` (${r.errors} errors: ${(r.firstError ?? '').slice(0, 120)})` : ''}`;
        // The site's default log level is `info`: one line per request.
        const info = await one('stat-info-log', statPath, 'GET', auth, { BENCH_WEB_LOG_LEVEL: 'info' });
        const head = await one('content-head', '/api/v1/files/content?path=%2Fsmall.txt', 'HEAD', auth);
        const health = await one('healthz', '/healthz', 'GET', {});
        notes.push(`knob: stat with [logging] level=info (the site default, a log line per request): ${shown(info)}`);
        notes.push(`knob: HEAD /api/v1/files/content (auth + stat + headers, no body): ${shown(head)}`);
        notes.push(`knob: GET /healthz (no auth, no file system; the framework's floor): ${shown(health)}`);
      }
    }

    // The tables.
    console.log('');
    console.log(`  ${'case'.padEnd(34)} ${'unit'.padEnd(6)} ${'ours'.padStart(10)} ${'nginx'.padStart(10)}   ours/nginx`);
    for (const r of rows) {
      const ratio = r.ours / r.nginx;
      console.log(`  ${r.name.padEnd(34)} ${r.unit.padEnd(6)} ${fmt(r.ours).padStart(10)} ${fmt(r.nginx).padStart(10)}   ${ratio.toFixed(2)}×${r.higherBetter ? '' : ' (lower is better)'}${r.note !== undefined ? `   ${r.note}` : ''}`);
    }
    const withCpuRows = rows.filter((r) => r.cpu !== undefined);
    if (withCpuRows.length > 0) {
      console.log('');
      console.log('  server CPU per operation (user+system of the server processes; steadier than wall clock on a busy machine)');
      console.log(`  ${'case'.padEnd(34)} ${'unit'.padEnd(15)} ${'ours'.padStart(10)} ${'nginx'.padStart(10)}   ours/nginx`);
      for (const r of withCpuRows) {
        const c = r.cpu as NonNullable<Row['cpu']>;
        console.log(`  ${r.name.replace(/, median$/, '').padEnd(34)} ${c.unit.padEnd(15)} ${fmt(c.ours, 2).padStart(10)} ${fmt(c.nginx, 2).padStart(10)}   ${(c.ours / c.nginx).toFixed(2)}×`);
      }
    }
    console.log('');
    const transfer = rows.filter((r) => r.unit === 'MB/s');
    if (transfer.length > 0) {
      const worst = Math.min(...transfer.map((r) => r.ours / r.nginx));
      console.log(`  aim ≥ 0.8× nginx on large transfers: ${worst >= 0.8 ? 'MET' : 'NOT MET'} (worst ${worst.toFixed(2)}×)`);
    }
    if (listOurs !== undefined) console.log(`  aim listing p99 < 200 ms: ${listOurs.p99 < 200 ? 'MET' : 'NOT MET'} (${fmt(listOurs.p99)} ms)`);
    if (statOurs !== undefined) console.log(`  stat: ${fmt(statOurs.rate, 0)} req/s over ${fmt(statOurs.seconds)} s, ${statOurs.ok} requests (no aim set)`);
    const endLoad = loadavg()[0] ?? 0;
    if (endLoad > cores) console.log(`  WARNING: load average ${load()} at the end on ${cores} cores: other work competed for the CPU; wall-clock numbers are pessimistic, compare the CPU table`);
    console.log('');
    for (const n of notes) console.log(`  note: ${n}`);
    console.log('  note: listing/stat client is undici in its own process (one core) against one server process; nginx rates may be client-bound');
    console.log(`  note: total ${fmt((performance.now() - started) / 1000, 0)} s`);

    if (PROFILE) {
      for (const p of profiles) {
        const s = await summariseProfile(p.file);
        console.log('');
        console.log(`  profile of our server, ${p.section}: busy ${fmt(s.busyMs / 1000)} s of ${fmt(s.totalMs / 1000)} s (shares of busy time)`);
        console.log('    by place:');
        for (const l of s.places) console.log(`      ${(l.share * 100).toFixed(1).padStart(5)}%  ${l.name}`);
        console.log('    by function (self time):');
        for (const l of s.functions) console.log(`      ${(l.share * 100).toFixed(1).padStart(5)}%  ${l.name}`);
      }
    }
  } finally {
    await nginx?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
