/**
 * `mig-resource run --site URL --token TOKEN [--executor local|slurm] [--units N] [--ca FILE]`:
 * the resource agent in the foreground. The token may also come from `MIG_RESOURCE_TOKEN` (keeps
 * it out of the process list). Ctrl-C / SIGTERM stop asking for work and cancel running jobs.
 * `--transfers agent|script`: who moves the jobs' files (default: the agent for the local
 * executor, the job script with curl for Slurm).
 */
import { cpus, homedir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MigError } from '@migrid/core';
import { ResourceAgent } from '../agent/resource-agent.js';
import { LocalExecutor } from '../executors/local-executor.js';
import { SlurmExecutor } from '../executors/slurm-executor.js';

const USAGE = `usage: mig-resource run --site URL --token TOKEN [--executor local|slurm] [--units N] [--ca FILE]
                        [--work-dir DIR] [--cpu-time SECONDS] [--memory MB] [--disk GB] [--slurm-conf FILE]
                        [--transfers agent|script]
  The token is printed by "mig resource add"; it may also be given as MIG_RESOURCE_TOKEN.
  --transfers: who fetches inputs and sends results: the agent itself (default with --executor
  local) or the job script with curl (default with --executor slurm, whose jobs run elsewhere).`;

function fail(message: string): never {
  process.stderr.write(`mig-resource: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
if (command !== 'run') fail(command === undefined ? 'say what to do' : `unknown command ${JSON.stringify(command)}`);
let values: Record<string, string | undefined>;
try {
  ({ values } = parseArgs({
    args: rest,
    options: {
      site: { type: 'string' },
      token: { type: 'string' },
      executor: { type: 'string', default: 'local' },
      units: { type: 'string', default: '1' },
      ca: { type: 'string' },
      'work-dir': { type: 'string' },
      'cpu-time': { type: 'string', default: '86400' },
      memory: { type: 'string' },
      disk: { type: 'string', default: '100' },
      'slurm-conf': { type: 'string' },
      transfers: { type: 'string' },
    },
    strict: true,
  }) as { values: Record<string, string | undefined> });
} catch (err) {
  fail((err as Error).message);
}
const site = values.site ?? fail('--site is required');
const token = values.token ?? process.env.MIG_RESOURCE_TOKEN ?? fail('--token (or MIG_RESOURCE_TOKEN) is required');
const whole = (name: string, min: number, max: number): number => {
  const text = values[name] ?? '';
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) fail(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
};
const units = whole('units', 1, 256);
const cpuTime = whole('cpu-time', 1, 31_536_000);
const disk = whole('disk', 0, 1_000_000_000);
const memory = values.memory === undefined ? Math.floor(totalmem() / 1024 / 1024) : whole('memory', 1, 1_000_000_000);
const kind = values.executor;
if (kind !== 'local' && kind !== 'slurm') fail('--executor is "local" or "slurm"');
const transfers = values.transfers;
if (transfers !== undefined && transfers !== 'agent' && transfers !== 'script') fail('--transfers is "agent" or "script"');
if (transfers === 'agent' && kind !== 'local') fail('--transfers agent needs --executor local (Slurm jobs run on other nodes, which fetch their own files)');
let executor: LocalExecutor | SlurmExecutor;
let agent: ResourceAgent;
try {
  executor = kind === 'slurm' ? new SlurmExecutor(values['slurm-conf'] === undefined ? {} : { slurmConf: values['slurm-conf'] }) : new LocalExecutor({ maxConcurrent: units });
  agent = new ResourceAgent({
    siteUrl: site,
    token,
    executor,
    units: Array.from({ length: units }, (_, i) => ({ name: `exe${i}`, capacity: { cpuTimeSeconds: cpuTime, nodeCount: 1, cpuCount: Math.max(1, Math.floor(cpus().length / units)), memoryMb: Math.floor(memory / units), diskGb: disk } })),
    workDir: values['work-dir'] ?? join(homedir(), '.mig', 'resource-work'),
    ...(values.ca === undefined ? {} : { caFile: values.ca }),
    ...(transfers === undefined ? {} : { transfers }),
    log: (message) => process.stderr.write(`${new Date().toISOString()} ${message}\n`),
  });
  await agent.start();
} catch (err) {
  // Bad options are usage errors (exit 2); anything else (an unreadable CA file …) exits 1.
  if (err instanceof MigError && err.code === 'MIG_E_INVALID_INPUT') fail(err.message);
  process.stderr.write(`mig-resource: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
process.stderr.write(`mig-resource: ${units} unit(s) asking ${site} for work with the ${kind} executor; Ctrl-C stops.\n`);
const stop = (): void => {
  process.stderr.write('mig-resource: stopping (running jobs are cancelled)\n');
  void agent.stop({ cancelRunning: true }).then(() => executor.close()).then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
