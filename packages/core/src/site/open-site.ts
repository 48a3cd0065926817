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
import { createDirectoryQuota } from '../fs/directory-quota.js';
import { createVgridStore, resolveJobVgrids, vgridViewRoots, type VgridFolderPaths, type VgridStore } from '../vgrids/index.js';
import { vgridFolders } from '../vgrids/vgrid-folders.js';
import { createShareLinkStore, createShareLinkViewProvider, type ShareLinkStore, type ShareLinkVgridRules } from '../share-links/index.js';
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
  /** VGrids: names, owners, members, resources, requests, settings; their folders appear in participants' views. */
  readonly vgrids: VgridStore;
  /** Share links; `files.viewFor({ kind: 'share-link', shareId })` serves their views. */
  readonly shareLinks: ShareLinkStore;
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
    // Late-bound: the store needs the views, which come later.
    shareLinks: { findForLogin: (id) => shareLinks.findForLogin(id), recordUse: (id) => shareLinks.recordUse(id) },
    policy: { passwordPolicy: config.accounts.password_policy, legacyPolicy: config.accounts.password_legacy_policy },
    now,
  });
  // Each of the two checks the other: resources provide runtime environments, which cannot be
  // removed while provided; the late binding breaks the cycle.
  const runtimeEnvs: RuntimeEnvStore = createRuntimeEnvStore(db, { now, resources: { list: () => resources.list() } });
  const jobs = createJobStore(db, { now, serverId: defaultJobServerId(), mrslOptions: { defaultRetries: config.scheduler.job_retries }, runtimeEnvs,
    // Late binding again: the VGrid store is made below.
    jobVgrids: { resolve: (ownerId, requested) => resolveJobVgrids(vgrids, ownerId, requested, { label: config.vgrids.label }) },
  });
  const resources = createResourceStore(db, { now, runtimeEnvs });
  // One quota count for users' views and share-link views (uploads through a link count for the owner).
  const fileQuota = createDirectoryQuota();
  const files = createHomeViewProvider({
    quota: fileQuota,
    homeDirOf: (userId) => users.homeDir(userId),
    // VGrid shares and web folders are mounted inside the home; views are live, so a membership
    // change (made by any process) reaches open sessions at their next operation.
    extraRoots: async (principal) => vgridViewRoots(await vgrids.vgridsOf(principal.userId), vgridFolderPaths, { shareQuotaBytes: config.quota.vgrid_limit_bytes }),
    generationOf: (principal) => vgrids.changeGeneration(principal.userId),
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

  const vgridFolderPaths: VgridFolderPaths = {
    filesHome: paths.vgridFilesHome,
    privateBase: paths.vgridPrivateBase,
    publicBase: paths.vgridPublicBase,
    removedHome: paths.vgridRemoved,
  };
  const vgrids = createVgridStore({
    db,
    users,
    folders: vgridFolderPaths,
    hiddenNames: config.files.hidden_names,
    creators: config.vgrids.creators,
    managers: config.vgrids.managers,
    label: config.vgrids.label,
    requestMessageMax: config.vgrids.request_message_max,
    notifier,
    audit,
    logger,
    now,
  });

  // What share links need to know about VGrids (links into a VGrid share follow its settings and the owner's role).
  const shareLinkVgrids: ShareLinkVgridRules = {
    roleOf: (userId, name) => vgrids.roleOf(userId, name),
    createShareLinkSetting: async (name) => (await vgrids.get(name)).settings.createShareLink,
    membersReadOnly: async (name) => (await vgrids.get(name)).settings.readOnly,
    changeGeneration: (userId) => vgrids.changeGeneration(userId),
  };
  const shareLinks = createShareLinkStore({
    db,
    files,
    vgrids: shareLinkVgrids,
    notifier,
    audit,
    publicUrl: config.web.base_url,
    siteTitle: config.site.short_title,
    now,
  });
  const shareViews = createShareLinkViewProvider({
    store: shareLinks,
    quota: fileQuota,
    async quotaRootOf(rootId) {
      if (rootId.startsWith('home:')) {
        const userId = rootId.slice('home:'.length);
        const quotaBytes = config.quota.user_limit_bytes > 0 ? config.quota.user_limit_bytes : undefined;
        return { id: rootId, hostPath: await users.homeDir(userId), quotaBytes };
      }
      if (rootId.startsWith('vgrid:')) {
        const quotaBytes = config.quota.vgrid_limit_bytes > 0 ? config.quota.vgrid_limit_bytes : undefined;
        return { id: rootId, hostPath: vgridFolders(vgridFolderPaths, rootId.slice('vgrid:'.length)).share, quotaBytes };
      }
      return undefined;
    },
    vgrids: shareLinkVgrids,
    hiddenNames: config.files.hidden_names,
    symlinkPolicy: config.files.symlinks,
    maxNameBytes: config.files.max_name_bytes,
    maxPathBytes: config.files.max_path_bytes,
  });
  // Users get their home view; share-link principals the link's view (dispatch by kind).
  const views: ViewProvider = {
    viewFor: (principal) => ((principal as { kind?: unknown } | null)?.kind === 'share-link' ? shareViews.viewFor(principal) : files.viewFor(principal)),
  };

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
    files: views,
    jobs,
    resources,
    runtimeEnvs,
    shareLinks,
    vgrids,
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
