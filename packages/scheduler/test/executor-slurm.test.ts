/**
 * The Slurm executor against a real private single-node Slurm (`test/support/slurm.ts`): exit
 * status and output, cancel (the Slurm job and its processes gone), the executor's own wall-time
 * stop, Slurm's own TIMEOUT (a one-minute `--time`, run alongside the other tests), one `squeue`
 * call for several jobs, reattach, and refusals.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlurmExecutor, type ExecutorJob, type ExecutorOutcome } from '../src/executors/index.js';
import { processAlive } from '../../../test/support/processes.js';
import { codeOf } from '../../../test/support/errors.js';
import { skipWithoutSlurm, startSlurm, type TestSlurm } from '../../../test/support/slurm.js';

const exec = promisify(execFile);
const skip = skipWithoutSlurm();

/** Polls (bounded) until no pid in `pids` runs. */
async function allGone(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 100; i++) {
    if (!pids.some(processAlive)) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  return pids.filter(processAlive);
}

describe.skipIf(skip)('SlurmExecutor', () => {
  let slurm: TestSlurm;
  let root: string;
  let squeueLog: string;
  let executor: SlurmExecutor;
  let counter = 0;
  /** Slurm's own time limit at work: started first, checked last. */
  let slurmTimeout: { job: ExecutorJob; outcome: Promise<ExecutorOutcome>; started: number; slurmOnly: SlurmExecutor } | undefined;

  const squeue = async (args: string[]): Promise<string> =>
    (await exec('/usr/bin/squeue', args, { env: { ...process.env, ...slurm.env } }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }))).stdout;

  async function jobWith(body: string, over: Partial<ExecutorJob> = {}): Promise<ExecutorJob> {
    const jobId = `sjob_${++counter}`;
    const workDir = join(root, jobId);
    await mkdir(workDir);
    await writeFile(join(workDir, 'job.sh'), body);
    return { jobId, workDir, script: 'job.sh', env: {}, limits: { cpuTimeSeconds: 120 }, stdoutPath: 'out.txt', stderrPath: 'err.txt', ...over };
  }

  async function pidsIn(file: string, count: number): Promise<number[]> {
    for (let i = 0; i < 300; i++) {
      const pids = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
      if (pids.length >= count) return pids;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${file} did not get ${count} pids`);
  }

  beforeAll(async () => {
    slurm = await startSlurm();
    root = await mkdtemp(join(tmpdir(), 'mig-exec-slurm-'));
    squeueLog = join(root, 'squeue.log');
    const logger = join(root, 'squeue-logged');
    await writeFile(logger, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${squeueLog}'\nexec /usr/bin/squeue "$@"\n`);
    await chmod(logger, 0o755);
    executor = new SlurmExecutor({ slurmConf: slurm.conf, binaries: { squeue: logger }, pollIntervalMs: { min: 200, max: 1000 } });
    // Slurm's own TIMEOUT: `--time=1` (one minute; Slurm checks limits about every 30 s), with
    // the executor's own stop turned off. It runs while the other tests do.
    const slurmOnly = new SlurmExecutor({ slurmConf: slurm.conf, enforceWallTime: false, pollIntervalMs: { min: 500, max: 1000 } });
    const job = await jobWith('sleep 300\n', { limits: { cpuTimeSeconds: 300, wallTimeSeconds: 60 } });
    const running = await slurmOnly.start(job);
    slurmTimeout = { job, outcome: running.wait(), started: Date.now(), slurmOnly };
  }, 90_000);

  afterAll(async () => {
    await executor?.close();
    await slurmTimeout?.slurmOnly.close();
    await slurm?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('runs a job to completion with its output and exit status, in its own environment only', async () => {
    process.env.MIG_AGENT_SECRET = 'agent-secret-value';
    try {
      const job = await jobWith('echo "out in $(pwd)"\necho err >&2\nenv > env.txt\nexit 0\n', { env: { FOO: "it's $HOME" } });
      const running = await executor.start(job);
      expect(running.handle).toMatch(/^\d+$/);
      expect(await running.wait()).toMatchObject({ kind: 'exited', exitCode: 0 });
      expect(await readFile(join(job.workDir, 'out.txt'), 'utf8')).toBe(`out in ${job.workDir}\n`);
      expect(await readFile(join(job.workDir, 'err.txt'), 'utf8')).toBe('err\n');
      const env = await readFile(join(job.workDir, 'env.txt'), 'utf8');
      expect(env).toContain("FOO=it's $HOME\n");
      expect(env).toContain(`HOME=${job.workDir}\n`);
      expect(env).toContain(`SLURM_JOB_ID=${running.handle}\n`);
      expect(env).not.toContain('agent-secret-value');
    } finally {
      delete process.env.MIG_AGENT_SECRET;
    }
  }, 60_000);

  it("reports a failing script's exit status", async () => {
    const job = await jobWith('echo failing >&2\nexit 42\n');
    const outcome = await (await executor.start(job)).wait();
    expect(outcome).toMatchObject({ kind: 'exited', exitCode: 42 });
    expect(await readFile(join(job.workDir, 'err.txt'), 'utf8')).toBe('failing\n');
  }, 60_000);

  it('cancels a running job: the Slurm job and its processes are gone', async () => {
    const job = await jobWith('echo $$ > pids\nsleep 300 & echo $! >> pids\nwait\n');
    const running = await executor.start(job);
    const pids = await pidsIn(join(job.workDir, 'pids'), 2);
    expect(pids.every(processAlive)).toBe(true);
    await running.cancel('the owner asked');
    expect((await squeue(['--noheader', `--jobs=${running.handle}`, '--format=%T'])).trim()).toBe('');
    expect(await allGone(pids)).toEqual([]);
    const outcome = await running.wait();
    expect(outcome.kind).toBe('canceled');
    expect(outcome.message).toContain('the owner asked');
  }, 60_000);

  it('stops a job at its wall time to the second (the executor cancels; Slurm counts minutes)', async () => {
    const job = await jobWith('echo $$ > pids\nsleep 300\n', { limits: { cpuTimeSeconds: 120, wallTimeSeconds: 3 } });
    const running = await executor.start(job);
    const pids = await pidsIn(join(job.workDir, 'pids'), 1);
    const outcome = await running.wait();
    expect(outcome.kind).toBe('timeout');
    expect(outcome.message).toMatch(/wall-time limit of 3 s/);
    expect(await allGone(pids)).toEqual([]);
  }, 60_000);

  it('follows several jobs with one squeue call per poll', async () => {
    const jobs = await Promise.all([1, 2, 3].map((n) => jobWith(`sleep 1\nexit ${n}\n`)));
    const before = (await readFile(squeueLog, 'utf8').catch(() => '')).split('\n').length - 1;
    const running = await Promise.all(jobs.map((j) => executor.start(j)));
    const outcomes = await Promise.all(running.map((r) => r.wait()));
    expect(outcomes.map((o) => [o.kind, o.exitCode])).toEqual([
      ['exited', 1],
      ['exited', 2],
      ['exited', 3],
    ]);
    const calls = (await readFile(squeueLog, 'utf8')).split('\n').filter((l) => l !== '').slice(before);
    const ids = running.map((r) => r.handle);
    // Each call names every job it asks about in one --jobs list; at least one covered all three.
    expect(calls.every((c) => (c.match(/--jobs=/g) ?? []).length === 1)).toBe(true);
    expect(calls.some((c) => ids.every((id) => new RegExp(`--jobs=(\\d+,)*${id}(,|\\s|$)`).test(c)))).toBe(true);
  }, 90_000);

  it('reattaches to a job after an agent restart, and leaves a foreign Slurm job alone', async () => {
    const job = await jobWith('sleep 2\nexit 5\n');
    const first = await executor.start(job);
    const restarted = new SlurmExecutor({ slurmConf: slurm.conf, pollIntervalMs: { min: 200, max: 1000 } });
    try {
      const again = await restarted.reattach({ jobId: job.jobId, workDir: job.workDir, handle: first.handle });
      expect(await again.wait()).toMatchObject({ kind: 'exited', exitCode: 5 });
      await first.wait();

      const { stdout } = await exec('/usr/bin/sbatch', ['--parsable', '--job-name=not-mig', '-o', '/dev/null', '--wrap', 'sleep 30'], { env: { ...process.env, ...slurm.env } });
      const foreign = stdout.trim().split(';')[0] as string;
      const other = await jobWith('exit 0\n');
      const adopted = await restarted.reattach({ jobId: other.jobId, workDir: other.workDir, handle: foreign });
      expect((await adopted.wait()).kind).toBe('lost');
      await adopted.cancel('must not touch it');
      expect((await squeue(['--noheader', `--jobs=${foreign}`, '--format=%j'])).trim()).toBe('not-mig');
      await exec('/usr/bin/scancel', [foreign], { env: { ...process.env, ...slurm.env } });
    } finally {
      await restarted.close();
    }
  }, 60_000);

  it('refuses bad jobs, handles and options, and reports a refused submission as ExecutorError', async () => {
    const good = await jobWith('echo ran > ran\n');
    for (const over of [{ jobId: '../x' }, { script: '/etc/passwd' }, { stdoutPath: 'out-%j.txt' }, { env: { 'A B': 'x' } }, { limits: { cpuTimeSeconds: 0 } }] as Partial<ExecutorJob>[]) {
      expect(await codeOf(executor.start({ ...good, ...over })), JSON.stringify(over)).toBe('MIG_E_INVALID_INPUT');
    }
    for (const handle of ['abc', '1;scancel -u root', '', '-1']) {
      expect(await codeOf(executor.reattach({ jobId: good.jobId, workDir: good.workDir, handle }))).toBe('MIG_E_INVALID_INPUT');
    }
    expect(await codeOf(() => new SlurmExecutor({ partition: 'debug --wrap=x' }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => new SlurmExecutor({ binaries: { sbatch: 'sbatch' } }))).toBe('MIG_E_INVALID_INPUT');
    const wrongPartition = new SlurmExecutor({ slurmConf: slurm.conf, partition: 'nosuch' });
    const err = await wrongPartition.start(good).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ExecutorError', code: 'MIG_E_INTERNAL' });
    expect(String((err as Error).message)).toMatch(/partition/i);
    await wrongPartition.close();
    expect(executor.tracked).toBe(0);
  }, 60_000);

  it("maps Slurm's own TIMEOUT (a one-minute --time) to a timeout outcome", async () => {
    expect(slurmTimeout).toBeDefined();
    const { outcome } = slurmTimeout as NonNullable<typeof slurmTimeout>;
    const result = await outcome;
    expect(result.kind).toBe('timeout');
    expect(result.message).toMatch(/Slurm/);
  }, 150_000);
});
