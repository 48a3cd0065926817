/**
 * One line of documentation for every section and key of `mig.toml`. The template writer prints
 * it as the comment above each key, and the checker uses it as the hint of a problem, so admins
 * read the same words in both places. The type makes a missing entry a compile error.
 * @packageDocumentation
 */
import type { z } from 'zod';
import type { SECTION_SCHEMAS, SectionName } from './config-schema.js';

/** Documentation of one key. */
export interface KeyDoc {
  /** One line saying what the key is (and its unit). */
  readonly doc: string;
  /**
   * A TOML value to show for keys without a fixed default (their default is derived or absent).
   * Keys with a fixed default show that default instead.
   */
  readonly example?: string;
  /** Whether the template writes the key uncommented (keys most sites look at). */
  readonly shown?: boolean;
}

/** Documentation of one section. */
export interface SectionDoc<S extends SectionName> {
  /** One line saying what the section is for. */
  readonly doc: string;
  /** Every key of the section, in the order the template lists them. */
  readonly keys: { readonly [K in keyof z.input<(typeof SECTION_SCHEMAS)[S]>]-?: KeyDoc };
}

/** Documentation of every section and key. */
export const CONFIG_CATALOGUE: { readonly [S in SectionName]: SectionDoc<S> } = {
  site: {
    doc: 'Who the site is and where it keeps its state.',
    keys: {
      title: { doc: 'Site name shown in page titles and emails.', shown: true },
      short_title: { doc: 'Short site name for menus and authenticator apps (default: title).', example: '"MiG"' },
      fqdn: { doc: 'Host name users reach the site by; used in URLs, certificates and emails.', shown: true },
      state_dir: { doc: 'Folder for all site state: database, homes, VGrid shares, archives, logs; relative to this file.', shown: true },
      cert_dir: { doc: 'Folder with the site CA and host certificate (default: <state_dir>/certs).', example: '"./state/certs"' },
      admin_email: { doc: 'Email address of the site administrators.', example: '"admin@example.org"' },
      support_email: { doc: 'Email address users are told to write to for help (default: admin_email).', example: '"support@example.org"' },
      login_alias: { doc: 'User field used as login name on SFTP, FTPS and WebDAVS: "email" or "user_id".' },
    },
  },
  database: {
    doc: 'Where site data lives: an embedded SQLite file by default, or PostgreSQL.',
    keys: {
      url: { doc: 'PostgreSQL URL (postgres://user:password@host:5432/db); leave unset for SQLite.', example: '"postgres://mig:secret@localhost:5432/mig"' },
      sqlite_file: { doc: 'SQLite database file when url is unset (default: <state_dir>/mig.db).', example: '"./state/mig.db"' },
      pool_size: { doc: 'Most PostgreSQL connections per process (1-1000).' },
    },
  },
  logging: {
    doc: 'Structured service logs, the authentication log and the audit log.',
    keys: {
      level: { doc: 'Lowest level written: fatal, error, warn, info, debug, trace or silent.', shown: true },
      dir: { doc: 'Folder for log files (default: <state_dir>/log).', example: '"./state/log"' },
      auth_log: { doc: 'File name, inside dir, of the authentication log (fail2ban reads it).' },
      audit_log: { doc: 'File name, inside dir, of the audit log of file and account actions.' },
    },
  },
  accounts: {
    doc: 'Account lifetime, sign-up and password rules.',
    keys: {
      valid_days: { doc: 'Days a new account is valid (1-36500).' },
      renew_days: { doc: 'Days an account is extended by on renewal (1-36500).' },
      password_policy: { doc: 'Rule for new passwords: NONE, WEAK, MEDIUM, HIGH, MODERN:<length> or CUSTOM:<length>:<classes 1-4>.', shown: true },
      password_legacy_policy: { doc: 'Weaker rule still accepted at sign-in for older passwords (same forms; default: none).', example: '"WEAK"' },
      signup_enabled: { doc: 'Whether people may request an account on the sign-up page (true/false).', shown: true },
      auto_accept: { doc: 'Whether sign-up requests become accounts without admin approval (true/false).', shown: true },
    },
  },
  security: {
    doc: 'Second factors, API tokens, SSH keys and CSRF protection.',
    keys: {
      totp_issuer: { doc: 'Issuer name shown in authenticator apps (default: site.short_title).', example: '"MiG"' },
      api_token_max_days: { doc: 'Longest lifetime of an API token, in days (1-36500).' },
      ssh_key_min_rsa_bits: { doc: 'Smallest accepted RSA SSH key, in bits (1024-16384).' },
      csrf_protection: { doc: 'CSRF protection: MINIMAL (none), WARN (log only), MEDIUM (browsers only) or FULL (always).' },
    },
  },
  defender: {
    doc: 'The brute-force defender: bans addresses after repeated failed logins on any protocol.',
    keys: {
      enabled: { doc: 'Whether failed logins lead to bans (true/false).' },
      window_seconds: { doc: 'How long a failed attempt is remembered, in seconds (1-86400).' },
      max_user_failures: { doc: 'Failures for one user name from one address within the window before a ban.' },
      max_address_failures: { doc: 'Failures from one address, any user names, within the window before a ban.' },
      ban_seconds: { doc: 'Length of the first ban, in seconds.' },
      ban_growth: { doc: 'Factor each further ban of the same address is multiplied by (1-100).' },
      max_ban_seconds: { doc: 'Longest ban, in seconds (not less than ban_seconds).' },
      allow_list: { doc: 'IP addresses and CIDR blocks that are never banned, e.g. ["10.0.0.0/8", "::1"].' },
    },
  },
  files: {
    doc: 'Rules of the file layer shared by the web, SFTP, FTPS and WebDAVS.',
    keys: {
      hidden_names: { doc: 'File and folder names that are invisible and untouchable everywhere.' },
      symlinks: { doc: 'Symbolic links: "deny" (never followed) or "within-view" (only when the target stays inside the view).' },
      max_name_bytes: { doc: 'Longest file name, in UTF-8 bytes (1-1024).' },
      max_path_bytes: { doc: 'Longest path, in UTF-8 bytes (16-65536, not less than max_name_bytes).' },
    },
  },
  quota: {
    doc: 'Storage limits.',
    keys: {
      user_limit_bytes: { doc: 'Bytes a user home may hold; 0 means unlimited.' },
      vgrid_limit_bytes: { doc: 'Bytes a VGrid share may hold; 0 means unlimited.' },
    },
  },
  scheduler: {
    doc: 'The grid engine: job queue and scheduling.',
    keys: {
      enabled: { doc: 'Whether jobs are accepted and scheduled (true/false).', shown: true },
      algorithm: { doc: 'Scheduling policy: FirstFit, BestFit, FairFit, MaxThroughput, Random or FIFO.', shown: true },
      expire_after_seconds: { doc: 'Seconds a queued job may wait before it expires; 0 means never.' },
      job_retries: { doc: 'How many times a failed job is requeued (0-100).' },
      socket_file: { doc: 'Unix socket where grid_script serves web servers in other processes (default: <state_dir>/grid_script.sock).', example: '"./state/grid_script.sock"' },
    },
  },
  web: {
    doc: 'The HTTPS server for pages, the JSON API and resources.',
    keys: {
      enabled: { doc: 'Whether the web server runs (true/false).', shown: true },
      host: { doc: 'Address to listen on; "0.0.0.0" or "::" for all interfaces.', shown: true },
      port: { doc: 'TCP port to listen on (1-65535).', shown: true },
      cert_file: { doc: 'TLS certificate in PEM (default: the site host certificate <cert_dir>/host.pem); set with key_file.', example: '"/etc/letsencrypt/live/mig.example.org/fullchain.pem"' },
      key_file: { doc: 'TLS private key in PEM (default: <cert_dir>/host.key); set with cert_file.', example: '"/etc/letsencrypt/live/mig.example.org/privkey.pem"' },
      base_url: { doc: 'Public URL of the portal behind a proxy or on another port (default: https://<fqdn>:<port>); used in emails and OpenID Connect redirects.', example: '"https://mig.example.org"' },
    },
  },
  sftp: {
    doc: 'The SFTP server.',
    keys: {
      enabled: { doc: 'Whether the SFTP server runs (true/false).', shown: true },
      host: { doc: 'Address to listen on (default: web.host).', example: '"0.0.0.0"' },
      port: { doc: 'TCP port to listen on (1-65535).', shown: true },
      max_sessions_per_user: { doc: 'Most simultaneous sessions per user (1-10000).' },
      idle_timeout_seconds: { doc: 'Seconds of inactivity before a session is closed.' },
    },
  },
  ftps: {
    doc: 'The FTPS server (FTP over TLS).',
    keys: {
      enabled: { doc: 'Whether the FTPS server runs (true/false).', shown: true },
      host: { doc: 'Address to listen on (default: web.host).', example: '"0.0.0.0"' },
      port: { doc: 'TCP control port (1-65535).', shown: true },
      passive_ports: { doc: 'Range of passive data ports, "first-last".' },
      allow_plain: { doc: 'Whether clients may log in without TLS (true/false; not recommended).' },
      max_sessions_per_user: { doc: 'Most simultaneous sessions per user (1-10000).' },
      idle_timeout_seconds: { doc: 'Seconds of inactivity before a session is closed.' },
      cert_file: { doc: 'TLS certificate in PEM (default: the web certificate); set with key_file.', example: '"/etc/ssl/mig/ftps.pem"' },
      key_file: { doc: 'TLS private key in PEM (default: the web key); set with cert_file.', example: '"/etc/ssl/mig/ftps.key"' },
    },
  },
  webdavs: {
    doc: 'The WebDAV server over TLS.',
    keys: {
      enabled: { doc: 'Whether the WebDAVS server runs (true/false).', shown: true },
      host: { doc: 'Address to listen on (default: web.host).', example: '"0.0.0.0"' },
      port: { doc: 'TCP port to listen on (1-65535).', shown: true },
      max_sessions_per_user: { doc: 'Most simultaneous connections per user (1-10000).' },
      idle_timeout_seconds: { doc: 'Seconds an idle connection is kept open.' },
      cert_file: { doc: 'TLS certificate in PEM (default: the web certificate); set with key_file.', example: '"/etc/ssl/mig/webdavs.pem"' },
      key_file: { doc: 'TLS private key in PEM (default: the web key); set with cert_file.', example: '"/etc/ssl/mig/webdavs.key"' },
    },
  },
  monitor: {
    doc: 'The site monitor: statistics of jobs, resources and users.',
    keys: {
      enabled: { doc: 'Whether the monitor collects statistics (true/false).', shown: true },
      interval_seconds: { doc: 'Seconds between two collections (1-86400).' },
    },
  },
  notify: {
    doc: 'Email notifications to users and admins.',
    keys: {
      smtp_url: { doc: 'Mail server as smtp://host:25 or smtps://user:password@host:465; unset logs notifications instead.', example: '"smtp://localhost:25"' },
      sender: { doc: 'From address of notification emails (default: "<short_title> <noreply@<fqdn>>").', example: '"MiG <noreply@example.org>"' },
    },
  },
  oidc: {
    doc: 'Sign-in with an external OpenID Connect provider (MiG\'s extoidc), and what happens to people without an account.',
    keys: {
      enabled: { doc: 'Whether the "Sign in with <display_name>" link is shown and OIDC sign-in works (true/false; needs issuer and client_id).' },
      issuer: { doc: 'The provider\'s issuer URL (https; http only for a provider on this host); its discovery document is read from there.', example: '"https://idp.example.org/realms/mig"' },
      client_id: { doc: 'This site\'s client id, registered at the provider with the redirect URI <base URL><redirect_path>.', example: '"mig"' },
      client_secret: { doc: 'The client secret; leave unset for a public client (PKCE protects the exchange).', example: '"change-me"' },
      redirect_path: { doc: 'Path of the callback on this site that the provider redirects back to.' },
      scopes: { doc: 'Scopes asked for; "openid" is always added.' },
      display_name: { doc: 'Name of the provider on the sign-in link.' },
      auto_create: { doc: 'People without an account: "none" (refused), "request" (a sign-up request is filed for the admins) or "direct" (the account is created).' },
      user_permit: { doc: 'Who may get an account: "claim:regex" filters, any match admits (regex anchored at the start), e.g. ["email:.*@ku\\.dk$"]; empty admits everybody.' },
      claim_full_name: { doc: 'Claim holding the full name (CN of the DN).' },
      claim_email: { doc: 'Claim holding the email address; it must be verified when the provider says whether it is.' },
      claim_organization: { doc: 'Claim holding the organisation (O of the DN); default: none, default_organization is used.', example: '"organization"' },
      default_organization: { doc: 'Organisation of new accounts when the provider sends none (needed unless auto_create = "none").', example: '"University of Copenhagen"' },
      default_country: { doc: 'Two-letter country code of new accounts (needed unless auto_create = "none").', example: '"DK"' },
    },
  },
  vgrids: {
    doc: 'VGrids (workgroups): who may create them and who among their owners may manage them.',
    keys: {
      label: { doc: 'What pages and messages call a VGrid, e.g. "Workgroup".' },
      creators: { doc: 'Who may create VGrids: "field:regex" filters on the identity (distinguished_name, email, full_name, organization, ...), all must match; site admins always may.' },
      managers: { doc: 'Which owners may manage their VGrids (participants, settings, requests): "field:regex" filters, all must match; site admins always may.' },
      request_message_max: { doc: 'Longest message of a membership or ownership request, in characters (0-65536).' },
    },
  },
};

/** The documentation of `section.key`, or `undefined` for an unknown key. */
export function keyDoc(section: string, key: string): KeyDoc | undefined {
  const entry = (CONFIG_CATALOGUE as Readonly<Record<string, { keys: Readonly<Record<string, KeyDoc>> }>>)[section];
  if (entry === undefined || !Object.hasOwn(entry.keys, key)) return undefined;
  return entry.keys[key];
}
