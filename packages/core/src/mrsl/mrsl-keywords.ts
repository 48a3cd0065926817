/**
 * The mRSL keywords in MiG's order (`get_job_specs`), with how each one's value lines are read.
 * @packageDocumentation
 */
import type { MrslKeywordName } from './job-spec.js';

/**
 * How the value lines of a keyword are read:
 * - `int`: exactly one line of digits;
 * - `boolean`: zero or one line, `true`/`1`/`on` or `false`/`0`/`off` (any case), none means false;
 * - `string`: zero or one line, none means the keyword's default;
 * - `strings`: any number of lines;
 * - `transfers`: any number of `source` or `source destination` lines (paths or URLs);
 * - `keyvalues`: any number of `name=value` lines.
 *
 * @example
 * ```ts
 * mrslKeyword('CPUTIME').kind; // 'int'
 * ```
 */
export type MrslValueKind = 'int' | 'boolean' | 'string' | 'strings' | 'transfers' | 'keyvalues';

/**
 * What the language says about one keyword.
 *
 * @example
 * ```ts
 * for (const k of MRSL_KEYWORDS) console.log(`::${k.name}:: (${k.kind}) ${k.title}`);
 * ```
 */
export interface MrslKeyword {
  /** The keyword, as written between `::` (and as the {@link JobSpec} field). */
  readonly name: MrslKeywordName;
  /** How its value lines are read. */
  readonly kind: MrslValueKind;
  /** Whether a job description must give it at least one value line (only EXECUTE). */
  readonly required: boolean;
  /** A short title for forms. */
  readonly title: string;
  /** What a value must look like, used in error messages ("a whole number of seconds, e.g. 600"). */
  readonly expects: string;
}

const keyword = (
  name: MrslKeywordName,
  kind: MrslValueKind,
  title: string,
  expects: string,
  required = false,
): MrslKeyword => ({ name, kind, required, title, expects });

const TRANSFER = "one file per line, 'source' or 'source destination' separated by one space (a relative path or a URL; no folders or wildcards)";

/**
 * All 25 mRSL keywords in MiG's order; {@link formatMrsl} writes them in this order.
 *
 * @example
 * ```ts
 * MRSL_KEYWORDS.length;                   // 25
 * MRSL_KEYWORDS.filter((k) => k.required); // [EXECUTE]
 * ```
 */
export const MRSL_KEYWORDS: readonly MrslKeyword[] = [
  keyword('EXECUTE', 'strings', 'Execute commands', 'one shell command per line', true),
  keyword('INPUTFILES', 'transfers', 'Input files', TRANSFER),
  keyword('OUTPUTFILES', 'transfers', 'Output files', TRANSFER),
  keyword('EXECUTABLES', 'transfers', 'Executable files', TRANSFER),
  keyword('MOUNT', 'strings', 'Mount', "lines of 'home_path mount_point'"),
  keyword('RESOURCE', 'strings', 'Target resources', "resource IDs or patterns, one per line, using letters, digits, '.', '-', '_', '*' and '?'"),
  keyword('VGRID', 'strings', 'VGrid order', "VGrid names, one per line, or ANY"),
  keyword('NODECOUNT', 'int', 'Number of nodes', 'one whole number of nodes, e.g. 1'),
  keyword('CPUCOUNT', 'int', 'Number of CPU cores', 'one whole number of CPU cores per node, e.g. 4'),
  keyword('CPUTIME', 'int', 'CPU/wall time (s)', 'one whole number of seconds, e.g. 600'),
  keyword('MEMORY', 'int', 'Memory (MB)', 'one whole number of megabytes, e.g. 128'),
  keyword('DISK', 'int', 'Disk (GB)', 'one whole number of gigabytes, e.g. 10'),
  keyword('ARCHITECTURE', 'string', 'CPU architecture', "one of the site's CPU architectures, e.g. X86"),
  keyword('MAXFILL', 'strings', 'Fill available resources', 'lines of ALL, CPUTIME, NODECOUNT, CPUCOUNT, MEMORY or DISK'),
  keyword('ENVIRONMENT', 'keyvalues', 'Environment variables', "lines of 'NAME=value'"),
  keyword('RUNTIMEENVIRONMENT', 'strings', 'Runtime environments', 'runtime environment names, one per line'),
  keyword('NOTIFY', 'strings', 'Job status notification', "lines of 'user@example.org' or 'protocol: address'"),
  keyword('VERIFYFILES', 'transfers', 'Result verification files', TRANSFER),
  keyword('RETRIES', 'int', 'Job retries', 'one whole number of retries, e.g. 2'),
  keyword('JOBTYPE', 'string', 'Job type', "one of the site's job types, e.g. batch"),
  keyword('JOBNAME', 'string', 'Job name', "one name of letters, digits and '.-_+@%' (no spaces)"),
  keyword('PROJECT', 'string', 'Project', 'one project name of letters and digits'),
  keyword('SANDBOX', 'boolean', 'Allow sandbox execution', 'True or False'),
  keyword('PLATFORM', 'string', 'Platform', "one platform name of letters, digits, '.' and '-', e.g. ONE-CLICK"),
  keyword('MAXPRICE', 'string', 'Maximum allowed price', 'one price of letters and digits, e.g. 40'),
];

const BY_NAME: ReadonlyMap<string, MrslKeyword> = new Map(MRSL_KEYWORDS.map((k) => [k.name, k]));

/**
 * The keyword called `name` (exact, upper-case), or `undefined` when the language has none.
 *
 * @example
 * ```ts
 * mrslKeyword('MEMORY')?.kind; // 'int'
 * mrslKeyword('memory');       // undefined
 * ```
 */
export function mrslKeyword(name: string): MrslKeyword | undefined {
  return BY_NAME.get(name);
}

/**
 * Every keyword name, in MiG's order.
 *
 * @example
 * ```ts
 * MRSL_KEYWORD_NAMES[0]; // 'EXECUTE'
 * ```
 */
export const MRSL_KEYWORD_NAMES: readonly MrslKeywordName[] = MRSL_KEYWORDS.map((k) => k.name);
