import type { CreateTableBuilder, Kysely, Migration } from 'kysely';
import type { DatabaseDialect } from './open-database.js';
import { upJobEventsAutoincrement } from './migration-0005-job-events-autoincrement.js';
import { upVgrids } from './migration-0007-vgrids.js';
import { upShareLinks } from './migration-0008-share-links.js';

/**
 * A migration step. It gets the dialect so the rare statement that differs (an auto-increment key)
 * is chosen in one place; everything else is dialect-neutral Kysely schema building.
 */
export interface SiteMigration {
  /** Ordered, never renamed: `0001_…`, `0002_…`. */
  readonly name: string;
  up(db: Kysely<unknown>, dialect: DatabaseDialect): Promise<void>;
}

/** An auto-increment integer primary key, in each dialect's own spelling. */
function serialType(dialect: DatabaseDialect): 'integer' | 'bigserial' {
  return dialect === 'postgres' ? 'bigserial' : 'integer';
}

/** The identity columns (DN and its parts) that accounts and sign-up requests share. */
function withIdentityColumns(table: CreateTableBuilder<string, never>): CreateTableBuilder<string, string> {
  return table
    .addColumn('email', 'varchar(256)', (c) => c.notNull())
    .addColumn('full_name', 'varchar(256)', (c) => c.notNull())
    .addColumn('organization', 'varchar(256)', (c) => c.notNull())
    .addColumn('organizational_unit', 'varchar(256)', (c) => c.notNull())
    .addColumn('locality', 'varchar(256)', (c) => c.notNull())
    .addColumn('state', 'varchar(64)', (c) => c.notNull())
    .addColumn('country', 'varchar(2)', (c) => c.notNull());
}

/**
 * The one ordered migration list of the site database. Later features append; released steps are
 * never edited.
 */
export const SITE_MIGRATIONS: readonly SiteMigration[] = [
  {
    name: '0001_identity_and_auth',
    async up(db, dialect) {
      await db.schema
        .createTable('users')
        .ifNotExists()
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('dn', 'varchar(1024)', (c) => c.notNull().unique())
        .$call(withIdentityColumns)
        .addUniqueConstraint('users_email_uq', ['email'])
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('renewed_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('roles', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('accepted_terms_at', 'bigint')
        .addColumn('password_hash', 'text')
        .addColumn('settings', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('users_status_idx').ifNotExists().on('users').column('status').execute();

      await db.schema
        .createTable('user_aliases')
        .ifNotExists()
        .addColumn('alias', 'varchar(256)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('user_aliases_user_idx').ifNotExists().on('user_aliases').column('user_id').execute();

      await db.schema
        .createTable('signup_requests')
        .ifNotExists()
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('dn', 'varchar(1024)', (c) => c.notNull())
        .$call(withIdentityColumns)
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_at', 'bigint')
        .addColumn('decided_by', 'varchar(256)')
        .addColumn('reason', 'text')
        .addColumn('user_id', 'varchar(64)')
        .addColumn('accepted_terms_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('signup_requests_status_idx')
        .ifNotExists()
        .on('signup_requests')
        .columns(['status', 'created_at'])
        .execute();

      await db.schema
        .createTable('ssh_keys')
        .ifNotExists()
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('fingerprint', 'varchar(128)', (c) => c.notNull())
        .addColumn('algorithm', 'varchar(64)', (c) => c.notNull())
        .addColumn('bits', 'integer', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addUniqueConstraint('ssh_keys_user_fingerprint_uq', ['user_id', 'fingerprint'])
        .execute();

      await db.schema
        .createTable('api_tokens')
        .ifNotExists()
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_tokens_user_idx').ifNotExists().on('api_tokens').column('user_id').execute();

      await db.schema
        .createTable('totp_secrets')
        .ifNotExists()
        .addColumn('user_id', 'varchar(64)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('secret', 'varchar(128)', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('last_step', 'bigint', (c) => c.notNull())
        .addColumn('recovery_codes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('auth_failures')
        .ifNotExists()
        .addColumn('id', serialType(dialect), (c) => c.primaryKey())
        .addColumn('address', 'varchar(64)', (c) => c.notNull())
        .addColumn('username', 'varchar(256)', (c) => c.notNull())
        .addColumn('protocol', 'varchar(32)', (c) => c.notNull())
        .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('auth_failures_address_idx')
        .ifNotExists()
        .on('auth_failures')
        .columns(['address', 'at'])
        .execute();
      await db.schema
        .createIndex('auth_failures_username_idx')
        .ifNotExists()
        .on('auth_failures')
        .columns(['username', 'at'])
        .execute();

      await db.schema
        .createTable('auth_bans')
        .ifNotExists()
        .addColumn('subject', 'varchar(300)', (c) => c.primaryKey())
        .addColumn('until', 'bigint', (c) => c.notNull())
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('audit_log')
        .ifNotExists()
        .addColumn('id', serialType(dialect), (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'varchar(300)', (c) => c.notNull())
        .addColumn('action', 'varchar(64)', (c) => c.notNull())
        .addColumn('target', 'varchar(1024)', (c) => c.notNull())
        .addColumn('outcome', 'varchar(32)', (c) => c.notNull())
        .addColumn('address', 'varchar(64)')
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_at_idx').ifNotExists().on('audit_log').column('at').execute();
    },
  },
  {
    name: '0002_web_and_file_services',
    async up(db) {
      // Web sign-in sessions: only a hash of the cookie's random id is stored.
      await db.schema
        .createTable('web_sessions')
        .ifNotExists()
        .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('address', 'varchar(64)')
        .addColumn('user_agent', 'varchar(512)')
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('web_sessions_user_idx').ifNotExists().on('web_sessions').column('user_id').execute();
      await db.schema.createIndex('web_sessions_expires_idx').ifNotExists().on('web_sessions').column('expires_at').execute();

      // Single-use password reset tokens (hash only).
      await db.schema
        .createTable('password_resets')
        .ifNotExists()
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema.createIndex('password_resets_user_idx').ifNotExists().on('password_resets').column('user_id').execute();

      // Resumable uploads in progress (the bytes are in a hidden temporary file of the target's folder).
      await db.schema
        .createTable('upload_sessions')
        .ifNotExists()
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('owner', 'varchar(300)', (c) => c.notNull())
        .addColumn('path', 'varchar(4096)', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('received', 'bigint', (c) => c.notNull())
        .addColumn('overwrite', 'integer', (c) => c.notNull())
        .addColumn('temp_name', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('upload_sessions_owner_idx').ifNotExists().on('upload_sessions').column('owner').execute();

      // WebDAV dead properties, keyed by a stable resource key (root id and path inside the root).
      await db.schema
        .createTable('dav_properties')
        .ifNotExists()
        .addColumn('resource', 'varchar(4352)', (c) => c.notNull())
        .addColumn('name', 'varchar(1024)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('dav_properties_pk', ['resource', 'name'])
        .execute();

      // WebDAV locks (shared by every WebDAV process of the site).
      await db.schema
        .createTable('dav_locks')
        .ifNotExists()
        .addColumn('token', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('resource', 'varchar(4352)', (c) => c.notNull())
        .addColumn('scope', 'varchar(16)', (c) => c.notNull())
        .addColumn('depth', 'varchar(16)', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('principal', 'varchar(300)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('dav_locks_resource_idx').ifNotExists().on('dav_locks').column('resource').execute();
    },
  },
  {
    name: '0003_jobs',
    async up(db, dialect) {
      // Grid jobs: one row per job, the database being the truth about its state. `version` grows
      // with every change so that a stale dispatch or session is refused (compare-and-set).
      await db.schema
        .createTable('jobs')
        .ifNotExists()
        .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('seq', 'bigint', (c) => c.notNull().unique())
        .addColumn('owner_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('mrsl', 'text')
        .addColumn('retry_count', 'integer', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('session_id_hash', 'varchar(64)', (c) => c.unique())
        .addColumn('resource_id', 'varchar(255)')
        .addColumn('unit_name', 'varchar(255)')
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('queued_at', 'bigint')
        .addColumn('executing_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('failure_message', 'text')
        .addColumn('verified', 'text')
        .addColumn('verified_at', 'bigint')
        .execute();
      await db.schema.createIndex('jobs_state_queued_idx').ifNotExists().on('jobs').columns(['state', 'queued_at']).execute();
      await db.schema.createIndex('jobs_owner_received_idx').ifNotExists().on('jobs').columns(['owner_id', 'received_at']).execute();
      // Paging a user's jobs newest first walks this one.
      await db.schema.createIndex('jobs_owner_seq_idx').ifNotExists().on('jobs').columns(['owner_id', 'seq']).execute();

      // The execution history: every state change of every job, append-only.
      await db.schema
        .createTable('job_events')
        .ifNotExists()
        .addColumn('id', serialType(dialect), (c) => c.primaryKey())
        .addColumn('job_id', 'varchar(255)', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('from_state', 'varchar(16)')
        .addColumn('to_state', 'varchar(16)', (c) => c.notNull())
        .addColumn('actor', 'varchar(300)', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('job_events_job_idx').ifNotExists().on('job_events').columns(['job_id', 'id']).execute();

      // Named counters (MiG's job_id_counter file), bumped inside the transaction that uses them.
      await db.schema
        .createTable('counters')
        .ifNotExists()
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    name: '0004_resources',
    async up(db) {
      // Registered resources; the agent's token is stored only as a SHA-256 of its secret.
      await db.schema
        .createTable('resources')
        .ifNotExists()
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('owner_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('executor', 'varchar(16)', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint')
        .execute();
      await db.schema.createIndex('resources_owner_idx').ifNotExists().on('resources').column('owner_id').execute();
    },
  },
  {
    // The engine's change feed reads job_events by number: numbers must never be reused.
    name: '0005_job_events_autoincrement',
    up: upJobEventsAutoincrement,
  },
  {
    name: '0006_runtime_envs',
    async up(db) {
      // Runtime environments published by admins (MiG's re_home); the definition is its JSON form.
      await db.schema
        .createTable('runtime_envs')
        .ifNotExists()
        .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_by', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    // VGrids: names, lineage, participants, resources, requests and the change counter.
    name: '0007_vgrids',
    up: upVgrids,
  },
  {
    name: '0008_share_links',
    up: upShareLinks,
  },
];

/** Wraps the site migrations for Kysely's `Migrator`, binding the dialect. */
export function migrationRecord(dialect: DatabaseDialect): Record<string, Migration> {
  const record: Record<string, Migration> = {};
  for (const m of SITE_MIGRATIONS) {
    record[m.name] = { up: (db) => m.up(db, dialect) };
  }
  return record;
}
