import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initSite, loadConfig, openSite, type Site } from '@migrid/core';
import { createTestDatabase, databaseKinds } from '../../../test/support/databases.js';
import { codeOf } from '../../../test/support/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-site-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(databaseKinds())('a site on %s', (kind) => {
  let drop: (() => Promise<void>) | undefined;
  let site: Site | undefined;
  afterEach(async () => {
    await site?.close();
    site = undefined;
    await drop?.();
    drop = undefined;
  });

  async function newSite(): Promise<{ site: Site; adminEmail: string; adminPassword: string }> {
    let databaseUrl: string | undefined;
    if (kind === 'postgres') {
      const db = await createTestDatabase('postgres');
      drop = db.drop;
      databaseUrl = db.url;
    }
    const made = await initSite({ dir, fqdn: 'mig.example.org', databaseUrl });
    site = await openSite(await loadConfig(made.configPath), { service: 'test' });
    return { site, adminEmail: made.adminEmail, adminPassword: made.adminPassword };
  }

  it('init makes a first admin who can log in, and whose home is their view', async () => {
    const { site: s, adminEmail, adminPassword } = await newSite();
    const admin = await s.users.find(adminEmail);
    expect(admin?.roles).toEqual(['admin']);
    const { userId } = await s.auth.authenticatePassword({ login: adminEmail, password: adminPassword, address: '127.0.0.1', protocol: 'sftp' });
    expect(userId).toBe(admin?.id);
    const view = await s.files.viewFor({ kind: 'user', userId });
    await pipeline(Readable.from(['hello grid\n']), await view.createWriteStream('/notes.txt'));
    expect(await readFile(join(s.paths.userHome, userId, 'notes.txt'), 'utf8')).toBe('hello grid\n');
    expect((await view.list('/')).map((e) => e.name)).toContain('job_output');
    expect(await codeOf(view.stat('/../../mig.toml'))).toBe('MIG_E_PATH_ESCAPE');
    const audit = await s.audit.list({ limit: 10 });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['site.init', 'auth.login']));
  });

  it('refuses wrong passwords, then bans the address on every protocol', async () => {
    const { site: s, adminEmail, adminPassword } = await newSite();
    const attempt = (password: string, protocol: string) => s.auth.authenticatePassword({ login: adminEmail, password, address: '198.51.100.23', protocol });
    for (let i = 0; i < s.config.defender.max_user_failures; i++) {
      expect(await codeOf(attempt(`Wrong-Passw0rd-${i}`, 'sftp'))).toBe('MIG_E_AUTH_FAILED');
    }
    expect(await codeOf(attempt(adminPassword, 'ftps'))).toBe('MIG_E_BANNED');
    expect(await codeOf(attempt(adminPassword, 'webdavs'))).toBe('MIG_E_BANNED');
    const log = await readFile(s.paths.authLog, 'utf8');
    expect(log).toMatch(/auth failure protocol=sftp method=password user="admin@localhost.localdomain" address=198\.51\.100\.23 reason=wrong-credentials/);
    // Another address is not affected.
    expect((await s.auth.authenticatePassword({ login: adminEmail, password: adminPassword, address: '127.0.0.1', protocol: 'sftp' })).userId).toBeTruthy();
    const report = await s.housekeeping();
    expect(report.expired).toEqual([]);
  });

  it('refuses a suspended account and reports expired ones in housekeeping', async () => {
    const { site: s, adminEmail, adminPassword } = await newSite();
    const jane = await s.users.create({ fullName: 'Jane Doe', organization: 'NBI', country: 'DK', email: 'jane@example.org', password: 'Correct-Horse-7' });
    await s.users.suspend(jane.id, 'test');
    expect(await codeOf(s.auth.authenticatePassword({ login: 'jane@example.org', password: 'Correct-Horse-7', address: '127.0.0.1', protocol: 'sftp' }))).toBe('MIG_E_ACCOUNT_DISABLED');
    expect(await codeOf(s.files.viewFor({ kind: 'share-link', shareId: 'x' }))).toBe('MIG_E_PERMISSION_DENIED');
    const old = await s.users.create({ fullName: 'Old Timer', organization: 'NBI', country: 'DK', email: 'old@example.org', expiresAt: Date.now() - 1000 });
    // A home half-built by a process that died two hours ago goes; one being built right now stays.
    const abandoned = join(s.paths.userHome, '.new-home-abandoned');
    const live = join(s.paths.userHome, '.new-home-live');
    await mkdir(join(abandoned, 'job_output'), { recursive: true });
    await mkdir(live);
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    await utimes(abandoned, twoHoursAgo, twoHoursAgo);
    const report = await s.housekeeping();
    expect(report.expired).toEqual([old.id]);
    expect(report.abandonedHomes).toBe(1);
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(join(s.paths.userHome, old.id))).toBe(true);
    expect(await codeOf(s.auth.authenticatePassword({ login: adminEmail, password: adminPassword, address: '127.0.0.1', protocol: 'sftp' }))).toBeUndefined();
  });
});

describe('initSite', () => {
  it('refuses a folder that has a site and leaves it untouched', async () => {
    await writeFile(join(dir, 'mig.toml'), '# mine\n');
    expect(await codeOf(initSite({ dir }))).toBe('MIG_E_SITE_EXISTS');
    expect(await readFile(join(dir, 'mig.toml'), 'utf8')).toBe('# mine\n');
  });

  it('rejects bad input with stable codes and leaves no config behind when the database is unreachable', async () => {
    expect(await codeOf(initSite({ dir: '' }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(initSite({ dir: 'a\0b' }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(initSite({ dir, databaseUrl: 'postgres://mig@127.0.0.1:1/none' }))).toBe('MIG_E_DATABASE');
    expect(existsSync(join(dir, 'mig.toml'))).toBe(false);
    expect(await codeOf(initSite({ dir, databaseUrl: 'mysql://root@localhost/mig' }))).toBe('MIG_E_INVALID_INPUT');
    expect(existsSync(join(dir, 'mig.toml'))).toBe(false);
    expect(await codeOf(initSite({ dir, admin: { email: 'not an email' } }))).toMatch(/^MIG_E_(INVALID_INPUT|CONFIG_INVALID)$/);
    expect(existsSync(join(dir, 'mig.toml'))).toBe(false);
  });
});
