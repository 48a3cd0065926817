import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import type { AccountsSection } from '../src/config/site-config.js';
import { isMigError } from '../src/errors.js';
import { createPasswordResetStore, createUserStore, PASSWORD_RESET_TTL_MS } from '../src/users/index.js';

const ACCOUNTS: AccountsSection = {
  valid_days: 30, renew_days: 365, password_policy: 'MEDIUM', password_legacy_policy: undefined, signup_enabled: true, auto_accept: false,
};

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: unknown) => (isMigError(e) ? e.code : String(e)));

describe('password reset tokens', () => {
  let state: string;
  let t: number;
  const now = (): number => t;
  beforeEach(async () => {
    state = await mkdtemp(join(tmpdir(), 'mig-reset-'));
    t = Date.UTC(2025, 2, 1);
  });
  afterEach(async () => {
    await rm(state, { recursive: true, force: true });
  });

  forEachDatabase((current) => {
    const setup = async (): Promise<{ userId: string; resets: ReturnType<typeof createPasswordResetStore> }> => {
      const users = createUserStore({ db: current().db, accounts: ACCOUNTS, homeRoot: join(state, 'user_home'), now });
      const user = await users.create({ fullName: 'Jane Doe', organization: 'UCPH', country: 'DK', email: `jane${Math.random().toString(36).slice(2)}@ku.dk` });
      return { userId: user.id, resets: createPasswordResetStore(current().db, { now }) };
    };

    it('issues a token that works once, storing only its hash', async () => {
      const { userId, resets } = await setup();
      const { token, expiresAt } = await resets.issue(userId);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(expiresAt).toBe(t + PASSWORD_RESET_TTL_MS);
      const rows = await current().db.selectFrom('password_resets').selectAll().where('user_id', '=', userId).execute();
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(await resets.check(token)).toBe(userId);
      expect(await resets.consume(token)).toBe(userId);
      expect(await resets.check(token)).toBeUndefined();
      expect(await codeOf(resets.consume(token))).toBe('MIG_E_RESET_TOKEN_INVALID');
    });

    it('refuses an expired token, a forged one and garbage', async () => {
      const { userId, resets } = await setup();
      const { token } = await resets.issue(userId);
      t += PASSWORD_RESET_TTL_MS;
      expect(await resets.check(token)).toBeUndefined();
      expect(await codeOf(resets.consume(token))).toBe('MIG_E_RESET_TOKEN_INVALID');
      expect(await codeOf(resets.consume('A'.repeat(43)))).toBe('MIG_E_RESET_TOKEN_INVALID');
      expect(await codeOf(resets.consume("' OR 1=1 --"))).toBe('MIG_E_RESET_TOKEN_INVALID');
      expect(await codeOf(resets.consume('x'.repeat(100_000)))).toBe('MIG_E_RESET_TOKEN_INVALID');
      expect(await resets.check(undefined as unknown as string)).toBeUndefined();
    });

    it('voids older tokens when a new one is issued, counts issues, and lets one of two concurrent uses win', async () => {
      const { userId, resets } = await setup();
      const first = await resets.issue(userId);
      t += 1000;
      const second = await resets.issue(userId);
      expect(await resets.check(first.token)).toBeUndefined();
      expect(await resets.issuedSince(userId, t - 5000)).toBe(2);
      expect(await resets.issuedSince(userId, t)).toBe(1);
      const outcomes = await Promise.allSettled([resets.consume(second.token), resets.consume(second.token)]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(await resets.voidAll(userId)).toBe(0);
      const third = await resets.issue(userId);
      expect(await resets.voidAll(userId)).toBe(1);
      expect(await resets.check(third.token)).toBeUndefined();
      t += 2 * 86_400_000;
      expect(await resets.prune()).toBe(3);
    });
  });
});
