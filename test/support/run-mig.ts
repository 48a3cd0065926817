/**
 * Runs the `mig` CLI (or another TypeScript entry point) from source in a child process, the way
 * an admin runs it: real argv, real stdin/stdout, real exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MIG_ENTRY = fileURLToPath(new URL('../../daemons/src/mig.ts', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Node flags that load the workspace packages from their TypeScript sources. */
export const SOURCE_NODE_ARGS = [
  '--conditions=@migrid/source',
  '--import',
  // By URL, so the loader is found whatever the child's working folder is.
  pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
];

/** Starts a TypeScript entry point from source. */
export function spawnTs(entry: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): ChildProcess {
  const env = { ...process.env, ...options.env };
  delete env.MIG_CONF;
  if (options.env?.MIG_CONF !== undefined) env.MIG_CONF = options.env.MIG_CONF;
  return spawn(process.execPath, [...SOURCE_NODE_ARGS, entry, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs an entry point to completion with the given stdin. */
export async function runTs(entry: string, args: readonly string[], options: { cwd: string; stdin?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  const child = spawnTs(entry, args, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin?.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Runs `mig …` from source. */
export function runMig(args: readonly string[], options: { cwd: string; stdin?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  return runTs(MIG_ENTRY, args, options);
}

/** A started long-running process: its output so far, and a stop (SIGINT) that resolves with its exit code. */
export interface StartedProcess {
  out(): string;
  stop(): Promise<number | null>;
  /** Kills it with SIGKILL (a crash); await {@link StartedProcess.exited} after. */
  kill9(): void;
  /** Resolves with the exit code (or `null` when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/** Starts an entry point and waits (at most 60 s) until its output contains `ready`. */
export async function startUntil(entry: string, args: readonly string[], ready: string, options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<StartedProcess> {
  const child = spawnTs(entry, args, options);
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${out}`)), 60_000);
    const collect = (d: Buffer): void => {
      out += d.toString();
      if (out.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    void exited.then(() => reject(new Error(`exited before ready: ${out}`)));
  });
  return {
    out: () => out,
    async stop() {
      child.kill('SIGINT');
      return exited;
    },
    kill9: () => child.kill('SIGKILL'),
    exited,
  };
}
