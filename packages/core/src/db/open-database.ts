import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { DatabaseError } from '../errors.js';
import { migrationRecord } from './migrations.js';
import type { Database } from './schema.js';

/** The SQL dialects the site runs on. */
export type DatabaseDialect = 'sqlite' | 'postgres';

/** Where the site database lives. */
export interface DatabaseOptions {
  /** `postgres://…` / `postgresql://…` for PostgreSQL; absent for SQLite. */
  url?: string | undefined;
  /** The SQLite file (used when `url` is absent). `:memory:` is allowed for throwaway use. */
  sqlitePath?: string | undefined;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number | undefined;
  /** Run the migrations on open (default true). */
  migrate?: boolean | undefined;
}

/** An open site database. */
export interface SiteDatabase {
  /** The typed query builder every store receives. */
  readonly db: Kysely<Database>;
  readonly dialect: DatabaseDialect;
  /** Closes the pool or file. */
  close(): Promise<void>;
}

/** A URL with its password hidden, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Picks the dialect from a `[database] url`, refusing anything we do not speak. */
export function dialectOf(url: string | undefined): DatabaseDialect {
  if (url === undefined || url === '') return 'sqlite';
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgres';
  throw new DatabaseError(
    `Unsupported database URL ${redactDatabaseUrl(url)}: use a postgres:// URL, or leave [database] url unset for SQLite.`,
    { code: 'MIG_E_DATABASE_UNSUPPORTED' },
  );
}

// PostgreSQL's int8 (OID 20) comes back as a string by default; our bigint columns hold epoch
// milliseconds, far below 2^53, so numbers are exact.
const INT8_OID = 20;
function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) =>
      oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
  };
}

/**
 * Opens the site database (SQLite in WAL mode by default, PostgreSQL when `url` is set) and brings
 * its schema up to date. Migrations are idempotent and safe to run from several daemons at once.
 *
 * @example
 * ```ts
 * const { db, close } = await openDatabase({ sqlitePath: './state/mig.db' });
 * const n = await db.selectFrom('users').select(db.fn.countAll().as('n')).executeTakeFirst();
 * await close();
 * ```
 */
export async function openDatabase(options: DatabaseOptions): Promise<SiteDatabase> {
  const dialect = dialectOf(options.url);
  let db: Kysely<Database>;
  if (dialect === 'sqlite') {
    const file = options.sqlitePath;
    if (file === undefined || file === '') {
      throw new DatabaseError('No SQLite file given: set [site] state_dir or [database] url.');
    }
    let handle: SqliteDatabase.Database;
    try {
      if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
      handle = new SqliteDatabase(file);
      handle.pragma('journal_mode = WAL');
      handle.pragma('synchronous = NORMAL');
      handle.pragma('foreign_keys = ON');
      handle.pragma('busy_timeout = 10000');
    } catch (cause) {
      throw new DatabaseError(`Cannot open the SQLite database ${file}: ${(cause as Error).message}. Check that the state folder exists and is writable.`, { cause });
    }
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }) });
  } else {
    const url = options.url as string;
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types: pgTypes() });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      client.release();
    } catch (cause) {
      await pool.end().catch(() => undefined);
      throw new DatabaseError(`Cannot connect to PostgreSQL at ${redactDatabaseUrl(url)}: ${(cause as Error).message}. Check [database] url and that the server is running.`, { cause });
    }
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  const site: SiteDatabase = { db, dialect, close: () => db.destroy() };
  if (options.migrate !== false) {
    try {
      await migrateDatabase(db, dialect);
    } catch (err) {
      await db.destroy().catch(() => undefined);
      throw err;
    }
  }
  return site;
}

/**
 * better-sqlite3 compiles SQL on every `prepare`, and Kysely prepares every query; the same few
 * statements run over and over (logins, lookups), so compiled statements are kept by their SQL
 * text (bounded). Statements are only reused one at a time: Kysely runs SQLite queries one after
 * another on its single connection.
 */
function withStatementCache(handle: SqliteDatabase.Database, max = 500): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  const prepare = (source: string): SqliteDatabase.Statement => {
    let stmt = cache.get(source);
    if (stmt === undefined) {
      stmt = handle.prepare(source);
      cache.set(source, stmt);
      if (cache.size > max) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
    }
    return stmt;
  };
  return new Proxy(handle, {
    get(target, prop, receiver) {
      if (prop === 'prepare') return prepare;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Applies every pending migration in order. Throws {@link DatabaseError} naming the failed step. */
export async function migrateDatabase(db: Kysely<Database>, dialect: DatabaseDialect): Promise<string[]> {
  const record = migrationRecord(dialect);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(record) },
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's migration lock is a no-op on SQLite, so two processes opening a new file at once can
  // race on the first step. Every step is idempotent, so the loser just runs the list again.
  for (let attempt = 0; error !== undefined && dialect === 'sqlite' && attempt < 5; attempt++) {
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new DatabaseError(`Database migration ${failed} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
