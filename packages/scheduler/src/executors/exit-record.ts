/**
 * The exit record: a small file an executor's wrapper writes into the job's work folder when the
 * job script ends (`<status>`), or when the batch system terminates it (`terminated`). It is how an
 * executor learns a job's exit status when it cannot see the process end itself: a Slurm job
 * (no accounting needed), or a local job found again after an agent restart.
 *
 * The file is `.mig-exit-<job id>` in the work folder. It is written with the job's own rights, so
 * a job can only lie about its own status; it is read without following symbolic links and only
 * a status number or the word `terminated` is accepted.
 *
 * @example
 * ```ts
 * const record = await readExitRecord(exitRecordPath(workDir, jobId));
 * if (record?.kind === 'exit') console.log(record.code, signalOfStatus(record.code));
 * ```
 * @packageDocumentation
 */
import { constants as fsConstants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';

/** What an exit record says. */
export type ExitRecord = { readonly kind: 'exit'; readonly code: number } | { readonly kind: 'terminated' };

/** The exit record's path for a job. */
export function exitRecordPath(workDir: string, jobId: string): string {
  return join(workDir, `.mig-exit-${jobId}`);
}

/** Reads an exit record; `undefined` when it is missing, empty, a link or not a record. */
export async function readExitRecord(path: string): Promise<ExitRecord | undefined> {
  let handle;
  try {
    handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined;
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('latin1').trim();
    if (text === 'terminated') return { kind: 'terminated' };
    if (/^\d{1,3}$/.test(text)) {
      const code = Number(text);
      if (code <= 255) return { kind: 'exit', code };
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Removes a stale exit record (from an earlier run of the same job in the same folder). */
export async function removeExitRecord(path: string): Promise<void> {
  await rm(path, { force: true });
}

/**
 * The signal a shell exit status stands for: a status of 128 + n is how `sh` reports a command
 * killed by signal n (e.g. 152 → `SIGXCPU`). Best effort: a script may also `exit 152` itself.
 *
 * @example
 * ```ts
 * signalOfStatus(143); // 'SIGTERM'
 * signalOfStatus(1); // undefined
 * ```
 */
export function signalOfStatus(status: number): string | undefined {
  if (status <= 128 || status > 128 + 64) return undefined;
  const number = status - 128;
  for (const [name, value] of Object.entries(osConstants.signals)) {
    if (value === number) return name;
  }
  return undefined;
}

/** Human text for an exit status, e.g. `exited with status 152 (SIGXCPU)`. */
export function describeStatus(status: number): string {
  const signal = signalOfStatus(status);
  return signal === undefined ? `exited with status ${status}` : `exited with status ${status} (${signal})`;
}
