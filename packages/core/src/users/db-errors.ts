/**
 * Recognising the few database errors the stores turn into answers, on both dialects, so that a
 * race lost to another process becomes a clean conflict instead of a 500.
 * @packageDocumentation
 */

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : '';
}

/** A unique or primary-key constraint refused the row (PostgreSQL 23505, SQLite CONSTRAINT_UNIQUE/PRIMARYKEY). */
export function isUniqueViolation(err: unknown): boolean {
  const code = codeOf(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A serializable transaction lost a race and may simply be run again (PostgreSQL 40001, 40P01; SQLite BUSY). */
export function isRetryableTransactionError(err: unknown): boolean {
  const code = codeOf(err);
  return code === '40001' || code === '40P01' || code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT';
}
