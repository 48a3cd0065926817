import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { AuthError, InvalidInputError, NotFoundError } from '../errors.js';
import { parseInput } from '../validation/parse-input.js';
import { parseUserId, requireUser, systemClock } from './store-support.js';
import type { Clock } from './store-support.js';

/**
 * What an API token may be used for:
 * - `files:read` / `files:write`: the user's files and shares (`write` includes `read`);
 * - `jobs:read` / `jobs:write`: job status and output / submitting and cancelling jobs (`write` includes `read`);
 * - `account:read` / `account:write`: profile and settings (`write` includes `read`);
 * - `admin`: administrative endpoints, honoured only while the account holds the admin role.
 */
export const API_TOKEN_SCOPES = ['files:read', 'files:write', 'jobs:read', 'jobs:write', 'account:read', 'account:write', 'admin'] as const;

/** One API token scope. */
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

/** A token as listed: never includes the secret. */
export interface ApiTokenInfo {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly scopes: readonly ApiTokenScope[];
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

/** What {@link ApiTokenStore.create} returns: the token info plus the secret token, shown once. */
export interface CreatedApiToken extends ApiTokenInfo {
  /** `mig_<id>_<secret>`: give it to the user now; it cannot be recovered later. */
  readonly token: string;
}

/** What a verified token grants. */
export interface VerifiedApiToken {
  readonly userId: string;
  readonly tokenId: string;
  readonly scopes: readonly ApiTokenScope[];
}

/** Input of {@link ApiTokenStore.create}. */
export interface CreateApiTokenInput {
  /** A label for the user, e.g. `laptop backup script`. */
  readonly name: string;
  /** A non-empty subset of {@link API_TOKEN_SCOPES}. */
  readonly scopes: readonly ApiTokenScope[];
  /** Lifetime in days, 1 to the site's maximum; default the maximum. */
  readonly expiresInDays?: number;
}

/** Options for {@link createApiTokenStore}. */
export interface ApiTokenStoreOptions {
  /** Longest lifetime of a token in days (`[security] api_token_max_days`). */
  readonly maxDays: number;
  /** Most live tokens per account; default 50. */
  readonly maxTokensPerUser?: number;
  /** Clock for tests. */
  readonly now?: Clock;
}

/** API tokens for scripts and programs. */
export interface ApiTokenStore {
  /**
   * Creates a token and returns its secret once. Only a SHA-256 of the secret is stored.
   * @throws InvalidInputError `MIG_E_INVALID_INPUT`; NotFoundError `MIG_E_USER_NOT_FOUND`.
   */
  create(userId: string, input: CreateApiTokenInput): Promise<CreatedApiToken>;
  /** The user's tokens (revoked and expired ones included), newest first; never secrets. */
  list(userId: string): Promise<ApiTokenInfo[]>;
  /**
   * Revokes one of the user's tokens (revoking twice is harmless).
   * @throws NotFoundError `MIG_E_TOKEN_NOT_FOUND` when the user has no token with this id.
   */
  revoke(userId: string, tokenId: string): Promise<void>;
  /**
   * Checks a presented token.
   * @throws AuthError `MIG_E_AUTH_FAILED` for a malformed, unknown, expired or revoked token (one
   *   error for all, so a caller learns nothing); `MIG_E_TOKEN_SCOPE` when it lacks `requiredScope`.
   */
  verify(token: string, requiredScope?: ApiTokenScope): Promise<VerifiedApiToken>;
}

const TOKEN_PATTERN = /^mig_([0-9a-f]{16})_([0-9a-f]{64})$/;
/** `last_used_at` is written at most this often per token, so busy scripts do not write on every request. */
export const TOKEN_LAST_USED_RESOLUTION_MS = 60_000;
const DAY_MS = 86_400_000;

const scopeSchema = z.enum(API_TOKEN_SCOPES);

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** True when `granted` satisfies `required`; `x:write` includes `x:read`. */
export function tokenScopeAllows(granted: readonly ApiTokenScope[], required: ApiTokenScope): boolean {
  if (granted.includes(required)) return true;
  if (required.endsWith(':read')) return granted.includes(required.replace(/:read$/, ':write') as ApiTokenScope);
  return false;
}

/** The token id part of a token string, if it is well-formed (used to name tokens in logs without their secret). */
export function apiTokenId(token: string): string | undefined {
  return typeof token === 'string' ? TOKEN_PATTERN.exec(token)?.[1] : undefined;
}

type Row = {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
};

function parseScopes(text: string): ApiTokenScope[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((s): s is ApiTokenScope => scopeSchema.safeParse(s).success) : [];
  } catch {
    return [];
  }
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function toInfo(row: Row): ApiTokenInfo {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    scopes: parseScopes(row.scopes),
    createdAt: Number(row.created_at),
    expiresAt: num(row.expires_at),
    lastUsedAt: num(row.last_used_at),
    revokedAt: num(row.revoked_at),
  };
}

/**
 * Creates the API token store.
 *
 * @example
 * ```ts
 * const tokens = createApiTokenStore(db, { maxDays: config.security.api_token_max_days });
 * const { token } = await tokens.create(user.id, { name: 'backup', scopes: ['files:read'], expiresInDays: 30 });
 * const { userId } = await tokens.verify(token, 'files:read');
 * ```
 */
export function createApiTokenStore(db: Kysely<Database>, options: ApiTokenStoreOptions): ApiTokenStore {
  if (typeof options !== 'object' || options === null || !Number.isInteger(options.maxDays) || options.maxDays < 1 || options.maxDays > 36_500) {
    throw new InvalidInputError('API token maxDays must be a whole number of days from 1 to 36500.', { details: { field: 'maxDays' } });
  }
  const maxDays = options.maxDays;
  const maxTokens = options.maxTokensPerUser ?? 50;
  const now = options.now ?? systemClock;
  const createSchema = z.object({
    name: z.string().trim().min(1).max(128).regex(/^[^\p{Cc}\p{Cf}]*$/u, 'must not contain control characters'),
    scopes: z.array(scopeSchema).min(1).max(32),
    expiresInDays: z.number().int().min(1).max(maxDays).optional(),
  });
  const failed = (): AuthError => new AuthError('MIG_E_AUTH_FAILED', 'The API token is not valid (unknown, expired or revoked); create a new token.');

  return {
    async create(userIdInput, input) {
      const userId = parseUserId(userIdInput);
      const parsed = parseInput(createSchema, input, 'API token');
      await requireUser(db, userId);
      const at = now();
      const live = await db
        .selectFrom('api_tokens')
        .select(db.fn.countAll().as('n'))
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
        .executeTakeFirstOrThrow();
      if (Number(live.n) >= maxTokens) {
        throw new InvalidInputError(`An account may have at most ${maxTokens} live API tokens; revoke tokens you no longer use first.`, {
          details: { field: 'tokens', max: maxTokens },
        });
      }
      const id = randomBytes(8).toString('hex');
      const secret = randomBytes(32).toString('hex');
      const scopes = [...new Set(parsed.scopes)].sort((a, b) => API_TOKEN_SCOPES.indexOf(a) - API_TOKEN_SCOPES.indexOf(b));
      const row: Row = {
        id,
        user_id: userId,
        name: parsed.name,
        token_hash: sha256(secret).toString('hex'),
        scopes: JSON.stringify(scopes),
        created_at: at,
        expires_at: at + (parsed.expiresInDays ?? maxDays) * DAY_MS,
        last_used_at: null,
        revoked_at: null,
      };
      await db.insertInto('api_tokens').values(row).execute();
      return { ...toInfo(row), token: `mig_${id}_${secret}` };
    },

    async list(userIdInput) {
      const userId = parseUserId(userIdInput);
      const rows = await db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id').execute();
      return rows.map(toInfo);
    },

    async revoke(userIdInput, tokenId) {
      const userId = parseUserId(userIdInput);
      if (typeof tokenId !== 'string' || !/^[0-9a-f]{16}$/.test(tokenId)) {
        throw new NotFoundError('MIG_E_TOKEN_NOT_FOUND', 'There is no API token with this id; list the tokens to see their ids.');
      }
      const row = await db.selectFrom('api_tokens').select(['id', 'revoked_at']).where('id', '=', tokenId).where('user_id', '=', userId).executeTakeFirst();
      if (row === undefined) throw new NotFoundError('MIG_E_TOKEN_NOT_FOUND', 'There is no API token with this id; list the tokens to see their ids.');
      if (row.revoked_at === null) await db.updateTable('api_tokens').set({ revoked_at: now() }).where('id', '=', tokenId).execute();
    },

    async verify(token, requiredScope) {
      if (requiredScope !== undefined && !scopeSchema.safeParse(requiredScope).success) {
        throw new InvalidInputError(`Unknown API token scope; use one of ${API_TOKEN_SCOPES.join(', ')}.`, { details: { field: 'scope' } });
      }
      const match = typeof token === 'string' && token.length <= 128 ? TOKEN_PATTERN.exec(token) : null;
      // A malformed token still costs a hash, so the answer takes about as long as for a real id.
      const presented = sha256(match?.[2] ?? String(token).slice(0, 128));
      if (match === null) throw failed();
      const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', match[1] as string).executeTakeFirst();
      const stored = Buffer.from(row?.token_hash ?? '0'.repeat(64), 'hex');
      const equal = stored.length === presented.length && timingSafeEqual(stored, presented);
      if (row === undefined || !equal) throw failed();
      const at = now();
      if (row.revoked_at !== null || (row.expires_at !== null && Number(row.expires_at) <= at)) throw failed();
      const scopes = parseScopes(row.scopes);
      if (requiredScope !== undefined && !tokenScopeAllows(scopes, requiredScope)) {
        throw new AuthError('MIG_E_TOKEN_SCOPE', `This API token does not allow ${requiredScope}; create a token with that scope.`, {
          details: { required: requiredScope, granted: scopes },
        });
      }
      if (row.last_used_at === null || at - Number(row.last_used_at) >= TOKEN_LAST_USED_RESOLUTION_MS) {
        await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', row.id).execute();
      }
      return { userId: row.user_id, tokenId: row.id, scopes };
    },
  };
}
