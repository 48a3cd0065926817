import type { Kysely } from 'kysely';

/**
 * Migration 0007: VGrids (MiG's collaboration groups).
 *
 * - `vgrids`: one row per VGrid, keyed by its full hierarchical name (`Physics/Optics`); the
 *   settings are JSON text.
 * - `vgrid_lineage`: a closure table (every VGrid with itself and each ancestor), so that "every
 *   VGrid below the ones this user joined" is one indexed join instead of a scan of all names.
 * - `vgrid_participants`: one row per direct owner or member (one role per user and VGrid).
 * - `vgrid_resources`: resources allowed to run the VGrid's jobs.
 * - `vgrid_requests`: membership and ownership requests; `open` is 1 while pending and NULL once
 *   decided, so the unique index allows one pending request per user, VGrid and kind (NULLs are
 *   distinct in both dialects) and any number of decided ones.
 * - the `vgrid_generation` counter (table `counters`, row made by the first change; absent = 0),
 *   bumped in every transaction that changes VGrids, so live views in any process notice a change
 *   with one single-row read.
 */
export async function upVgrids(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('vgrids')
    .ifNotExists()
    .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('parent', 'varchar(255)')
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'varchar(300)', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('vgrids_parent_idx').ifNotExists().on('vgrids').column('parent').execute();

  await db.schema
    .createTable('vgrid_lineage')
    .ifNotExists()
    .addColumn('ancestor', 'varchar(255)', (c) => c.notNull().references('vgrids.name').onDelete('cascade'))
    .addColumn('vgrid', 'varchar(255)', (c) => c.notNull().references('vgrids.name').onDelete('cascade'))
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('vgrid_lineage_pk', ['ancestor', 'vgrid'])
    .execute();
  await db.schema.createIndex('vgrid_lineage_vgrid_idx').ifNotExists().on('vgrid_lineage').column('vgrid').execute();

  await db.schema
    .createTable('vgrid_participants')
    .ifNotExists()
    .addColumn('vgrid', 'varchar(255)', (c) => c.notNull().references('vgrids.name').onDelete('cascade'))
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'varchar(8)', (c) => c.notNull())
    .addColumn('added_at', 'bigint', (c) => c.notNull())
    .addColumn('added_by', 'varchar(300)', (c) => c.notNull())
    .addPrimaryKeyConstraint('vgrid_participants_pk', ['vgrid', 'user_id'])
    .execute();
  await db.schema.createIndex('vgrid_participants_user_idx').ifNotExists().on('vgrid_participants').columns(['user_id', 'vgrid']).execute();

  await db.schema
    .createTable('vgrid_resources')
    .ifNotExists()
    .addColumn('vgrid', 'varchar(255)', (c) => c.notNull().references('vgrids.name').onDelete('cascade'))
    .addColumn('resource_id', 'varchar(64)', (c) => c.notNull().references('resources.id').onDelete('cascade'))
    .addColumn('added_at', 'bigint', (c) => c.notNull())
    .addColumn('added_by', 'varchar(300)', (c) => c.notNull())
    .addPrimaryKeyConstraint('vgrid_resources_pk', ['vgrid', 'resource_id'])
    .execute();
  await db.schema.createIndex('vgrid_resources_resource_idx').ifNotExists().on('vgrid_resources').column('resource_id').execute();

  await db.schema
    .createTable('vgrid_requests')
    .ifNotExists()
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('vgrid', 'varchar(255)', (c) => c.notNull().references('vgrids.name').onDelete('cascade'))
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('open', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('decided_at', 'bigint')
    .addColumn('decided_by', 'varchar(300)')
    .execute();
  await db.schema
    .createIndex('vgrid_requests_open_uq')
    .ifNotExists()
    .on('vgrid_requests')
    .columns(['vgrid', 'user_id', 'kind', 'open'])
    .unique()
    .execute();
  await db.schema.createIndex('vgrid_requests_vgrid_idx').ifNotExists().on('vgrid_requests').columns(['vgrid', 'status', 'created_at']).execute();
  await db.schema.createIndex('vgrid_requests_user_idx').ifNotExists().on('vgrid_requests').column('user_id').execute();

}
