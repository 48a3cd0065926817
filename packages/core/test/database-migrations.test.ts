import { describe, expect, it } from 'vitest';
import { dialectOf, migrateDatabase, openDatabase, redactDatabaseUrl, isMigError } from '@migrid/core';
import { createTestDatabase, databaseKinds, forEachDatabase } from '../../../test/support/databases.js';

describe('database', () => {
  forEachDatabase((current) => {
    it('creates every table and reads bigint times back as numbers', async () => {
      const { db } = current();
      const now = Date.now();
      await db
        .insertInto('audit_log')
        .values({ at: now, actor: 'admin:local', action: 'test', target: 't', outcome: 'ok', address: null, details: '{}' })
        .execute();
      const row = await db.selectFrom('audit_log').selectAll().executeTakeFirstOrThrow();
      expect(row.at).toBe(now);
      expect(typeof row.id).toBe('number');
      for (const table of ['users', 'user_aliases', 'signup_requests', 'ssh_keys', 'api_tokens', 'totp_secrets', 'auth_failures', 'auth_bans', 'jobs', 'job_events', 'counters', 'resources'] as const) {
        const n = await db.selectFrom(table).select(db.fn.countAll().as('n')).executeTakeFirstOrThrow();
        expect(Number(n.n)).toBe(0);
      }
    });

    it('runs migrations idempotently (a second run applies nothing)', async () => {
      const { db, dialect } = current();
      expect(await migrateDatabase(db, dialect)).toEqual([]);
    });
  });

  it.each(databaseKinds())('runs concurrent migrations from two openers safely on %s', async (kind) => {
    const created = await createTestDatabase(kind);
    try {
      const [a, b] = await Promise.all([
        openDatabase({ url: created.url, sqlitePath: created.sqlitePath }),
        openDatabase({ url: created.url, sqlitePath: created.sqlitePath }),
      ]);
      const tables = await a.db.introspection.getTables();
      expect(tables.map((t) => t.name)).toContain('users');
      await a.close();
      await b.close();
    } finally {
      await created.drop();
    }
  });

  it('refuses URLs of other databases with a stable code', () => {
    expect(() => dialectOf('mysql://root@localhost/db')).toThrowError(/postgres:\/\//);
    try {
      dialectOf('mysql://x');
    } catch (err) {
      expect(isMigError(err, 'MIG_E_DATABASE_UNSUPPORTED')).toBe(true);
    }
    expect(dialectOf(undefined)).toBe('sqlite');
    expect(dialectOf('postgresql://a@b/c')).toBe('postgres');
  });

  it('reports an unreachable PostgreSQL with a redacted URL', async () => {
    const err = await openDatabase({ url: 'postgres://mig:secret@127.0.0.1:1/none' }).catch((e: unknown) => e);
    expect(isMigError(err, 'MIG_E_DATABASE')).toBe(true);
    expect((err as Error).message).not.toContain('secret');
    expect(redactDatabaseUrl('postgres://u:pw@h/db')).toBe('postgres://u:***@h/db');
  });

  it('reports an SQLite path that cannot be created', async () => {
    const err = await openDatabase({ sqlitePath: '/etc/hostname/below-a-file/mig.db' }).catch((e: unknown) => e);
    expect(isMigError(err, 'MIG_E_DATABASE')).toBe(true);
  });
});
