import { constants } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generatePassword } from '../auth/index.js';
import { ensureSiteCertificates } from '../certs/index.js';
import { configTemplate, loadConfig } from '../config/index.js';
import { ConflictError, InvalidInputError } from '../errors.js';
import { openSite } from './open-site.js';

/** Options for {@link initSite}. */
export interface InitSiteOptions {
  /** The folder to create the site in (made if missing); relative to `cwd`. */
  dir: string;
  /** Base for a relative `dir` (default `process.cwd()`). */
  cwd?: string | undefined;
  /** The host name users reach the site by (default `localhost`). */
  fqdn?: string | undefined;
  /** `postgres://…` to use PostgreSQL; absent for SQLite in the state folder. */
  databaseUrl?: string | undefined;
  /** The first admin account. */
  admin?: {
    email?: string | undefined;
    fullName?: string | undefined;
    organization?: string | undefined;
    country?: string | undefined;
  };
}

/** What {@link initSite} made. The admin password is returned once and stored only hashed. */
export interface InitSiteResult {
  readonly configPath: string;
  readonly stateDir: string;
  readonly caCertPath: string;
  readonly adminEmail: string;
  readonly adminPassword: string;
}

/**
 * Creates a new site in a folder: a commented `mig.toml`, the `state/` folder and database, a site
 * CA with a host certificate, and a first admin account with a generated password that meets the
 * site's password policy. Refuses to touch a folder that already has a `mig.toml`.
 *
 * @example
 * ```ts
 * const { configPath, adminPassword } = await initSite({ dir: '/srv/mig', fqdn: 'mig.example.org' });
 * ```
 */
export async function initSite(options: InitSiteOptions): Promise<InitSiteResult> {
  if (typeof options.dir !== 'string' || options.dir === '' || options.dir.includes('\0')) {
    throw new InvalidInputError('initSite needs a folder name (dir).');
  }
  const dir = resolve(options.cwd ?? process.cwd(), options.dir);
  await mkdir(dir, { recursive: true });
  const configPath = join(dir, 'mig.toml');
  const adminEmail = options.admin?.email ?? 'admin@localhost.localdomain';
  const text = configTemplate({
    stateDir: './state',
    fqdn: options.fqdn ?? 'localhost',
    adminEmail,
    ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
  });

  // O_EXCL: never overwrite an existing site's config, even in a race with another `mig init`.
  let handle;
  try {
    handle = await open(configPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, options.databaseUrl === undefined ? 0o644 : 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ConflictError('MIG_E_SITE_EXISTS', `${configPath} exists already: this folder holds a site. Start it with \`mig start\`, or choose another folder.`);
    }
    throw err;
  }
  try {
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }

  try {
    const config = await loadConfig(configPath);
    const certs = await ensureSiteCertificates(config.site.cert_dir, { fqdn: config.site.fqdn });
    const site = await openSite(config, { service: 'mig-init' });
    try {
      const adminPassword = generatePassword(config.accounts.password_policy, { length: 20 });
      const admin = await site.users.create({
        fullName: options.admin?.fullName ?? 'Site Admin',
        organization: options.admin?.organization ?? 'MiG Site',
        country: options.admin?.country ?? 'DK',
        state: '',
        email: adminEmail,
        comment: 'First admin, created by mig init',
        password: adminPassword,
        roles: ['admin'],
      });
      await site.audit.record({ actor: 'admin:local', action: 'site.init', target: admin.id, outcome: 'ok', details: { email: admin.email } });
      return { configPath, stateDir: config.site.state_dir, caCertPath: certs.caCertFile, adminEmail: admin.email, adminPassword };
    } finally {
      await site.close();
    }
  } catch (err) {
    // Leave no half-made site behind that `mig start` would pick up; the state folder may stay.
    await rm(configPath, { force: true });
    throw err;
  }
}
