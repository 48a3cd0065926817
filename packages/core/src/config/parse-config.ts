/**
 * Turns the text of `mig.toml` into a {@link SiteConfig}, or into the complete list of what is
 * wrong with it. The same analysis backs `parseConfig`, `loadConfig` and `checkConfig`, so the
 * checker and the loader can never disagree.
 * @packageDocumentation
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { TomlError, parse as parseToml } from 'smol-toml';
import type { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { closestMatch } from './closest-match.js';
import { CONFIG_CATALOGUE, keyDoc } from './config-catalogue.js';
import { configInvalidError } from './config-problem.js';
import type { ConfigProblem } from './config-problem.js';
import { SECTION_NAMES, SECTION_SCHEMAS, sectionKeys } from './config-schema.js';
import type { RawSections, SectionName } from './config-schema.js';
import { parsePortRange } from './network-values.js';
import type { SiteConfig } from './site-config.js';

/** Largest config text accepted, in characters. A real `mig.toml` is a few KiB. */
export const MAX_CONFIG_CHARS = 1024 * 1024;

/** Most problems listed for one text; a file with more is most likely not a mig.toml at all. */
export const MAX_PROBLEMS = 100;

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** Folder that relative paths in the text are resolved against (made absolute if relative). */
  readonly baseDir: string;
  /** The file the text came from, recorded as `config_file` and named in error messages. */
  readonly configFile?: string;
  /**
   * Whether to check the file system (that an existing `state_dir` is a writable folder).
   * Default true.
   */
  readonly checkFileSystem?: boolean;
}

/** The result of analysing a config text: the config when there are no problems. */
export interface ConfigAnalysis {
  readonly problems: readonly ConfigProblem[];
  readonly config: SiteConfig | undefined;
}

type PartialSections = { -readonly [S in SectionName]?: RawSections[S] };
type PlainTable = Record<string, unknown>;

const isTable = (value: unknown): value is PlainTable =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/** A short, safe rendering of a name taken from the file (keys can be any quoted string). */
function showName(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return JSON.stringify(clean.length > 40 ? `${clean.slice(0, 40)}…` : clean);
}

/** How a TOML value is described in messages; never the value itself. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return 'true/false';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a decimal number';
  if (typeof value === 'bigint') return 'a whole number';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date || (typeof value === 'object' && value !== null && 'toISOString' in value)) return 'a date/time';
  return 'a table';
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'int': return 'a whole number';
    case 'number': return 'a number';
    case 'string': return 'text in quotes';
    case 'boolean': return 'true or false';
    case 'array': return 'a list in [ ]';
    case 'object': return 'a table';
    default: return expected;
  }
}

/** The TOML spelling of a default value, for hints and the template. */
export function tomlLiteral(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value).replace(/\u007f/g, '\\u007F');
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlLiteral).join(', ')}]`;
  return JSON.stringify(value);
}

/** The fixed defaults of each section: what the schema yields for an empty table. */
export const SECTION_DEFAULTS: { readonly [S in SectionName]: RawSections[S] } = Object.fromEntries(
  SECTION_NAMES.map((name) => [name, SECTION_SCHEMAS[name].parse({})]),
) as unknown as { readonly [S in SectionName]: RawSections[S] };

/** The standard hint of `section.key`: what it is, and its default when it has a fixed one. */
function keyHint(section: SectionName, key: string): string {
  const doc = keyDoc(section, key);
  const fixed = (SECTION_DEFAULTS[section] as PlainTable)[key];
  const base = doc?.doc ?? `a key of [${section}]`;
  return fixed === undefined ? base : `${base} Default: ${key} = ${tomlLiteral(fixed)}`;
}

function valueAt(table: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = table;
  for (const step of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[step];
  }
  return current;
}

/** Sections whose keys include `key`, for "this key belongs in [x]" hints. */
function sectionsWithKey(key: string): SectionName[] {
  return SECTION_NAMES.filter((name) => sectionKeys(name).includes(key));
}

function unknownKeyProblem(section: SectionName, key: string): ConfigProblem {
  const known = sectionKeys(section);
  const suggestion = closestMatch(key, known);
  const elsewhere = sectionsWithKey(key);
  let hint: string;
  if (suggestion !== undefined) hint = `did you mean "${suggestion}"? ${keyDoc(section, suggestion)?.doc ?? ''}`.trim();
  else if (elsewhere.length > 0) hint = `${showName(key)} is a key of ${elsewhere.map((s) => `[${s}]`).join(', ')}; move it there`;
  else hint = `remove it; the keys of [${section}] are ${known.join(', ')}`;
  return { path: `${section}.${key}`, message: `unknown key ${showName(key)} in [${section}]`, hint };
}

/** Translates one zod issue of a section into a problem with a message people understand. */
function issueToProblem(section: SectionName, issue: z.core.$ZodIssue, rawSection: PlainTable): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKeyProblem(section, key));
  const key = String(issue.path[0] ?? '');
  const path = [section, ...issue.path.map(String)].join('.');
  const hint = keyHint(section, key);
  const actual = valueAt(rawSection, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.expected === 'int' && typeof actual === 'number') {
        return [{ path, message: 'must be a whole number', hint }];
      }
      return [{ path, message: `must be ${describeExpected(issue.expected)}, not ${describeValue(actual)}`, hint }];
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return [{ path, message: 'must not be empty', hint }];
      if (issue.origin === 'array') return [{ path, message: `must have at least ${min} entries`, hint }];
      return [{ path, message: `must be at least ${min}${issue.inclusive === false ? ' (exclusive)' : ''}`, hint }];
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return [{ path, message: `is too long (at most ${max} characters)`, hint }];
      if (issue.origin === 'array') return [{ path, message: `has too many entries (at most ${max})`, hint }];
      return [{ path, message: `must be at most ${max}`, hint }];
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const suggestion = typeof actual === 'string' ? closestMatch(actual, values) : undefined;
      return [{
        path,
        message: `must be one of ${values.join(', ')}`,
        hint: suggestion === undefined ? hint : `did you mean "${suggestion}"? ${keyDoc(section, key)?.doc ?? ''}`.trim(),
      }];
    }
    default:
      return [{ path, message: issue.message, hint }];
  }
}

/** Checks the raw TOML tree section by section, collecting every problem. */
function checkSections(tree: PlainTable, problems: ConfigProblem[]): PartialSections {
  const parsed: PartialSections = {};
  for (const [name, value] of Object.entries(tree)) {
    if ((SECTION_NAMES as string[]).includes(name)) continue;
    if (isTable(value)) {
      const suggestion = closestMatch(name, SECTION_NAMES);
      problems.push({
        path: name,
        message: `unknown section [${showName(name).slice(1, -1)}]`,
        hint: suggestion !== undefined
          ? `did you mean [${suggestion}]? ${CONFIG_CATALOGUE[suggestion as SectionName].doc}`
          : `remove it; the sections are ${SECTION_NAMES.map((s) => `[${s}]`).join(', ')}`,
      });
    } else {
      const homes = sectionsWithKey(name);
      problems.push({
        path: name,
        message: `key ${showName(name)} is outside any section`,
        hint: homes.length > 0
          ? `move it under ${homes.map((s) => `[${s}]`).join(' or ')}`
          : `every key belongs to a section such as [site]; remove it or put it in the right section`,
      });
    }
  }
  for (const name of SECTION_NAMES) {
    const value = tree[name] ?? {};
    if (!isTable(value)) {
      problems.push({
        path: name,
        message: `must be a section ([${name}] table), not ${describeValue(value)}`,
        hint: `write a [${name}] header and put its keys below it. ${CONFIG_CATALOGUE[name].doc}`,
      });
      continue;
    }
    const result = SECTION_SCHEMAS[name].safeParse(value);
    if (result.success) {
      (parsed as Record<string, unknown>)[name] = result.data;
    } else {
      for (const issue of result.error.issues) problems.push(...issueToProblem(name, issue, value));
    }
  }
  return parsed;
}

/** Checks between keys: port clashes, pairs that go together, limits that must be ordered. */
function checkAcrossSections(sections: PartialSections, problems: ConfigProblem[]): void {
  const { web, sftp, ftps, webdavs, defender, files, oidc } = sections;
  const used: { path: string; port: number }[] = [];
  const services = [['web', web], ['sftp', sftp], ['ftps', ftps], ['webdavs', webdavs]] as const;
  for (const [name, section] of services) {
    if (section === undefined || !section.enabled) continue;
    const clash = used.find((u) => u.port === section.port);
    if (clash !== undefined) {
      problems.push({
        path: `${name}.port`,
        message: `is the same port as ${clash.path} (${section.port})`,
        hint: 'give each enabled service its own port, or set enabled = false on one of them',
      });
    } else {
      used.push({ path: `${name}.port`, port: section.port });
    }
  }
  if (ftps !== undefined && ftps.enabled) {
    const range = parsePortRange(ftps.passive_ports);
    const inside = range === undefined ? undefined : used.find((u) => u.port >= range.first && u.port <= range.last);
    if (inside !== undefined) {
      problems.push({
        path: 'ftps.passive_ports',
        message: `includes ${inside.path} (${inside.port})`,
        hint: 'choose a passive range that no other enabled service listens on, e.g. "30000-30100"',
      });
    }
  }
  for (const [section, value] of [['web', web], ['ftps', ftps], ['webdavs', webdavs]] as const) {
    if (value !== undefined && (value.cert_file === undefined) !== (value.key_file === undefined)) {
      const [set, unset] = value.cert_file === undefined ? ['key_file', 'cert_file'] : ['cert_file', 'key_file'];
      problems.push({
        path: `${section}.${unset}`,
        message: `is missing while ${section}.${set} is set`,
        hint: `set both ${section}.cert_file and ${section}.key_file, or neither to use the ${section === 'web' ? 'site host certificate' : 'web certificate'}`,
      });
    }
  }
  if (defender !== undefined && defender.max_ban_seconds < defender.ban_seconds) {
    problems.push({
      path: 'defender.max_ban_seconds',
      message: `must not be less than defender.ban_seconds (${defender.ban_seconds})`,
      hint: keyHint('defender', 'max_ban_seconds'),
    });
  }
  if (oidc !== undefined) checkOidc(oidc, problems);
  if (files !== undefined && files.max_path_bytes < files.max_name_bytes) {
    problems.push({
      path: 'files.max_path_bytes',
      message: `must not be less than files.max_name_bytes (${files.max_name_bytes})`,
      hint: keyHint('files', 'max_path_bytes'),
    });
  }
}

/** An enabled `[oidc]` needs a provider and a client, and account creation needs the DN fields it cannot get from claims. */
function checkOidc(oidc: RawSections['oidc'], problems: ConfigProblem[]): void {
  if (oidc.issuer !== undefined) {
    const url = new URL(oidc.issuer);
    const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
    if (url.protocol === 'http:' && !loopback) {
      problems.push({ path: 'oidc.issuer', message: 'must use https:// (plain http is only accepted for a provider on this host)', hint: keyHint('oidc', 'issuer') });
    }
    if (url.search !== '' || url.hash !== '') {
      problems.push({ path: 'oidc.issuer', message: 'must not have a query or fragment', hint: keyHint('oidc', 'issuer') });
    }
  }
  if (!oidc.enabled) return;
  for (const key of ['issuer', 'client_id'] as const) {
    if (oidc[key] === undefined) {
      problems.push({ path: `oidc.${key}`, message: 'is missing while oidc.enabled is true', hint: `${keyHint('oidc', key)} Or set enabled = false.` });
    }
  }
  if (oidc.auto_create !== 'none') {
    for (const key of ['default_organization', 'default_country'] as const) {
      if (oidc[key] === undefined) {
        problems.push({ path: `oidc.${key}`, message: `is missing while oidc.auto_create is "${oidc.auto_create}"`, hint: `${keyHint('oidc', key)} Or set auto_create = "none".` });
      }
    }
  }
}

/** An existing state folder must be a folder we can write; a missing one is created later. */
function checkStateDir(stateDir: string, problems: ConfigProblem[]): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(stateDir).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    problems.push({ path: 'site.state_dir', message: `cannot be examined (${(err as NodeJS.ErrnoException).code ?? 'error'})`, hint: 'check the path and the permissions of its parent folders' });
    return;
  }
  if (!isDirectory) {
    problems.push({ path: 'site.state_dir', message: `${stateDir} exists but is not a folder`, hint: 'point state_dir at a folder, or remove the file that is in the way' });
    return;
  }
  try {
    accessSync(stateDir, fsConstants.W_OK | fsConstants.X_OK);
  } catch {
    problems.push({ path: 'site.state_dir', message: `${stateDir} is not writable by this process`, hint: 'run MiG as the user that owns the state folder, or fix its permissions (chown/chmod)' });
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Fills in derived defaults and makes paths absolute. */
function resolveSections(raw: RawSections, baseDir: string, configFile: string | undefined): SiteConfig {
  const at = (p: string): string => resolve(baseDir, p);
  const stateDir = at(raw.site.state_dir);
  const inState = (name: string): string => resolve(stateDir, name);
  const shortTitle = raw.site.short_title ?? raw.site.title.slice(0, 32);
  const certDir = raw.site.cert_dir === undefined ? inState('certs') : at(raw.site.cert_dir);
  const senderName = shortTitle.replace(/[<>"\\]/g, '').trim() || 'MiG';
  const passive = parsePortRange(raw.ftps.passive_ports) ?? { first: 30000, last: 30100 };
  const webCert = raw.web.cert_file === undefined ? resolve(certDir, 'host.pem') : at(raw.web.cert_file);
  const webKey = raw.web.key_file === undefined ? resolve(certDir, 'host.key') : at(raw.web.key_file);
  const tlsFiles = (s: { cert_file?: string | undefined; key_file?: string | undefined }): { cert_file: string; key_file: string } => ({
    cert_file: s.cert_file === undefined ? webCert : at(s.cert_file),
    key_file: s.key_file === undefined ? webKey : at(s.key_file),
  });
  const config: SiteConfig = {
    config_file: configFile,
    base_dir: baseDir,
    site: {
      title: raw.site.title,
      short_title: shortTitle,
      fqdn: raw.site.fqdn,
      state_dir: stateDir,
      cert_dir: certDir,
      admin_email: raw.site.admin_email,
      support_email: raw.site.support_email ?? raw.site.admin_email,
      login_alias: raw.site.login_alias,
    },
    database: {
      url: raw.database.url,
      sqlite_file: raw.database.sqlite_file === undefined ? inState('mig.db') : at(raw.database.sqlite_file),
      pool_size: raw.database.pool_size,
    },
    logging: {
      level: raw.logging.level,
      dir: raw.logging.dir === undefined ? inState('log') : at(raw.logging.dir),
      auth_log: raw.logging.auth_log,
      audit_log: raw.logging.audit_log,
    },
    accounts: {
      ...raw.accounts,
      password_policy: raw.accounts.password_policy.trim().toUpperCase(),
      password_legacy_policy: raw.accounts.password_legacy_policy?.trim().toUpperCase(),
    },
    security: { ...raw.security, totp_issuer: raw.security.totp_issuer ?? shortTitle },
    defender: { ...raw.defender },
    files: { ...raw.files },
    quota: { ...raw.quota },
    scheduler: {
      enabled: raw.scheduler.enabled,
      algorithm: raw.scheduler.algorithm,
      expire_after_seconds: raw.scheduler.expire_after_seconds,
      job_retries: raw.scheduler.job_retries,
      socket_file: raw.scheduler.socket_file === undefined ? inState('grid_script.sock') : at(raw.scheduler.socket_file),
    },
    web: {
      enabled: raw.web.enabled,
      host: raw.web.host,
      port: raw.web.port,
      cert_file: webCert,
      key_file: webKey,
      base_url: (raw.web.base_url ?? `https://${raw.site.fqdn}${raw.web.port === 443 ? '' : `:${raw.web.port}`}`).replace(/\/+$/, ''),
    },
    sftp: { ...raw.sftp, host: raw.sftp.host ?? raw.web.host },
    ftps: { ...raw.ftps, host: raw.ftps.host ?? raw.web.host, passive_port_range: passive, ...tlsFiles(raw.ftps) },
    webdavs: { ...raw.webdavs, host: raw.webdavs.host ?? raw.web.host, ...tlsFiles(raw.webdavs) },
    monitor: { ...raw.monitor },
    notify: { smtp_url: raw.notify.smtp_url, sender: raw.notify.sender ?? `${senderName} <noreply@${raw.site.fqdn}>` },
    oidc: {
      ...raw.oidc,
      issuer: raw.oidc.issuer,
      client_id: raw.oidc.client_id,
      client_secret: raw.oidc.client_secret,
      claim_organization: raw.oidc.claim_organization,
      default_organization: raw.oidc.default_organization,
      default_country: raw.oidc.default_country?.toUpperCase(),
      scopes: raw.oidc.scopes.includes('openid') ? raw.oidc.scopes : ['openid', ...raw.oidc.scopes],
    },
    vgrids: { ...raw.vgrids },
  };
  return deepFreeze(config);
}

function absoluteBaseDir(baseDir: unknown): string {
  if (typeof baseDir !== 'string' || baseDir.length === 0 || baseDir.length > 4096 || baseDir.includes('\u0000')) {
    throw new InvalidInputError('baseDir must be a folder path (at most 4096 characters, no NUL bytes)');
  }
  return resolve(baseDir);
}

/**
 * Analyses config text and returns every problem, plus the config when there are none.
 * Never throws for bad text; throws {@link InvalidInputError} only for bad options.
 */
export function analyseConfigText(text: unknown, options: ParseConfigOptions): ConfigAnalysis {
  const baseDir = absoluteBaseDir(options.baseDir);
  const problems: ConfigProblem[] = [];
  if (typeof text !== 'string') {
    return { problems: [{ path: '', message: 'the configuration is not text', hint: 'pass the contents of mig.toml as a string' }], config: undefined };
  }
  if (text.length > MAX_CONFIG_CHARS) {
    return { problems: [{ path: '', message: `the configuration is larger than ${MAX_CONFIG_CHARS} characters`, hint: 'mig.toml is a small text file; check that the right file was given (mig init writes a fresh one)' }], config: undefined };
  }
  if (text.includes('\u0000')) {
    return { problems: [{ path: '', message: 'the configuration contains NUL bytes, so it is not a text file', hint: 'check that the right file was given; mig init writes a fresh mig.toml' }], config: undefined };
  }
  let tree: PlainTable;
  try {
    tree = parseToml(text) as PlainTable;
  } catch (err) {
    if (err instanceof TomlError) {
      // Only the first line of the message: the rest quotes the file, which may hold a password.
      const reason = (err.message.split('\n')[0] ?? 'invalid TOML').replace(/^Invalid TOML document:\s*/, '');
      problems.push({ path: '', message: `TOML syntax error: ${reason}`, hint: 'fix the syntax at this line (strings need "quotes", sections look like [site], keys like name = value)', line: err.line, column: err.column });
    } else {
      problems.push({ path: '', message: 'the configuration could not be read as TOML', hint: 'check that the right file was given; mig init writes a fresh mig.toml' });
    }
    return { problems, config: undefined };
  }
  const sections = checkSections(tree, problems);
  checkAcrossSections(sections, problems);
  if (sections.site !== undefined && options.checkFileSystem !== false) {
    checkStateDir(resolve(baseDir, sections.site.state_dir), problems);
  }
  if (problems.length > MAX_PROBLEMS) {
    const hidden = problems.length - MAX_PROBLEMS;
    problems.length = MAX_PROBLEMS;
    problems.push({ path: '', message: `${hidden} more problems are not shown`, hint: 'fix the problems above and check again; is this really a mig.toml?' });
  }
  if (problems.length > 0) return { problems, config: undefined };
  const configFile = options.configFile === undefined ? undefined : resolve(options.configFile);
  return { problems, config: resolveSections(sections as RawSections, baseDir, configFile) };
}

/**
 * Parses the text of a `mig.toml` into a frozen {@link SiteConfig}. Relative paths are resolved
 * against `options.baseDir`.
 *
 * @throws ConfigError `MIG_E_CONFIG_INVALID` listing every problem in `details.problems`.
 * @throws InvalidInputError when `options.baseDir` is not a usable path.
 *
 * @example
 * ```ts
 * const config = parseConfig('[sftp]\nport = 2022\n', { baseDir: '/srv/mig' });
 * config.sftp.port;       // 2022
 * config.site.state_dir;  // '/srv/mig/state'
 * ```
 */
export function parseConfig(text: string, options: ParseConfigOptions): SiteConfig {
  const { problems, config } = analyseConfigText(text, options);
  if (config === undefined) throw configInvalidError(problems, options.configFile ?? 'the given text');
  return config;
}

/**
 * The configuration of a site with every default: a working single-host site whose state lives
 * in `<baseDir>/state`.
 *
 * @example
 * ```ts
 * defaultConfig('/srv/mig').database.sqlite_file; // '/srv/mig/state/mig.db'
 * ```
 */
export function defaultConfig(baseDir: string): SiteConfig {
  return parseConfig('', { baseDir, checkFileSystem: false });
}
