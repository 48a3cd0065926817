/**
 * The zod schema of `mig.toml`, one strict object per section. It describes the file as written:
 * keys whose default depends on another key (`short_title`, `logging.dir`, the service hosts …)
 * are optional here and filled in by `resolveSections` in parse-config.ts.
 * @packageDocumentation
 */
import { z } from 'zod';
import {
  CSRF_MODES, LOGIN_ALIAS_FIELDS, LOG_LEVELS, OIDC_AUTO_CREATE_MODES, SCHEDULER_ALGORITHMS, SYMLINK_MODES,
} from './site-config.js';
import { PASSWORD_POLICY_FORMS, parsePasswordPolicy } from './password-policy-spec.js';
import { isAddressOrCidr, isListenHost, parsePortRange } from './network-values.js';
import { DEFAULT_HIDDEN_NAMES } from '../fs/virtual-path.js';

const port = z.int().min(1).max(65535);
const positiveSeconds = (max: number) => z.int().min(1).max(max);
const count = (min: number, max: number) => z.int().min(min).max(max);
const bytes = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Visible text: no control characters (they break logs and headers). */
const text = (max: number) =>
  z.string().min(1).max(max).refine((v) => !/[\u0000-\u001f\u007f]/.test(v), { message: 'must not contain control characters' });

const path = text(4096);

const email = z.string().max(254).refine((v) => /^[^\s@<>"(),;:\\]+@[A-Za-z0-9.-]+$/.test(v), {
  message: 'must be an email address such as admin@example.org',
});

/** `addr@host` or `Display Name <addr@host>`. */
const mailbox = z.string().max(320).refine((v) => {
  const named = /^([^<>"\u0000-\u001f]*?)\s*<([^<>\s]+)>$/.exec(v);
  const address = named === null ? v : named[2] ?? '';
  return /^[^\s@<>"(),;:\\]+@[A-Za-z0-9.-]+$/.test(address);
}, { message: 'must be an address such as noreply@example.org or "Site <noreply@example.org>"' });

const fileName = z.string().min(1).max(255).refine(
  (v) => /^[A-Za-z0-9._-]+$/.test(v) && v !== '.' && v !== '..',
  { message: 'must be a plain file name (letters, digits, . _ -), not a path' },
);

const listenHost = z.string().max(253).refine(isListenHost, {
  message: 'must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name',
});

const passwordPolicy = z.string().max(32).refine((v) => parsePasswordPolicy(v) !== undefined, {
  message: `is not a password policy; use one of ${PASSWORD_POLICY_FORMS}`,
});

/** A URL with one of the given schemes; never echoes the value, since URLs carry passwords. */
const urlWithScheme = (schemes: readonly string[], what: string) =>
  z.string().max(2048).refine((v) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return false;
    }
    return schemes.includes(url.protocol.slice(0, -1)) && url.hostname.length > 0;
  }, { message: `must be a ${what} URL starting with ${schemes.map((s) => `${s}://`).join(' or ')} and naming a host` });

/** `[site]` as written. */
export const siteSchema = z.strictObject({
  title: text(128).default('MiG'),
  short_title: text(32).optional(),
  fqdn: z.string().max(253).refine(isListenHost, { message: 'must be a host name such as mig.example.org (or an IP address)' }).default('localhost'),
  state_dir: path.default('./state'),
  cert_dir: path.optional(),
  admin_email: email.optional(),
  support_email: email.optional(),
  login_alias: z.enum(LOGIN_ALIAS_FIELDS).default('email'),
});

/** `[database]` as written. */
export const databaseSchema = z.strictObject({
  url: urlWithScheme(['postgres', 'postgresql'], 'PostgreSQL').optional(),
  sqlite_file: path.optional(),
  pool_size: count(1, 1000).default(10),
});

/** `[logging]` as written. */
export const loggingSchema = z.strictObject({
  level: z.enum(LOG_LEVELS).default('info'),
  dir: path.optional(),
  auth_log: fileName.default('auth.log'),
  audit_log: fileName.default('audit.log'),
});

/** `[accounts]` as written. */
export const accountsSchema = z.strictObject({
  valid_days: count(1, 36_500).default(365),
  renew_days: count(1, 36_500).default(365),
  password_policy: passwordPolicy.default('MEDIUM'),
  password_legacy_policy: passwordPolicy.optional(),
  signup_enabled: z.boolean().default(true),
  auto_accept: z.boolean().default(false),
});

/** `[security]` as written. */
export const securitySchema = z.strictObject({
  totp_issuer: text(64).optional(),
  api_token_max_days: count(1, 36_500).default(365),
  ssh_key_min_rsa_bits: count(1024, 16_384).default(2048),
  csrf_protection: z.enum(CSRF_MODES).default('FULL'),
});

/** `[defender]` as written. */
export const defenderSchema = z.strictObject({
  enabled: z.boolean().default(true),
  window_seconds: positiveSeconds(86_400).default(120),
  max_user_failures: count(1, 10_000).default(5),
  max_address_failures: count(1, 100_000).default(25),
  ban_seconds: positiveSeconds(31_536_000).default(300),
  ban_growth: z.number().min(1).max(100).default(2),
  max_ban_seconds: positiveSeconds(31_536_000).default(86_400),
  allow_list: z.array(z.string().max(64).refine(isAddressOrCidr, {
    message: 'must be an IP address or a CIDR block such as 10.0.0.0/8',
  })).max(1000).default([]),
});

/** MiG's invisible names: the `.htaccess` file, the VGrid component folders and the trash. */
export { DEFAULT_HIDDEN_NAMES };

/** `[files]` as written. */
export const filesSchema = z.strictObject({
  hidden_names: z.array(z.string().min(1).max(255).refine(
    (v) => !/[/\u0000]/.test(v) && v !== '.' && v !== '..',
    { message: 'must be a single file name, without "/"' },
  )).max(1000).default([...DEFAULT_HIDDEN_NAMES]),
  symlinks: z.enum(SYMLINK_MODES).default('deny'),
  max_name_bytes: count(1, 1024).default(255),
  max_path_bytes: count(16, 65_536).default(4096),
});

/** `[quota]` as written. */
export const quotaSchema = z.strictObject({
  user_limit_bytes: bytes.default(0),
  vgrid_limit_bytes: bytes.default(0),
});

/** `[scheduler]` as written. */
export const schedulerSchema = z.strictObject({
  enabled: z.boolean().default(true),
  algorithm: z.enum(SCHEDULER_ALGORITHMS).default('FairFit'),
  expire_after_seconds: z.int().min(0).max(315_360_000).default(31_536_000),
  job_retries: count(0, 100).default(2),
  socket_file: path.optional(),
});

/** `[web]` as written. */
export const webSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: listenHost.default('127.0.0.1'),
  port: port.default(8443),
  cert_file: path.optional(),
  key_file: path.optional(),
  base_url: urlWithScheme(['https'], 'public https').optional(),
});

/** `[sftp]` as written. */
export const sftpSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: listenHost.optional(),
  port: port.default(2222),
  max_sessions_per_user: count(1, 10_000).default(16),
  idle_timeout_seconds: positiveSeconds(604_800).default(600),
});

/** `[ftps]` as written. */
export const ftpsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: listenHost.optional(),
  port: port.default(8021),
  passive_ports: z.string().max(32).refine((v) => parsePortRange(v) !== undefined, {
    message: 'must be a port range "first-last" within 1-65535, first not above last',
  }).default('30000-30100'),
  allow_plain: z.boolean().default(false),
  max_sessions_per_user: count(1, 10_000).default(16),
  idle_timeout_seconds: positiveSeconds(604_800).default(600),
  cert_file: path.optional(),
  key_file: path.optional(),
});

/** `[webdavs]` as written. */
export const webdavsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: listenHost.optional(),
  port: port.default(4443),
  max_sessions_per_user: count(1, 10_000).default(64),
  idle_timeout_seconds: positiveSeconds(604_800).default(600),
  cert_file: path.optional(),
  key_file: path.optional(),
});

/** `[monitor]` as written. */
export const monitorSchema = z.strictObject({
  enabled: z.boolean().default(true),
  interval_seconds: positiveSeconds(86_400).default(60),
});

/** `[notify]` as written. */
export const notifySchema = z.strictObject({
  smtp_url: urlWithScheme(['smtp', 'smtps'], 'mail server').optional(),
  sender: mailbox.optional(),
});

/** An OIDC claim name (`email`, `name`, `https://example.org/claims/org` …). */
const claimName = z.string().min(1).max(256).refine((v) => /^[A-Za-z0-9_.:/#-]+$/.test(v), {
  message: 'must be a claim name such as email or name (letters, digits, _ . : / # -)',
});

/** One `claim:regex` admission filter (MiG's `auto_add_user_permit`), e.g. `email:.*@ku\\.dk$`. */
const claimFilter = z.string().max(1024).refine((v) => {
  const colon = v.indexOf(':');
  if (colon <= 0 || !/^[A-Za-z0-9_.-]+$/.test(v.slice(0, colon))) return false;
  try {
    new RegExp(v.slice(colon + 1), 'u');
    return true;
  } catch {
    return false;
  }
}, { message: 'must be "claim:regex" with a claim name before the colon and a valid regular expression after it, e.g. "email:.*@example\\.org$"' });

/** `[oidc]` as written. */
export const oidcSchema = z.strictObject({
  enabled: z.boolean().default(false),
  issuer: urlWithScheme(['https', 'http'], 'provider').optional(),
  client_id: text(256).optional(),
  client_secret: text(1024).optional(),
  redirect_path: z.string().max(256).refine((v) => /^\/[A-Za-z0-9._~/-]*$/.test(v) && !v.includes('//') && !/(^|\/)\.\.?(\/|$)/.test(v), {
    message: 'must be a path on this site starting with "/", such as /login/oidc/callback',
  }).default('/login/oidc/callback'),
  scopes: z.array(z.string().min(1).max(128).refine((v) => /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(v), {
    message: 'must be a scope name without spaces or quotes, such as email',
  })).min(1).max(32).default(['openid', 'email', 'profile']),
  display_name: text(64).default('OpenID Connect'),
  auto_create: z.enum(OIDC_AUTO_CREATE_MODES).default('none'),
  user_permit: z.array(claimFilter).max(100).default([]),
  claim_full_name: claimName.default('name'),
  claim_email: claimName.default('email'),
  claim_organization: claimName.optional(),
  default_organization: text(255).optional(),
  default_country: z.string().max(64).refine((v) => /^[A-Za-z]{2}$/.test(v), { message: 'must be a two-letter country code such as DK' }).optional(),
});

/** An identity field a `[vgrids]` filter may test (MiG's user-record field names). */
export const VGRID_FILTER_FIELDS = [
  'distinguished_name', 'email', 'full_name', 'organization', 'organizational_unit', 'locality', 'state', 'country',
] as const;

/** One `field:regex` filter on a user's identity (MiG's `site_vgrid_creators`), e.g. `email:.*@ku\\.dk$`. */
const identityFilter = z.string().max(1024).refine((v) => {
  const colon = v.indexOf(':');
  if (colon <= 0 || !(VGRID_FILTER_FIELDS as readonly string[]).includes(v.slice(0, colon))) return false;
  try {
    new RegExp(v.slice(colon + 1), 'u');
    return true;
  } catch {
    return false;
  }
}, { message: `must be "field:regex" with a field of ${VGRID_FILTER_FIELDS.join(', ')} before the colon and a valid regular expression after it, e.g. "email:.*@example\\.org$"` });

/** `[vgrids]` as written. */
export const vgridsSchema = z.strictObject({
  label: text(32).default('VGrid'),
  creators: z.array(identityFilter).max(100).default(['distinguished_name:.*']),
  managers: z.array(identityFilter).max(100).default(['distinguished_name:.*']),
  request_message_max: count(0, 65_536).default(4096),
});

/** Every section's schema, in file order. */
export const SECTION_SCHEMAS = {
  site: siteSchema,
  database: databaseSchema,
  logging: loggingSchema,
  accounts: accountsSchema,
  security: securitySchema,
  defender: defenderSchema,
  files: filesSchema,
  quota: quotaSchema,
  scheduler: schedulerSchema,
  web: webSchema,
  sftp: sftpSchema,
  ftps: ftpsSchema,
  webdavs: webdavsSchema,
  monitor: monitorSchema,
  notify: notifySchema,
  oidc: oidcSchema,
  vgrids: vgridsSchema,
} as const;

/** The section names of `mig.toml`. */
export type SectionName = keyof typeof SECTION_SCHEMAS;

/** A section as parsed (defaults applied, derived keys still possibly unset). */
export type RawSection<S extends SectionName> = z.output<(typeof SECTION_SCHEMAS)[S]>;

/** All sections as parsed. */
export type RawSections = { [S in SectionName]: RawSection<S> };

/** The section names in file order. */
export const SECTION_NAMES = Object.keys(SECTION_SCHEMAS) as SectionName[];

/** The keys of each section, in schema order. */
export function sectionKeys(section: SectionName): string[] {
  return Object.keys(SECTION_SCHEMAS[section].shape);
}
