/**
 * The processes of a local job: the job's wrapper is started as the leader of a new session (and
 * process group), so every process the job starts shares that session id — also those that move
 * into a process group of their own. Signalling the group and then every member of the session
 * (found in Linux's `/proc`) reaches them all; only a process that starts a session of its own
 * (`setsid`) escapes, which a batch system's process tracking (Slurm's cgroups) would catch.
 *
 * A session id is not reused by the kernel while any process still carries it, so signalling by
 * session never reaches a stranger.
 *
 * @example
 * ```ts
 * const gone = await terminateSession(child.pid, 5_000); // SIGTERM, then SIGKILL after 5 s
 * ```
 * @packageDocumentation
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** What `/proc/<pid>/stat` says about a process. */
export interface ProcessStat {
  /** One-letter state (`R`, `S`, `Z`, …). */
  readonly state: string;
  /** Parent process id. */
  readonly ppid: number;
  /** Process group id. */
  readonly pgrp: number;
  /** Session id. */
  readonly session: number;
  /** Start time in clock ticks after boot. */
  readonly startTicks: number;
}

/** Parses the text of `/proc/<pid>/stat`. */
function parseProcessStat(text: string): ProcessStat | undefined {
  // The command name in parentheses may itself hold spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ', 20);
  const [state, ppid, pgrp, session] = fields;
  const startTicks = Number(fields[19]);
  if (state === undefined) return undefined;
  return { state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session), startTicks };
}

/** `/proc/<pid>/stat` parsed, or `undefined` when the process does not exist (or no `/proc`). */
export async function readProcessStat(pid: number): Promise<ProcessStat | undefined> {
  try {
    return parseProcessStat(await readFile(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

/** The command line of a process (its arguments), or `undefined` when it is gone. */
export async function readProcessArgs(pid: number): Promise<string[] | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return text.split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}

/** Seconds since a process started, from `/proc` (clock ticks taken as 100 per second, Linux's). */
export async function processAgeSeconds(pid: number): Promise<number | undefined> {
  const stat = await readProcessStat(pid);
  if (stat === undefined || !Number.isFinite(stat.startTicks)) return undefined;
  try {
    const uptime = Number((await readFile('/proc/uptime', 'latin1')).split(' ')[0]);
    return Number.isFinite(uptime) ? Math.max(0, uptime - stat.startTicks / 100) : undefined;
  } catch {
    return undefined;
  }
}

/** One buffer for every `/proc/<pid>/stat` read of a scan (a stat line is a few hundred bytes). */
const statBuffer = Buffer.allocUnsafe(4096);

/**
 * The text of `/proc/<pid>/stat` read into {@link statBuffer}, synchronously; `undefined` when the
 * process is gone. `readFileSync` would allocate a 64 KiB buffer for each of these size-0 files.
 */
function readStatSync(name: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${name}/stat`, 'r');
  } catch {
    return undefined;
  }
  try {
    const n = readSync(fd, statBuffer, 0, statBuffer.length, 0);
    return statBuffer.toString('latin1', 0, n);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Live (not zombie) processes in session or process group `sid`. Without `/proc`: `undefined`.
 * Reads `/proc` synchronously into one reused buffer: a scan of a few hundred tiny files takes
 * well under a millisecond that way, against tens of milliseconds of thread-pool round trips (it
 * runs at every job's end).
 */
export async function sessionMembers(sid: number): Promise<number[] | undefined> {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: number[] = [];
  for (const name of names) {
    // Only the numeric entries are processes.
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    const text = readStatSync(name);
    const stat = text === undefined ? undefined : parseProcessStat(text);
    if (stat !== undefined && stat.state !== 'Z' && (stat.session === sid || stat.pgrp === sid)) members.push(Number(name));
  }
  return Promise.resolve(members);
}

function tryKill(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of session `sid` lives. */
export async function sessionAlive(sid: number): Promise<boolean> {
  const members = await sessionMembers(sid);
  if (members !== undefined) return members.length > 0;
  return tryKill(-sid, 0);
}

/** Sends `signal` to process group `sid` and to every member of session `sid`. */
export async function signalSession(sid: number, signal: NodeJS.Signals): Promise<void> {
  if (!Number.isInteger(sid) || sid <= 1) return;
  tryKill(-sid, signal);
  for (const pid of (await sessionMembers(sid)) ?? []) tryKill(pid, signal);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls (every 50 ms, at most `ms`) until session `sid` has no live process; true when gone. */
export async function waitSessionGone(sid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (!(await sessionAlive(sid))) return true;
    if (Date.now() >= until) return false;
    await sleep(50);
  }
}

/**
 * Ends every process of session `sid`: `SIGTERM` (and `SIGCONT`, so that stopped processes see
 * it), then `SIGKILL` to whatever is left after `graceMs`. Resolves true once all are gone (waits
 * at most `graceMs` + 5 s).
 */
export async function terminateSession(sid: number, graceMs: number): Promise<boolean> {
  if (!Number.isInteger(sid) || sid <= 1) return true;
  if (!(await sessionAlive(sid))) return true;
  await signalSession(sid, 'SIGTERM');
  await signalSession(sid, 'SIGCONT');
  if (await waitSessionGone(sid, graceMs)) return true;
  await signalSession(sid, 'SIGKILL');
  return waitSessionGone(sid, 5_000);
}
