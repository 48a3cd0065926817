import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import { API_TOKEN_SCOPES, createApiTokenStore, TOKEN_LAST_USED_RESOLUTION_MS } from '../src/auth/index.js';
import type { ApiTokenScope } from '../src/auth/index.js';
import { insertUser, testClock } from './auth-fixtures.js';
import { codeOf } from '../../../test/support/errors.js';

const DAY = 86_400_000;

describe('API tokens', () => {
  forEachDatabase((current) => {
    it('returns the secret once, stores only its SHA-256, and verifies it', async () => {
      const { db } = current();
      await insertUser(db, 'alice');
      const clock = testClock();
      const tokens = createApiTokenStore(db, { maxDays: 90, now: clock.now });
      const created = await tokens.create('alice', { name: 'backup script', scopes: ['files:write', 'jobs:read'], expiresInDays: 30 });
      expect(created.token).toMatch(/^mig_[0-9a-f]{16}_[0-9a-f]{64}$/);
      expect(created).toMatchObject({ userId: 'alice', name: 'backup script', scopes: ['files:write', 'jobs:read'], expiresAt: clock.now() + 30 * DAY, revokedAt: null });
      const secret = created.token.split('_')[2] as string;

      // Nothing in the database contains the secret or the token.
      const rows = await db.selectFrom('api_tokens').selectAll().execute();
      expect(rows).toHaveLength(1);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice(0, 16));
      expect(rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);

      // Listing never shows a secret.
      const listed = await tokens.list('alice');
      expect(listed).toHaveLength(1);
      expect(JSON.stringify(listed)).not.toContain(secret);
      expect(listed[0]).not.toHaveProperty('token');

      expect(await tokens.verify(created.token)).toEqual({ userId: 'alice', tokenId: created.id, scopes: ['files:write', 'jobs:read'] });
      expect((await tokens.verify(created.token, 'files:read')).userId).toBe('alice'); // write includes read
      expect((await tokens.verify(created.token, 'jobs:read')).userId).toBe('alice');
      expect(await codeOf(tokens.verify(created.token, 'jobs:write'))).toBe('MIG_E_TOKEN_SCOPE');
      expect(await codeOf(tokens.verify(created.token, 'admin'))).toBe('MIG_E_TOKEN_SCOPE');
    });

    it('refuses unknown, tampered, expired and revoked tokens with one code', async () => {
      const { db } = current();
      await insertUser(db, 'alice');
      await insertUser(db, 'bob');
      const clock = testClock();
      const tokens = createApiTokenStore(db, { maxDays: 10, now: clock.now });
      const a = await tokens.create('alice', { name: 'a', scopes: ['account:read'], expiresInDays: 1 });
      const b = await tokens.create('alice', { name: 'b', scopes: ['account:read'] });
      expect(b.expiresAt).toBe(clock.now() + 10 * DAY); // default: the site maximum
      const last = a.token.at(-1) === '0' ? '1' : '0';
      for (const bad of [a.token.slice(0, -1) + last, `mig_0000000000000000_${'0'.repeat(64)}`, 'mig_', '', 'Bearer x', 'x'.repeat(10_000), `${a.token} `]) {
        expect(await codeOf(tokens.verify(bad)), bad.slice(0, 30)).toBe('MIG_E_AUTH_FAILED');
      }
      expect(await codeOf(tokens.verify(undefined as unknown as string))).toBe('MIG_E_AUTH_FAILED');
      clock.advance(DAY);
      expect(await codeOf(tokens.verify(a.token))).toBe('MIG_E_AUTH_FAILED');
      expect((await tokens.verify(b.token)).tokenId).toBe(b.id);
      await expect(codeOf(tokens.revoke('bob', b.id))).resolves.toBe('MIG_E_TOKEN_NOT_FOUND'); // not bob's
      await tokens.revoke('alice', b.id);
      await tokens.revoke('alice', b.id); // twice is harmless
      expect(await codeOf(tokens.verify(b.token))).toBe('MIG_E_AUTH_FAILED');
      expect((await tokens.list('alice')).find((t) => t.id === b.id)?.revokedAt).toBe(clock.now());
      expect(await codeOf(tokens.revoke('alice', 'nope'))).toBe('MIG_E_TOKEN_NOT_FOUND');
    });

    it('updates last_used_at at most once a minute', async () => {
      const { db } = current();
      await insertUser(db, 'alice');
      const clock = testClock();
      const tokens = createApiTokenStore(db, { maxDays: 10, now: clock.now });
      const { token, id } = await tokens.create('alice', { name: 'a', scopes: ['files:read'] });
      const lastUsed = async () => (await tokens.list('alice')).find((t) => t.id === id)?.lastUsedAt;
      expect(await lastUsed()).toBeNull();
      const first = clock.now();
      await tokens.verify(token);
      expect(await lastUsed()).toBe(first);
      clock.advance(TOKEN_LAST_USED_RESOLUTION_MS - 1);
      await tokens.verify(token);
      expect(await lastUsed()).toBe(first);
      clock.advance(1);
      await tokens.verify(token);
      expect(await lastUsed()).toBe(clock.now());
    });

    it('validates creation input', async () => {
      const { db } = current();
      await insertUser(db, 'alice');
      const tokens = createApiTokenStore(db, { maxDays: 30, maxTokensPerUser: 2 });
      const ok = { name: 'n', scopes: ['files:read'] as ApiTokenScope[] };
      expect(await codeOf(tokens.create('alice', { ...ok, scopes: [] }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(tokens.create('alice', { ...ok, scopes: ['root' as ApiTokenScope] }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(tokens.create('alice', { ...ok, expiresInDays: 31 }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(tokens.create('alice', { ...ok, expiresInDays: 0 }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(tokens.create('alice', { ...ok, expiresInDays: 1.5 }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(tokens.create('alice', { ...ok, name: '' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(tokens.create('alice', { ...ok, name: 'x'.repeat(129) }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(tokens.create('alice', { ...ok, name: 'a\nb' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(tokens.create('alice', null as unknown as typeof ok))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(tokens.create('nobody', ok))).toBe('MIG_E_USER_NOT_FOUND');
      expect(await codeOf(tokens.verify('x', 'root' as ApiTokenScope))).toBe('MIG_E_INVALID_INPUT');
      const all = await tokens.create('alice', { name: 'all', scopes: [...API_TOKEN_SCOPES, 'admin'] });
      expect(all.scopes).toEqual([...API_TOKEN_SCOPES]);
      await tokens.create('alice', ok);
      expect(await codeOf(tokens.create('alice', ok))).toBe('MIG_E_INVALID_INPUT'); // over maxTokensPerUser
      expect(() => createApiTokenStore(db, { maxDays: 0 })).toThrowError(expect.objectContaining({ code: 'MIG_E_INVALID_INPUT' }));
    });
  });
});
