/**
 * Small helpers shared by the auth stores (internal; not exported from the package).
 * @packageDocumentation
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import { parseInput } from '../validation/parse-input.js';

/** A user id as the users module makes them (random `[A-Za-z0-9]`, at most 64 characters). */
export const userIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'must be a user id');

/** Validates a user id argument. @throws InvalidInputError `MIG_E_INVALID_INPUT`. */
export function parseUserId(userId: unknown): string {
  return parseInput(userIdSchema, userId, 'userId');
}

/** Throws `MIG_E_USER_NOT_FOUND` unless the account exists, so callers get a clear error instead of a foreign-key failure. */
export async function requireUser(db: Kysely<Database>, userId: string): Promise<void> {
  const row = await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
  if (row === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', 'No account has this user id; create the account first.', { details: { userId } });
}

/** True when a database error is a unique-constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Epoch milliseconds from an injected clock or the system clock. */
export type Clock = () => number;

/** The default clock. */
export const systemClock: Clock = () => Date.now();
