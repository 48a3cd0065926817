/**
 * The site configuration: one commented TOML file (`mig.toml`), discovered, parsed, checked and
 * resolved into a frozen, typed {@link SiteConfig}.
 *
 * @example
 * ```ts
 * import { findConfigFile, loadConfig } from '@migrid/core';
 * const config = await loadConfig(await findConfigFile({ explicitPath: argv.config }));
 * ```
 * @packageDocumentation
 */
export { findConfigFile, CONFIG_ENV_VAR, CONFIG_FILE_NAME } from './find-config-file.js';
export type { FindConfigFileOptions } from './find-config-file.js';
export { loadConfig } from './load-config.js';
export { parseConfig, defaultConfig, MAX_CONFIG_CHARS } from './parse-config.js';
export type { ParseConfigOptions } from './parse-config.js';
export { checkConfig } from './check-config.js';
export type { ConfigTextSource } from './check-config.js';
export { formatProblem } from './config-problem.js';
export type { ConfigProblem } from './config-problem.js';
export { configTemplate } from './config-template.js';
export type { ConfigTemplateOptions } from './config-template.js';
export { parsePasswordPolicy, PASSWORD_POLICY_FORMS, MAX_PASSWORD_LENGTH } from './password-policy-spec.js';
export type { PasswordPolicySpec } from './password-policy-spec.js';
export {
  CSRF_MODES, LOGIN_ALIAS_FIELDS, LOG_LEVELS, SCHEDULER_ALGORITHMS, SYMLINK_MODES,
} from './site-config.js';
export type {
  SiteConfig, ConfigSectionName, SiteSection, DatabaseSection, LoggingSection, AccountsSection,
  SecuritySection, DefenderSection, FilesSection, QuotaSection, SchedulerSection, WebSection,
  SftpSection, FtpsSection, WebdavsSection, MonitorSection, NotifySection, LogLevel, CsrfMode,
  SchedulerAlgorithm, SymlinkMode, LoginAliasField,
} from './site-config.js';
export { OIDC_AUTO_CREATE_MODES } from './site-config.js';
export type { OidcSection, OidcAutoCreateMode } from './site-config.js';
export type { VgridsSection } from './site-config.js';
export { VGRID_FILTER_FIELDS } from './config-schema.js';
