/**
 * Runs `mig …` in this process: the same `runCli` the executable runs, with streams of its own.
 * A child process per call costs seconds each on a small machine; tests that make many calls use
 * this and run the real executable once.
 */
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/program.js';

/** `mig ...args` in folder `cwd`, with an empty standard input and environment. */
export async function migInProcess(cwd: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const stdin = new PassThrough();
  stdin.end();
  const code = await runCli(['node', 'mig', ...args], { stdin, stdout, stderr, env: {}, cwd, status: { exitCode: 0 } });
  return { code, stdout: out, stderr: err };
}
