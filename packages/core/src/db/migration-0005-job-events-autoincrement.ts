import { sql, type Kysely } from 'kysely';
import type { DatabaseDialect } from './open-database.js';

/**
 * Migration 0005: history event numbers are never reused. The grid engine follows the jobs table
 * through `job_events.id` (the change feed, `JobStore.changedSince`), which needs numbers that only
 * grow. PostgreSQL's `bigserial` never hands a number out twice; SQLite's plain integer key reuses
 * the numbers of deleted last rows (a user deleted with their jobs), so on SQLite the table is
 * rebuilt with `AUTOINCREMENT`, keeping every row and its number.
 */
export async function upJobEventsAutoincrement(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void> {
  if (dialect !== 'sqlite') return;
  await db.schema
    .createTable('job_events_0005')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('job_id', 'varchar(255)', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('from_state', 'varchar(16)')
    .addColumn('to_state', 'varchar(16)', (c) => c.notNull())
    .addColumn('actor', 'varchar(300)', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO job_events_0005 (id, job_id, at, from_state, to_state, actor, detail) SELECT id, job_id, at, from_state, to_state, actor, detail FROM job_events`.execute(db);
  await db.schema.dropTable('job_events').execute();
  await db.schema.alterTable('job_events_0005').renameTo('job_events').execute();
  await db.schema.createIndex('job_events_job_idx').ifNotExists().on('job_events').columns(['job_id', 'id']).execute();
}
