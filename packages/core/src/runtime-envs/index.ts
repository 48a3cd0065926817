/**
 * Runtime environments: MiG's runtime environment keywords as a typed record, read from and
 * written to MiG's `::KEYWORD::` text and a JSON form, and MiG's name rule.
 *
 * @example
 * ```ts
 * import { parseRuntimeEnvironment, formatRuntimeEnvironment, normalizeRuntimeEnvironmentName } from '@migrid/core';
 * const re = parseRuntimeEnvironment(text);
 * formatRuntimeEnvironment(re);                   // canonical text, parses back to `re`
 * normalizeRuntimeEnvironmentName('python-3');    // 'PYTHON-3'
 * ```
 * @packageDocumentation
 */
export type {
  RuntimeEnvironment, RuntimeEnvironmentSoftware, RuntimeEnvironmentVariable, RuntimeEnvironmentKeywordName,
} from './runtime-environment.js';
export {
  RUNTIME_ENVIRONMENT_KEYWORDS, RUNTIME_ENVIRONMENT_LIMITS, DEFAULT_RUNTIME_ENVIRONMENT_DESCRIPTION,
} from './runtime-environment.js';
export { RuntimeEnvironmentError } from './runtime-environment-error.js';
export {
  checkRuntimeEnvironmentName, normalizeRuntimeEnvironmentName, MAX_RUNTIME_ENVIRONMENT_NAME_LENGTH,
} from './runtime-environment-name.js';
export { parseRuntimeEnvironment } from './parse-runtime-environment.js';
export { formatRuntimeEnvironment } from './format-runtime-environment.js';
export type { RuntimeEnvironmentJson } from './runtime-environment-json.js';
export { runtimeEnvironmentFromJson, runtimeEnvironmentToJson } from './runtime-environment-json.js';
export type {
  RuntimeEnvRecord, RuntimeEnvStore, RuntimeEnvStoreOptions, RuntimeEnvProviders,
} from './runtime-env-store.js';
export { createRuntimeEnvStore } from './runtime-env-store.js';
