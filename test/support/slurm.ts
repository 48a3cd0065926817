/**
 * A private single-node Slurm for tests and benchmarks: its own munged (own key and socket), its
 * own slurmctld and slurmd on free loopback ports, config, state and spool under a temp folder —
 * the system's Slurm and munge are never touched. Follows `../shared/reference/slurm-single-node.md`
 * (Debian's `slurm-wlm` 22.05 and `munge`, as root), tuned for many small jobs.
 *
 * Without the binaries or root, {@link slurmAvailability} says why and tests skip — except under
 * `CI=true`, where `.ci/run` installs them and a missing Slurm fails the test.
 *
 * @example
 * ```ts
 * const slurm = await startSlurm();
 * const out = execFileSync('sbatch', ['--parsable', '--wrap', 'true'], { env: { ...process.env, ...slurm.env } });
 * await slurm.stop();
 * ```
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const exec = promisify(execFile);

const BINARIES = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch', '/usr/bin/squeue', '/usr/bin/scancel', '/usr/bin/sinfo'];

/** A running private Slurm. */
export interface TestSlurm {
  /** The folder holding its config, state, spool and logs. */
  readonly dir: string;
  /** `slurm.conf` of this instance. */
  readonly conf: string;
  /** Environment for Slurm's client commands (`SLURM_CONF`). */
  readonly env: { readonly SLURM_CONF: string };
  /** The node's name (the short host name). */
  readonly node: string;
  /** Stops slurmd, slurmctld and munged and removes the folder. */
  stop(): Promise<void>;
}

/** Why a private Slurm cannot run here, or `undefined` when it can. */
export function slurmAvailability(): string | undefined {
  const missing = BINARIES.filter((b) => !existsSync(b));
  if (missing.length > 0) return `Slurm is not installed (missing ${missing.join(', ')}; apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'a private Slurm needs root (SlurmUser=root), as on CI';
  return undefined;
}

/**
 * Whether Slurm tests should be skipped here: logs why and returns true on a developer machine
 * without Slurm; throws under `CI=true`.
 */
export function skipWithoutSlurm(): boolean {
  const why = slurmAvailability();
  if (why === undefined) return false;
  if (process.env.CI === 'true') throw new Error(`${why} (required when CI=true)`);
  console.warn(`SKIPPED: ${why}`);
  return true;
}

async function pidOf(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function stopPid(file: string): Promise<void> {
  const pid = await pidOf(file);
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Starts a private munged + slurmctld + slurmd and waits until the node is idle. */
export async function startSlurm(options: { realMemoryMb?: number } = {}): Promise<TestSlurm> {
  const why = slurmAvailability();
  if (why !== undefined) throw new Error(why);
  const dir = await mkdtemp(join(tmpdir(), 'mig-slurm-'));
  await chmod(dir, 0o700);
  for (const sub of ['state', 'spool', 'log']) await mkdir(join(dir, sub));
  const key = join(dir, 'munge.key');
  await writeFile(key, randomBytes(1024), { mode: 0o400 });
  const socket = join(dir, 'munge.sock');
  const node = hostname().split('.')[0] ?? 'localhost';
  const conf = join(dir, 'slurm.conf');
  const ctldPort = await freePort();
  let slurmdPort = await freePort();
  while (slurmdPort === ctldPort) slurmdPort = await freePort();
  const lines = [
    'ClusterName=migtest',
    `SlurmctldHost=${node}(127.0.0.1)`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'AuthType=auth/munge',
    `AuthInfo=socket=${socket}`,
    'CredType=cred/munge',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SlurmUser=root',
    'SlurmdUser=root',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
    // Tuned for many small jobs (the reference's measured setup).
    'SchedulerType=sched/builtin',
    'SchedulerParameters=sched_interval=1,default_queue_depth=1000,batch_sched_delay=0',
    'MinJobAge=2',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'ReturnToService=2',
    'MpiDefault=none',
    'JobAcctGatherType=jobacct_gather/none',
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=${options.realMemoryMb ?? 8000} State=UNKNOWN`,
    `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
  ];
  await writeFile(conf, `${lines.join('\n')}\n`);
  const env = { SLURM_CONF: conf };
  const stop = async (): Promise<void> => {
    await stopPid(join(dir, 'slurmd.pid'));
    await stopPid(join(dir, 'slurmctld.pid'));
    await stopPid(join(dir, 'munged.pid'));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await exec('/usr/sbin/munged', ['--force', `--socket=${socket}`, `--key-file=${key}`, `--pid-file=${join(dir, 'munged.pid')}`, `--log-file=${join(dir, 'log', 'munged.log')}`, `--seed-file=${join(dir, 'munge.seed')}`]);
    await exec('/usr/sbin/slurmctld', ['-f', conf], { env: { ...process.env, ...env } });
    await exec('/usr/sbin/slurmd', ['-f', conf], { env: { ...process.env, ...env } });
    // Bounded wait for the node to come up idle.
    for (let i = 0; i < 100; i++) {
      const { stdout } = await exec('/usr/bin/sinfo', ['-h', '-o', '%T'], { env: { ...process.env, ...env } }).catch(() => ({ stdout: '' }));
      if (stdout.trim() === 'idle') return { dir, conf, env, node, stop };
      await new Promise((r) => setTimeout(r, 200));
    }
    const log = await readFile(join(dir, 'log', 'slurmctld.log'), 'utf8').catch(() => '');
    throw new Error(`the private Slurm did not become idle in 20 s; slurmctld log:\n${log.slice(-2000)}`);
  } catch (err) {
    await stop();
    throw err;
  }
}
