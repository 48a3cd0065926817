import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import { createResourceStore } from '../src/resources/resource-store.js';
import { insertUser, testClock } from './auth-fixtures.js';
import { codeOf } from '../../../test/support/errors.js';

describe('the resource registry', () => {
  forEachDatabase((current) => {
    it('registers a resource with default units and a token shown once, stored only hashed', async () => {
      const { db } = current();
      await insertUser(db, 'owner1');
      const clock = testClock();
      const store = createResourceStore(db, { now: clock.now });
      const { resource, token } = await store.add({ name: 'cluster1.example.org', ownerId: 'owner1', units: 3, executor: 'slurm' });
      expect(token).toMatch(/^migres_cluster1\.example\.org_[A-Za-z0-9_-]{43}$/);
      expect(resource).toMatchObject({ id: 'cluster1.example.org', ownerId: 'owner1', status: 'active', executor: 'slurm', lastSeenAt: null });
      expect(resource.config.EXECONFIG.map((u) => u.name)).toEqual(['exe0', 'exe1', 'exe2']);
      const secret = token.slice('migres_cluster1.example.org_'.length);
      expect(secret).toHaveLength(43);
      expect(JSON.stringify(await db.selectFrom('resources').selectAll().execute())).not.toContain(secret);
      expect((await store.authenticate(token)).id).toBe('cluster1.example.org');
      expect(await codeOf(store.add({ name: 'cluster1.example.org', ownerId: 'owner1' }))).toBe('MIG_E_RESOURCE_EXISTS');
    });

    it('refuses wrong, malformed and rotated tokens, and removed resources', async () => {
      const { db } = current();
      await insertUser(db, 'owner2');
      const store = createResourceStore(db);
      const { token } = await store.add({ name: 'r2', ownerId: 'owner2' });
      const wrong = `${token.slice(0, -4)}AAAA`;
      for (const bad of [wrong, 'garbage', '', 'migres_r2_', 'migres_nosuch_' + 'A'.repeat(43), 'x'.repeat(10_000)]) {
        expect(await codeOf(store.authenticate(bad)), bad.slice(0, 30)).toBe('MIG_E_AUTH_FAILED');
      }
      const fresh = await store.rotateToken('r2');
      expect(await codeOf(store.authenticate(token))).toBe('MIG_E_AUTH_FAILED');
      expect((await store.authenticate(fresh)).id).toBe('r2');
      await store.remove('r2');
      expect(await codeOf(store.authenticate(fresh))).toBe('MIG_E_AUTH_FAILED');
      expect(await codeOf(store.get('r2'))).toBe('MIG_E_RESOURCE_NOT_FOUND');
    });

    it('pauses, resumes, edits the configuration with checks, lists by owner and records the last contact', async () => {
      const { db } = current();
      await insertUser(db, 'owner3');
      await insertUser(db, 'owner4');
      const clock = testClock();
      const store = createResourceStore(db, { now: clock.now });
      await store.add({ name: 'a1', ownerId: 'owner3' });
      await store.add({ name: 'b1', ownerId: 'owner4' });
      expect((await store.setStatus('a1', 'paused')).status).toBe('paused');
      expect((await store.setStatus('a1', 'active')).status).toBe('active');
      expect(await codeOf(store.setStatus('a1', 'gone' as 'paused'))).toBe('MIG_E_INVALID_INPUT');
      const edited = await store.updateConfig('a1', { HOSTURL: 'a1', NODECOUNT: 2, CPUCOUNT: 8, MEMORY: 4096, DISK: 100, ARCHITECTURE: 'AMD64', EXECONFIG: [{ name: 'big', cputime: 7200 }] });
      expect(edited.config.CPUCOUNT).toBe(8);
      expect(edited.config.EXECONFIG[0]?.cputime).toBe(7200);
      expect(await codeOf(store.updateConfig('a1', { HOSTURL: 'a1', CPUCOUNT: 'many' }))).toBe('MIG_E_RESOURCE_CONFIG_INVALID');
      expect((await store.get('a1')).config.CPUCOUNT).toBe(8);
      expect((await store.list({ ownerId: 'owner3' })).map((r) => r.id)).toEqual(['a1']);
      expect((await store.list()).map((r) => r.id)).toEqual(['a1', 'b1']);
      await store.touch('a1');
      expect((await store.get('a1')).lastSeenAt).toBe(clock.now());
    });

    it('refuses hostile names, unknown owners and absurd unit counts', async () => {
      const { db } = current();
      await insertUser(db, 'owner5');
      const store = createResourceStore(db);
      for (const name of ['', '../etc', 'UPPER', 'a b', 'x'.repeat(64), '-lead', 'a/b', 'a\u0000b']) {
        expect(await codeOf(store.add({ name, ownerId: 'owner5' })), JSON.stringify(name)).toBe('MIG_E_INVALID_INPUT');
      }
      expect(await codeOf(store.add({ name: 'ok1', ownerId: 'nobody' }))).toBe('MIG_E_USER_NOT_FOUND');
      for (const units of [0, -1, 1.5, 100_000]) expect(await codeOf(store.add({ name: 'ok2', ownerId: 'owner5', units }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(store.add({ name: 'ok3', ownerId: 'owner5', executor: 'kubernetes' as 'local' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await db.selectFrom('resources').selectAll().execute()).toEqual([]);
    });
  });
});
