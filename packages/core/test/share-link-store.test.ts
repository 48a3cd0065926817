import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  generateShareId,
  initSite,
  isShareIdShape,
  loadConfig,
  modeOfShareId,
  openSite,
  SHARE_ID_CHARSET,
  SHARE_ID_LENGTH,
  SHARE_MODE_CHARS,
  type Site,
} from '@migrid/core';
import { createTestDatabase, databaseKinds } from '../../../test/support/databases.js';
import { codeOf } from '../../../test/support/errors.js';

describe('share link ids', () => {
  it('are 16 characters of [a-zA-Z0-9] with the mode in the first, and 10,000 of them are distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const mode = (['ro', 'wo', 'rw'] as const)[i % 3] as 'ro' | 'wo' | 'rw';
      const id = generateShareId(mode);
      expect(id).toHaveLength(SHARE_ID_LENGTH);
      expect(id).toMatch(/^[a-zA-Z0-9]{16}$/);
      expect(SHARE_MODE_CHARS[mode]).toContain(id.charAt(0));
      expect(modeOfShareId(id)).toBe(mode);
      expect(isShareIdShape(id)).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBe(10_000);
  });

  it('carry at least 64 bits of randomness (MiG: a-h/A-H ro, i-p/I-P rw, q-x/Q-X wo)', () => {
    expect(SHARE_MODE_CHARS.ro).toBe('abcdefghABCDEFGH');
    expect(SHARE_MODE_CHARS.rw).toBe('ijklmnopIJKLMNOP');
    expect(SHARE_MODE_CHARS.wo).toBe('qrstuvwxQRSTUVWX');
    const bits = Math.log2(16) + (SHARE_ID_LENGTH - 1) * Math.log2(SHARE_ID_CHARSET.length);
    expect(bits).toBeGreaterThan(90);
  });

  it('never look like a user login name (emails, lower-cased aliases) or hostile text', () => {
    for (const name of ['jane@example.org', 'abcdefghijklmnop', 'yzABCDEFGHIJKLMN', 'aBcDeFgHiJkLmNo', 'aBcDeFgHiJkLmNoPq', 'aBcDeFgH/JkLmNoP', '../../etc/passwd', '']) {
      expect(isShareIdShape(name)).toBe(false);
    }
    expect(modeOfShareId('zBcDeFgHiJkLmNoP')).toBeUndefined();
  });
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-share-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(databaseKinds())('share links on %s', (kind) => {
  let drop: (() => Promise<void>) | undefined;
  let site: Site | undefined;
  let clock = Date.now();
  afterEach(async () => {
    await site?.close();
    site = undefined;
    await drop?.();
    drop = undefined;
  });

  async function newSite(): Promise<{ s: Site; owner: string; other: string; home: string }> {
    let databaseUrl: string | undefined;
    if (kind === 'postgres') {
      const db = await createTestDatabase('postgres');
      drop = db.drop;
      databaseUrl = db.url;
    }
    clock = Date.now();
    const made = await initSite({ dir, fqdn: 'mig.example.org', databaseUrl });
    site = await openSite(await loadConfig(made.configPath), { service: 'test', now: () => clock });
    const owner = await site.users.create({ fullName: 'Jane Doe', organization: 'NBI', country: 'DK', email: 'jane@example.org', password: 'Correct-Horse-7' });
    const other = await site.users.create({ fullName: 'John Roe', organization: 'NBI', country: 'DK', email: 'john@example.org', password: 'Correct-Horse-8' });
    const home = await site.users.homeDir(owner.id);
    await mkdir(join(home, 'results', 'sub'), { recursive: true });
    await writeFile(join(home, 'results', 'a.txt'), 'alpha\n');
    await writeFile(join(home, 'secret.txt'), 'top secret\n');
    return { s: site, owner: owner.id, other: other.id, home };
  }

  const login = (s: Site, shareId: string, password: string, address = '127.0.0.1') => s.auth.authenticateShareLink({ shareId, password, address, protocol: 'sftp' });

  it('creates, lists, updates and revokes links, resolving targets in the owner view', async () => {
    const { s, owner, other } = await newSite();
    const link = await s.shareLinks.create({ ownerId: owner, path: 'results/../results/', mode: 'rw' });
    expect(link).toMatchObject({ ownerId: owner, mode: 'rw', kind: 'folder', rootId: `home:${owner}`, relPath: 'results', viewPath: '/results', uses: 0, hasPassword: false, revokedAt: null });
    expect(modeOfShareId(link.id)).toBe('rw');
    const file = await s.shareLinks.create({ ownerId: owner, path: '/results/a.txt' });
    expect(file).toMatchObject({ kind: 'file', mode: 'ro', relPath: 'results/a.txt' });
    expect((await s.shareLinks.listByOwner(owner)).map((l) => l.id).sort()).toEqual([link.id, file.id].sort());
    expect(await s.shareLinks.listByOwner(other)).toEqual([]);
    expect(await s.shareLinks.listForVgrid('Physics')).toEqual([]);

    // Refused: a file shared for writing, missing targets, escapes, hidden names, past expiry.
    expect(await codeOf(s.shareLinks.create({ ownerId: owner, path: '/results/a.txt', mode: 'wo' }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(s.shareLinks.create({ ownerId: owner, path: '/nope' }))).toBe('MIG_E_PATH_NOT_FOUND');
    expect(await codeOf(s.shareLinks.create({ ownerId: owner, path: '/../../mig.toml' }))).toBe('MIG_E_PATH_ESCAPE');
    expect(await codeOf(s.shareLinks.create({ ownerId: owner, path: '/.trash' }))).toBe('MIG_E_PATH_HIDDEN');
    expect(await codeOf(s.shareLinks.create({ ownerId: owner, path: '/results', expiresAt: clock - 1 }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(s.shareLinks.create({ ownerId: owner, path: '/results', mode: 'xx' as 'ro' }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(s.shareLinks.create({ ownerId: 'nobody', path: '/results' }))).toBe('MIG_E_USER_NOT_FOUND');

    // Only the owner may change a link; others are told there is none.
    expect(await codeOf(s.shareLinks.update(link.id, { maxUses: 3 }, { userId: other }))).toBe('MIG_E_SHARE_LINK_NOT_FOUND');
    const updated = await s.shareLinks.update(link.id, { maxUses: 3, expiresAt: clock + 60_000, password: 'link-pass-1' }, { userId: owner });
    expect(updated).toMatchObject({ maxUses: 3, expiresAt: clock + 60_000, hasPassword: true });
    const revoked = await s.shareLinks.revoke(link.id, { userId: owner });
    expect(revoked.revokedAt).not.toBeNull();
    expect(s.shareLinks.stateOf(revoked)).toBe('revoked');
    expect(await codeOf(s.shareLinks.get('aAAAAAAAAAAAAAAA'))).toBe('MIG_E_SHARE_LINK_NOT_FOUND');

    const actions = (await s.audit.list({ limit: 50 })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['share-link.create', 'share-link.update', 'share-link.revoke']));
    const rows = JSON.stringify(await s.audit.list({ limit: 50 }));
    expect(rows).not.toContain(link.id);
  });

  it('invites by email through the notifier', async () => {
    const { s, owner } = await newSite();
    const link = await s.shareLinks.create({ ownerId: owner, path: '/results', mode: 'wo' });
    const after = await s.shareLinks.invite(link.id, ['Bob@Example.org', 'bob@example.org', 'carol@example.org'], { userId: owner, message: 'Please upload your data.' });
    expect(after.invites).toEqual(['bob@example.org', 'carol@example.org']);
    const mail = await readFile(s.paths.mailLog, 'utf8');
    expect(mail).toContain(`/share/${link.id}`);
    expect(mail).toContain('Please upload your data.');
    expect(await codeOf(s.shareLinks.invite(link.id, ['not an address'], { userId: owner }))).toBe('MIG_E_INVALID_INPUT');
  });

  it('logs in with the id as password, or the link password; refuses unknown, wrong, expired, revoked and used-up links', async () => {
    const { s, owner } = await newSite();
    const open = await s.shareLinks.create({ ownerId: owner, path: '/results', mode: 'ro', maxUses: 2 });
    expect(await login(s, open.id, open.id)).toMatchObject({ kind: 'share-link', shareId: open.id, mode: 'ro', linkKind: 'folder' });
    // A re-check of a counted session does not count again.
    await s.auth.authenticateShareLink({ shareId: open.id, password: open.id, address: '127.0.0.1', protocol: 'webdavs', countUse: false });
    expect((await s.shareLinks.get(open.id)).uses).toBe(1);
    await login(s, open.id, open.id);
    expect(await codeOf(login(s, open.id, open.id))).toBe('MIG_E_SHARE_LINK_USED_UP');
    expect((await s.shareLinks.get(open.id)).uses).toBe(2);

    const secret = await s.shareLinks.create({ ownerId: owner, path: '/results', mode: 'rw', password: 'link-pass-1' });
    expect(await codeOf(login(s, secret.id, secret.id))).toBe('MIG_E_AUTH_FAILED');
    expect((await login(s, secret.id, 'link-pass-1')).mode).toBe('rw');

    // Unknown ids and wrong passwords look the same.
    const unknown = await login(s, 'aBCDEFGHIJKLMNOP', 'aBCDEFGHIJKLMNOP').catch((e: Error) => e);
    const wrong = await login(s, secret.id, 'wrong-pass').catch((e: Error) => e);
    expect(unknown).toMatchObject({ code: 'MIG_E_AUTH_FAILED' });
    expect(wrong).toMatchObject({ code: 'MIG_E_AUTH_FAILED', message: (unknown as Error).message });
    expect(await codeOf(login(s, 'jane@example.org', 'Correct-Horse-7'))).toBe('MIG_E_AUTH_FAILED');

    const soon = await s.shareLinks.create({ ownerId: owner, path: '/results', expiresAt: clock + 1000 });
    expect((await login(s, soon.id, soon.id)).shareId).toBe(soon.id);
    clock += 2000;
    expect(await codeOf(login(s, soon.id, soon.id))).toBe('MIG_E_SHARE_LINK_EXPIRED');
    await s.shareLinks.revoke(secret.id, { userId: owner });
    expect(await codeOf(login(s, secret.id, 'link-pass-1'))).toBe('MIG_E_SHARE_LINK_REVOKED');
    // Expired/revoked need the right secret to be told apart.
    expect(await codeOf(login(s, secret.id, 'wrong-pass'))).toBe('MIG_E_AUTH_FAILED');

    const log = await readFile(s.paths.authLog, 'utf8');
    expect(log).toMatch(/auth success protocol=sftp method=share-link user="share-link:[0-9a-f]{16}"/);
    expect(log).toMatch(/reason=share-link-expired/);
    for (const id of [open.id, secret.id, soon.id]) expect(log).not.toContain(id);
  });

  it('bans an address that guesses share ids, on every protocol', async () => {
    const { s, owner } = await newSite();
    const link = await s.shareLinks.create({ ownerId: owner, path: '/results' });
    for (let i = 0; i < s.config.defender.max_address_failures; i++) {
      const guess = generateShareId('ro');
      expect(await codeOf(login(s, guess, guess, '198.51.100.7'))).toBe('MIG_E_AUTH_FAILED');
    }
    expect(await codeOf(login(s, link.id, link.id, '198.51.100.7'))).toBe('MIG_E_BANNED');
    expect(await codeOf(s.auth.authenticatePassword({ login: 'jane@example.org', password: 'Correct-Horse-7', address: '198.51.100.7', protocol: 'webdavs' }))).toBe('MIG_E_BANNED');
    expect((await login(s, link.id, link.id, '127.0.0.1')).shareId).toBe(link.id);
  });

  it('refuses a link whose owner is suspended', async () => {
    const { s, owner } = await newSite();
    const link = await s.shareLinks.create({ ownerId: owner, path: '/results' });
    await s.users.suspend(owner, 'test');
    expect(await codeOf(login(s, link.id, link.id))).toBe('MIG_E_SHARE_LINK_REVOKED');
    expect(await codeOf(s.files.viewFor({ kind: 'share-link', shareId: link.id }))).toBe('MIG_E_PERMISSION_DENIED');
  });

  it('does not follow a target swapped for a symlink after creation', async () => {
    const { s, owner, home } = await newSite();
    const link = await s.shareLinks.create({ ownerId: owner, path: '/results/sub' });
    await rm(join(home, 'results', 'sub'), { recursive: true });
    await symlink('/etc', join(home, 'results', 'sub'));
    expect(await codeOf(s.files.viewFor({ kind: 'share-link', shareId: link.id }))).toBe('MIG_E_PERMISSION_DENIED');
  });
});
