/**
 * Password reset tokens: a random 256-bit secret emailed as a link, single use, valid for an hour
 * by default. Only a SHA-256 of the token is stored (table `password_resets`), so a copy of the
 * database cannot be used to reset anyone's password. Issuing a token voids the user's earlier
 * unused ones, and using a token is atomic: of two concurrent uses, exactly one wins.
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { InvalidInputError, MigError } from '../errors.js';

/** How long a reset token is valid by default (one hour). */
export const PASSWORD_RESET_TTL_MS = 3600_000;
/** Form of a token: 43 base64url characters (32 random bytes). */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Options of {@link createPasswordResetStore}. */
export interface PasswordResetStoreOptions {
  /** How long a token is valid, in ms (default {@link PASSWORD_RESET_TTL_MS}). */
  readonly ttlMs?: number;
  /** Clock (epoch ms), for tests. */
  readonly now?: () => number;
}

/** A newly issued reset token. */
export interface IssuedPasswordReset {
  /** The secret to put in the link; not stored. */
  readonly token: string;
  readonly userId: string;
  readonly expiresAt: number;
}

/** Single-use password reset tokens. */
export interface PasswordResetStore {
  /** Issues a token for `userId`, voiding the user's earlier unused tokens. */
  issue(userId: string): Promise<IssuedPasswordReset>;
  /** The user a token would reset, without using it; `undefined` when unknown, used or expired. */
  check(token: string): Promise<string | undefined>;
  /**
   * Uses a token: marks it used and returns its user.
   * @throws MigError `MIG_E_RESET_TOKEN_INVALID` when the token is unknown, used or expired.
   */
  consume(token: string): Promise<string>;
  /** How many tokens were issued for `userId` since `since` (epoch ms), for rate limits. */
  issuedSince(userId: string, since: number): Promise<number>;
  /** Voids every unused token of a user (e.g. after a password change). Returns how many. */
  voidAll(userId: string): Promise<number>;
  /** Removes tokens that expired over a day ago. Returns how many. */
  prune(): Promise<number>;
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

function invalid(): MigError {
  return new MigError('MIG_E_RESET_TOKEN_INVALID', 'This password reset link is not valid: it is unknown, was used already or has expired. Ask for a new one.');
}

function requireUserId(userId: unknown): string {
  if (typeof userId !== 'string' || !/^[A-Za-z0-9]{1,64}$/.test(userId)) throw new InvalidInputError('Invalid userId: must be a user id.');
  return userId;
}

/**
 * Creates the password reset store over the site database.
 * @example
 * ```ts
 * const resets = createPasswordResetStore(site.db);
 * const { token } = await resets.issue(user.id); // email `${baseUrl}/reset/${token}`
 * const userId = await resets.consume(token);    // once
 * ```
 */
export function createPasswordResetStore(db: Kysely<Database>, options: PasswordResetStoreOptions = {}): PasswordResetStore {
  const now = options.now ?? Date.now;
  const ttl = options.ttlMs ?? PASSWORD_RESET_TTL_MS;
  if (!Number.isInteger(ttl) || ttl < 1000 || ttl > 7 * 86_400_000) throw new InvalidInputError('Invalid ttlMs: must be between one second and seven days.');

  async function voidAll(userId: string, at: number): Promise<number> {
    const result = await db
      .updateTable('password_resets')
      .set({ used_at: at })
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  return {
    async issue(rawUserId) {
      const userId = requireUserId(rawUserId);
      const t = now();
      const token = randomBytes(32).toString('base64url');
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('password_resets').set({ used_at: t }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
        await trx.insertInto('password_resets').values({ token_hash: hashToken(token), user_id: userId, created_at: t, expires_at: t + ttl, used_at: null }).execute();
      });
      return { token, userId, expiresAt: t + ttl };
    },
    async check(token) {
      if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return undefined;
      const row = await db.selectFrom('password_resets').select(['user_id', 'expires_at', 'used_at']).where('token_hash', '=', hashToken(token)).executeTakeFirst();
      if (row === undefined || row.used_at !== null || Number(row.expires_at) <= now()) return undefined;
      return row.user_id;
    },
    async consume(token) {
      if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) throw invalid();
      const t = now();
      const tokenHash = hashToken(token);
      const result = await db
        .updateTable('password_resets')
        .set({ used_at: t })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', t)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw invalid();
      const row = await db.selectFrom('password_resets').select('user_id').where('token_hash', '=', tokenHash).executeTakeFirstOrThrow();
      return row.user_id;
    },
    async issuedSince(rawUserId, since) {
      const userId = requireUserId(rawUserId);
      const row = await db
        .selectFrom('password_resets')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('user_id', '=', userId)
        .where('created_at', '>=', since)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async voidAll(rawUserId) {
      return voidAll(requireUserId(rawUserId), now());
    },
    async prune() {
      const result = await db.deleteFrom('password_resets').where('expires_at', '<', now() - 86_400_000).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
