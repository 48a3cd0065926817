/**
 * Runs store tests against both databases: `forEachDatabase((getDb) => { … })` declares the
 * enclosed tests once for SQLite and once for PostgreSQL, each test on a fresh, migrated database.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, inject } from 'vitest';
import { openDatabase, type SiteDatabase } from '../../packages/core/src/db/index.js';

export type DatabaseKind = 'sqlite' | 'postgres';

/** Creates a fresh database of the given kind and returns its `[database] url` (or SQLite path). */
export async function createTestDatabase(kind: DatabaseKind): Promise<{ url?: string; sqlitePath?: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'mig-sqlite-'));
    return { sqlitePath: join(dir, 'mig.db'), drop: () => rm(dir, { recursive: true, force: true }) };
  }
  const base = inject('pgUrl');
  if (base === null || base === undefined) throw new Error('PostgreSQL is not running for this test run (see test/support/global-setup.ts).');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = base.replace(/\/postgres$/, `/${name}`);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The database kinds this run covers (PostgreSQL unless explicitly skipped outside CI). */
export function databaseKinds(): DatabaseKind[] {
  return inject('pgUrl') === null ? ['sqlite'] : ['sqlite', 'postgres'];
}

/**
 * Declares `body`'s tests once per database kind. `current()` gives the open database of the
 * running test.
 */
export function forEachDatabase(body: (current: () => SiteDatabase, kind: DatabaseKind) => void): void {
  for (const kind of databaseKinds()) {
    describe(`on ${kind}`, () => {
      let site: SiteDatabase | undefined;
      let drop: (() => Promise<void>) | undefined;
      beforeEach(async () => {
        const created = await createTestDatabase(kind);
        drop = created.drop;
        site = await openDatabase({ url: created.url, sqlitePath: created.sqlitePath });
      });
      afterEach(async () => {
        await site?.close();
        await drop?.();
        site = undefined;
      });
      body(() => {
        if (site === undefined) throw new Error('database not open');
        return site;
      }, kind);
    });
  }
}
