/**
 * Reading the status files a job's script uploads: `<job id>.status` (one `command exitcode` line
 * per EXECUTE command, as MiG's job script appends them) and `<job id>.io-status` (one
 * `step exitcode` line per file transfer step).
 * @packageDocumentation
 */

/** What MiG's job script leaves in `.status` when the job failed before its first command. */
export const JOB_SETUP_FAILED_TEXT = 'Internal job setup failed!';

/** Most lines read from a status file (a job has at most 10,000 EXECUTE lines). */
const MAX_STATUS_LINES = 10_000;

/**
 * One command of a job and how it ended.
 *
 * @example
 * ```ts
 * const c: JobCommandStatus = { command: 'echo hello', exitCode: 0 };
 * ```
 */
export interface JobCommandStatus {
  /** The command as the script logged it (MiG's script writes `'` as a backquote). */
  readonly command: string;
  readonly exitCode: number;
}

/**
 * A parsed `.status` file.
 *
 * @example
 * ```ts
 * const report = parseJobStatus('echo hello 0\nfalse 1\n');
 * report.success;        // false
 * report.commands[1];    // { command: 'false', exitCode: 1 }
 * ```
 */
export interface JobStatusReport {
  /** The commands that ran to the end, in order. */
  readonly commands: readonly JobCommandStatus[];
  /** A command that started but has no exit code (the job was killed while it ran), else `null`. */
  readonly unfinished: string | null;
  /** True when the job's setup failed before its first command ran. */
  readonly setupFailed: boolean;
  /** Lines that are none of the above (ignored, counted for diagnosis). */
  readonly unreadableLines: number;
  /** True when at least one command ran, every command exited with 0, and none was cut off. */
  readonly success: boolean;
  /** The exit code of the last command that ran (what a shell would report), or `null`. */
  readonly lastExitCode: number | null;
}

/**
 * One step of a `.io-status` file.
 *
 * @example
 * ```ts
 * const s: JobIoStep = { step: 'send_output_status', exitCode: 0 };
 * ```
 */
export interface JobIoStep {
  readonly step: string;
  readonly exitCode: number;
}

const TRAILING_CODE = /^(.*?)[ \t]+(-?[0-9]{1,10})$/;

function lines(text: string): string[] {
  const all = text.split('\n');
  if (all.length > 0 && all[all.length - 1] === '') all.pop();
  return all.slice(0, MAX_STATUS_LINES).map((l) => l.replace(/\r$/, ''));
}

function splitTrailingCode(line: string): { head: string; code: number } | undefined {
  const m = TRAILING_CODE.exec(line);
  if (m === null) return undefined;
  const code = Number(m[2]);
  if (!Number.isSafeInteger(code) || code < -2_147_483_648 || code > 2_147_483_647) return undefined;
  return { head: (m[1] ?? '').trim(), code };
}

/**
 * Parses a `.status` file. Lines are `command exitcode`; a last line without an exit code is a
 * command that was cut off; the text {@link JOB_SETUP_FAILED_TEXT} means the job never reached
 * its commands. At most 10,000 lines are read.
 *
 * @example
 * ```ts
 * parseJobStatus('Internal job setup failed!\n').setupFailed; // true
 * parseJobStatus('sleep 600 ').unfinished;                     // 'sleep 600'
 * ```
 */
export function parseJobStatus(text: string): JobStatusReport {
  const commands: JobCommandStatus[] = [];
  let unfinished: string | null = null;
  let setupFailed = false;
  let unreadable = 0;
  const all = lines(typeof text === 'string' ? text : '');
  for (const [index, line] of all.entries()) {
    if (line.trim() === '') continue;
    if (line.trim() === JOB_SETUP_FAILED_TEXT) {
      setupFailed = true;
      continue;
    }
    const split = splitTrailingCode(line);
    if (split !== undefined && split.head !== '') {
      commands.push({ command: split.head, exitCode: split.code });
    } else if (index === all.length - 1) {
      unfinished = line.trim();
    } else {
      unreadable += 1;
    }
  }
  const last = commands[commands.length - 1];
  return {
    commands,
    unfinished,
    setupFailed,
    unreadableLines: unreadable,
    success: commands.length > 0 && unfinished === null && !setupFailed && commands.every((c) => c.exitCode === 0),
    lastExitCode: last === undefined ? null : last.exitCode,
  };
}

/**
 * Parses a `.io-status` file: one `step exitcode` line per transfer step (input files,
 * executables, output files …). Lines that are not of that shape are skipped.
 *
 * @example
 * ```ts
 * parseJobIoStatus('get_input_status 0\nsend_output_status 6\n');
 * // [{ step: 'get_input_status', exitCode: 0 }, { step: 'send_output_status', exitCode: 6 }]
 * ```
 */
export function parseJobIoStatus(text: string): JobIoStep[] {
  const steps: JobIoStep[] = [];
  for (const line of lines(typeof text === 'string' ? text : '')) {
    const split = splitTrailingCode(line.trim());
    if (split !== undefined && split.head !== '') steps.push({ step: split.head, exitCode: split.code });
  }
  return steps;
}
