/**
 * The local executor runs real `sh` scripts: output, exit status, environment isolation, the
 * CPU-time, memory and wall-time limits, cancel, the concurrency cap, reattach after an agent
 * restart, and refusal of bad jobs. "Gone" is checked on the pids the scripts wrote down.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalExecutor, type ExecutorJob } from '../src/executors/index.js';
import { processAlive } from '../../../test/support/processes.js';
import { codeOf } from '../../../test/support/errors.js';

let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mig-exec-local-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh work folder with `job.sh` holding `body`. */
async function jobWith(body: string, over: Partial<ExecutorJob> = {}): Promise<ExecutorJob> {
  const jobId = `job_${++counter}`;
  const workDir = join(root, jobId);
  await mkdir(workDir);
  await writeFile(join(workDir, 'job.sh'), body);
  return {
    jobId,
    workDir,
    script: join(workDir, 'job.sh'),
    env: {},
    limits: { cpuTimeSeconds: 60 },
    stdoutPath: join(workDir, 'out.txt'),
    stderrPath: join(workDir, 'err.txt'),
    ...over,
  };
}

/** Pids a script wrote, one a line, once the file has `count` of them (bounded wait). */
async function pidsIn(file: string, count: number): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    const pids = (await readFile(file, 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
    if (pids.length >= count) return pids;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${file} did not get ${count} pids`);
}

describe('LocalExecutor', () => {
  const executor = new LocalExecutor({ maxConcurrent: 4, killGraceMs: 500 });

  it('runs a script in its work folder with its stdout, stderr and exit status', async () => {
    const job = await jobWith('echo "out in $(pwd)"\necho err >&2\nexit 3\n');
    const running = await executor.start({ ...job, script: 'job.sh' });
    expect(running.handle).toMatch(/^\d+$/);
    const outcome = await running.wait();
    expect(outcome).toMatchObject({ kind: 'exited', exitCode: 3 });
    expect(outcome.signal).toBeUndefined();
    expect(await readFile(job.stdoutPath, 'utf8')).toBe(`out in ${job.workDir}\n`);
    expect(await readFile(job.stderrPath, 'utf8')).toBe('err\n');
  });

  it('passes the job env exactly and leaks nothing of the agent environment', async () => {
    process.env.MIG_AGENT_SECRET = 'agent-secret-value';
    try {
      const weird = `a 'quoted' "value"\nwith $HOME and \`ticks\` and ; rm -rf /`;
      const job = await jobWith('env > env.txt\nprintf %s "$WEIRD" > weird.txt\n', { env: { FOO: 'bar', WEIRD: weird } });
      expect((await (await executor.start(job)).wait()).exitCode).toBe(0);
      const env = await readFile(join(job.workDir, 'env.txt'), 'utf8');
      expect(env).toContain('FOO=bar\n');
      expect(env).toContain(`HOME=${job.workDir}\n`);
      expect(env).toContain('PATH=/usr/local/bin:/usr/bin:/bin\n');
      expect(env).not.toContain('agent-secret-value');
      expect(env).not.toContain('MIG_AGENT_SECRET');
      expect(await readFile(join(job.workDir, 'weird.txt'), 'utf8')).toBe(weird);
    } finally {
      delete process.env.MIG_AGENT_SECRET;
    }
  });

  it('kills a busy loop at its CPU-time limit (ulimit -t)', async () => {
    const job = await jobWith('while :; do :; done\n', { limits: { cpuTimeSeconds: 1, wallTimeSeconds: 60 } });
    const outcome = await (await executor.start(job)).wait();
    expect(outcome).toMatchObject({ kind: 'exited', exitCode: 128 + 24, signal: 'SIGXCPU' });
  });

  it('makes a big allocation fail under its memory limit (ulimit -v)', async () => {
    const body = 'dd bs=300M count=1 if=/dev/zero of=/dev/null 2>dd.err\n';
    const limited = await jobWith(body, { limits: { cpuTimeSeconds: 60, memoryMb: 100 } });
    expect((await (await executor.start(limited)).wait()).exitCode).not.toBe(0);
    expect(await readFile(join(limited.workDir, 'dd.err'), 'utf8')).toMatch(/memory/i);
    const free = await jobWith(body, { limits: { cpuTimeSeconds: 60 } });
    expect((await (await executor.start(free)).wait()).exitCode).toBe(0);
  });

  it('stops a job at its wall-time limit with every process it started, stubborn ones included', async () => {
    const job = await jobWith(
      [
        'echo $$ >> pids',
        'sleep 300 & echo $! >> pids',
        // Ignores SIGTERM: needs the SIGKILL after the grace period.
        `sh -c 'trap "" TERM; echo $$ >> pids; exec sleep 300' &`,
        // Moves into a process group of its own: found through its session.
        `perl -e 'setpgrp(0, 0); open(my $f, ">>", "pids"); print $f "$$\\n"; close($f); sleep 300' &`,
        'wait',
        '',
      ].join('\n'),
      { limits: { cpuTimeSeconds: 60, wallTimeSeconds: 1 } },
    );
    const running = await executor.start(job);
    const pids = await pidsIn(join(job.workDir, 'pids'), 4);
    const outcome = await running.wait();
    expect(outcome.kind).toBe('timeout');
    expect(outcome.message).toMatch(/wall-time limit of 1 s/);
    expect(pids.filter(processAlive)).toEqual([]);
    expect(existsSync(join(job.workDir, '.mig-exit-' + job.jobId))).toBe(false);
  });

  it('ends what a script left running when it exits', async () => {
    const job = await jobWith('sleep 300 & echo $! > pids\nexit 0\n');
    const outcome = await (await executor.start(job)).wait();
    expect(outcome).toMatchObject({ kind: 'exited', exitCode: 0 });
    const [pid] = await pidsIn(join(job.workDir, 'pids'), 1);
    expect(processAlive(pid as number)).toBe(false);
  });

  it('cancels a running job and all of its processes', async () => {
    const job = await jobWith('echo $$ > pids\nsleep 300 & echo $! >> pids\nwait\n');
    const running = await executor.start(job);
    const pids = await pidsIn(join(job.workDir, 'pids'), 2);
    expect(pids.every(processAlive)).toBe(true);
    await running.cancel('the owner asked');
    expect(pids.filter(processAlive)).toEqual([]);
    const outcome = await running.wait();
    expect(outcome.kind).toBe('canceled');
    expect(outcome.message).toContain('the owner asked');
    await running.cancel('again'); // a no-op once ended
    expect((await running.wait()).kind).toBe('canceled');
  });

  it('runs at most maxConcurrent jobs; others wait in order, and a waiting start can be aborted', async () => {
    const capped = new LocalExecutor({ maxConcurrent: 1, killGraceMs: 200 });
    const first = await jobWith('sleep 1\necho done > done\n');
    const second = await jobWith(`test -f ${join(first.workDir, 'done')} && echo after > seen\n`);
    const third = await jobWith('echo never > ran\n');
    const a = await capped.start(first);
    expect(capped.running).toBe(1);
    const pendingB = capped.start(second);
    const abort = new AbortController();
    const pendingC = capped.start(third, { signal: abort.signal });
    await new Promise((r) => setTimeout(r, 50));
    expect(capped.waiting).toBe(2);
    abort.abort(new Error('no longer wanted'));
    await expect(pendingC).rejects.toThrow('no longer wanted');
    expect(capped.waiting).toBe(1);
    expect((await a.wait()).exitCode).toBe(0);
    const b = await pendingB;
    expect((await b.wait()).exitCode).toBe(0);
    expect(await readFile(join(second.workDir, 'seen'), 'utf8')).toBe('after\n');
    expect(existsSync(join(third.workDir, 'ran'))).toBe(false);
    expect(capped.running).toBe(0);
    await capped.close();
  });

  it('reattaches to a job after an agent restart and reads its status from the exit record', async () => {
    const job = await jobWith('sleep 1\nexit 7\n');
    const first = await executor.start(job);
    const restarted = new LocalExecutor({ killGraceMs: 200, reattachPollMs: 100 });
    const again = await restarted.reattach({ jobId: job.jobId, workDir: job.workDir, handle: first.handle });
    expect(again.handle).toBe(first.handle);
    expect(await again.wait()).toMatchObject({ kind: 'exited', exitCode: 7 });
    // Once ended, a reattach resolves at once from the record.
    expect(await (await restarted.reattach({ jobId: job.jobId, workDir: job.workDir, handle: first.handle })).wait()).toMatchObject({ kind: 'exited', exitCode: 7 });
    await first.wait();

    // A reattached job can be canceled, and keeps its wall-time limit.
    const long = await jobWith('sleep 300 & echo $! > pids\nwait\n');
    const started = await executor.start(long);
    const [child] = await pidsIn(join(long.workDir, 'pids'), 1);
    const found = await restarted.reattach({ jobId: long.jobId, workDir: long.workDir, handle: started.handle });
    await found.cancel('agent shutting down');
    expect((await found.wait()).kind).toBe('canceled');
    expect(processAlive(child as number)).toBe(false);
    await started.wait();

    const timed = await jobWith('sleep 300\n', { limits: { cpuTimeSeconds: 60, wallTimeSeconds: 2 } });
    const t = await executor.start(timed);
    const t2 = await restarted.reattach({ jobId: timed.jobId, workDir: timed.workDir, handle: t.handle, limits: timed.limits });
    expect((await t2.wait()).kind).toBe('timeout');
    await t.wait();
    await restarted.close();
  });

  it('never adopts a process that is not the job (pid reuse, a hostile handle)', async () => {
    const job = await jobWith('exit 0\n');
    const mine = await executor.reattach({ jobId: job.jobId, workDir: job.workDir, handle: String(process.pid) });
    const outcome = await mine.wait();
    expect(outcome.kind).toBe('lost');
    await mine.cancel('must not touch the test process');
    expect(processAlive(process.pid)).toBe(true);
    for (const handle of ['0', '1', '-5', 'abc', '12 34', '']) {
      expect(await codeOf(executor.reattach({ jobId: job.jobId, workDir: job.workDir, handle }))).toBe('MIG_E_INVALID_INPUT');
    }
  });

  it('refuses bad jobs before running anything', async () => {
    const good = await jobWith('echo ran > ran\n');
    await writeFile(join(root, 'outside.sh'), 'echo ran > ran\n');
    const bad: Partial<ExecutorJob>[] = [
      { jobId: '' },
      { jobId: '../escape' },
      { jobId: '-rf' },
      { jobId: '.hidden' },
      { jobId: 'a b' },
      { jobId: 'x'.repeat(129) },
      { workDir: 'relative/dir' },
      { workDir: `${good.workDir}/../${good.jobId}` },
      { workDir: join(root, 'missing') },
      { workDir: `${good.workDir}\nx` },
      { script: join(root, 'outside.sh') },
      { script: '../outside.sh' },
      { script: '/etc/passwd' },
      { script: good.workDir },
      { script: 'missing.sh' },
      { stdoutPath: join(good.workDir, 'out-%j.txt') },
      { stderrPath: join(good.workDir, 'err\n.txt') },
      { stdoutPath: join(good.workDir, 'no-such-folder', 'out.txt') },
      { env: { '1BAD': 'x' } },
      { env: { 'A-B': 'x' } },
      { env: { 'A=B': 'x' } },
      { env: { '': 'x' } },
      { env: { OK: 'nul\0inside' } },
      { env: { OK: 5 as unknown as string } },
      { limits: { cpuTimeSeconds: 0 } },
      { limits: { cpuTimeSeconds: -1 } },
      { limits: { cpuTimeSeconds: 1.5 } },
      { limits: { cpuTimeSeconds: Number.NaN } },
      { limits: { cpuTimeSeconds: 1e12 } },
      { limits: { cpuTimeSeconds: 10, memoryMb: 0 } },
      { limits: { cpuTimeSeconds: 10, wallTimeSeconds: Infinity } },
      { limits: { cpuTimeSeconds: 10, cpus: 2 ** 40 } },
      { limits: {} as ExecutorJob['limits'] },
    ];
    for (const over of bad) {
      expect(await codeOf(executor.start({ ...good, ...over })), JSON.stringify(over)).toBe('MIG_E_INVALID_INPUT');
    }
    expect(existsSync(join(good.workDir, 'ran'))).toBe(false);
    expect(executor.running).toBe(0);
  });
});
