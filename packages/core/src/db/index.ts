export { openDatabase, migrateDatabase, dialectOf, redactDatabaseUrl } from './open-database.js';
export type { DatabaseDialect, DatabaseOptions, SiteDatabase } from './open-database.js';
export { SITE_MIGRATIONS } from './migrations.js';
export type { SiteMigration } from './migrations.js';
export type * from './schema.js';
