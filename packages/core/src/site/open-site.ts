import { mkdir } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import type { SiteConfig } from '../config/index.js';
import { openDatabase, type SiteDatabase } from '../db/index.js';
import type { Database } from '../db/schema.js';
import {
  createApiTokenStore,
  createAuditLog,
  createAuthLog,
  createAuthenticator,
  createDefender,
  createSshKeyStore,
  createTotpStore,
  type ApiTokenStore,
  type AuditLog,
  type AuthLog,
  type Authenticator,
  type Defender,
  type SshKeyStore,
  type TotpStore,
} from '../auth/index.js';
import { createHomeViewProvider, type ViewProvider } from '../fs/index.js';
import { createSignupRequestStore, createUserStore, type SignupRequestStore, type UserStore } from '../users/index.js';
import { createLogNotifier, createSmtpNotifier, type Notifier } from '../notify/index.js';
import { createJobStore, defaultJobServerId, type JobStore } from '../jobs/index.js';
import { createResourceStore, type ResourceStore } from '../resources/index.js';
import { createRuntimeEnvStore, type RuntimeEnvStore } from '../runtime-envs/index.js';
import { createSiteLogger, type SiteLogger } from './site-logger.js';
import { sitePaths, type SitePaths } from './site-paths.js';
import { loadOrCreateSecretKey } from './secret-key.js';

/**
 * An open MiG site: the one object every service of a process shares. It holds the database and
 * every store, the authenticator (with its defender and logs) and the file-system views.
 *
 * @example
 * ```ts
 * const site = await openSite(await loadConfig('./mig.toml'));
 * const { userId } = await site.auth.authenticatePassword({ login, password, address, protocol: 'sftp' });
 * const view = await site.files.viewFor({ kind: 'user', userId });
 * await site.close();
 * ```
 */
export interface Site {
  readonly config: SiteConfig;
  readonly paths: SitePaths;
  readonly logger: SiteLogger;
  /**
   * The site's secret key (`<state>/secret.key`, created on first open). Derive purpose-bound keys
   * from it (e.g. HMAC it with a label); never use it directly or send it anywhere.
   */
  readonly secretKey: Buffer;
  /** The open database (`db` is the typed query builder; `dialect` is `sqlite` or `postgres`). */
  readonly database: SiteDatabase;
  readonly db: Kysely<Database>;
  readonly users: UserStore;
  readonly signups: SignupRequestStore;
  readonly sshKeys: SshKeyStore;
  readonly apiTokens: ApiTokenStore;
  readonly totp: TotpStore;
  readonly defender: Defender;
  readonly authLog: AuthLog;
  readonly audit: AuditLog;
  /** What protocols call to log someone in; they ask, the core decides. */
  readonly auth: Authenticator;
  /** Turns a principal into its file view. */
  readonly files: ViewProvider;
  /** Tells people things: SMTP when `[notify] smtp_url` is set, else lines in `paths.mailLog`. */
  readonly notifier: Notifier;
  /** Grid job records (the database is the truth); the engine in `@migrid/scheduler` drives them. */
  readonly jobs: JobStore;
  /** Registered resources and their agent tokens. */
  readonly resources: ResourceStore;
  /** Runtime environments published by admins; jobs and resources naming an unknown one are refused. */
  readonly runtimeEnvs: RuntimeEnvStore;
  /** Periodic maintenance: prunes the defender's old records, reports accounts past expiry, sweeps half-built homes. */
  housekeeping(): Promise<HousekeepingReport>;
  /** Closes the database and logs. Safe to call twice. */
  close(): Promise<void>;
}

/** What one {@link Site.housekeeping} pass did. */
export interface HousekeepingReport {
  /** Defender records removed: failures past the window and bans long expired. */
  readonly pruned: { readonly failures: number; readonly bans: number };
  /** Ids of active accounts whose expiry has passed (logins are refused; nothing is changed). */
  readonly expired: readonly string[];
  /** Half-built homes left by a process that died while creating an account, now removed. */
  readonly abandonedHomes: number;
}

/** Options for {@link openSite}. */
export interface OpenSiteOptions {
  /** Service name for log lines (default `mig`). */
  service?: string;
  /** A logger to use instead of the default JSON logger on stdout. */
  logger?: SiteLogger;
  /** Clock for tests. */
  now?: () => number;
  /** A notifier to use instead of the one `[notify]` configures. */
  notifier?: Notifier;
}

/**
 * Opens a site from its config: creates the state folders if missing, opens and migrates the
 * database, and wires every store. Throws {@link DatabaseError} when the database cannot be opened.
 */
export async function openSite(config: SiteConfig, options: OpenSiteOptions = {}): Promise<Site> {
  const paths = sitePaths(config);
  const logger = options.logger ?? createSiteLogger(config, options.service ?? 'mig');
  const now = options.now ?? Date.now;
  await Promise.all([paths.stateDir, paths.userHome, paths.logDir].map((dir) => mkdir(dir, { recursive: true, mode: 0o750 })));

  const database = await openDatabase({
    url: config.database.url,
    sqlitePath: config.database.sqlite_file,
    poolSize: config.database.pool_size,
  });
  const { db } = database;
  const secretKey = await loadOrCreateSecretKey(paths.secretKey).catch(async (err: unknown) => {
    await database.close();
    throw err;
  });

  const authLog = createAuthLog(paths.authLog, { now });
  const audit = createAuditLog(db, { filePath: paths.auditLog, now });
  const users = createUserStore({
    db,
    accounts: config.accounts,
    homeRoot: paths.userHome,
    deletedHomesRoot: paths.deletedHomes,
    loginAlias: config.site.login_alias,
    welcome: { siteTitle: config.site.short_title, supportEmail: config.site.support_email },
    now,
  });
  const signups = createSignupRequestStore({ db, users, accounts: config.accounts, now });
  const sshKeys = createSshKeyStore(db, { minRsaBits: config.security.ssh_key_min_rsa_bits, now });
  const apiTokens = createApiTokenStore(db, { maxDays: config.security.api_token_max_days, now });
  const totp = createTotpStore(db, { now });
  const defender = createDefender(db, config.defender, { authLog, now });
  const auth = createAuthenticator({
    db,
    defender,
    authLog,
    audit,
    users,
    sshKeys,
    apiTokens,
    totp,
    policy: { passwordPolicy: config.accounts.password_policy, legacyPolicy: config.accounts.password_legacy_policy },
    now,
  });
  // Each of the two checks the other: resources provide runtime environments, which cannot be
  // removed while provided; the late binding breaks the cycle.
  const runtimeEnvs: RuntimeEnvStore = createRuntimeEnvStore(db, { now, resources: { list: () => resources.list() } });
  const jobs = createJobStore(db, { now, serverId: defaultJobServerId(), mrslOptions: { defaultRetries: config.scheduler.job_retries }, runtimeEnvs });
  const resources = createResourceStore(db, { now, runtimeEnvs });
  const files = createHomeViewProvider({
    homeDirOf: (userId) => users.homeDir(userId),
    hiddenNames: config.files.hidden_names,
    symlinkPolicy: config.files.symlinks,
    maxNameBytes: config.files.max_name_bytes,
    maxPathBytes: config.files.max_path_bytes,
    ...(config.quota.user_limit_bytes > 0 && { homeQuotaBytesOf: async () => config.quota.user_limit_bytes }),
  });

  const notifier =
    options.notifier ??
    (config.notify.smtp_url === undefined
      ? createLogNotifier({ file: paths.mailLog, now })
      : createSmtpNotifier({ url: config.notify.smtp_url, sender: config.notify.sender }));

  let closed = false;
  return {
    config,
    paths,
    logger,
    secretKey,
    database,
    db,
    users,
    signups,
    sshKeys,
    apiTokens,
    totp,
    defender,
    authLog,
    audit,
    auth,
    files,
    jobs,
    resources,
    runtimeEnvs,
    notifier,
    async housekeeping() {
      const pruned = await defender.prune();
      const expired = await users.expiredAccounts();
      const abandonedHomes = await users.sweepAbandonedHomes();
      if (abandonedHomes > 0) logger.warn({ count: abandonedHomes }, 'removed half-built home folders left by an interrupted account creation');
      if (expired.length > 0) logger.info({ count: expired.length }, 'active accounts past their expiry (logins are refused until renewed)');
      return { pruned, expired, abandonedHomes };
    },
    async close() {
      if (closed) return;
      closed = true;
      await notifier.close?.();
      await authLog.close?.();
      await audit.close?.();
      await database.close();
    },
  };
}
