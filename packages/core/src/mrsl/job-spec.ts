/**
 * The typed form of a MiG job description: one field per mRSL keyword, named exactly as the
 * keyword is written (`::CPUTIME::` → `CPUTIME`), so an error, a file and the code use one name.
 * @packageDocumentation
 */

/**
 * The field names MAXFILL may list: `ALL`, or the resource requests a job may take as minimums.
 *
 * @example
 * ```ts
 * MAXFILL_FIELDS.includes('MEMORY'); // true
 * ```
 */
export const MAXFILL_FIELDS = ['ALL', 'CPUTIME', 'NODECOUNT', 'CPUCOUNT', 'MEMORY', 'DISK'] as const;

/**
 * One entry of MAXFILL.
 *
 * @example
 * ```ts
 * const fill: MaxFillField[] = ['CPUTIME', 'MEMORY'];
 * ```
 */
export type MaxFillField = (typeof MAXFILL_FIELDS)[number];

/**
 * One line of INPUTFILES, OUTPUTFILES, EXECUTABLES or VERIFYFILES: `source` or `source destination`.
 *
 * Paths are relative (a leading `/` is removed) and normalised (`a/./b` → `a/b`); an entry that
 * contains `://` is a URL and is kept as written. When the line names one file, `destination`
 * equals `source`.
 *
 * @example
 * ```ts
 * const input: FileTransfer = { source: 'data/in.txt', destination: 'in.txt' };
 * ```
 */
export interface FileTransfer {
  /** Where the file comes from (home-relative path or URL for inputs; job-folder path for outputs). */
  readonly source: string;
  /** Where the file goes; the same as `source` when the line named one file. */
  readonly destination: string;
}

/**
 * One ENVIRONMENT line, `name=value`, split at the first `=`.
 *
 * @example
 * ```ts
 * const env: EnvironmentVariable = { name: 'GUILE_LOAD_PATH', value: '.' };
 * ```
 */
export interface EnvironmentVariable {
  /** The variable name (everything before the first `=`). */
  readonly name: string;
  /** The value (everything after the first `=`). */
  readonly value: string;
}

/**
 * A parsed, validated job description: all 25 keywords of MiG's `mrslkeywords.py`, with MiG's
 * defaults for the ones a description leaves out.
 *
 * @example
 * ```ts
 * const spec = parseMrsl('::EXECUTE::\necho hello\n');
 * spec.CPUTIME;   // 600 (MiG's default)
 * spec.VGRID;     // ['Generic']
 * spec.EXECUTE;   // ['echo hello']
 * ```
 */
export interface JobSpec {
  /** Shell commands run one after another in one shell session (required, at least one). */
  readonly EXECUTE: readonly string[];
  /** Files copied to the job folder before execution (home-relative paths or URLs). */
  readonly INPUTFILES: readonly FileTransfer[];
  /** Files copied from the job folder to the home (or a URL) after execution. */
  readonly OUTPUTFILES: readonly FileTransfer[];
  /** Like INPUTFILES, but made executable on the resource. */
  readonly EXECUTABLES: readonly FileTransfer[];
  /** `home_path mount_point` lines: parts of the home mounted on the resource during the job. */
  readonly MOUNT: readonly string[];
  /** Resources (patterns with `*` and `?`) the job may run on; empty means any. */
  readonly RESOURCE: readonly string[];
  /** VGrids the job may run in, in order of preference; `ANY` means all the user's VGrids. Default `['Generic']`. */
  readonly VGRID: readonly string[];
  /** Number of nodes (default 1). */
  readonly NODECOUNT: number;
  /** CPU cores per node (default 1). */
  readonly CPUCOUNT: number;
  /** Wall/CPU time in seconds (default 600). */
  readonly CPUTIME: number;
  /** Memory in megabytes (default 64). */
  readonly MEMORY: number;
  /** Disk in gigabytes (default 0). */
  readonly DISK: number;
  /** Required CPU architecture, one of the site's list; `''` means any. */
  readonly ARCHITECTURE: string;
  /** Requests to treat as minimums, granting what the resource offers. */
  readonly MAXFILL: readonly MaxFillField[];
  /** Variables exported before the commands run. */
  readonly ENVIRONMENT: readonly EnvironmentVariable[];
  /** Runtime environments the resource must offer (upper-cased, as MiG does). */
  readonly RUNTIMEENVIRONMENT: readonly string[];
  /** Who to tell when the job ends: `email@host`, `protocol: address`, or `protocol: SETTINGS`. */
  readonly NOTIFY: readonly string[];
  /** Expected `.status`/`.stdout`/`.stderr` files the results are compared with. */
  readonly VERIFYFILES: readonly FileTransfer[];
  /** Automatic requeues after a timeout or resource failure (default: the site's `job_retries`). */
  readonly RETRIES: number;
  /** `batch` (default), `interactive`, `bulk` … one of the site's job types. */
  readonly JOBTYPE: string;
  /** A free name for the job, available as `+JOBNAME+` (default `''`). */
  readonly JOBNAME: string;
  /** Project tag for grouped statistics (default `''`). */
  readonly PROJECT: string;
  /** Whether the job may run on sandbox resources (default false). */
  readonly SANDBOX: boolean;
  /** Platform the resource must have (default `''`, any). */
  readonly PLATFORM: string;
  /** Maximum price (MiG's economy is a proof of concept; default `'0'`). */
  readonly MAXPRICE: string;
}

/**
 * The name of an mRSL keyword.
 *
 * @example
 * ```ts
 * const key: MrslKeywordName = 'CPUTIME';
 * ```
 */
export type MrslKeywordName = keyof JobSpec;
