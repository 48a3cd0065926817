import type { Kysely } from 'kysely';

/**
 * Migration `0008_share_links`: the share links table. The id is the link's secret (MiG keeps it
 * as a symlink name; we keep it as the key), the target is stored both as the owner saw it (the
 * virtual path) and as root id plus path inside that root, which is what views are built from.
 */
export async function upShareLinks(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('share_links')
    .ifNotExists()
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('owner_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('mode', 'varchar(2)', (c) => c.notNull())
    .addColumn('kind', 'varchar(8)', (c) => c.notNull())
    .addColumn('root_id', 'varchar(300)', (c) => c.notNull())
    .addColumn('rel_path', 'varchar(4096)', (c) => c.notNull())
    .addColumn('view_path', 'varchar(4096)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('password_hash', 'text')
    .addColumn('max_uses', 'integer')
    .addColumn('uses', 'integer', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('invites', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('share_links_owner_idx').ifNotExists().on('share_links').columns(['owner_id', 'created_at']).execute();
  await db.schema.createIndex('share_links_root_idx').ifNotExists().on('share_links').column('root_id').execute();
}
