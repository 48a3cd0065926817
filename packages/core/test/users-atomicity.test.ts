import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import type { AccountsSection } from '../src/config/site-config.js';
import { isMigError, type MigErrorCode } from '../src/errors.js';
import { createUserStore, type CreateUserInput, type UserStore } from '../src/users/index.js';
import { userStoreInternals } from '../src/users/user-store.js';

const ACCOUNTS: AccountsSection = {
  valid_days: 365, renew_days: 365, password_policy: 'MEDIUM', password_legacy_policy: undefined, signup_enabled: true, auto_accept: false,
};
const BASE: CreateUserInput = { fullName: 'Jane Doe', organization: 'UCPH', country: 'DK', email: 'jane@ku.dk' };

async function expectCode(promise: Promise<unknown>, code: MigErrorCode, pattern?: RegExp): Promise<Error> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(isMigError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  if (pattern !== undefined) expect((err as Error).message).toMatch(pattern);
  return err as Error;
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

describe('user store atomicity and hostile input', () => {
  let state: string;

  beforeEach(async () => {
    state = await mkdtemp(join(tmpdir(), 'mig-users-atomic-'));
  });
  afterEach(async () => {
    await rm(state, { recursive: true, force: true });
  });

  forEachDatabase((current, kind) => {
    const storeOf = (homeRoot = join(state, 'user_home')): UserStore =>
      createUserStore({ db: current().db, accounts: ACCOUNTS, homeRoot });
    const rows = async (): Promise<number> => {
      const { db } = current();
      const u = await db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      const a = await db.selectFrom('user_aliases').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return Number(u.n) + Number(a.n);
    };

    it('leaves no row when the home folder cannot be made (the home root is a file)', async () => {
      const homeRoot = join(state, 'user_home');
      await writeFile(homeRoot, 'not a folder');
      const users = storeOf(homeRoot);
      await expectCode(users.create(BASE), 'MIG_E_HOME_FOLDER', /state folder/);
      expect(await rows()).toBe(0);
      const below = storeOf(join(homeRoot, 'deeper'));
      await expectCode(below.create(BASE), 'MIG_E_HOME_FOLDER');
      expect(await rows()).toBe(0);
    });

    it('leaves no folder and no row when a database step fails', async () => {
      const users = storeOf();
      const internals = userStoreInternals(users);
      await expect(internals.createWithPasswordHash(BASE, null, {
        within: async () => {
          throw new Error('database step failed');
        },
      })).rejects.toThrowError(/database step failed/);
      expect(await rows()).toBe(0);
      expect(await stat(join(state, 'user_home')).then(() => true, () => false)).toBe(false);
      expect(await entries(join(state, 'user_home'))).toEqual([]);
    });

    it('removes the new folder when the commit itself fails', async () => {
      const users = storeOf();
      const { db } = current();
      if (kind === 'postgres') {
        await sql`CREATE FUNCTION mig_test_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'commit refused'; END $$ LANGUAGE plpgsql`.execute(db);
        await sql`CREATE CONSTRAINT TRIGGER mig_test_fail AFTER INSERT ON users DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION mig_test_fail()`.execute(db);
      }
      const err = await userStoreInternals(users).createWithPasswordHash(BASE, null, {
        within: async (trx) => {
          if (kind === 'sqlite') {
            // A foreign-key violation checked only at commit.
            await sql`PRAGMA defer_foreign_keys = ON`.execute(trx);
            await trx.insertInto('user_aliases').values({ alias: 'orphan-alias', user_id: 'no-such-user', kind: 'short_id' }).execute();
          }
        },
      }).then(() => undefined, (e: unknown) => e);
      expect(String(err)).toMatch(kind === 'sqlite' ? /FOREIGN KEY/ : /commit refused/);
      expect(await rows()).toBe(0);
      // The home root exists, so the folder was made (it is the last step) and then removed.
      expect((await stat(join(state, 'user_home'))).isDirectory()).toBe(true);
      expect(await entries(join(state, 'user_home'))).toEqual([]);
    });

    it('keeps the account and its home when the home cannot be moved aside on delete', async () => {
      const users = createUserStore({ db: current().db, accounts: ACCOUNTS, homeRoot: join(state, 'user_home'), deletedHomesRoot: join(state, 'deleted_homes') });
      const jane = await users.create(BASE);
      await writeFile(join(state, 'deleted_homes'), 'not a folder');
      await expectCode(users.delete(jane.id), 'MIG_E_HOME_FOLDER');
      expect((await users.get(jane.id)).email).toBe('jane@ku.dk');
      expect((await stat(join(state, 'user_home', jane.id))).isDirectory()).toBe(true);
      await rm(join(state, 'deleted_homes'));
      await mkdir(join(state, 'deleted_homes'));
      expect((await users.delete(jane.id)).keptHome).toMatch(/deleted_homes/);
    });

    it('lets exactly one of two racing creates for one email win', async () => {
      const users = storeOf();
      const results = await Promise.allSettled([users.create(BASE), users.create({ ...BASE, fullName: 'Jane Other' })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(isMigError(failed.reason, 'MIG_E_USER_EXISTS')).toBe(true);
      expect(await entries(join(state, 'user_home'))).toHaveLength(1);
    });

    const hostile: [string, string][] = [
      ['10 KB', 'x'.repeat(10_240)],
      ['NUL', 'Jane\u0000Doe'],
      ['control', 'Jane\u001bDoe'],
      ['HTML', '<img src=x onerror=alert(1)>'],
      ['newline', 'Jane\nDoe'],
    ];
    for (const field of ['fullName', 'organization', 'organizationalUnit', 'locality', 'email', 'country', 'state'] as const) {
      it(`refuses hostile ${field} values, writing nothing`, async () => {
        const users = storeOf();
        for (const [what, value] of hostile) {
          const err = await expectCode(users.create({ ...BASE, [field]: value }), 'MIG_E_INVALID_INPUT');
          const paths = ((err as unknown as { details: { problems: { path: string }[] } }).details.problems).map((p) => p.path);
          expect(paths, what).toContain(field);
          expect(err.message).not.toContain('<img');
        }
        expect(await rows()).toBe(0);
        expect(await entries(join(state, 'user_home'))).toEqual([]);
      });
    }

    it('refuses hostile comments, roles, aliases, options and ids before any query', async () => {
      const users = storeOf();
      await expectCode(users.create({ ...BASE, comment: 'x'.repeat(10_240) }), 'MIG_E_INVALID_INPUT', /comment/);
      await expectCode(users.create({ ...BASE, comment: 'hi <script>' }), 'MIG_E_INVALID_INPUT', /comment/);
      await expectCode(users.create({ ...BASE, roles: ['x'.repeat(10_240)] }), 'MIG_E_INVALID_INPUT', /roles/);
      await expectCode(users.create({ ...BASE, roles: Array.from({ length: 100 }, (_, i) => `r${i}`) }), 'MIG_E_INVALID_INPUT', /roles/);
      await expectCode(users.create({ ...BASE, aliases: ["x' or '1'='1"] }), 'MIG_E_INVALID_INPUT', /aliases/);
      await expectCode(users.create({ ...BASE, status: 'root' as never }), 'MIG_E_INVALID_INPUT', /status/);
      await expectCode(users.create({ ...BASE, expiresAt: -1 }), 'MIG_E_INVALID_INPUT', /expiresAt/);
      await expectCode(users.create({ ...BASE, password: 'x'.repeat(10_240) }), 'MIG_E_INVALID_INPUT', /password/);
      await expectCode(users.create({ ...BASE, settings: { protocols: { gopher: true } } as never }), 'MIG_E_INVALID_INPUT', /settings/);
      for (const bad of ["'; DROP TABLE users; --", '../../etc', '\u0000', 'a'.repeat(65), '']) {
        await expectCode(users.get(bad), 'MIG_E_INVALID_INPUT');
        await expectCode(users.setPassword(bad, 'Good-Pass123'), 'MIG_E_INVALID_INPUT');
      }
      for (const bad of ['', '\u0000', 'x'.repeat(10_240), 'a\nb']) {
        await expectCode(users.find(bad), 'MIG_E_INVALID_INPUT');
        await expectCode(users.delete(bad), 'MIG_E_INVALID_INPUT');
        await expectCode(users.renew(bad), 'MIG_E_INVALID_INPUT');
        await expectCode(users.edit(bad, { comment: 'x' }), 'MIG_E_INVALID_INPUT');
      }
      await expectCode(users.find(undefined as unknown as string), 'MIG_E_INVALID_INPUT');
      await expectCode(users.edit('jane@ku.dk', null as never), 'MIG_E_INVALID_INPUT');
      expect(await rows()).toBe(0);
    });
  });
});
