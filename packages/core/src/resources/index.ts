/**
 * Resource configurations: MiG's resource keywords as a typed record, read from and written to
 * MiG's `::KEYWORD::` text and a JSON form, with MiG's defaults and checks.
 *
 * @example
 * ```ts
 * import { parseResourceConfig, formatResourceConfig, resourceConfigToJson } from '@migrid/core';
 * const cfg = parseResourceConfig(text);
 * const canonical = formatResourceConfig(cfg);       // parses back to `cfg`
 * const wire = resourceConfigToJson(cfg);            // plain JSON, same field names
 * ```
 * @packageDocumentation
 */
export type {
  ResourceConfig, ResourceKeywordName, ExeUnitConfig, StoreUnitConfig, ProvidedRuntimeEnvironment,
  RuntimeEnvironmentValue, EnforceableLimit,
} from './resource-config.js';
export { ENFORCEABLE_LIMITS, NO_ENFORCED_LIMITS } from './resource-config.js';
export type { ResourceKeyword, ResourceValueKind, UnitKey, UnitValueKind } from './resource-config-keywords.js';
export {
  RESOURCE_KEYWORDS, RESOURCE_KEYWORD_NAMES, resourceKeyword, EXE_UNIT_KEYS, STORE_UNIT_KEYS, defaultExeUnit,
  defaultStoreUnit,
} from './resource-config-keywords.js';
export type { ResourceConfigOptions } from './resource-config-options.js';
export { MIG_SCRIPT_LANGUAGES, MIG_LRMS_TYPES } from './resource-config-options.js';
export { RESOURCE_CONFIG_LIMITS } from './resource-config-limits.js';
export type { ResourceProblem } from './resource-config-error.js';
export { ResourceConfigError } from './resource-config-error.js';
export { parseResourceConfig } from './parse-resource-config.js';
export { formatResourceConfig } from './format-resource-config.js';
export type { ResourceConfigJson } from './resource-config-json.js';
export { resourceConfigFromJson, resourceConfigToJson } from './resource-config-json.js';
export { checkProvidedRuntimeEnvironments } from './check-provided-runtime-environments.js';
export type { AddResourceInput, ResourceExecutorKind, ResourceRecord, ResourceStatus, ResourceStore } from './resource-store.js';
export { createResourceStore, defaultResourceConfig } from './resource-store.js';
export type { ResourceRuntimeEnvLookup, ResourceStoreOptions } from './resource-store.js';
