/**
 * The private single-node Slurm the Slurm executor's tests and the scheduler bench use: it starts,
 * runs a batch job to completion, and `scancel` really ends a running one.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutSlurm, startSlurm, type TestSlurm } from '../support/slurm.js';

const exec = promisify(execFile);
const skip = skipWithoutSlurm();

describe.skipIf(skip)('a private single-node Slurm', () => {
  let slurm: TestSlurm;
  const run = (cmd: string, args: string[]) => exec(cmd, args, { env: { ...process.env, ...slurm.env }, cwd: slurm.dir });

  /** Polls `squeue` until the job is gone (bounded). */
  async function waitGone(id: string): Promise<void> {
    for (let i = 0; i < 150; i++) {
      const { stdout } = await run('squeue', ['-h', '-j', id, '-o', '%T']).catch(() => ({ stdout: '' }));
      if (stdout.trim() === '') return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`job ${id} still queued after 30 s`);
  }

  beforeAll(async () => {
    slurm = await startSlurm();
  }, 60_000);
  afterAll(async () => {
    await slurm?.stop();
  });

  it('runs a batch job to completion', async () => {
    const out = join(slurm.dir, 'hello.out');
    const { stdout } = await run('sbatch', ['--parsable', '-o', out, '--wrap', 'echo hello from slurm']);
    const id = stdout.trim().split(';')[0] as string;
    expect(id).toMatch(/^\d+$/);
    await waitGone(id);
    expect(await readFile(out, 'utf8')).toBe('hello from slurm\n');
  }, 60_000);

  it('scancel ends a running job', async () => {
    const marker = join(slurm.dir, 'running');
    const { stdout } = await run('sbatch', ['--parsable', '--wrap', `echo $$ > ${marker}; sleep 300`]);
    const id = stdout.trim().split(';')[0] as string;
    let pid = 0;
    for (let i = 0; i < 150 && pid === 0; i++) {
      pid = Number((await readFile(marker, 'utf8').catch(() => '0')).trim());
      if (pid === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(pid).toBeGreaterThan(0);
    await run('scancel', [id]);
    await waitGone(id);
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  }, 60_000);
});
