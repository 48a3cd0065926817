/**
 * The parts the full job script (`generate-job-script.ts`) and the agent-staged job
 * (`generate-staged-job.ts`) share: input checks, sh quoting, where each transfer goes, the
 * environment exports and the EXECUTE lines. Both forms run the job's commands the same way.
 * @packageDocumentation
 */
import type { FileTransfer, JobSpec } from '@migrid/core';
import { InvalidInputError } from '@migrid/core';

/** What a job script needs to know besides the job description. */
export interface JobScriptInput {
  /** The job's id (MiG's shape, e.g. `42_7_2_2025__12_57_15_myhost.0`). */
  readonly jobId: string;
  /** The job's session id: its only credential, 64 hex characters. */
  readonly sessionId: string;
  /** The site's base URL for job file traffic, e.g. `https://mig.example.org:8443`. */
  readonly siteUrl: string;
  /** The job description, with `+JOBID+`/`+JOBNAME+` already expanded. */
  readonly spec: JobSpec;
  /** The owner, as MiG's `MIG_SUBMITUSER` (the distinguished name). */
  readonly submitUser: string;
  /** The execution unit's name, as `MIG_EXEUNIT`. */
  readonly unitName: string;
  /** Values of the job's runtime environments, exported before the job's own ENVIRONMENT. */
  readonly runtimeEnvironment?: readonly { readonly name: string; readonly value: string }[];
}

const JOB_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const SESSION_ID = /^[0-9a-f]{64}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A transfer source or destination that is a URL rather than a path in the owner's home. */
export const URL_SOURCE = /^(https?|ftp):\/\//;

/** Quotes `value` for POSIX sh (single quotes; embedded quotes closed and escaped). */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new InvalidInputError('A job script value contains a NUL character.');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A path inside the owner's home as a URL path below the session, each component encoded. */
export function sessionPath(path: string): string {
  return path
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .map((p) => {
      if (p === '..') throw new InvalidInputError(`The job file path ${JSON.stringify(path)} climbs out with "..".`);
      return encodeURIComponent(p);
    })
    .join('/');
}

/** A destination inside the job folder: relative, no `..`, no leading `/`. */
export function jobDirPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) throw new InvalidInputError(`The job file name ${JSON.stringify(path)} is not a plain path inside the job folder.`);
  return parts.join('/');
}

/** Where a transfer lands: its destination, or the source's base name when none was given. */
export function destinationOf(t: FileTransfer): string {
  if (t.destination !== '') return t.destination;
  const base = t.source.split('/').filter((p) => p !== '').pop();
  return base ?? t.source;
}

/** Checks the ids and the site URL; the session's base URL (`…/sid_redirect/<session-id>`). */
export function checkScriptInput(input: JobScriptInput): string {
  if (!JOB_ID.test(input.jobId)) throw new InvalidInputError('The job id is not a valid job id.', { details: { field: 'jobId' } });
  if (!SESSION_ID.test(input.sessionId)) throw new InvalidInputError('The session id must be 64 lower-case hex characters.', { details: { field: 'sessionId' } });
  let site: URL;
  try {
    site = new URL(input.siteUrl);
  } catch {
    throw new InvalidInputError('The site URL is not a URL.', { details: { field: 'siteUrl' } });
  }
  if (site.protocol !== 'https:' && site.protocol !== 'http:') throw new InvalidInputError('The site URL must be http(s).', { details: { field: 'siteUrl' } });
  return `${site.origin}${site.pathname.replace(/\/+$/, '')}/sid_redirect/${input.sessionId}`;
}

/** INPUTFILES then EXECUTABLES, each with where it lands in the job folder. */
export function inputTransfers(spec: JobSpec): { transfer: FileTransfer; destination: string; executable: boolean }[] {
  return [...spec.INPUTFILES.map((t) => ({ t, executable: false })), ...spec.EXECUTABLES.map((t) => ({ t, executable: true }))].map(({ t, executable }) => ({
    transfer: t,
    destination: jobDirPath(destinationOf(t)),
    executable,
  }));
}

/** The `mig_note` function: appends `what code` to a file (printf, not echo: dash's echo interprets backslashes). */
export const NOTE_FUNCTION = 'mig_note() { printf \'%s %s\\n\' "$1" "$2" >> "$3"; }';

/** The lines naming the job's output files in the job folder (`MIG_STDOUT` …). */
export function outputFileLines(jobId: string): string[] {
  return [
    `MIG_STDOUT=${shellQuote(`${jobId}.stdout`)}`,
    `MIG_STDERR=${shellQuote(`${jobId}.stderr`)}`,
    `MIG_STATUS=${shellQuote(`${jobId}.status`)}`,
    `MIG_IOSTATUS=${shellQuote(`${jobId}.io-status`)}`,
  ];
}

/**
 * MiG's `MIG_*` variables, the runtime environments' and the job's ENVIRONMENT, exported.
 * `MIG_JOBDIR` is the job folder: `$(pwd)` (a subshell) or, with `fromPwd`, the shell's own `$PWD`
 * (POSIX shells set it at start; one process less per job).
 */
export function environmentLines(input: JobScriptInput, fromPwd = false): string[] {
  const { jobId, spec } = input;
  const env: [string, string][] = [
    ['MIG_JOBID', jobId],
    ['MIG_JOBNAME', spec.JOBNAME === '' ? jobId : spec.JOBNAME],
    ['MIG_SUBMITUSER', input.submitUser],
    ['MIG_JOBDIR', '.'],
    ['MIG_JOBNODECOUNT', String(spec.NODECOUNT)],
    ['MIG_JOBCPUCOUNT', String(spec.CPUCOUNT)],
    ['MIG_JOBCPUTIME', String(spec.CPUTIME)],
    ['MIG_JOBMEMORY', String(spec.MEMORY)],
    ['MIG_JOBDISK', String(spec.DISK)],
    ['MIG_EXEUNIT', input.unitName],
  ];
  for (const v of input.runtimeEnvironment ?? []) env.push([v.name, v.value]);
  for (const v of spec.ENVIRONMENT) env.push([v.name, v.value]);
  const lines: string[] = [];
  for (const [name, value] of env) {
    if (!ENV_NAME.test(name)) throw new InvalidInputError(`The environment variable name ${JSON.stringify(name.slice(0, 64))} is not a valid shell name.`);
    lines.push(`${name}=${shellQuote(value)}; export ${name}`);
  }
  lines.push(fromPwd ? 'MIG_JOBDIR="$PWD"; export MIG_JOBDIR' : 'MIG_JOBDIR="$(pwd)"; export MIG_JOBDIR');
  return lines;
}

/**
 * The EXECUTE lines: each command in its own subshell with the job's output files, and one
 * `command exit-code` line in the `.status` file.
 */
export function commandLines(spec: JobSpec): string[] {
  const lines: string[] = [];
  for (const command of spec.EXECUTE) {
    if (/[\r\n\0]/.test(command)) throw new InvalidInputError('An EXECUTE line contains a line break or NUL.');
    // The line break before `)` keeps a trailing comment in the command from swallowing it.
    lines.push(`( ${command}\n) >> "$MIG_STDOUT" 2>> "$MIG_STDERR"; mig_note ${shellQuote(command)} $? "$MIG_STATUS"`);
  }
  return lines;
}
