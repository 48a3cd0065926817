/**
 * The typed form of a MiG resource configuration: one field per keyword of MiG's
 * `resconfkeywords.py`, named exactly as the keyword is written (`::CPUCOUNT::` → `CPUCOUNT`),
 * and one object per execution unit (`::EXECONFIG::`) and storage unit (`::STORECONFIG::`) with
 * MiG's lower-case sub-keywords.
 *
 * **What matters in our pull model.** MiG's server logs in to the resource over SSH and starts its
 * scripts; our agent runs on the resource and pulls work over HTTPS. Keywords that only served
 * the SSH model are still accepted and kept (so MiG configurations load unchanged and can be
 * written back), but have no effect; their docs say so with "**Compatibility only**".
 * @packageDocumentation
 */

/**
 * The job limits ENFORCELIMITS can switch on in a job's shell (MiG `genjobscriptsh.py`).
 *
 * @example
 * ```ts
 * ENFORCEABLE_LIMITS.includes('ULIMIT_MEMORY'); // true
 * ```
 */
export const ENFORCEABLE_LIMITS = ['ULIMIT_PROCESSES', 'ULIMIT_CPUTIME', 'ULIMIT_MEMORY', 'ULIMIT_DISK'] as const;

/**
 * One entry of ENFORCELIMITS.
 *
 * @example
 * ```ts
 * const limits: EnforceableLimit[] = ['ULIMIT_CPUTIME'];
 * ```
 */
export type EnforceableLimit = (typeof ENFORCEABLE_LIMITS)[number];

/**
 * How ENFORCELIMITS is written when no limit is enforced. MiG's text form cannot say "none" (an
 * empty block means the default, all four), so we write this word, which MiG's job script
 * generator also reads as "no limit".
 *
 * @example
 * ```ts
 * parseResourceConfig(text).ENFORCELIMITS; // [] when the file says ::ENFORCELIMITS:: NONE
 * ```
 */
export const NO_ENFORCED_LIMITS = 'NONE';

/**
 * One variable a provided runtime environment sets on this resource (`NAME=value` under
 * `name: RE` in `::RUNTIMEENVIRONMENT::`).
 *
 * @example
 * ```ts
 * const v: RuntimeEnvironmentValue = { name: 'POVRAY_HOME', value: '/opt/povray' };
 * ```
 */
export interface RuntimeEnvironmentValue {
  /** The variable the runtime environment defines (a shell variable name). */
  readonly name: string;
  /** Its value on this resource. */
  readonly value: string;
}

/**
 * A runtime environment the resource provides, with the values of the variables the runtime
 * environment requires. Matchmaking compares job RUNTIMEENVIRONMENT names against `name`.
 *
 * @example
 * ```ts
 * const re: ProvidedRuntimeEnvironment = { name: 'POVRAY-3.6', variables: [{ name: 'POVRAY_HOME', value: '/opt/povray' }] };
 * ```
 */
export interface ProvidedRuntimeEnvironment {
  /** Runtime environment name, upper-cased as MiG stores it. */
  readonly name: string;
  /** Values of the runtime environment's variables, in file order. */
  readonly variables: readonly RuntimeEnvironmentValue[];
}

/**
 * One execution unit (`::EXECONFIG::` block): what the agent offers for one stream of jobs.
 * Job requests name the unit (`exe`), and the job's resource ID is `<resource>_<name>`.
 *
 * @example
 * ```ts
 * const exe: ExeUnitConfig = parseResourceConfig(text).EXECONFIG[0]!;
 * exe.cputime; // longest job this unit accepts, in seconds
 * ```
 */
export interface ExeUnitConfig {
  /** Unit name, unique in the resource (FQDN characters: letters, digits, `.`, `-`). Required. */
  readonly name: string;
  /** Maximum wall time per job on this unit, in seconds (default 3600). Matchmaking: job CPUTIME ≤ this. */
  readonly cputime: number;
  /** Physical nodes behind this unit (default 1). */
  readonly nodecount: number;
  /** Command the agent runs before asking for a job; non-zero exit means "not now" (default ''). */
  readonly execution_precondition: string;
  /** Prefix for the job command, e.g. `nice -19` (default ''). */
  readonly prepend_execute: string;
  /** Unit log file name (default `exehost.log`). */
  readonly exehostlog: string;
  /** Job log file name (default `job.log`). */
  readonly joblog: string;
  /** **Compatibility only** (SSH login user on the node; default ''). */
  readonly execution_user: string;
  /** **Compatibility only** (node host name behind the front-end; default ''). */
  readonly execution_node: string;
  /** Working folder on the node (default ''; the agent may use it as its job folder). */
  readonly execution_dir: string;
  /** **Compatibility only** (SSH start command, `default` or `local`; default `default`). */
  readonly start_command: string;
  /** **Compatibility only** (SSH status command; default `default`). */
  readonly status_command: string;
  /** **Compatibility only** (SSH stop command; default `default`). */
  readonly stop_command: string;
  /** **Compatibility only** (SSH clean command; default `default`). */
  readonly clean_command: string;
  /** Keep asking for jobs (true, default) or run one job per start (false). */
  readonly continuous: boolean;
  /** **Compatibility only** (front-end and node share a file system; default true). */
  readonly shared_fs: boolean;
  /** VGrids whose jobs this unit accepts (default `['Generic']`); the VGrid owners must also add the resource. */
  readonly vgrid: readonly string[];
}

/**
 * One storage unit (`::STORECONFIG::` block). **Compatibility only** as a whole: MiG exported
 * these over SFTP to VGrids; this project keeps VGrid data on the site.
 *
 * @example
 * ```ts
 * const store: StoreUnitConfig | undefined = parseResourceConfig(text).STORECONFIG[0];
 * ```
 */
export interface StoreUnitConfig {
  /** Unit name, unique among the resource's storage units (default `localhost`). */
  readonly name: string;
  /** Gigabytes available (default 10). */
  readonly storage_disk: number;
  /** Access protocol; only `sftp` (default). */
  readonly storage_protocol: string;
  /** Access port (default 22). */
  readonly storage_port: number;
  /** Login user (default ''). */
  readonly storage_user: string;
  /** Host behind the front-end (default ''). */
  readonly storage_node: string;
  /** Folder exported to VGrids (default ''). */
  readonly storage_dir: string;
  /** SSH start command (default `default`). */
  readonly start_command: string;
  /** SSH status command (default `default`). */
  readonly status_command: string;
  /** SSH stop command (default `default`). */
  readonly stop_command: string;
  /** SSH clean command (default `default`). */
  readonly clean_command: string;
  /** Shares a file system with the front-end (default true). */
  readonly shared_fs: boolean;
  /** VGrids that get this storage (default `['Generic']`). */
  readonly vgrid: readonly string[];
}

/**
 * A MiG resource configuration, typed, with MiG's defaults filled in.
 *
 * Matchmaking (MiG `job_fits_resource`) compares ARCHITECTURE, JOBTYPE, SANDBOX, PLATFORM,
 * NODECOUNT, CPUCOUNT, MEMORY, DISK, the RUNTIMEENVIRONMENT names, and per execution unit
 * `cputime` and `vgrid`.
 *
 * @example
 * ```ts
 * const cfg: ResourceConfig = parseResourceConfig(text);
 * cfg.HOSTURL;              // 'cluster.example.org'
 * cfg.EXECONFIG[0]?.name;   // 'node01'
 * cfg.RUNTIMEENVIRONMENT.map((re) => re.name); // ['PYTHON-3']
 * ```
 */
export interface ResourceConfig {
  /** FQDN or IP address of the resource front-end (required). Job requests must come from it (or FRONTENDPROXY). */
  readonly HOSTURL: string;
  /** Suffix that makes `HOSTURL.HOSTIDENTIFIER` unique; assigned by the site at registration (default ''). */
  readonly HOSTIDENTIFIER: string;
  /** Show only an anonymous hash of the resource ID in site interfaces (default true). */
  readonly ANONYMOUS: boolean;
  /** **Compatibility only** (front-end SSH public host key; default ''). */
  readonly HOSTKEY: string;
  /** **Compatibility only** (front-end SSH port; default 22). */
  readonly SSHPORT: number;
  /** **Compatibility only** (SSH login user on the front-end; default ''). */
  readonly MIGUSER: string;
  /** Working folder of the agent on the front-end (default ''; MiG's SSH model required it). */
  readonly RESOURCEHOME: string;
  /** **Compatibility only** (front-end name as seen from the nodes; default ''). */
  readonly FRONTENDNODE: string;
  /** NAT proxy FQDN the resource's requests come from, for the source-address check (default ''). */
  readonly FRONTENDPROXY: string;
  /** **Compatibility only** (language of MiG's generated scripts, `sh`/`python`/`java`; default `sh`). */
  readonly SCRIPTLANGUAGE: string;
  /** Job types accepted: `batch` (default), `interactive`, `bulk` or `all`. */
  readonly JOBTYPE: string;
  /** ulimit guards applied to jobs (default all four; `[]` means none). */
  readonly ENFORCELIMITS: readonly EnforceableLimit[];
  /** Total nodes (required; MiG's editor default 1). */
  readonly NODECOUNT: number;
  /** CPU cores per node (required; default 1). */
  readonly CPUCOUNT: number;
  /** Memory per node in MB (required; default 1024). */
  readonly MEMORY: number;
  /** Disk per node in GB (required; default 0). */
  readonly DISK: number;
  /** CPU architecture of the nodes (required; one of the site's architectures, default the first). */
  readonly ARCHITECTURE: string;
  /** Runtime environments the resource provides, with their variable values (default []). */
  readonly RUNTIMEENVIRONMENT: readonly ProvidedRuntimeEnvironment[];
  /** Front-end log file name (default `frontend.log`). */
  readonly FRONTENDLOG: string;
  /** **Compatibility only** (cURL log on the front-end; default `/dev/null`). */
  readonly CURLLOG: string;
  /** **Compatibility only** (SSH connection sharing; default false). */
  readonly SSHMULTIPLEX: boolean;
  /** Local resource manager: `Native` (default), `Native-execution-leader`, `Batch`, `Batch-execution-leader`. */
  readonly LRMSTYPE: string;
  /** Batch: command printing the expected queue delay in seconds (default ''). */
  readonly LRMSDELAYCOMMAND: string;
  /** Batch: submit command; job needs arrive in `MIG_JOB*` variables (default ''). */
  readonly LRMSSUBMITCOMMAND: string;
  /** Batch: remove command (default ''). */
  readonly LRMSREMOVECOMMAND: string;
  /** Batch: "is the job done" command, exit 0 when done (default ''). */
  readonly LRMSDONECOMMAND: string;
  /** Public alias shown in monitors and job status (default ''). */
  readonly PUBLICNAME: string;
  /** Free-text description (default ''). */
  readonly PUBLICINFO: string;
  /** The resource is an untrusted sandbox and only takes SANDBOX jobs (default false). */
  readonly SANDBOX: boolean;
  /** Secret a sandbox sends with its job requests (default ''). A secret: never show it. */
  readonly SANDBOXKEY: string;
  /** Download cap for job input in kB/s, 0 = none (default 0). */
  readonly MAXDOWNLOADBANDWIDTH: number;
  /** Upload cap for job output in kB/s, 0 = none (default 0). */
  readonly MAXUPLOADBANDWIDTH: number;
  /** Platform label, e.g. `ONE-CLICK`; jobs naming a PLATFORM need the same (default ''). */
  readonly PLATFORM: string;
  /** Administrators notified of internal errors (space-separated in the text form; default []). */
  readonly ADMINEMAIL: readonly string[];
  /** Minimum price expression of MiG's economy experiment (default `0`). */
  readonly MINPRICE: string;
  /** Execution units (required: at least one). */
  readonly EXECONFIG: readonly ExeUnitConfig[];
  /** **Compatibility only**: storage units (default []). */
  readonly STORECONFIG: readonly StoreUnitConfig[];
}

/**
 * A resource configuration keyword name.
 *
 * @example
 * ```ts
 * const k: ResourceKeywordName = 'CPUCOUNT';
 * ```
 */
export type ResourceKeywordName = keyof ResourceConfig;
