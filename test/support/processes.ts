/**
 * Process checks for tests that must prove a job's processes are really gone.
 */
import { readFileSync } from 'node:fs';

/**
 * Whether a process still runs: `kill(pid, 0)` succeeds and it is not a zombie (this container's
 * init reaps orphans lazily, and a zombie holds nothing but its pid).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
