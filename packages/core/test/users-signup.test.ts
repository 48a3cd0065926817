import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import { verifyPassword } from '../src/auth/password-hash.js';
import type { AccountsSection } from '../src/config/site-config.js';
import { isMigError, type MigErrorCode } from '../src/errors.js';
import {
  createSignupRequestStore, createUserStore, type SignupInput, type SignupRequestStore, type UserStore,
} from '../src/users/index.js';

const ACCOUNTS: AccountsSection = {
  valid_days: 30, renew_days: 365, password_policy: 'MEDIUM', password_legacy_policy: undefined, signup_enabled: true, auto_accept: false,
};
const REQUEST: SignupInput = {
  fullName: 'jane doe', organization: 'UCPH', country: 'dk', email: 'Jane@KU.dk', comment: 'For the ERDA project', password: 'Secret-Pass1', acceptedTerms: true,
};

async function expectCode(promise: Promise<unknown>, code: MigErrorCode, pattern?: RegExp): Promise<Error> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(isMigError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  if (pattern !== undefined) expect((err as Error).message).toMatch(pattern);
  return err as Error;
}

describe('sign-up requests', () => {
  let state: string;
  let t: number;
  const now = (): number => t;

  beforeEach(async () => {
    state = await mkdtemp(join(tmpdir(), 'mig-signup-'));
    t = Date.UTC(2025, 2, 1);
  });
  afterEach(async () => {
    await rm(state, { recursive: true, force: true });
  });

  forEachDatabase((current) => {
    const stores = (accounts: AccountsSection = ACCOUNTS): { users: UserStore; signups: SignupRequestStore } => {
      const users = createUserStore({ db: current().db, accounts, homeRoot: join(state, 'user_home'), now });
      return { users, signups: createSignupRequestStore({ db: current().db, users, accounts, now }) };
    };

    it('files a canonical pending request with the password already hashed', async () => {
      const { signups } = stores();
      const req = await signups.submit(REQUEST);
      expect(req).toMatchObject({
        status: 'pending', email: 'jane@ku.dk', fullName: 'Jane Doe', country: 'DK', hasPassword: true, createdAt: t, acceptedTermsAt: t,
        dn: '/C=DK/ST=NA/L=NA/O=UCPH/OU=NA/CN=Jane Doe/emailAddress=jane@ku.dk', decidedAt: null, userId: null,
      });
      expect(JSON.stringify(req)).not.toMatch(/Secret|scrypt/);
      const stored = await current().db.selectFrom('signup_requests').select('password_hash').executeTakeFirstOrThrow();
      expect(stored.password_hash).toMatch(/^scrypt\$/);
      expect(await signups.get(req.id)).toEqual(req);
      expect((await signups.list({ status: 'pending' })).map((r) => r.id)).toEqual([req.id]);
      expect(await signups.list({ status: 'accepted' })).toEqual([]);
    });

    it('validates like account creation, naming every bad field', async () => {
      const { signups } = stores();
      const err = await expectCode(signups.submit({ fullName: 'Test Invalid ?', organization: 'R@D', country: 'D', email: 'a@b.c<script>alert(1)</script>', comment: '<b>' }), 'MIG_E_INVALID_INPUT');
      const paths = ((err as unknown as { details: { problems: { path: string }[] } }).details.problems).map((p) => p.path).sort();
      expect(paths).toEqual(['comment', 'country', 'email', 'fullName', 'organization']);
      await expectCode(signups.submit({ ...REQUEST, password: 'weak' }), 'MIG_E_PASSWORD_POLICY');
      await expectCode(signups.submit({ ...REQUEST, roles: ['admin'] } as never), 'MIG_E_INVALID_INPUT', /roles|nrecognized/);
      await expectCode(signups.submit({ ...REQUEST, fullName: 'x'.repeat(10_240) }), 'MIG_E_INVALID_INPUT', /fullName/);
      await expectCode(signups.submit({ ...REQUEST, email: 'jane\u0000@ku.dk' }), 'MIG_E_INVALID_INPUT', /email/);
      expect(await signups.list()).toEqual([]);
    });

    it('refuses a request for an existing account or while one is pending', async () => {
      const { users, signups } = stores();
      await signups.submit(REQUEST);
      await expectCode(signups.submit({ ...REQUEST, fullName: 'Jane Other' }), 'MIG_E_SIGNUP_EXISTS');
      await users.create({ fullName: 'Bob', organization: 'O', country: 'DK', email: 'bob@o.org', aliases: ['bobalias@o.org'] });
      await expectCode(signups.submit({ ...REQUEST, email: 'BOB@o.org' }), 'MIG_E_USER_EXISTS');
      await expectCode(signups.submit({ ...REQUEST, email: 'bobalias@o.org' }), 'MIG_E_USER_EXISTS');
    });

    it('accepts: the account gets the request password, terms time and comment; twice is a conflict', async () => {
      const { users, signups } = stores();
      const req = await signups.submit(REQUEST);
      t += 60_000;
      const { request, user } = await signups.accept(req.id, { by: 'admin:local' });
      expect(request).toMatchObject({ status: 'accepted', decidedAt: t, decidedBy: 'admin:local', userId: user.id });
      expect(user).toMatchObject({ email: 'jane@ku.dk', dn: req.dn, comment: 'For the ERDA project', acceptedTermsAt: req.createdAt, status: 'active', expiresAt: t + 30 * 86_400_000 });
      const login = await users.findByLogin('jane@ku.dk');
      expect(await verifyPassword('Secret-Pass1', login?.passwordHash ?? '')).toBe(true);
      expect((await stat(await users.homeDir(user.id))).isDirectory()).toBe(true);
      await expectCode(signups.accept(req.id, { by: 'admin:local' }), 'MIG_E_SIGNUP_NOT_PENDING', /accepted/);
      await expectCode(signups.reject(req.id, { by: 'admin:local', reason: 'late' }), 'MIG_E_SIGNUP_NOT_PENDING');
      expect(await users.count()).toBe(1);
      // With an account in place, a new request for the email is refused.
      await expectCode(signups.submit(REQUEST), 'MIG_E_USER_EXISTS');
    });

    it('rejects with a reason; the email may then ask again', async () => {
      const { signups } = stores();
      const req = await signups.submit({ ...REQUEST, password: undefined });
      expect(req.hasPassword).toBe(false);
      await expectCode(signups.reject(req.id, { by: 'admin:local', reason: '<script>x</script>' }), 'MIG_E_INVALID_INPUT', /reason/);
      await expectCode(signups.reject(req.id, { by: '' }), 'MIG_E_INVALID_INPUT', /by/);
      await expectCode(signups.reject(req.id, { by: 'admin\u0000' }), 'MIG_E_INVALID_INPUT', /by/);
      const rejected = await signups.reject(req.id, { by: 'admin:local', reason: 'Unknown organisation; please ask your PI.' });
      expect(rejected).toMatchObject({ status: 'rejected', reason: 'Unknown organisation; please ask your PI.', decidedBy: 'admin:local' });
      await expectCode(signups.accept(req.id, { by: 'admin:local' }), 'MIG_E_SIGNUP_NOT_PENDING', /rejected/);
      const again = await signups.submit(REQUEST);
      expect(again.id).not.toBe(req.id);
      expect((await signups.list({ status: 'rejected' })).map((r) => r.id)).toEqual([req.id]);
    });

    it('keeps the request pending when an account for its email appeared meanwhile', async () => {
      const { users, signups } = stores();
      const req = await signups.submit(REQUEST);
      await users.create({ fullName: 'Jane Doe', organization: 'UCPH', country: 'DK', email: 'jane@ku.dk' });
      await expectCode(signups.accept(req.id, { by: 'admin:local' }), 'MIG_E_USER_EXISTS');
      expect((await signups.get(req.id)).status).toBe('pending');
    });

    it('lets only one of two racing accepts create the account', async () => {
      const { users, signups } = stores();
      const req = await signups.submit(REQUEST);
      const results = await Promise.allSettled([signups.accept(req.id, { by: 'a:1' }), signups.accept(req.id, { by: 'a:2' })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(isMigError(failed.reason, 'MIG_E_USER_EXISTS') || isMigError(failed.reason, 'MIG_E_SIGNUP_NOT_PENDING')).toBe(true);
      expect(await users.count()).toBe(1);
    });

    it('lets only one of two racing submissions for one email in', async () => {
      const { signups } = stores();
      const results = await Promise.allSettled([signups.submit({ ...REQUEST, password: null }), signups.submit({ ...REQUEST, password: null, fullName: 'Jane Two' })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(isMigError(failed.reason, 'MIG_E_SIGNUP_EXISTS')).toBe(true);
      expect(await signups.list()).toHaveLength(1);
    });

    it('accepts at once with [accounts] auto_accept', async () => {
      const { users, signups } = stores({ ...ACCOUNTS, auto_accept: true });
      const req = await signups.submit(REQUEST);
      expect(req).toMatchObject({ status: 'accepted', decidedBy: 'auto-accept' });
      expect((await users.find('jane@ku.dk'))?.id).toBe(req.userId);
    });

    it('refuses malformed ids and filters, and unknown requests', async () => {
      const { signups } = stores();
      await expectCode(signups.get("' OR 1=1 --"), 'MIG_E_INVALID_INPUT', /id/);
      await expectCode(signups.accept('x'.repeat(10_240), { by: 'admin:local' }), 'MIG_E_INVALID_INPUT');
      await expectCode(signups.get('A'.repeat(64)), 'MIG_E_SIGNUP_NOT_FOUND');
      await expectCode(signups.accept('A'.repeat(64), { by: 'admin:local' }), 'MIG_E_SIGNUP_NOT_FOUND');
      await expectCode(signups.list({ status: 'maybe' as never }), 'MIG_E_INVALID_INPUT', /status/);
      await expectCode(signups.list({ limit: 0 }), 'MIG_E_INVALID_INPUT', /limit/);
      await expectCode(signups.accept('A'.repeat(64), null as never), 'MIG_E_INVALID_INPUT', /by/);
    });
  });

  it('needs a user store made by createUserStore', () => {
    expect(() => createSignupRequestStore({ db: {} as never, users: {} as UserStore, accounts: ACCOUNTS })).toThrowError(/createUserStore/);
  });
});
