/**
 * A real site in a temp folder for tests: `mig init`'s work (config, state, CA and host
 * certificate, first admin), optional config overrides, SQLite or PostgreSQL.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { initSite, loadConfig, openSite, type OpenSiteOptions, type Site, type UserRecord } from '@migrid/core';
import { createTestDatabase, type DatabaseKind } from './databases.js';

/** Config sections to merge into the generated `mig.toml`, e.g. `{ defender: { max_user_failures: 2 } }`. */
export type ConfigOverrides = Record<string, Record<string, unknown>>;

export interface TestSite {
  readonly site: Site;
  /** The site folder (holds mig.toml and state/). */
  readonly dir: string;
  readonly configPath: string;
  /** The site CA certificate (PEM file) clients should trust. */
  readonly caCertPath: string;
  readonly adminEmail: string;
  readonly adminPassword: string;
  /** Closes the site and removes everything. */
  close(): Promise<void>;
}

/** Opens a fresh site. */
export async function openTestSite(options: { kind?: DatabaseKind; config?: ConfigOverrides; open?: OpenSiteOptions } = {}): Promise<TestSite> {
  const dir = await mkdtemp(join(tmpdir(), 'mig-test-site-'));
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl: string | undefined;
  if (options.kind === 'postgres') {
    const db = await createTestDatabase('postgres');
    drop = db.drop;
    databaseUrl = db.url;
  }
  const made = await initSite({ dir, fqdn: 'localhost', databaseUrl });
  if (options.config !== undefined) {
    const tree = parse(await readFile(made.configPath, 'utf8')) as Record<string, Record<string, unknown>>;
    for (const [section, values] of Object.entries(options.config)) tree[section] = { ...(tree[section] ?? {}), ...values };
    await writeFile(made.configPath, stringify(tree));
  }
  const site = await openSite(await loadConfig(made.configPath), { service: 'test', ...options.open });
  return {
    site,
    dir,
    configPath: made.configPath,
    caCertPath: made.caCertPath,
    adminEmail: made.adminEmail,
    adminPassword: made.adminPassword,
    async close() {
      await site.close();
      await drop?.();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** Creates an active user with a password (default a policy-meeting one) and returns it with the password. */
export async function createTestUser(
  site: Site,
  options: { email?: string; password?: string; fullName?: string; roles?: string[] } = {},
): Promise<{ user: UserRecord; password: string }> {
  counter += 1;
  const email = options.email ?? `user${counter}-${process.pid}@example.org`;
  const password = options.password ?? `Grid-Pass-${counter}-x9!Q`;
  const user = await site.users.create({
    email,
    fullName: options.fullName ?? `Test User ${String.fromCharCode(65 + (counter % 26))}`,
    organization: 'Test Org',
    country: 'DK',
    password,
    ...(options.roles !== undefined && { roles: options.roles }),
  });
  return { user, password };
}
