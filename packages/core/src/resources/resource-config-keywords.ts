/**
 * The keyword table of resource configurations (MiG `resconfkeywords.py`): every keyword and
 * sub-keyword in MiG's order, with its kind, default, whether it is required, the character check
 * MiG applies to it (`safeinput.guess_type`), and whether it still has an effect here.
 * @packageDocumentation
 */
import { DEFAULT_VGRID } from '../mrsl/index.js';
import {
  checkAlphanumeric, checkFqdn, checkJobId, checkNumeric, checkOptionalFqdn, checkOptionalJobId, checkOptionalSafePath,
  checkPathPattern, checkPlainText, checkSafePath, checkUnitName, type ValueCheck,
} from './config-value-checks.js';
import {
  ENFORCEABLE_LIMITS, type ExeUnitConfig, type ResourceConfig, type ResourceKeywordName, type StoreUnitConfig,
} from './resource-config.js';
import type { ResolvedResourceConfigOptions } from './resource-config-options.js';

/** How a keyword's value lines are read. */
export type ResourceValueKind =
  | 'int' | 'boolean' | 'string' | 'limits' | 'emails' | 'runtimeenvs' | 'exeunits' | 'storeunits';

/**
 * One resource configuration keyword.
 *
 * @example
 * ```ts
 * resourceKeyword('SSHPORT')?.compatibilityOnly; // true
 * ```
 */
export interface ResourceKeyword {
  /** The keyword as written between `::`. */
  readonly name: ResourceKeywordName;
  /** How its value lines are read. */
  readonly kind: ResourceValueKind;
  /** Whether the configuration must give it. */
  readonly required: boolean;
  /** Accepted and kept for MiG compatibility, but without effect in the pull model. */
  readonly compatibilityOnly: boolean;
  /** What a valid value looks like, for messages. */
  readonly expects: string;
  /** MiG's character check of each value line (absent for kinds that check per entry). */
  readonly check?: ValueCheck;
  /** For string keywords limited to a site list: which list. */
  readonly oneOf?: keyof ResolvedResourceConfigOptions;
  /** For int keywords: the smallest and largest value accepted. */
  readonly range?: readonly [number, number];
}

const k = (
  name: ResourceKeywordName,
  kind: ResourceValueKind,
  expects: string,
  extra: Partial<Omit<ResourceKeyword, 'name' | 'kind' | 'expects'>> = {},
): ResourceKeyword => ({ name, kind, expects, required: false, compatibilityOnly: false, ...extra });

/**
 * Every resource configuration keyword in MiG's order (the order the formatter writes).
 *
 * Required here: HOSTURL, NODECOUNT, CPUCOUNT, MEMORY, DISK, ARCHITECTURE and EXECONFIG. MiG also
 * requires HOSTIDENTIFIER (which the site assigns at registration), SCRIPTLANGUAGE (which has a
 * default) and MIGUSER, RESOURCEHOME and FRONTENDNODE (which only served its SSH model).
 *
 * @example
 * ```ts
 * RESOURCE_KEYWORDS.filter((kw) => kw.required).map((kw) => kw.name);
 * ```
 */
export const RESOURCE_KEYWORDS: readonly ResourceKeyword[] = [
  k('HOSTURL', 'string', 'the front-end host name or IP address, e.g. cluster.example.org', { required: true, check: checkFqdn }),
  k('HOSTIDENTIFIER', 'string', 'letters and digits, e.g. 0 (the site assigns it)', { check: checkAlphanumeric }),
  k('ANONYMOUS', 'boolean', 'True or False', { check: checkAlphanumeric }),
  k('HOSTKEY', 'string', 'an SSH public host key line', { compatibilityOnly: true, check: checkPathPattern }),
  k('SSHPORT', 'int', 'a port number, e.g. 22', { compatibilityOnly: true, check: checkNumeric, range: [1, 65535] }),
  k('MIGUSER', 'string', 'a login name, e.g. miguser', { compatibilityOnly: true, check: checkJobId }),
  k('RESOURCEHOME', 'string', 'a shell-safe absolute folder, e.g. /home/miguser/mig', { check: checkSafePath }),
  k('FRONTENDNODE', 'string', 'a host name, e.g. frontend', { compatibilityOnly: true, check: checkFqdn }),
  k('FRONTENDPROXY', 'string', 'the host name of a NAT gateway, e.g. gateway.example.org', { check: checkFqdn }),
  k('SCRIPTLANGUAGE', 'string', 'a script language such as sh', { compatibilityOnly: true, check: checkAlphanumeric, oneOf: 'scriptLanguages' }),
  k('JOBTYPE', 'string', 'a job type such as batch or all', { check: checkAlphanumeric, oneOf: 'jobTypes' }),
  k('ENFORCELIMITS', 'limits', `space-separated names from ${ENFORCEABLE_LIMITS.join(', ')}, or NONE`),
  k('NODECOUNT', 'int', 'a whole number of nodes, e.g. 4', { required: true, check: checkNumeric }),
  k('CPUCOUNT', 'int', 'a whole number of CPU cores per node, e.g. 4', { required: true, check: checkNumeric }),
  k('MEMORY', 'int', 'a whole number of MB per node, e.g. 2048', { required: true, check: checkNumeric }),
  k('DISK', 'int', 'a whole number of GB per node, e.g. 10', { required: true, check: checkNumeric }),
  k('ARCHITECTURE', 'string', 'a CPU architecture such as AMD64', { required: true, check: checkFqdn, oneOf: 'architectures' }),
  k('RUNTIMEENVIRONMENT', 'runtimeenvs', "'name: RE-NAME' lines, each followed by the RE's 'VARIABLE=value' lines", { check: checkPlainText }),
  k('FRONTENDLOG', 'string', 'a shell-safe file name, e.g. frontend.log', { check: checkSafePath }),
  k('CURLLOG', 'string', 'a shell-safe file name, e.g. /dev/null', { compatibilityOnly: true, check: checkSafePath }),
  k('SSHMULTIPLEX', 'boolean', 'True or False', { compatibilityOnly: true, check: checkAlphanumeric }),
  k('LRMSTYPE', 'string', 'Native, Native-execution-leader, Batch or Batch-execution-leader', { check: checkFqdn, oneOf: 'lrmsTypes' }),
  k('LRMSDELAYCOMMAND', 'string', 'a command line (plain text, no < or >)', { check: checkPlainText }),
  k('LRMSSUBMITCOMMAND', 'string', 'a command line (plain text, no < or >)', { check: checkPlainText }),
  k('LRMSREMOVECOMMAND', 'string', 'a command line (plain text, no < or >)', { check: checkPlainText }),
  k('LRMSDONECOMMAND', 'string', 'a command line (plain text, no < or >)', { check: checkPlainText }),
  k('PUBLICNAME', 'string', 'a short public name (plain text, no < or >)', { check: checkPlainText }),
  k('PUBLICINFO', 'string', 'one line of plain text (no < or >)', { check: checkPlainText }),
  k('SANDBOX', 'boolean', 'True or False', { check: checkAlphanumeric }),
  k('SANDBOXKEY', 'string', 'letters and digits', { check: checkAlphanumeric }),
  k('MAXDOWNLOADBANDWIDTH', 'int', 'a whole number of kB/s, 0 for no limit', { check: checkNumeric }),
  k('MAXUPLOADBANDWIDTH', 'int', 'a whole number of kB/s, 0 for no limit', { check: checkNumeric }),
  k('PLATFORM', 'string', 'a platform label such as ONE-CLICK', { check: checkFqdn }),
  k('ADMINEMAIL', 'emails', 'space-separated email addresses, e.g. admin@example.org'),
  k('MINPRICE', 'string', 'a price expression (plain text), e.g. 0', { check: checkPlainText }),
  k('EXECONFIG', 'exeunits', "one block of 'key=value' lines per execution unit, at least 'name=...'", { required: true }),
  k('STORECONFIG', 'storeunits', "one block of 'key=value' lines per storage unit", { compatibilityOnly: true }),
];

const BY_NAME = new Map(RESOURCE_KEYWORDS.map((kw) => [kw.name, kw]));

/**
 * All keyword names, in MiG's order.
 *
 * @example
 * ```ts
 * RESOURCE_KEYWORD_NAMES[0]; // 'HOSTURL'
 * ```
 */
export const RESOURCE_KEYWORD_NAMES: readonly ResourceKeywordName[] = RESOURCE_KEYWORDS.map((kw) => kw.name);

/**
 * The keyword of that (upper-case) name, if it is one.
 *
 * @example
 * ```ts
 * resourceKeyword('EXECONFIG')?.kind; // 'exeunits'
 * ```
 */
export function resourceKeyword(name: string): ResourceKeyword | undefined {
  return BY_NAME.get(name as ResourceKeywordName);
}

/** How a unit sub-keyword's value is read. */
export type UnitValueKind = 'int' | 'boolean' | 'string' | 'vgrids';

/**
 * One sub-keyword of an EXECONFIG or STORECONFIG block.
 *
 * @example
 * ```ts
 * EXE_UNIT_KEYS.find((key) => key.name === 'cputime')?.kind; // 'int'
 * ```
 */
export interface UnitKey<T> {
  /** The key as written before `=`. */
  readonly name: keyof T & string;
  /** How its value is read. */
  readonly kind: UnitValueKind;
  /** MiG's character check of the value. */
  readonly check: ValueCheck;
  /** What a valid value looks like, for messages. */
  readonly expects: string;
  /** Accepted and kept for MiG compatibility, but without effect in the pull model. */
  readonly compatibilityOnly: boolean;
  /** For int keys: smallest and largest value. */
  readonly range?: readonly [number, number];
  /** For string keys: the only values allowed. */
  readonly oneOf?: readonly string[];
}

const COMMAND = "a command line (plain text, no < or >), or 'default' / 'local'";
const u = <T>(name: keyof T & string, kind: UnitValueKind, check: ValueCheck, expects: string, extra: Partial<UnitKey<T>> = {}): UnitKey<T> =>
  ({ name, kind, check, expects, compatibilityOnly: false, ...extra });

/**
 * The EXECONFIG sub-keywords in MiG's order (`get_exenode_specs`). Only `name` is required here;
 * MiG insists on all of them, and a block giving all of them is read the same way.
 *
 * @example
 * ```ts
 * EXE_UNIT_KEYS.map((key) => key.name); // ['name', 'cputime', 'nodecount', ...]
 * ```
 */
export const EXE_UNIT_KEYS: readonly UnitKey<ExeUnitConfig>[] = [
  u('name', 'string', checkUnitName, "a unit name of letters, digits, '.' and '-', e.g. node01"),
  u('cputime', 'int', checkNumeric, 'a whole number of seconds, e.g. 3600'),
  u('nodecount', 'int', checkNumeric, 'a whole number of nodes, e.g. 1'),
  u('execution_precondition', 'string', checkPlainText, 'a command line (plain text, no < or >)'),
  u('prepend_execute', 'string', checkPlainText, 'a command prefix such as nice -19'),
  u('exehostlog', 'string', checkSafePath, 'a shell-safe file name, e.g. exehost.log'),
  u('joblog', 'string', checkSafePath, 'a shell-safe file name, e.g. job.log'),
  u('execution_user', 'string', checkOptionalJobId, 'a login name', { compatibilityOnly: true }),
  u('execution_node', 'string', checkOptionalFqdn, 'a host name', { compatibilityOnly: true }),
  u('execution_dir', 'string', checkOptionalSafePath, 'a shell-safe folder'),
  u('start_command', 'string', checkPlainText, COMMAND, { compatibilityOnly: true }),
  u('status_command', 'string', checkPlainText, COMMAND, { compatibilityOnly: true }),
  u('stop_command', 'string', checkPlainText, COMMAND, { compatibilityOnly: true }),
  u('clean_command', 'string', checkPlainText, COMMAND, { compatibilityOnly: true }),
  u('continuous', 'boolean', checkAlphanumeric, 'True or False'),
  u('shared_fs', 'boolean', checkAlphanumeric, 'True or False', { compatibilityOnly: true }),
  u('vgrid', 'vgrids', checkPlainText, 'comma-separated VGrid names, e.g. Generic, MyVGrid'),
];

/**
 * The STORECONFIG sub-keywords in MiG's order (`get_storenode_specs`). None is required here.
 *
 * @example
 * ```ts
 * STORE_UNIT_KEYS.map((key) => key.name); // ['name', 'storage_disk', ...]
 * ```
 */
export const STORE_UNIT_KEYS: readonly UnitKey<StoreUnitConfig>[] = [
  u('name', 'string', checkUnitName, "a unit name of letters, digits, '.' and '-', e.g. store01"),
  u('storage_disk', 'int', checkNumeric, 'a whole number of GB, e.g. 10'),
  u('storage_protocol', 'string', checkAlphanumeric, 'sftp', { oneOf: ['sftp'] }),
  u('storage_port', 'int', checkNumeric, 'a port number, e.g. 22', { range: [1, 65535] }),
  u('storage_user', 'string', checkOptionalJobId, 'a login name'),
  u('storage_node', 'string', checkOptionalFqdn, 'a host name'),
  u('storage_dir', 'string', checkOptionalSafePath, 'a shell-safe folder'),
  u('start_command', 'string', checkPlainText, COMMAND),
  u('status_command', 'string', checkPlainText, COMMAND),
  u('stop_command', 'string', checkPlainText, COMMAND),
  u('clean_command', 'string', checkPlainText, COMMAND),
  u('shared_fs', 'boolean', checkAlphanumeric, 'True or False'),
  u('vgrid', 'vgrids', checkPlainText, 'comma-separated VGrid names, e.g. Generic, MyVGrid'),
];

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };

/**
 * MiG's defaults for an execution unit (`get_exenode_specs`), `name` excepted.
 *
 * @example
 * ```ts
 * defaultExeUnit('node01').cputime; // 3600
 * ```
 */
export function defaultExeUnit(name: string): Mutable<ExeUnitConfig> {
  return {
    name, cputime: 3600, nodecount: 1, execution_precondition: '', prepend_execute: '',
    exehostlog: 'exehost.log', joblog: 'job.log', execution_user: '', execution_node: '', execution_dir: '',
    start_command: 'default', status_command: 'default', stop_command: 'default', clean_command: 'default',
    continuous: true, shared_fs: true, vgrid: [DEFAULT_VGRID],
  };
}

/**
 * MiG's defaults for a storage unit (`get_storenode_specs`).
 *
 * @example
 * ```ts
 * defaultStoreUnit().storage_protocol; // 'sftp'
 * ```
 */
export function defaultStoreUnit(): Mutable<StoreUnitConfig> {
  return {
    name: 'localhost', storage_disk: 10, storage_protocol: 'sftp', storage_port: 22, storage_user: '',
    storage_node: '', storage_dir: '', start_command: 'default', status_command: 'default',
    stop_command: 'default', clean_command: 'default', shared_fs: true, vgrid: [DEFAULT_VGRID],
  };
}

/**
 * MiG's defaults for a whole configuration (`get_resource_specs`), with the site lists' first
 * entries for ARCHITECTURE, JOBTYPE, SCRIPTLANGUAGE and LRMSTYPE.
 */
export function defaultResourceConfig(opts: ResolvedResourceConfigOptions): Mutable<ResourceConfig> {
  return {
    HOSTURL: '', HOSTIDENTIFIER: '', ANONYMOUS: true, HOSTKEY: '', SSHPORT: 22, MIGUSER: '', RESOURCEHOME: '',
    FRONTENDNODE: '', FRONTENDPROXY: '', SCRIPTLANGUAGE: opts.scriptLanguages[0] ?? 'sh',
    JOBTYPE: opts.jobTypes[0] ?? 'batch', ENFORCELIMITS: [...ENFORCEABLE_LIMITS],
    NODECOUNT: 1, CPUCOUNT: 1, MEMORY: 1024, DISK: 0, ARCHITECTURE: opts.architectures[0] ?? 'X86',
    RUNTIMEENVIRONMENT: [], FRONTENDLOG: 'frontend.log', CURLLOG: '/dev/null', SSHMULTIPLEX: false,
    LRMSTYPE: opts.lrmsTypes[0] ?? 'Native', LRMSDELAYCOMMAND: '', LRMSSUBMITCOMMAND: '', LRMSREMOVECOMMAND: '',
    LRMSDONECOMMAND: '', PUBLICNAME: '', PUBLICINFO: '', SANDBOX: false, SANDBOXKEY: '',
    MAXDOWNLOADBANDWIDTH: 0, MAXUPLOADBANDWIDTH: 0, PLATFORM: '', ADMINEMAIL: [], MINPRICE: '0',
    EXECONFIG: [], STORECONFIG: [],
  };
}

export type { Mutable };
