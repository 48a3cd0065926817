/**
 * CPU time of server processes from `/proc` (Linux), for `bench/web.ts`: on a shared, busy machine
 * wall-clock rates swing with the neighbours' load, while the CPU a server spends per request or
 * per byte is a steadier measure of its own cost.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 on Linux). */
const TICKS = 100;

async function statFields(pid: number): Promise<string[] | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Processes whose parent is `pid` (e.g. nginx's workers under its master). */
export async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = await statFields(Number(name));
    // After the name: state, ppid, …
    if (fields !== undefined && Number(fields[1]) === pid) found.push(Number(name));
  }
  return found;
}

/** User + system CPU seconds used so far by these processes (all their threads); 0 for gone ones. */
export async function cpuSeconds(pids: readonly number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const fields = await statFields(pid);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    if (fields !== undefined) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS;
}

/** Runs `fn` and returns its result with the CPU seconds `pids()` used meanwhile. */
export async function withCpu<T>(pids: () => Promise<readonly number[]>, fn: () => Promise<T>): Promise<{ result: T; cpu: number }> {
  const list = await pids();
  const before = await cpuSeconds(list);
  const result = await fn();
  return { result, cpu: (await cpuSeconds(list)) - before };
}
