/**
 * The typed, resolved site configuration: what `loadConfig` returns. Keys keep the snake_case
 * spelling of `mig.toml`, so a key path in an error message is the key path in the file. Every
 * value is filled in (defaults applied, relative paths made absolute against the config file's
 * folder) except the few that are truly optional, which are `undefined` when unset.
 * @packageDocumentation
 */

/** Pino log levels accepted by `[logging] level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** MiG's CSRF protection modes (`[security] csrf_protection`). */
export const CSRF_MODES = ['MINIMAL', 'WARN', 'MEDIUM', 'FULL'] as const;
/** A CSRF protection mode: MINIMAL (no check), WARN (check, only log), MEDIUM (browsers only), FULL (always). */
export type CsrfMode = (typeof CSRF_MODES)[number];

/** MiG's built-in scheduling policies (`[scheduler] algorithm`). */
export const SCHEDULER_ALGORITHMS = ['FirstFit', 'BestFit', 'FairFit', 'MaxThroughput', 'Random', 'FIFO'] as const;
/** A built-in scheduling policy name. */
export type SchedulerAlgorithm = (typeof SCHEDULER_ALGORITHMS)[number];

/** How the file layer treats symbolic links (`[files] symlinks`). */
export const SYMLINK_MODES = ['deny', 'within-view'] as const;
/** `deny`: never follow or create links; `within-view`: allowed when the target stays inside the principal's view. */
export type SymlinkMode = (typeof SYMLINK_MODES)[number];

/** User fields that can serve as the login name on SFTP, FTPS and WebDAVS (`[site] login_alias`). */
export const LOGIN_ALIAS_FIELDS = ['email', 'user_id'] as const;
/** A login alias field: the user's email address (MiG's usual choice) or their stable user id. */
export type LoginAliasField = (typeof LOGIN_ALIAS_FIELDS)[number];

/** What an OpenID Connect sign-in of someone without an account does (`[oidc] auto_create`). */
export const OIDC_AUTO_CREATE_MODES = ['none', 'request', 'direct'] as const;
/** `none`: only existing accounts; `request`: file a sign-up request; `direct`: create the account (MiG's `auto_add_oidc_user`). */
export type OidcAutoCreateMode = (typeof OIDC_AUTO_CREATE_MODES)[number];

/** `[site]`: who the site is and where it keeps its state. */
export interface SiteSection {
  /** Site name shown in page titles and emails. */
  readonly title: string;
  /** Short name for tight spaces (menus, TOTP issuer); defaults to `title`. */
  readonly short_title: string;
  /** The host name users reach the site by; used in URLs, certificates and emails. */
  readonly fqdn: string;
  /** Absolute path of the state folder (database, homes, VGrid shares, archives, logs). */
  readonly state_dir: string;
  /** Absolute path of the folder with the site CA and host certificate; defaults to `<state_dir>/certs`. */
  readonly cert_dir: string;
  /** Address of the site administrators, if set. */
  readonly admin_email: string | undefined;
  /** Address shown to users for help; defaults to `admin_email`. */
  readonly support_email: string | undefined;
  /** Which user field is the login name on SFTP, FTPS and WebDAVS. */
  readonly login_alias: LoginAliasField;
}

/** `[database]`: where site data lives. */
export interface DatabaseSection {
  /** A `postgres://` or `postgresql://` URL, or `undefined` for the embedded SQLite database. */
  readonly url: string | undefined;
  /** Absolute path of the SQLite database file, used when `url` is unset; defaults to `<state_dir>/mig.db`. */
  readonly sqlite_file: string;
  /** Largest number of PostgreSQL connections per process. */
  readonly pool_size: number;
}

/** `[logging]`: structured logs and the auth and audit logs. */
export interface LoggingSection {
  /** Minimum level written to the service logs. */
  readonly level: LogLevel;
  /** Absolute path of the log folder; defaults to `<state_dir>/log`. */
  readonly dir: string;
  /** File name (inside `dir`) of the authentication log that fail2ban can read. */
  readonly auth_log: string;
  /** File name (inside `dir`) of the audit log of file and account actions. */
  readonly audit_log: string;
}

/** `[accounts]`: account lifetime, sign-up and password rules. */
export interface AccountsSection {
  /** Days a new account is valid. */
  readonly valid_days: number;
  /** Days an account is extended by on renewal. */
  readonly renew_days: number;
  /** Policy for new passwords (NONE, WEAK, MEDIUM, HIGH, MODERN:n, CUSTOM:n:c). */
  readonly password_policy: string;
  /** Weaker policy still accepted at sign-in for passwords set before the policy was raised, if any. */
  readonly password_legacy_policy: string | undefined;
  /** Whether people may request an account from the sign-up page. */
  readonly signup_enabled: boolean;
  /** Whether sign-up requests become accounts without an administrator's approval. */
  readonly auto_accept: boolean;
}

/** `[security]`: second factors, tokens, keys and CSRF. */
export interface SecuritySection {
  /** Issuer name shown in authenticator apps; defaults to `site.short_title`. */
  readonly totp_issuer: string;
  /** Longest lifetime of an API token, in days. */
  readonly api_token_max_days: number;
  /** Smallest accepted RSA SSH key size, in bits. */
  readonly ssh_key_min_rsa_bits: number;
  /** CSRF protection mode. */
  readonly csrf_protection: CsrfMode;
}

/** `[defender]`: the brute-force defender shared by every protocol. */
export interface DefenderSection {
  /** Whether failed logins lead to bans. */
  readonly enabled: boolean;
  /** How long a failed attempt is remembered, in seconds (MiG's fail cache window). */
  readonly window_seconds: number;
  /** Failures for one user name from one address within the window before a ban (MiG's max_user_hits). */
  readonly max_user_failures: number;
  /** Failures from one address, any user, within the window before the address is banned. */
  readonly max_address_failures: number;
  /** Length of the first ban, in seconds. */
  readonly ban_seconds: number;
  /** Factor each further ban of the same address is multiplied by. */
  readonly ban_growth: number;
  /** Longest ban, in seconds. */
  readonly max_ban_seconds: number;
  /** IP addresses and CIDR blocks that are never banned. */
  readonly allow_list: readonly string[];
}

/** `[files]`: rules of the file-system layer. */
export interface FilesSection {
  /** Names that are invisible and untouchable in every view (MiG's invisible files and folders). */
  readonly hidden_names: readonly string[];
  /** Symbolic link handling. */
  readonly symlinks: SymlinkMode;
  /** Longest file name, in UTF-8 bytes. */
  readonly max_name_bytes: number;
  /** Longest path, in UTF-8 bytes. */
  readonly max_path_bytes: number;
}

/** `[quota]`: storage limits. */
export interface QuotaSection {
  /** Bytes a user's home may hold; 0 means unlimited. */
  readonly user_limit_bytes: number;
  /** Bytes a VGrid share may hold; 0 means unlimited. */
  readonly vgrid_limit_bytes: number;
}

/** `[scheduler]`: the grid engine. */
export interface SchedulerSection {
  /** Whether jobs are accepted and scheduled. */
  readonly enabled: boolean;
  /** Scheduling policy. */
  readonly algorithm: SchedulerAlgorithm;
  /** Seconds a queued job may wait before it expires; 0 means never. */
  readonly expire_after_seconds: number;
  /** How many times a failed job is requeued. */
  readonly job_retries: number;
  /** Absolute path of the Unix socket where `grid_script` serves web servers running in other processes. */
  readonly socket_file: string;
}

/** `[web]`: the HTTPS server. */
export interface WebSection {
  /** Whether the web server runs. */
  readonly enabled: boolean;
  /** Address to listen on. */
  readonly host: string;
  /** TCP port to listen on. */
  readonly port: number;
  /** Absolute path of the TLS certificate (PEM); defaults to the site host certificate. */
  readonly cert_file: string;
  /** Absolute path of the TLS private key (PEM); defaults to the site host key. */
  readonly key_file: string;
  /**
   * The public URL users reach the portal at, without a trailing slash (links in emails, the
   * OpenID Connect redirect); default `https://<fqdn>:<port>` (no port for 443).
   */
  readonly base_url: string;
}

/** `[sftp]`: the SFTP server. */
export interface SftpSection {
  /** Whether the SFTP server runs. */
  readonly enabled: boolean;
  /** Address to listen on; defaults to `web.host`. */
  readonly host: string;
  /** TCP port to listen on. */
  readonly port: number;
  /** Most simultaneous sessions per user. */
  readonly max_sessions_per_user: number;
  /** Seconds of inactivity before a session is closed. */
  readonly idle_timeout_seconds: number;
}

/** `[ftps]`: the FTPS server. */
export interface FtpsSection {
  /** Whether the FTPS server runs. */
  readonly enabled: boolean;
  /** Address to listen on; defaults to `web.host`. */
  readonly host: string;
  /** TCP control port. */
  readonly port: number;
  /** Passive data ports as written, e.g. `"30000-30100"`. */
  readonly passive_ports: string;
  /** The passive port range, parsed. */
  readonly passive_port_range: { readonly first: number; readonly last: number };
  /** Whether clients may log in without TLS (never recommended). */
  readonly allow_plain: boolean;
  /** Most simultaneous sessions (connections) per user. */
  readonly max_sessions_per_user: number;
  /** Seconds of inactivity before a session is closed. */
  readonly idle_timeout_seconds: number;
  /** Absolute path of the TLS certificate (PEM); defaults to `web.cert_file`. */
  readonly cert_file: string;
  /** Absolute path of the TLS private key (PEM); defaults to `web.key_file`. */
  readonly key_file: string;
}

/** `[webdavs]`: the WebDAV-over-TLS server. */
export interface WebdavsSection {
  /** Whether the WebDAVS server runs. */
  readonly enabled: boolean;
  /** Address to listen on; defaults to `web.host`. */
  readonly host: string;
  /** TCP port to listen on. */
  readonly port: number;
  /** Most simultaneous sessions (connections) per user. */
  readonly max_sessions_per_user: number;
  /** Seconds of inactivity before a session is closed. */
  readonly idle_timeout_seconds: number;
  /** Absolute path of the TLS certificate (PEM); defaults to `web.cert_file`. */
  readonly cert_file: string;
  /** Absolute path of the TLS private key (PEM); defaults to `web.key_file`. */
  readonly key_file: string;
}

/** `[monitor]`: the site monitor. */
export interface MonitorSection {
  /** Whether the monitor collects statistics. */
  readonly enabled: boolean;
  /** Seconds between two collections. */
  readonly interval_seconds: number;
}

/** `[notify]`: email to users and admins. */
export interface NotifySection {
  /** `smtp://` or `smtps://` URL of the mail server; `undefined` writes notifications to the log instead. */
  readonly smtp_url: string | undefined;
  /** From address of notification emails; defaults to `<short_title> <noreply@<fqdn>>`. */
  readonly sender: string;
}

/** `[oidc]`: sign-in with an external OpenID Connect provider. */
export interface OidcSection {
  /** Whether the "Sign in with …" link and the OIDC routes are on. */
  readonly enabled: boolean;
  /** The provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`), if set. */
  readonly issuer: string | undefined;
  /** This site's client id at the provider, if set. */
  readonly client_id: string | undefined;
  /** The client secret; `undefined` for a public client (PKCE only). */
  readonly client_secret: string | undefined;
  /** Path of the callback on this site (the redirect URI is the site's base URL plus this path). */
  readonly redirect_path: string;
  /** Scopes asked for (`openid` is always among them). */
  readonly scopes: readonly string[];
  /** Label of the sign-in link: "Sign in with <display_name>". */
  readonly display_name: string;
  /** What happens when nobody has an account with the provider's email. */
  readonly auto_create: OidcAutoCreateMode;
  /** `claim:regex` filters; someone without an account is admitted when any matches (none: everybody). */
  readonly user_permit: readonly string[];
  /** Claim holding the full name. */
  readonly claim_full_name: string;
  /** Claim holding the email address. */
  readonly claim_email: string;
  /** Claim holding the organisation, if the provider sends one. */
  readonly claim_organization: string | undefined;
  /** Organisation of new accounts when the provider sends none. */
  readonly default_organization: string | undefined;
  /** Two-letter country code of new accounts (upper case). */
  readonly default_country: string | undefined;
}

/** `[vgrids]`: who may create and manage VGrids (MiG's `site_vgrid_*` settings). */
export interface VgridsSection {
  /** What the site calls a VGrid in pages and messages (MiG's `site_vgrid_label`, e.g. "Workgroup"). */
  readonly label: string;
  /** `field:regex` filters on the user's identity; a user may create VGrids when every one matches (start-anchored). */
  readonly creators: readonly string[];
  /** `field:regex` filters; an owner may manage a VGrid (participants, settings, requests) when every one matches. */
  readonly managers: readonly string[];
  /** Longest message of a membership or ownership request, in characters. */
  readonly request_message_max: number;
}

/**
 * The whole, resolved site configuration. Frozen: share it freely.
 *
 * @example
 * ```ts
 * const config = await loadConfig(await findConfigFile());
 * if (config.sftp.enabled) startSftp(config.sftp.host, config.sftp.port);
 * ```
 */
export interface SiteConfig {
  /** Absolute path of the file the config was read from, or `undefined` when parsed from text. */
  readonly config_file: string | undefined;
  /** Absolute folder that relative paths were resolved against. */
  readonly base_dir: string;
  readonly site: SiteSection;
  readonly database: DatabaseSection;
  readonly logging: LoggingSection;
  readonly accounts: AccountsSection;
  readonly security: SecuritySection;
  readonly defender: DefenderSection;
  readonly files: FilesSection;
  readonly quota: QuotaSection;
  readonly scheduler: SchedulerSection;
  readonly web: WebSection;
  readonly sftp: SftpSection;
  readonly ftps: FtpsSection;
  readonly webdavs: WebdavsSection;
  readonly monitor: MonitorSection;
  readonly notify: NotifySection;
  readonly oidc: OidcSection;
  readonly vgrids: VgridsSection;
}

/** The names of the config file's sections, in file order. */
export type ConfigSectionName = Exclude<keyof SiteConfig, 'config_file' | 'base_dir'>;
