/**
 * Shared parts of `bench/scheduler.ts`'s sections that drive a real site: making the site (a user
 * with an API token, optionally a resource), starting it as its own process
 * (`_scheduler-site.ts`), starting the resource agent as its own process (`mig-resource run`),
 * and an HTTPS client (undici, keep-alive) for the JSON API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Pool } from 'undici';
import { initSite, loadConfig, openSite } from '@migrid/core';

const here = dirname(fileURLToPath(import.meta.url));
/** Node options that run the TypeScript sources (as `npm run bench` does). */
export const NODE_ARGS = ['--conditions=@migrid/source', '--import', 'tsx'];
/** The host certificate is for `localhost`; clients connect to 127.0.0.1 under that name. */
export const HOST = 'localhost';

/** `n` for a table: whole numbers with separators from 1,000 up, else `digits` decimals; `n/a` for NaN. */
export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

/** The load averages, e.g. `1.2 0.9 0.7`. */
export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 on Linux). */
const TICKS = 100;

/**
 * CPU seconds (user + system) a process used so far, itself (all its threads) and its reaped
 * children (`cutime` + `cstime`: for the agent, the jobs it ran); NaN when it is gone.
 */
export async function processCpu(pid: number): Promise<{ self: number; children: number }> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { self: (Number(f[11]) + Number(f[12])) / TICKS, children: (Number(f[13]) + Number(f[14])) / TICKS };
  } catch {
    return { self: Number.NaN, children: Number.NaN };
  }
}

/** A site made for a bench section. */
export interface BenchSite {
  readonly configPath: string;
  /** The site CA (PEM file) clients and job scripts trust. */
  readonly caFile: string;
  /** A user's API token with `jobs:read` and `jobs:write`. */
  readonly token: string;
  /** The resource token (`migres_…`) when a resource was added. */
  readonly resourceToken?: string;
}

/** `mig init` in `dir` (SQLite, or PostgreSQL at `databaseUrl`), a user with an API token and, when `units` is set, a resource `bench1` with that many units. */
export async function makeBenchSite(dir: string, options: { databaseUrl?: string; units?: number } = {}): Promise<BenchSite> {
  const made = await initSite({ dir, fqdn: HOST, ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }) });
  const site = await openSite(await loadConfig(made.configPath), { service: 'bench', logger: pino({ level: 'silent' }) });
  try {
    const user = await site.users.create({ email: 'bench@example.org', fullName: 'Bench User', organization: 'Bench', country: 'DK', password: 'Bench-Passw0rd-x9!Q' });
    const token = (await site.apiTokens.create(user.id, { name: 'bench', scopes: ['jobs:read', 'jobs:write'] })).token;
    const resourceToken = options.units === undefined ? undefined : (await site.resources.add({ name: 'bench1', ownerId: user.id, units: options.units })).token;
    return { configPath: made.configPath, caFile: made.caCertPath, token, ...(resourceToken !== undefined && { resourceToken }) };
  } finally {
    await site.close();
  }
}

/** A process the bench started; `stop()` sends SIGTERM and waits for it to exit. */
export interface BenchProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess, log: NodeJS.WritableStream): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    log.end();
  };
}

/** The site (`_scheduler-site.ts`) in its own process; `env` adds its settings (`BENCH_SCHEDULER_ENGINE=1` …). */
export async function startSiteProcess(configPath: string, logFile: string, env: Record<string, string> = {}): Promise<BenchProcess & { port: number }> {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, [...NODE_ARGS, join(here, '_scheduler-site.ts'), configPath], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stderr.pipe(log);
  let tail = '';
  child.stderr.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the site did not start within 60 s (log: ${logFile})`)), 60_000);
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
      reject(new Error(`the site exited (${code}) before listening:\n${tail}`));
    });
  });
  return { port, pid: child.pid as number, child, stop: stopper(child, log) };
}

/**
 * Builds `mig-resource` from the current sources the way the package ships it (one self-contained
 * file, `@migrid/core` reduced to its errors, as `packages/scheduler/tsup.config.ts` does) into
 * `outDir`; returns the file. The agent then runs as on a resource, without the TypeScript loader.
 */
export async function bundleAgent(outDir: string): Promise<string> {
  const root = join(here, '..');
  const outfile = join(outDir, 'mig-resource.mjs');
  const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
  const args = [
    join(root, 'packages', 'scheduler', 'src', 'bin', 'mig-resource.ts'),
    '--bundle', '--platform=node', '--format=esm', '--target=node20', '--log-level=warning',
    `--alias:@migrid/core=${join(root, 'packages', 'core', 'src', 'errors.ts')}`,
    `--outfile=${outfile}`,
  ];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(esbuild, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`esbuild could not bundle mig-resource (${code}): ${err.slice(0, 1000)}`))));
  });
  return outfile;
}

/**
 * The resource agent, `mig-resource run` with the local executor, in its own process: `script` is
 * the bundle from {@link bundleAgent}. `cpuProfileDir`: run it under `--cpu-prof` (the profile is
 * written when it exits). `transfers`: its `--transfers` (`agent` or `script`; default: the agent's).
 */
export function startAgentProcess(options: { script: string; port: number; token: string; caFile: string; units: number; workDir: string; logFile: string; cpuProfileDir?: string; transfers?: string }): BenchProcess {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const args = ['run', '--site', `https://${HOST}:${options.port}`, '--executor', 'local', '--units', String(options.units), '--ca', options.caFile, '--work-dir', options.workDir, '--cpu-time', '3600'];
  if (options.transfers !== undefined) args.push('--transfers', options.transfers);
  const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
  const child = spawn(process.execPath, [...profile, options.script, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MIG_RESOURCE_TOKEN: options.token } });
  child.stderr.pipe(log);
  return { pid: child.pid as number, child, stop: stopper(child, log) };
}

/** A keep-alive HTTPS client of the site's JSON API with a Bearer token. */
export interface ApiClient {
  /** One request; the JSON answer (or `undefined` for an empty body) and the status. */
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

/** An {@link ApiClient} with `connections` keep-alive connections to `https://127.0.0.1:<port>` (TLS name `localhost`). */
export async function apiClient(port: number, caFile: string, token: string, connections: number): Promise<ApiClient> {
  const ca = await readFile(caFile);
  const pool = new Pool(`https://127.0.0.1:${port}`, { connections, pipelining: 1, keepAliveTimeout: 60_000, connect: { ca, servername: HOST, rejectUnauthorized: true } });
  return {
    async request(method, path, body) {
      const res = await pool.request({
        path,
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
    },
    close: () => pool.close(),
  };
}

/** The mRSL of the trivial job both sections submit. */
export const TRIVIAL_JOB = '::EXECUTE::\ntrue\n\n::CPUTIME::\n60\n';

/** One row of the summary table: an aim of the issue and whether this run met it. */
export interface GoalRow {
  readonly goal: string;
  readonly measured: string;
  /** `undefined`: not measured in this run (say why in `measured`). */
  readonly met: boolean | undefined;
}
