/**
 * Runs `miguser` in this process with captured output (for argument and config tests that need
 * no site), and as a real child process (for the tests against a running site).
 */
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runMiguser } from '../../src/cli/program.js';
import { runTs, type RunResult } from '../../../../test/support/run-mig.js';

/** The `miguser` entry point (TypeScript source). */
export const MIGUSER_ENTRY = fileURLToPath(new URL('../../src/miguser.ts', import.meta.url));

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs miguser in-process. */
export async function runInProcess(args: readonly string[], options: { conf: string; cwd: string; stdin?: string }): Promise<RunResult> {
  const stdout = new Collector();
  const stderr = new Collector();
  const code = await runMiguser(args, {
    stdin: Readable.from([options.stdin ?? '']),
    stdout,
    stderr,
    env: { MIGUSER_CONF: options.conf },
    cwd: options.cwd,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs miguser as a child process, from source. */
export function runMiguserCli(args: readonly string[], options: { conf: string; cwd: string; stdin?: string; timeoutMs?: number }): Promise<RunResult> {
  return runTs(MIGUSER_ENTRY, args, {
    cwd: options.cwd,
    env: { MIGUSER_CONF: options.conf },
    ...(options.stdin !== undefined && { stdin: options.stdin }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  });
}
