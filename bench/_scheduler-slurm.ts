/**
 * The Slurm peer of `bench/scheduler.ts`'s end-to-end section: a private single-node Slurm
 * (`test/support/slurm.ts`, tuned for many small jobs as `/work/shared/reference/slurm-single-node.md`
 * measured: `sched/builtin`, `sched_interval=1,default_queue_depth=1000,batch_sched_delay=0`,
 * `MinJobAge=2`), `sbatch --wrap true` submitted `count` times one by one, and the time from the
 * first submission until `squeue` lists none of them pending, running or completing.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { slurmAvailability, startSlurm } from '../test/support/slurm.js';

const exec = promisify(execFile);

/** What the Slurm peer measured, or why it could not run. */
export type SlurmRun =
  | { readonly ran: true; readonly jobs: number; readonly seconds: number; readonly submitSeconds: number; readonly drained: boolean }
  | { readonly ran: false; readonly why: string };

/** Submits `count` trivial jobs to a fresh private Slurm and waits (at most `timeoutSeconds`) until all ended. */
export async function slurmTrivialJobs(count: number, timeoutSeconds: number): Promise<SlurmRun> {
  const why = slurmAvailability();
  if (why !== undefined) return { ran: false, why };
  let slurm;
  try {
    slurm = await startSlurm();
  } catch (err) {
    return { ran: false, why: `the private Slurm did not start: ${(err as Error).message.split('\n')[0] ?? ''}` };
  }
  try {
    const env = { ...process.env, ...slurm.env };
    const out = join(slurm.dir, 'jobs');
    await mkdir(out);
    // One warm-up job, so the first measured one does not pay for slurmd's first launch.
    const warm = (await exec('/usr/bin/sbatch', ['--parsable', '--wrap', 'true'], { env, cwd: out })).stdout.trim();
    for (let i = 0; i < 300; i++) {
      const { stdout } = await exec('/usr/bin/squeue', ['-h', '-j', warm, '-t', 'PENDING,RUNNING,CONFIGURING,COMPLETING', '-o', '%i'], { env });
      if (stdout.trim() === '') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const start = performance.now();
    for (let i = 0; i < count; i++) await exec('/usr/bin/sbatch', ['--parsable', '--wrap', 'true'], { env, cwd: out });
    const submitSeconds = (performance.now() - start) / 1000;
    const deadline = start + timeoutSeconds * 1000;
    let drained = false;
    let left = count;
    while (performance.now() < deadline) {
      const { stdout } = await exec('/usr/bin/squeue', ['-h', '-t', 'PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED', '-o', '%i'], { env });
      left = stdout.split('\n').filter((l) => l.trim() !== '').length;
      if (left === 0) {
        drained = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - start) / 1000;
    return { ran: true, jobs: count - left, seconds, submitSeconds, drained };
  } finally {
    await slurm.stop();
  }
}
