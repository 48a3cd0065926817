/**
 * `parseResourceConfig`: MiG resource configuration text → validated {@link ResourceConfig}.
 * @packageDocumentation
 */
import { buildResourceConfig } from './build-resource-config.js';
import { readConfigSections } from './config-sections.js';
import type { ResourceConfig } from './resource-config.js';
import { ResourceConfigError } from './resource-config-error.js';
import { RESOURCE_CONFIG_LIMITS } from './resource-config-limits.js';
import { resolveResourceConfigOptions, type ResourceConfigOptions } from './resource-config-options.js';

/**
 * Parses and validates a resource configuration in MiG's `::KEYWORD::` format and returns it with
 * MiG's defaults filled in.
 *
 * The format is mRSL's: a keyword line `::KEYWORD::`, its value lines, a blank line. `#` starts a
 * comment (`\#` for a literal `#`). `::EXECONFIG::` and `::STORECONFIG::` take one block of
 * `key=value` lines per unit; `::RUNTIMEENVIRONMENT::` takes `name: RE` lines each followed by
 * that runtime environment's `VARIABLE=value` lines. Values pass MiG's per-keyword character
 * checks; `+EXENAME+`/`+STORENAME+` in a unit's text values become the unit's name.
 *
 * Differences from MiG, on purpose: only HOSTURL, NODECOUNT, CPUCOUNT, MEMORY, DISK, ARCHITECTURE
 * and one EXECONFIG block (with `name`) are required, other keywords and sub-keywords take MiG's
 * defaults (MiG also insists on the SSH-only ones); stricter: unit names are host-name
 * characters and unique, unit lines without `=` are errors (MiG skips them), runtime environment
 * variable names are shell names, ENFORCELIMITS words must be known limits, ports are 1-65535,
 * control characters are refused everywhere and sizes are bounded ({@link RESOURCE_CONFIG_LIMITS}).
 * Checks that need site state (does a runtime environment exist, may the resource join a VGrid)
 * belong to registration; see {@link checkProvidedRuntimeEnvironments}.
 *
 * @throws {@link ResourceConfigError} `MIG_E_RESOURCE_CONFIG_INVALID` listing every problem with
 *   its line, keyword and sub-keyword, or `MIG_E_TOO_LARGE` when a size limit is crossed.
 *
 * @example
 * ```ts
 * const cfg = parseResourceConfig([
 *   '::HOSTURL::', 'cluster.example.org', '',
 *   '::NODECOUNT::', '4', '', '::CPUCOUNT::', '16', '', '::MEMORY::', '65536', '', '::DISK::', '100', '',
 *   '::ARCHITECTURE::', 'AMD64', '',
 *   '::RUNTIMEENVIRONMENT::', 'name: PYTHON-3', 'PYTHON=/usr/bin/python3', '',
 *   '::EXECONFIG::', 'name=node01', 'cputime=86400', 'vgrid=Generic, Physics', '',
 * ].join('\n'));
 * cfg.EXECONFIG[0]?.vgrid;   // ['Generic', 'Physics']
 * cfg.JOBTYPE;               // 'batch' (default)
 * ```
 */
export function parseResourceConfig(text: string, opts?: ResourceConfigOptions): ResourceConfig {
  const resolved = resolveResourceConfigOptions(opts);
  if (typeof text !== 'string') throw new ResourceConfigError([{ message: 'a resource configuration must be text' }]);
  const read = readConfigSections(text, RESOURCE_CONFIG_LIMITS, 'resource configuration');
  if (read.tooLarge !== undefined) throw new ResourceConfigError([read.tooLarge], { code: 'MIG_E_TOO_LARGE' });
  if (read.problems.length > 0) throw new ResourceConfigError(read.problems);
  return buildResourceConfig(read.sections, resolved);
}
