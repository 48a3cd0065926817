import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import { hashPassword, verifyPassword } from '../src/auth/password-hash.js';
import type { AccountsSection } from '../src/config/site-config.js';
import { isMigError, type MigErrorCode } from '../src/errors.js';
import {
  HOME_SKELETON_DIRS, USER_ID_PATTERN, WELCOME_FILE, createUserStore, isAccessible, type CreateUserInput, type UserStore,
} from '../src/users/index.js';

const DAY = 86_400_000;
const ACCOUNTS: AccountsSection = {
  valid_days: 365, renew_days: 180, password_policy: 'MEDIUM', password_legacy_policy: undefined, signup_enabled: true, auto_accept: false,
};
const JANE: CreateUserInput = {
  fullName: '  jane  doe ', organization: 'UCPH', country: 'dk', email: 'Jane.Doe@KU.dk', comment: 'PhD student', password: 'Secret-Pass1',
};

async function expectCode(promise: Promise<unknown>, code: MigErrorCode, pattern?: RegExp): Promise<Error> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(isMigError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  if (pattern !== undefined) expect((err as Error).message).toMatch(pattern);
  return err as Error;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

describe('user store', () => {
  let state: string;
  let t: number;
  const now = (): number => t;

  beforeEach(async () => {
    state = await mkdtemp(join(tmpdir(), 'mig-users-'));
    t = Date.UTC(2025, 0, 15, 12);
  });
  afterEach(async () => {
    await rm(state, { recursive: true, force: true });
  });

  forEachDatabase((current) => {
    const storeOf = (): UserStore => createUserStore({ db: current().db, accounts: ACCOUNTS, homeRoot: join(state, 'user_home'), now, welcome: { siteTitle: 'Test Site', supportEmail: 'help@site.org' } });

    it('creates a canonical account with a home skeleton and a hashed password', async () => {
      const users = storeOf();
      const jane = await users.create(JANE);
      expect(jane.id).toMatch(USER_ID_PATTERN);
      expect(jane.fullName).toBe('Jane  Doe');
      expect(jane.email).toBe('jane.doe@ku.dk');
      expect(jane.country).toBe('DK');
      expect(jane.dn).toBe('/C=DK/ST=NA/L=NA/O=UCPH/OU=NA/CN=Jane  Doe/emailAddress=jane.doe@ku.dk');
      expect(jane.status).toBe('active');
      expect(jane.expiresAt).toBe(t + 365 * DAY);
      expect(jane.createdAt).toBe(t);
      expect(jane.renewedAt).toBeNull();
      expect(jane.aliases).toEqual(['jane.doe@ku.dk']);
      expect(jane.roles).toEqual([]);
      expect(jane.hasPassword).toBe(true);
      expect(jane.comment).toBe('PhD student');
      expect(jane.acceptedTermsAt).toBeNull();
      expect(jane.settings).toEqual({ protocols: { web: true, sftp: true, ftps: true, webdavs: true } });
      expect(JSON.stringify(jane)).not.toMatch(/scrypt|password_hash|passwordHash/);
      expect(await users.get(jane.id)).toEqual(jane);

      const home = await users.homeDir(jane.id);
      expect(home).toBe(join(state, 'user_home', jane.id));
      expect((await readdir(home)).sort()).toEqual([...HOME_SKELETON_DIRS, WELCOME_FILE].sort());
      expect(await readFile(join(home, WELCOME_FILE), 'utf8')).toContain('Welcome to Test Site!');
      expect(await readdir(join(state, 'user_home'))).toEqual([jane.id]);

      const login = await users.findByLogin('JANE.DOE@ku.dk');
      expect(login).toMatchObject({ id: jane.id, login: 'jane.doe@ku.dk', status: 'active', expiresAt: jane.expiresAt });
      expect(await verifyPassword('Secret-Pass1', login?.passwordHash ?? '')).toBe(true);
    });

    it('takes admin options: roles, status, expiry, aliases, terms, protocol switches, no password', async () => {
      const users = storeOf();
      const u = await users.create({
        fullName: 'Harry S. Truman', organization: 'US Gov', organizationalUnit: 'Office', locality: 'Lamar', state: 'mo', country: 'US',
        email: 'harry@gov.us', roles: ['admin', 'admin', 'vgrid-creator'], status: 'temporal', expiresAt: t + DAY,
        aliases: ['HTruman01', 'harry@gov.us'], acceptedTerms: true, settings: { protocols: { ftps: false } },
      });
      expect(u.dn).toBe('/C=US/ST=MO/L=Lamar/O=US Gov/OU=Office/CN=Harry S. Truman/emailAddress=harry@gov.us');
      expect(u.roles).toEqual(['admin', 'vgrid-creator']);
      expect(u.status).toBe('temporal');
      expect(u.expiresAt).toBe(t + DAY);
      expect(u.aliases).toEqual(['harry@gov.us', 'htruman01']);
      expect(u.acceptedTermsAt).toBe(t);
      expect(u.hasPassword).toBe(false);
      expect(u.settings.protocols).toEqual({ web: true, sftp: true, ftps: false, webdavs: true });
      expect((await users.findByLogin('htruman01'))?.passwordHash).toBeNull();
      const never = await users.create({ fullName: 'N', organization: 'O', country: 'DK', email: 'n@o.org', expiresAt: null });
      expect(never.expiresAt).toBeNull();
      const short = await users.create({ fullName: 'S', organization: 'O', country: 'DK', email: 's@o.org', validDays: 7 });
      expect(short.expiresAt).toBe(t + 7 * DAY);
    });

    it('refuses a second account with the same email, DN or alias', async () => {
      const users = storeOf();
      const jane = await users.create({ ...JANE, aliases: ['janedoe7'] });
      await expectCode(users.create({ ...JANE, fullName: 'Other Name' }), 'MIG_E_USER_EXISTS', /email/);
      await expectCode(users.create({ ...JANE, email: 'JANE.DOE@ku.dk', password: null }), 'MIG_E_USER_EXISTS');
      await expectCode(users.create({ fullName: 'X', organization: 'O', country: 'DK', email: 'x@o.org', aliases: ['jane.doe@ku.dk'] }), 'MIG_E_USER_EXISTS');
      await expectCode(users.create({ fullName: 'X', organization: 'O', country: 'DK', email: 'x@o.org', aliases: ['JaneDoe7'] }), 'MIG_E_USER_EXISTS', /aliases/);
      await expectCode(users.create({ fullName: 'X', organization: 'O', country: 'DK', email: 'janedoe7' }), 'MIG_E_INVALID_INPUT');
      expect(await users.count()).toBe(1);
      expect(await readdir(join(state, 'user_home'))).toEqual([jane.id]);
    });

    it('names every bad field at once and leaves no row and no folder', async () => {
      const users = storeOf();
      const err = await expectCode(
        users.create({ fullName: "Invalid D'Angelo", organization: 'R+D', country: 'DNK', state: 'x', email: '<script>alert(1)</script>', comment: '<b>hi</b>', roles: ['Admin!'], aliases: ['ab'] }),
        'MIG_E_INVALID_INPUT',
      );
      const paths = ((err as unknown as { details: { problems: { path: string }[] } }).details.problems).map((p) => p.path).sort();
      expect(paths).toEqual(['aliases.0', 'comment', 'country', 'email', 'fullName', 'organization', 'roles.0', 'state']);
      expect(err.message).not.toContain('<script>');
      await expectCode(users.create({ ...JANE, password: 'weak' }), 'MIG_E_PASSWORD_POLICY');
      await expectCode(users.create({ ...JANE, password: '' }), 'MIG_E_INVALID_INPUT', /password/);
      await expectCode(users.create({ ...JANE, expiresAt: t, validDays: 3 }), 'MIG_E_INVALID_INPUT', /validDays/);
      await expectCode(users.create({ ...JANE, extra: 1 } as unknown as CreateUserInput), 'MIG_E_INVALID_INPUT', /extra|nrecognized/);
      await expectCode(users.create(null as unknown as CreateUserInput), 'MIG_E_INVALID_INPUT');
      expect(await users.count()).toBe(0);
      expect(await exists(join(state, 'user_home'))).toBe(false);
    });

    it('edits fields: the DN and email alias follow, the home stays, uniqueness is re-checked', async () => {
      const users = storeOf();
      const jane = await users.create(JANE);
      const bob = await users.create({ fullName: 'Bob', organization: 'O', country: 'DK', email: 'bob@o.org' });
      t += 1000;
      const edited = await users.edit('jane.doe@ku.dk', { fullName: 'jane smith', email: 'Jane.Smith@KU.dk', organizationalUnit: 'NBI' });
      expect(edited.id).toBe(jane.id);
      expect(edited.dn).toBe('/C=DK/ST=NA/L=NA/O=UCPH/OU=NBI/CN=Jane Smith/emailAddress=jane.smith@ku.dk');
      expect(edited.aliases).toEqual(['jane.smith@ku.dk']);
      expect(edited.updatedAt).toBe(t);
      expect(await users.find('jane.doe@ku.dk')).toBeUndefined();
      expect((await users.findByLogin('jane.smith@ku.dk'))?.id).toBe(jane.id);
      expect(await users.homeDir(jane.id)).toBe(join(state, 'user_home', jane.id));
      expect(await exists(join(state, 'user_home', jane.id, WELCOME_FILE))).toBe(true);

      await expectCode(users.edit(jane.id, { email: 'bob@o.org' }), 'MIG_E_USER_EXISTS');
      await expectCode(users.edit(jane.id, { aliases: ['bob@o.org'] }), 'MIG_E_USER_EXISTS');
      await expectCode(users.edit(jane.id, { country: 'Denmark', fullName: 'X<' }), 'MIG_E_INVALID_INPUT', /country.*|fullName/);
      await expectCode(users.edit(jane.id, { password: 'x' } as never), 'MIG_E_INVALID_INPUT');

      const more = await users.edit(jane.id, { roles: ['admin'], aliases: ['jsmith99'], settings: { protocols: { sftp: false } }, comment: 'Postdoc', expiresAt: null, acceptedTerms: true });
      expect(more.roles).toEqual(['admin']);
      expect(more.aliases).toEqual(['jane.smith@ku.dk', 'jsmith99']);
      expect(more.settings.protocols).toEqual({ web: true, sftp: false, ftps: true, webdavs: true });
      expect(more.comment).toBe('Postdoc');
      expect(more.expiresAt).toBeNull();
      expect(more.acceptedTermsAt).toBe(t);
      // An email change keeps the extra aliases; taking over one's own alias as email is fine.
      const swapped = await users.edit(jane.id, { email: 'jsmith99@ku.dk' });
      expect(swapped.aliases).toEqual(['jsmith99@ku.dk', 'jsmith99']);
      expect((await users.get(bob.id)).aliases).toEqual(['bob@o.org']);
      await expectCode(users.edit('nobody@o.org', { comment: 'x' }), 'MIG_E_USER_NOT_FOUND');
    });

    it('sets and removes passwords, checking the policy', async () => {
      const users = storeOf();
      const jane = await users.create(JANE);
      const updated = await users.setPassword(jane.id, 'Another-Pass2');
      expect(updated.hasPassword).toBe(true);
      expect(await verifyPassword('Another-Pass2', (await users.findByLogin(jane.email))?.passwordHash ?? '')).toBe(true);
      await expectCode(users.setPassword(jane.id, 'short'), 'MIG_E_PASSWORD_POLICY');
      await expectCode(users.setPassword(jane.id, 'Nul\u0000Pass-word1'), 'MIG_E_INVALID_INPUT');
      await expectCode(users.setPassword('not-an-id', 'Another-Pass2'), 'MIG_E_INVALID_INPUT', /id/);
      await expectCode(users.setPassword('A'.repeat(64), 'Another-Pass2'), 'MIG_E_USER_NOT_FOUND');
      expect((await users.setPassword(jane.id, null)).hasPassword).toBe(false);
      expect((await users.findByLogin(jane.email))?.passwordHash).toBeNull();
    });

    it('updates password hashes for the authenticator, refusing malformed hashes', async () => {
      const users = storeOf();
      const jane = await users.create(JANE);
      const hash = await hashPassword('Upgraded-Pass3');
      await users.updatePasswordHash(jane.id, hash);
      expect((await users.findByLogin(jane.email))?.passwordHash).toBe(hash);
      await expectCode(users.updatePasswordHash(jane.id, 'plain'), 'MIG_E_PASSWORD_HASH_FORMAT');
      await expectCode(users.updatePasswordHash('B'.repeat(64), hash), 'MIG_E_USER_NOT_FOUND');
      await expectCode(users.updatePasswordHash("x' OR 1=1 --", hash), 'MIG_E_INVALID_INPUT');
    });

    it('finds by id, email, alias and DN in any field order; undefined when nobody matches', async () => {
      const users = storeOf();
      const jane = await users.create({ ...JANE, aliases: ['jdoe1234'] });
      for (const key of [jane.id, 'JANE.DOE@ku.dk', 'jdoe1234', jane.dn, '/emailAddress=jane.doe@ku.dk/CN=Jane  Doe/O=UCPH/C=DK', '/C=dk/O=UCPH/CN=jane  doe/emailAddress=Jane.Doe@ku.dk']) {
        expect((await users.find(key))?.id, key).toBe(jane.id);
      }
      expect(await users.find('nobody@example.org')).toBeUndefined();
      expect(await users.find('Z'.repeat(64))).toBeUndefined();
      expect(await users.find('/C=DK/CN=Nobody')).toBeUndefined();
      await expectCode(users.find('/C=DK/bogus'), 'MIG_E_INVALID_DN');
      await expectCode(users.get('../../etc/passwd'), 'MIG_E_INVALID_INPUT');
      await expectCode(users.get('Q'.repeat(64)), 'MIG_E_USER_NOT_FOUND');
      await expectCode(users.homeDir('Q'.repeat(64)), 'MIG_E_USER_NOT_FOUND');
      await expectCode(users.homeDir('../x'), 'MIG_E_INVALID_INPUT');
    });

    it('lists and counts with status, role and case-insensitive search filters', async () => {
      const users = storeOf();
      const a = await users.create({ fullName: 'Alice Æbelø', organization: 'UCPH', country: 'DK', email: 'alice@ku.dk', roles: ['admin'] });
      t += 1;
      const b = await users.create({ fullName: 'Bob', organization: 'DTU', country: 'DK', email: 'bob_x@dtu.dk' });
      t += 1;
      const c = await users.create({ fullName: 'Carol', organization: 'UCPH', country: 'SE', email: 'carol@ku.dk' });
      await users.suspend(c.id, 'left');
      expect((await users.list()).map((u) => u.id)).toEqual([a.id, b.id, c.id]);
      expect((await users.list({ status: 'suspended' })).map((u) => u.id)).toEqual([c.id]);
      expect((await users.list({ role: 'admin' })).map((u) => u.id)).toEqual([a.id]);
      expect((await users.list({ search: 'ucph' })).map((u) => u.id)).toEqual([a.id, c.id]);
      expect((await users.list({ search: 'Æbelø' })).map((u) => u.id)).toEqual([a.id]);
      expect((await users.list({ search: 'ALICE@KU' })).map((u) => u.id)).toEqual([a.id]);
      // LIKE wildcards in the search are literal.
      expect((await users.list({ search: '_' })).map((u) => u.id)).toEqual([b.id]);
      expect(await users.list({ search: '%' })).toEqual([]);
      expect((await users.list({ limit: 1, offset: 1 })).map((u) => u.id)).toEqual([b.id]);
      expect(await users.count()).toBe(3);
      expect(await users.count({ status: 'active' })).toBe(2);
      expect(await users.count({ search: 'ku.dk', role: 'admin' })).toBe(1);
      await expectCode(users.list({ status: 'gone' as never }), 'MIG_E_INVALID_INPUT', /status/);
      await expectCode(users.list({ limit: 1e9 }), 'MIG_E_INVALID_INPUT', /limit/);
      await expectCode(users.list({ role: "admin' --" }), 'MIG_E_INVALID_INPUT', /role/);
      await expectCode(users.list({ search: 'x'.repeat(10_000) }), 'MIG_E_INVALID_INPUT', /search/);
      await expectCode(users.list({ bogus: 1 } as never), 'MIG_E_INVALID_INPUT', /bogus/);
    });

    it('renews from the later of now and the current expiry; status is never changed', async () => {
      const users = storeOf();
      const jane = await users.create({ ...JANE, validDays: 10 });
      t += DAY;
      const r1 = await users.renew(jane.id);
      expect(r1.expiresAt).toBe((jane.expiresAt ?? 0) + 180 * DAY);
      expect(r1.renewedAt).toBe(t);
      t = (r1.expiresAt ?? 0) + 5 * DAY; // expired five days ago
      expect(isAccessible(await users.get(jane.id), t)).toBe(false);
      const r2 = await users.renew(jane.email, { days: 30 });
      expect(r2.expiresAt).toBe(t + 30 * DAY);
      expect(isAccessible(r2, t)).toBe(true);
      await users.suspend(jane.id);
      const r3 = await users.renew(jane.id, { days: 1 });
      expect(r3.status).toBe('suspended');
      expect(r3.expiresAt).toBe((r2.expiresAt ?? 0) + DAY);
      const never = await users.create({ fullName: 'N', organization: 'O', country: 'DK', email: 'n@o.org', expiresAt: null });
      expect((await users.renew(never.id)).expiresAt).toBeNull();
      await expectCode(users.renew(jane.id, { days: 0 }), 'MIG_E_INVALID_INPUT', /days/);
      await expectCode(users.renew(jane.id, { days: 1.5 }), 'MIG_E_INVALID_INPUT');
      await expectCode(users.renew('nobody@o.org'), 'MIG_E_USER_NOT_FOUND');
    });

    it('suspends, retires and reactivates, restoring a temporal status', async () => {
      const users = storeOf();
      const jane = await users.create({ ...JANE, status: 'temporal' });
      t += 1000;
      const s = await users.suspend(jane.email, 'Too many failed logins');
      expect(s.status).toBe('suspended');
      expect(s.statusReason).toBe('Too many failed logins');
      expect(s.statusChangedAt).toBe(t);
      expect(isAccessible(s, t)).toBe(false);
      expect((await users.findByLogin(jane.email))?.status).toBe('suspended');
      expect((await users.suspend(jane.id, 'again')).statusReason).toBe('Too many failed logins');
      const r = await users.retire(jane.id, 'left the university');
      expect(r.status).toBe('retired');
      expect(r.statusReason).toBe('left the university');
      await expectCode(users.suspend(jane.id), 'MIG_E_ACCOUNT_STATE');
      const back = await users.reactivate(jane.id);
      expect(back.status).toBe('temporal');
      expect(back.statusReason).toBe('');
      expect(isAccessible(back, t)).toBe(true);
      expect((await users.reactivate(jane.id)).status).toBe('temporal');
      await expectCode(users.suspend(jane.id, '<script>x</script>'), 'MIG_E_INVALID_INPUT', /reason/);
      await expectCode(users.suspend(jane.id, 'x'.repeat(10_000)), 'MIG_E_INVALID_INPUT', /reason/);
      const bob = await users.create({ fullName: 'Bob', organization: 'O', country: 'DK', email: 'bob@o.org' });
      await users.retire(bob.id);
      expect((await users.reactivate(bob.id)).status).toBe('active');
    });

    it('reports, without changing, accounts past their expiry', async () => {
      const users = storeOf();
      const a = await users.create({ ...JANE, validDays: 1 });
      const b = await users.create({ fullName: 'Bob', organization: 'O', country: 'DK', email: 'bob@o.org', validDays: 2 });
      const c = await users.create({ fullName: 'Carol', organization: 'O', country: 'DK', email: 'carol@o.org', validDays: 1 });
      await users.create({ fullName: 'Dan', organization: 'O', country: 'DK', email: 'dan@o.org', expiresAt: null });
      await users.suspend(c.id);
      t += DAY + 1;
      expect((await users.expireDueAccounts()).map((u) => u.id)).toEqual([a.id]);
      t += DAY;
      expect(await users.expiredAccounts()).toEqual([a.id, b.id]);
      expect((await users.get(a.id)).status).toBe('active');
    });

    it('deletes: the home moves to deleted_homes, or stays, or is purged', async () => {
      const users = storeOf();
      const jane = await users.create({ ...JANE, aliases: ['jdoe1234'] });
      const bob = await users.create({ fullName: 'Bob', organization: 'O', country: 'DK', email: 'bob@o.org' });
      const carol = await users.create({ fullName: 'Carol', organization: 'O', country: 'DK', email: 'carol@o.org' });
      const r1 = await users.delete('jdoe1234');
      expect(r1.user.id).toBe(jane.id);
      expect(r1.keptHome).toBe(join(state, 'deleted_homes', `${jane.id}-2025-01-15T12-00-00-000Z`));
      expect(await exists(join(r1.keptHome ?? '', WELCOME_FILE))).toBe(true);
      expect(await exists(join(state, 'user_home', jane.id))).toBe(false);
      expect(await users.find(jane.id)).toBeUndefined();
      expect(await users.findByLogin('jdoe1234')).toBeUndefined();
      expect(await users.findByLogin(jane.email)).toBeUndefined();
      // The email is free again.
      const again = await users.create(JANE);
      expect(again.id).not.toBe(jane.id);

      const r2 = await users.delete(bob.id, { keepHome: true });
      expect(r2.keptHome).toBe(join(state, 'user_home', bob.id));
      expect(await exists(r2.keptHome ?? '')).toBe(true);

      const r3 = await users.delete(carol.email, { purge: true });
      expect(r3.keptHome).toBeUndefined();
      expect(await exists(join(state, 'user_home', carol.id))).toBe(false);
      expect((await readdir(join(state, 'deleted_homes'))).some((n) => n.startsWith(carol.id))).toBe(false);

      await expectCode(users.delete(carol.id), 'MIG_E_USER_NOT_FOUND');
      await expectCode(users.delete(again.id, { keepHome: true, purge: true }), 'MIG_E_INVALID_INPUT');
      expect(await users.count()).toBe(1);
    });

    it('looks up logins for the authenticator, by id when login_alias is user_id', async () => {
      const users = storeOf();
      const jane = await users.create(JANE);
      expect(await users.findByLogin('nobody@o.org')).toBeUndefined();
      expect(await users.findByLogin('jane.doe@ku.dk\u0000')).toBeUndefined();
      expect(await users.findByLogin('x'.repeat(10_000))).toBeUndefined();
      await expectCode(users.findByLogin(42 as unknown as string), 'MIG_E_INVALID_INPUT');
      const byId = createUserStore({ db: current().db, accounts: ACCOUNTS, homeRoot: join(state, 'user_home'), now, loginAlias: 'user_id' });
      expect((await byId.findByLogin(jane.id))?.login).toBe(jane.id);
      expect(await byId.findByLogin(jane.email)).toBeUndefined();
    });
  });
});
