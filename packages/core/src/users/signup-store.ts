/**
 * Sign-up requests: people ask for an account, an administrator accepts or rejects (MiG's
 * `user_pending/` requests reviewed with `createuser` / `rejectuser` or the admin pages).
 *
 * A request is validated exactly like an account (same canonical identity, same field rules), and
 * its password is hashed at once, so no plain password is ever stored. Accepting creates the
 * account with that hash and marks the request in one transaction.
 * @packageDocumentation
 */
import type { Kysely } from 'kysely';
import { hashPassword } from '../auth/password-hash.js';
import { assertPasswordPolicy } from '../auth/password-policy.js';
import type { AccountsSection } from '../config/site-config.js';
import type { Database, Row, SignupRequestsTable } from '../db/schema.js';
import { ConflictError, DatabaseError, InvalidInputError, NotFoundError, isMigError } from '../errors.js';
import { checkComment } from '../identity/identity-fields.js';
import { isRetryableTransactionError, isUniqueViolation } from './db-errors.js';
import {
  ProblemList, type SignupInput, identityColumns, partsFromColumns, prepareComment, prepareIdentity, preparePassword, signupInputSchema,
} from './user-input.js';
import { generateRandomId, requireId } from './user-id.js';
import type { IdentityFields, UserRecord } from './user-record.js';
import { type UserStore, userStoreInternals } from './user-store.js';

/** The states of a request. */
export const SIGNUP_STATUSES = ['pending', 'accepted', 'rejected'] as const;
/** A request's state. */
export type SignupStatus = (typeof SIGNUP_STATUSES)[number];

/** A sign-up request as callers see it (never with the password hash). Times are epoch ms. */
export interface SignupRequest extends IdentityFields {
  /** Random id (64 characters `[A-Za-z0-9]`). */
  readonly id: string;
  readonly comment: string;
  /** Whether the request carries a (hashed) password. */
  readonly hasPassword: boolean;
  readonly status: SignupStatus;
  readonly createdAt: number;
  readonly decidedAt: number | null;
  /** Who decided (e.g. `admin:local`, `user:<id>`, `auto-accept`). */
  readonly decidedBy: string | null;
  /** Why it was rejected. */
  readonly reason: string | null;
  /** The account created on acceptance. */
  readonly userId: string | null;
  readonly acceptedTermsAt: number | null;
}

/** Dependencies of {@link createSignupRequestStore}. */
export interface SignupRequestStoreOptions {
  readonly db: Kysely<Database>;
  /** The user store accepted requests become accounts in. */
  readonly users: UserStore;
  /** `[accounts]`: password policy and `auto_accept`. */
  readonly accounts: AccountsSection;
  readonly now?: (() => number) | undefined;
}

/** Filters of {@link SignupRequestStore.list}. */
export interface SignupListFilter {
  readonly status?: SignupStatus | undefined;
  /** At most this many (default 1000, at most 10000). */
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

/** Sign-up requests. */
export interface SignupRequestStore {
  /**
   * Files a request. Refused when a user with this email or DN exists (`MIG_E_USER_EXISTS`) or a
   * request for this email is already pending (`MIG_E_SIGNUP_EXISTS`). With `[accounts] auto_accept`
   * the request is accepted at once (decided by `auto-accept`) and the account exists on return.
   */
  submit(input: SignupInput): Promise<SignupRequest>;
  /** Requests, oldest first. */
  list(filter?: SignupListFilter): Promise<SignupRequest[]>;
  /** One request. @throws NotFoundError `MIG_E_SIGNUP_NOT_FOUND`. */
  get(id: string): Promise<SignupRequest>;
  /**
   * Creates the account from a pending request (with its password hash) and marks the request
   * accepted, both or neither. @throws ConflictError `MIG_E_SIGNUP_NOT_PENDING` when decided already.
   */
  accept(id: string, decision: { readonly by: string }): Promise<{ request: SignupRequest; user: UserRecord }>;
  /** Marks a pending request rejected. @throws ConflictError `MIG_E_SIGNUP_NOT_PENDING` when decided already. */
  reject(id: string, decision: { readonly by: string; readonly reason?: string | undefined }): Promise<SignupRequest>;
}

const MAX_LIST = 10_000;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

function isSignupStatus(value: unknown): value is SignupStatus {
  return typeof value === 'string' && (SIGNUP_STATUSES as readonly string[]).includes(value);
}

function requestFromRow(row: Row<SignupRequestsTable>): SignupRequest {
  return {
    id: row.id,
    dn: row.dn,
    email: row.email,
    fullName: row.full_name,
    organization: row.organization,
    organizationalUnit: row.organizational_unit,
    locality: row.locality,
    state: row.state,
    country: row.country,
    comment: row.comment,
    hasPassword: row.password_hash !== null,
    status: isSignupStatus(row.status) ? row.status : 'rejected',
    createdAt: row.created_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    reason: row.reason,
    userId: row.user_id,
    acceptedTermsAt: row.accepted_terms_at,
  };
}

function decidedBy(decision: unknown): string {
  const by = typeof decision === 'object' && decision !== null ? (decision as { by?: unknown }).by : undefined;
  if (typeof by !== 'string' || by.length === 0 || by.length > 256 || CONTROL.test(by)) {
    const message = 'must name who decides (e.g. admin:local), at most 256 characters without control characters';
    throw new InvalidInputError(`Invalid by: ${message}.`, { details: { problems: [{ path: 'by', message }] } });
  }
  return by;
}

function notPending(status: string): ConflictError {
  return new ConflictError('MIG_E_SIGNUP_NOT_PENDING', `This sign-up request was ${status} already; nothing was changed.`, { details: { status } });
}

/**
 * Creates the sign-up request store.
 *
 * @example
 * ```ts
 * const signups = createSignupRequestStore({ db, users, accounts: config.accounts });
 * const request = await signups.submit({ fullName: 'Jane Doe', organization: 'UCPH', country: 'DK', email: 'jane@ku.dk', password });
 * const { user } = await signups.accept(request.id, { by: 'admin:local' });
 * ```
 */
export function createSignupRequestStore(options: SignupRequestStoreOptions): SignupRequestStore {
  const { db, users, accounts } = options;
  const clock = options.now ?? Date.now;
  // Fails now, at start-up, if the store was not made by createUserStore.
  const userInternals = userStoreInternals(users);

  async function rowById(executor: Kysely<Database>, id: string): Promise<Row<SignupRequestsTable> | undefined> {
    return executor.selectFrom('signup_requests').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async function requireRequest(id: unknown): Promise<Row<SignupRequestsTable>> {
    const requestId = requireId(id, 'id');
    const row = await rowById(db, requestId);
    if (row === undefined) throw new NotFoundError('MIG_E_SIGNUP_NOT_FOUND', 'No sign-up request has this id; list the pending requests.');
    return row;
  }

  const store: SignupRequestStore = {
    async submit(input) {
      const problems = new ProblemList();
      const data = problems.parse(signupInputSchema, input, 'sign-up request') as SignupInput | undefined;
      problems.throwIfAny('sign-up request');
      const d = data as SignupInput;
      const identity = prepareIdentity(d, problems);
      const comment = prepareComment(d.comment, problems);
      const password = preparePassword(d.password, problems);
      problems.throwIfAny('sign-up request');
      if (password !== undefined) assertPasswordPolicy(password, accounts.password_policy);
      const { parts, dn } = identity as NonNullable<typeof identity>;
      // Hash before the transaction: scrypt is slow on purpose and must not hold a lock.
      const passwordHash = password === undefined ? null : await hashPassword(password);
      const now = clock();
      const id = generateRandomId();
      const row: Row<SignupRequestsTable> = {
        id,
        ...identityColumns({ dn, parts }),
        comment,
        password_hash: passwordHash,
        status: 'pending',
        created_at: now,
        decided_at: null,
        decided_by: null,
        reason: null,
        user_id: null,
        accepted_terms_at: d.acceptedTerms === true ? now : null,
      };
      // Serializable (PostgreSQL; SQLite always is), so two submissions racing for one email
      // cannot both see "no pending request": the loser is retried and then sees the winner.
      for (let attempt = 0; ; attempt++) {
        try {
          await db.transaction().setIsolationLevel('serializable').execute(async (trx) => {
            const user = await trx
              .selectFrom('users')
              .select('id')
              .where((eb) => eb.or([eb('email', '=', parts.email), eb('dn', '=', dn)]))
              .executeTakeFirst();
            const alias = await trx.selectFrom('user_aliases').select('user_id').where('alias', '=', parts.email).executeTakeFirst();
            if (user !== undefined || alias !== undefined) {
              throw new ConflictError('MIG_E_USER_EXISTS', 'An account with this email address exists already; sign in, or reset the password if it is forgotten.');
            }
            const pending = await trx
              .selectFrom('signup_requests')
              .select('id')
              .where('email', '=', parts.email)
              .where('status', '=', 'pending')
              .executeTakeFirst();
            if (pending !== undefined) {
              throw new ConflictError('MIG_E_SIGNUP_EXISTS', 'A sign-up request for this email address is already waiting for an administrator.');
            }
            await trx.insertInto('signup_requests').values(row).execute();
          });
          break;
        } catch (err) {
          if (isMigError(err)) throw err;
          if (isRetryableTransactionError(err) && attempt < 3) continue;
          if (isUniqueViolation(err)) throw new ConflictError('MIG_E_SIGNUP_EXISTS', 'This sign-up request was filed twice; the first one counts.', { cause: err });
          throw new DatabaseError(`Could not save the sign-up request: ${(err as Error)?.message ?? String(err)}`, { cause: err });
        }
      }
      if (accounts.auto_accept) return (await store.accept(id, { by: 'auto-accept' })).request;
      return requestFromRow(row);
    },

    async list(filter) {
      const f = (filter ?? {}) as Record<string, unknown>;
      const problems = new ProblemList();
      if (typeof f !== 'object' || f === null) throw new InvalidInputError('Invalid filter: must be an object.');
      for (const k of Object.keys(f)) if (!['status', 'limit', 'offset'].includes(k)) problems.add(k, 'is not a known filter');
      if (f.status !== undefined && !isSignupStatus(f.status)) problems.add('status', 'must be pending, accepted or rejected');
      const int = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
      if (f.limit !== undefined && !int(f.limit, 1, MAX_LIST)) problems.add('limit', `must be a whole number from 1 to ${MAX_LIST}`);
      if (f.offset !== undefined && !int(f.offset, 0, Number.MAX_SAFE_INTEGER)) problems.add('offset', 'must be a whole number ≥ 0');
      problems.throwIfAny('filter');
      let q = db.selectFrom('signup_requests').selectAll();
      if (f.status !== undefined) q = q.where('status', '=', f.status as SignupStatus);
      const rows = await q
        .orderBy('created_at')
        .orderBy('id')
        .limit((f.limit as number | undefined) ?? 1000)
        .offset((f.offset as number | undefined) ?? 0)
        .execute();
      return rows.map(requestFromRow);
    },

    async get(id) {
      return requestFromRow(await requireRequest(id));
    },

    async accept(id, decision) {
      const by = decidedBy(decision);
      const row = await requireRequest(id);
      if (row.status !== 'pending') throw notPending(row.status);
      const user = await userInternals.createWithPasswordHash(
        {
          ...partsFromColumns(row),
          comment: row.comment,
        },
        row.password_hash,
        {
          acceptedTermsAt: row.accepted_terms_at,
          // In the account's transaction: a request decided meanwhile rolls the account back.
          within: async (trx, userId) => {
            const result = await trx
              .updateTable('signup_requests')
              .set({ status: 'accepted', decided_at: clock(), decided_by: by, user_id: userId })
              .where('id', '=', row.id)
              .where('status', '=', 'pending')
              .executeTakeFirst();
            if (Number(result.numUpdatedRows) === 0) {
              const now = await rowById(trx, row.id);
              throw notPending(now?.status ?? 'removed');
            }
          },
        },
      );
      return { request: requestFromRow(await requireRequest(row.id)), user };
    },

    async reject(id, decision) {
      const by = decidedBy(decision);
      const rawReason = (decision as { reason?: unknown }).reason;
      if (rawReason !== undefined && typeof rawReason !== 'string') {
        throw new InvalidInputError('Invalid reason: must be text.', { details: { problems: [{ path: 'reason', message: 'must be text' }] } });
      }
      const reason = (rawReason ?? '').trim();
      const why = checkComment(reason);
      if (why !== undefined) throw new InvalidInputError(`Invalid reason: ${why}.`, { details: { problems: [{ path: 'reason', message: why }] } });
      const row = await requireRequest(id);
      if (row.status !== 'pending') throw notPending(row.status);
      const result = await db
        .updateTable('signup_requests')
        .set({ status: 'rejected', decided_at: clock(), decided_by: by, reason })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw notPending((await requireRequest(row.id)).status);
      return requestFromRow(await requireRequest(row.id));
    },
  };
  return store;
}
