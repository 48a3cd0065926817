/**
 * The user store: accounts in the site database and their home folders on disk, kept in step.
 *
 * Behaviour follows MiG's `createuser` / `useradm` (canonical identity, DN recomputed on edit,
 * aliases unique across the site, renewal by `renew_days`), with a database instead of the pickle
 * and stable ids instead of DN-named folders. Every change is all-or-nothing: a create that fails
 * leaves neither a row nor a folder, and a delete that fails leaves the account as it was.
 * @packageDocumentation
 */
import { dirname, isAbsolute, join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import type { AuthSubject, UserLookup } from '../auth/authenticator.js';
import { hashPassword, parsePasswordHash } from '../auth/password-hash.js';
import { assertPasswordPolicy } from '../auth/password-policy.js';
import type { AccountsSection, LoginAliasField } from '../config/site-config.js';
import type { Database, Row, UsersTable } from '../db/schema.js';
import { ConflictError, DatabaseError, InvalidInputError, MigError, NotFoundError, isMigError } from '../errors.js';
import { canonicaliseDnParts } from '../identity/canonical-dn.js';
import { type DnParts, formatDn, parseDn } from '../identity/distinguished-name.js';
import { isUniqueViolation } from './db-errors.js';
import {
  type WelcomeOptions, createHomeFolder, moveHomeAside, removeHomeFolder, restoreHome, sweepAbandonedHomeStaging,
} from './home-folder.js';
import {
  type CreateUserInput, type EditUserChanges, ProblemList, createUserInputSchema, editUserChangesSchema,
  checkIdentity, identityColumns, partsFromColumns, prepareAliases, prepareComment, preparePassword, prepareIdentity, prepareRoles, ROLE_PATTERN,
} from './user-input.js';
import { generateUserId, isUserId, requireId } from './user-id.js';
import {
  DEFAULT_USER_SETTINGS, type StoredSettings, type UserProtocol, type UserRecord, type UserStatus,
  USER_PROTOCOLS, isUserStatus, parseStoredSettings, userRecordFromRow,
} from './user-record.js';

const DAY_MS = 86_400_000;
/** Longest id, email, alias or DN accepted as a lookup key. */
const MAX_KEY_LENGTH = 1024;
/** Longest suspend/retire reason. */
const MAX_REASON_LENGTH = 1024;
/** Largest page of {@link UserStore.list}. */
export const MAX_USER_LIST_LIMIT = 100_000;
const DEFAULT_USER_LIST_LIMIT = 1000;
// Bound parameters per IN (…) list: far below SQLite's and PostgreSQL's limits.
const IN_CHUNK = 500;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/** Dependencies of {@link createUserStore}. */
export interface UserStoreOptions {
  readonly db: Kysely<Database>;
  /** `[accounts]`: validity, renewal and password policy. */
  readonly accounts: AccountsSection;
  /** Where homes live: `<state_dir>/user_home`. */
  readonly homeRoot: string;
  /** Where homes of deleted users go (`<state_dir>/deleted_homes`); default `deleted_homes` next to `homeRoot`. */
  readonly deletedHomesRoot?: string | undefined;
  /** Which field is the login name for `findByLogin` (`[site] login_alias`); default `email`. */
  readonly loginAlias?: LoginAliasField | undefined;
  /** What `welcome.txt` mentions. */
  readonly welcome?: WelcomeOptions | undefined;
  /** Clock (epoch ms), for tests. */
  readonly now?: (() => number) | undefined;
}

/** Filters of {@link UserStore.list} and {@link UserStore.count}. */
export interface UserListFilter {
  readonly status?: UserStatus | undefined;
  /**
   * Text searched in email, full name, organisation and DN (at most 256 characters); `%` and `_`
   * are literal. Case-insensitive for ASCII letters (SQLite's `lower()` folds only those).
   */
  readonly search?: string | undefined;
  /** Only users holding this role. */
  readonly role?: string | undefined;
  /** At most this many (default 1000, at most 100000). */
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

/** Options of {@link UserStore.delete}. */
export interface DeleteUserOptions {
  /** Leave the home folder where it is (e.g. to import it again). */
  readonly keepHome?: boolean | undefined;
  /** Remove the home folder for good instead of moving it to `deleted_homes/`. */
  readonly purge?: boolean | undefined;
}

/** What {@link UserStore.delete} did. */
export interface DeleteUserResult {
  /** The account as it was. */
  readonly user: UserRecord;
  /** Where the home folder now is (`deleted_homes/<id>-<time>` or, with `keepHome`, its old place); `undefined` when purged or there was none. */
  readonly keptHome: string | undefined;
}

/** The user store. Every method validates its input and throws a {@link MigError} with a stable code. */
export interface UserStore extends UserLookup {
  /**
   * Creates an account and its home folder, as MiG's `createuser`: canonicalises the identity,
   * validates every field (all problems in one `MIG_E_INVALID_INPUT`), checks the password against
   * the policy (`MIG_E_PASSWORD_POLICY`) and refuses a DN, email or alias in use (`MIG_E_USER_EXISTS`).
   */
  create(input: CreateUserInput): Promise<UserRecord>;
  /** Changes fields; the DN follows the name/organisation/email, the home folder stays. */
  edit(idOrLogin: string, changes: EditUserChanges): Promise<UserRecord>;
  /** Sets a new password (policy-checked, hashed), or removes password login with `null`. */
  setPassword(id: string, password: string | null): Promise<UserRecord>;
  /** Deletes the account; its home goes to `deleted_homes/<id>-<time>` unless `keepHome` or `purge`. */
  delete(idOrLogin: string, options?: DeleteUserOptions): Promise<DeleteUserResult>;
  /**
   * Extends access by `days` (default `renew_days`) from now or from the current expiry, whichever
   * is later, and records the renewal. The status is never changed: a suspended account stays
   * suspended (see {@link UserStore.reactivate}); an account that never expires stays so.
   */
  renew(idOrLogin: string, options?: { readonly days?: number | undefined }): Promise<UserRecord>;
  /** Refuses every login until reactivated. A retired account cannot be suspended (`MIG_E_ACCOUNT_STATE`). */
  suspend(idOrLogin: string, reason?: string): Promise<UserRecord>;
  /** Lifts a suspension or retirement, restoring `active` or `temporal`. Does not extend expiry. */
  reactivate(idOrLogin: string): Promise<UserRecord>;
  /** Closes the account but keeps its record and home. */
  retire(idOrLogin: string, reason?: string): Promise<UserRecord>;
  /** The account with this id. @throws NotFoundError `MIG_E_USER_NOT_FOUND`. */
  get(id: string): Promise<UserRecord>;
  /** The account an id, email, alias or DN names, if any. */
  find(idOrEmailOrDnOrAlias: string): Promise<UserRecord | undefined>;
  /** Accounts, oldest first. */
  list(filter?: UserListFilter): Promise<UserRecord[]>;
  /** How many accounts match (all when no filter). */
  count(filter?: Omit<UserListFilter, 'limit' | 'offset'>): Promise<number>;
  /**
   * Active and temporal accounts whose expiry has passed, longest expired first. Reports only:
   * nothing is changed (logins are refused by the expiry time itself, see `isAccessible`), so
   * housekeeping can warn or notify without silently changing anyone's status.
   */
  expireDueAccounts(): Promise<UserRecord[]>;
  /** The ids of {@link UserStore.expireDueAccounts}. */
  expiredAccounts(): Promise<string[]>;
  /** The absolute path of an existing user's home folder. @throws NotFoundError `MIG_E_USER_NOT_FOUND`. */
  homeDir(id: string): Promise<string>;
  /**
   * Removes homes left half-built by a process that died while creating an account (staging
   * folders older than an hour). Returns how many were removed.
   */
  sweepAbandonedHomes(): Promise<number>;
  /**
   * For the authenticator: the account a login name belongs to (by alias, i.e. email or an extra
   * alias, case-insensitive; by id when `login_alias` is `user_id`), with its password hash.
   * Names that cannot be any login (control characters, over 256 characters) give `undefined`.
   */
  findByLogin(login: string): Promise<AuthSubject | undefined>;
  /** For the authenticator: replaces a password hash (e.g. an upgraded MiG PBKDF2 hash). */
  updatePasswordHash(userId: string, hash: string): Promise<void>;
}

/** Extra things the core (the sign-up store) may do that callers may not. */
export interface UserStoreInternals {
  /**
   * Creates an account with an already hashed password (a sign-up request's), optionally running
   * `within` in the same transaction so that both commit or neither does.
   */
  createWithPasswordHash(
    input: Omit<CreateUserInput, 'password'>,
    passwordHash: string | null,
    extra?: {
      readonly acceptedTermsAt?: number | null | undefined;
      readonly within?: ((trx: Kysely<Database>, userId: string) => Promise<void>) | undefined;
    },
  ): Promise<UserRecord>;
}

const internals = new WeakMap<UserStore, UserStoreInternals>();

/** The internal operations of a store made by {@link createUserStore} (core only; not exported from the package). */
export function userStoreInternals(store: UserStore): UserStoreInternals {
  const found = internals.get(store);
  if (found === undefined) throw new MigError('MIG_E_INTERNAL', 'This user store was not made by createUserStore.');
  return found;
}

/** A create after validation: everything needed to insert. */
interface PreparedUser {
  readonly parts: DnParts;
  readonly dn: string;
  readonly comment: string;
  readonly roles: readonly string[];
  readonly aliases: readonly string[];
  readonly status: UserStatus;
  readonly expiresAt: number | null;
  readonly acceptedTermsAt: number | null;
  readonly passwordHash: string | null;
  readonly settings: StoredSettings;
}

function stringOrThrow(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || CONTROL.test(value)) {
    const message = `must be non-empty text of at most ${max} characters without control characters`;
    throw new InvalidInputError(`Invalid ${field}: ${message}.`, { details: { problems: [{ path: field, message }] } });
  }
  return value;
}

function reasonOrThrow(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || value.length > MAX_REASON_LENGTH || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f<>]/u.test(value)) {
    const message = `must be text of at most ${MAX_REASON_LENGTH} characters, without control characters or "<" and ">"`;
    throw new InvalidInputError(`Invalid reason: ${message}.`, { details: { problems: [{ path: 'reason', message }] } });
  }
  return value.trim();
}

function dbError(action: string, err: unknown): MigError {
  if (isMigError(err)) return err;
  return new DatabaseError(`Could not ${action}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function mergeProtocols(base: StoredSettings, changes: Partial<Record<UserProtocol, boolean | undefined>> | undefined): StoredSettings {
  if (changes === undefined) return base;
  const protocols = { ...base.protocols };
  for (const [k, v] of Object.entries(changes)) if (typeof v === 'boolean') protocols[k as UserProtocol] = v;
  return { ...base, protocols };
}

function partsOfRow(row: Row<UsersTable>): DnParts {
  return partsFromColumns(row);
}

/**
 * Creates the user store over the site database and the homes folder.
 *
 * @example
 * ```ts
 * const users = createUserStore({ db, accounts: config.accounts, homeRoot: paths.userHome });
 * const jane = await users.create({ fullName: 'jane doe', organization: 'UCPH', country: 'dk', email: 'Jane@ku.dk', password });
 * jane.dn; // '/C=DK/ST=NA/L=NA/O=UCPH/OU=NA/CN=Jane Doe/emailAddress=jane@ku.dk'
 * ```
 */
export function createUserStore(options: UserStoreOptions): UserStore {
  const { db, accounts, homeRoot } = options;
  if (typeof homeRoot !== 'string' || !isAbsolute(homeRoot) || homeRoot.includes('\u0000')) {
    throw new InvalidInputError('Invalid user store options: homeRoot must be an absolute path (<state_dir>/user_home).');
  }
  const deletedRoot = options.deletedHomesRoot ?? join(dirname(homeRoot), 'deleted_homes');
  const clock = options.now ?? Date.now;
  const loginAlias: LoginAliasField = options.loginAlias ?? 'email';

  async function aliasesOf(executor: Kysely<Database>, ids: readonly string[]): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const chunk = ids.slice(i, i + IN_CHUNK);
      if (chunk.length === 0) continue;
      const rows = await executor.selectFrom('user_aliases').select(['alias', 'user_id']).where('user_id', 'in', chunk).execute();
      for (const r of rows) {
        const list = map.get(r.user_id) ?? [];
        list.push(r.alias);
        map.set(r.user_id, list);
      }
    }
    return map;
  }

  async function toRecord(executor: Kysely<Database>, row: Row<UsersTable>): Promise<UserRecord> {
    const aliases = await aliasesOf(executor, [row.id]);
    return userRecordFromRow(row, aliases.get(row.id) ?? []);
  }

  async function toRecords(executor: Kysely<Database>, rows: readonly Row<UsersTable>[]): Promise<UserRecord[]> {
    const aliases = await aliasesOf(executor, rows.map((r) => r.id));
    return rows.map((r) => userRecordFromRow(r, aliases.get(r.id) ?? []));
  }

  async function rowById(executor: Kysely<Database>, id: string): Promise<Row<UsersTable> | undefined> {
    return executor.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Finds the row a key names: an id, a DN (starts with `/`) or a login alias. */
  async function findRow(executor: Kysely<Database>, rawKey: unknown): Promise<Row<UsersTable> | undefined> {
    const key = stringOrThrow(rawKey, 'user', MAX_KEY_LENGTH);
    if (isUserId(key)) {
      const row = await rowById(executor, key);
      if (row !== undefined) return row;
    }
    if (key.startsWith('/')) {
      // Throws MIG_E_INVALID_DN for text that is no DN at all.
      const parts = parseDn(key);
      const exact = formatDn(parts);
      const row = await executor.selectFrom('users').selectAll().where('dn', '=', exact).executeTakeFirst();
      if (row !== undefined) return row;
      // Also try the canonical spelling (title-cased name, lower-case email …), as stored by create.
      let canonical: string;
      try {
        canonical = formatDn(canonicaliseDnParts(parts));
      } catch {
        return undefined;
      }
      return canonical === exact ? undefined : executor.selectFrom('users').selectAll().where('dn', '=', canonical).executeTakeFirst();
    }
    const alias = key.trim().toLowerCase();
    // One round trip: logins are looked up on every authentication.
    return executor
      .selectFrom('user_aliases')
      .innerJoin('users', 'users.id', 'user_aliases.user_id')
      .selectAll('users')
      .where('user_aliases.alias', '=', alias)
      .executeTakeFirst();
  }

  async function requireRow(executor: Kysely<Database>, key: unknown): Promise<Row<UsersTable>> {
    const row = await findRow(executor, key);
    if (row === undefined) {
      throw new NotFoundError('MIG_E_USER_NOT_FOUND', 'No user matches the given id, email, alias or DN; check the spelling or list the users.');
    }
    return row;
  }

  /** Refuses a DN, email or alias that another account (not `selfId`) already has. */
  async function assertFree(executor: Kysely<Database>, dn: string, email: string, aliases: readonly string[], selfId?: string): Promise<void> {
    let q = executor.selectFrom('users').select(['id', 'dn', 'email']).where((eb) => eb.or([eb('dn', '=', dn), eb('email', '=', email)]));
    if (selfId !== undefined) q = q.where('id', '!=', selfId);
    const clash = await q.executeTakeFirst();
    if (clash !== undefined) {
      const field = clash.email === email ? 'email' : 'dn';
      throw new ConflictError('MIG_E_USER_EXISTS', field === 'email'
        ? 'A user with this email address exists already; renew or edit that account instead.'
        : 'A user with this distinguished name exists already; renew or edit that account instead.', { details: { field } });
    }
    const names = [email, ...aliases];
    let aq = executor.selectFrom('user_aliases').select(['alias', 'user_id']).where('alias', 'in', names);
    if (selfId !== undefined) aq = aq.where('user_id', '!=', selfId);
    const taken = await aq.executeTakeFirst();
    if (taken !== undefined) {
      const field = taken.alias === email ? 'email' : 'aliases';
      throw new ConflictError('MIG_E_USER_EXISTS', `The login name ${field === 'email' ? 'given by this email address' : 'in aliases'} belongs to another user; choose another.`, {
        details: { field },
      });
    }
  }

  function conflictFromRace(err: unknown): unknown {
    return isUniqueViolation(err)
      ? new ConflictError('MIG_E_USER_EXISTS', 'A user with this distinguished name, email or alias was created at the same time; nothing was created.', { cause: err })
      : err;
  }

  function prepareCreate(input: unknown, passwordHashGiven: boolean): { prepared: Omit<PreparedUser, 'passwordHash'>; password: string | undefined } {
    const problems = new ProblemList();
    const schema = passwordHashGiven ? createUserInputSchema.omit({ password: true }) : createUserInputSchema;
    const data = problems.parse(schema, input, 'user');
    problems.throwIfAny('user');
    const d = data as CreateUserInput;
    const identity = prepareIdentity(d, problems);
    const comment = prepareComment(d.comment, problems);
    const roles = prepareRoles(d.roles, problems);
    const aliases = prepareAliases(d.aliases, identity?.parts.email ?? d.email.trim().toLowerCase(), problems);
    const password = passwordHashGiven ? undefined : preparePassword(d.password, problems);
    if (d.expiresAt !== undefined && d.validDays !== undefined) problems.add('validDays', 'give either expiresAt or validDays, not both');
    problems.throwIfAny('user');
    if (password !== undefined) assertPasswordPolicy(password, accounts.password_policy);
    const now = clock();
    const expiresAt = d.expiresAt !== undefined ? d.expiresAt : now + (d.validDays ?? accounts.valid_days) * DAY_MS;
    return {
      prepared: {
        parts: (identity as NonNullable<typeof identity>).parts,
        dn: (identity as NonNullable<typeof identity>).dn,
        comment,
        roles,
        aliases,
        status: d.status ?? 'active',
        expiresAt,
        acceptedTermsAt: d.acceptedTerms === true ? now : null,
        settings: mergeProtocols({ protocols: { ...DEFAULT_USER_SETTINGS.protocols } }, d.settings?.protocols),
      },
      password,
    };
  }

  async function insertUser(
    p: PreparedUser,
    within?: (trx: Kysely<Database>, userId: string) => Promise<void>,
  ): Promise<UserRecord> {
    const id = generateUserId();
    const now = clock();
    let home: string | undefined;
    try {
      const row = await db.transaction().execute(async (trx) => {
        await assertFree(trx, p.dn, p.parts.email, p.aliases);
        const values = {
          id,
          ...identityColumns(p),
          status: p.status,
          expires_at: p.expiresAt,
          created_at: now,
          renewed_at: null,
          updated_at: now,
          roles: JSON.stringify(p.roles),
          comment: p.comment,
          accepted_terms_at: p.acceptedTermsAt,
          password_hash: p.passwordHash,
          settings: JSON.stringify(p.settings),
        };
        await trx.insertInto('users').values(values).execute();
        await trx
          .insertInto('user_aliases')
          .values([{ alias: p.parts.email, user_id: id, kind: 'email' }, ...p.aliases.map((alias) => ({ alias, user_id: id, kind: 'short_id' }))])
          .execute();
        if (within !== undefined) await within(trx, id);
        // Last step inside the transaction: if it fails, the rows roll back; if the commit fails
        // after it, the folder is removed below.
        home = await createHomeFolder(homeRoot, id, options.welcome);
        return values;
      });
      return userRecordFromRow(row, [p.parts.email, ...p.aliases]);
    } catch (err) {
      if (home !== undefined) await removeHomeFolder(home).catch(() => undefined);
      throw dbError('create the user', conflictFromRace(err));
    }
  }

  async function updateRow(id: string, values: Partial<Omit<Row<UsersTable>, 'id'>>): Promise<UserRecord> {
    try {
      const now = clock();
      await db.updateTable('users').set({ ...values, updated_at: now }).where('id', '=', id).execute();
      const row = await rowById(db, id);
      if (row === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', 'The user was deleted meanwhile.');
      return await toRecord(db, row);
    } catch (err) {
      throw dbError('update the user', err);
    }
  }

  function withStatusNote(row: Row<UsersTable>, reason: string, now: number): string {
    const stored = parseStoredSettings(row.settings);
    const previous: UserStatus = isUserStatus(row.status) ? row.status : 'suspended';
    return JSON.stringify({ ...stored, statusNote: { reason, at: now, previous } });
  }

  function listQuery(filter: Omit<UserListFilter, 'limit' | 'offset'>) {
    let q = db.selectFrom('users');
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.role !== undefined) q = q.where(sql<boolean>`${sql.ref('roles')} like ${`%"${escapeLike(filter.role)}"%`} escape '\\'`);
    if (filter.search !== undefined && filter.search.trim() !== '') {
      const pattern = `%${escapeLike(filter.search.trim())}%`;
      // lower() folds ASCII on every database (non-ASCII only with a PostgreSQL locale that knows
      // it); the plain comparison keeps exact-case non-ASCII searches working everywhere.
      const like = (col: 'email' | 'full_name' | 'organization' | 'dn') => {
        const ref = sql.ref(col);
        return sql<boolean>`(lower(${ref}) like lower(${pattern}) escape '\\' or ${ref} like ${pattern} escape '\\')`;
      };
      q = q.where((eb) => eb.or([like('email'), like('full_name'), like('organization'), like('dn')]));
    }
    return q;
  }

  function parseFilter(filter: unknown, withPaging: boolean): UserListFilter {
    if (filter === undefined) return {};
    if (typeof filter !== 'object' || filter === null) throw new InvalidInputError('Invalid filter: must be an object.');
    const f = filter as Record<string, unknown>;
    const problems = new ProblemList();
    const allowed = withPaging ? ['status', 'search', 'role', 'limit', 'offset'] : ['status', 'search', 'role'];
    for (const k of Object.keys(f)) if (!allowed.includes(k)) problems.add(k, 'is not a known filter');
    if (f.status !== undefined && !isUserStatus(f.status)) problems.add('status', 'must be active, temporal, suspended or retired');
    if (f.search !== undefined && (typeof f.search !== 'string' || f.search.length > 256 || CONTROL.test(f.search))) {
      problems.add('search', 'must be text of at most 256 characters without control characters');
    }
    if (f.role !== undefined && (typeof f.role !== 'string' || !ROLE_PATTERN.test(f.role))) problems.add('role', 'must be a role name');
    const int = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
    if (f.limit !== undefined && !int(f.limit, 1, MAX_USER_LIST_LIMIT)) problems.add('limit', `must be a whole number from 1 to ${MAX_USER_LIST_LIMIT}`);
    if (f.offset !== undefined && !int(f.offset, 0, Number.MAX_SAFE_INTEGER)) problems.add('offset', 'must be a whole number ≥ 0');
    problems.throwIfAny('filter');
    return f as UserListFilter;
  }

  const store: UserStore = {
    async create(input) {
      const { prepared, password } = prepareCreate(input, false);
      const passwordHash = password === undefined ? null : await hashPassword(password);
      return insertUser({ ...prepared, passwordHash });
    },

    async edit(idOrLogin, changes) {
      const problems = new ProblemList();
      const data = problems.parse(editUserChangesSchema, changes, 'changes') as EditUserChanges | undefined;
      problems.throwIfAny('changes');
      const c = data as EditUserChanges;
      const row = await requireRow(db, idOrLogin);
      if (Object.values(c).every((v) => v === undefined)) return toRecord(db, row);
      const identityKeys = (['fullName', 'organization', 'organizationalUnit', 'locality', 'state', 'country', 'email'] as const)
        .filter((k) => c[k] !== undefined);
      const current = partsOfRow(row);
      let parts = current;
      let dn = row.dn;
      if (identityKeys.length > 0) {
        const canonical = canonicaliseDnParts({ ...current, ...c });
        // Unchanged fields keep their stored spelling: an imported DN is not re-canonicalised by an
        // unrelated edit, and only the changed fields are checked.
        const merged: Record<keyof DnParts, string> = { ...current };
        for (const k of identityKeys) merged[k] = canonical[k];
        const prepared = checkIdentity(merged, problems, new Set(identityKeys));
        if (prepared !== undefined) {
          parts = prepared.parts;
          dn = prepared.dn;
        }
      }
      const comment = c.comment === undefined ? row.comment : prepareComment(c.comment, problems);
      const roles = c.roles === undefined ? undefined : prepareRoles(c.roles, problems);
      const aliases = c.aliases === undefined ? undefined : prepareAliases(c.aliases, parts.email, problems);
      problems.throwIfAny('changes');
      const now = clock();
      const emailChanged = parts.email !== row.email;
      try {
        await db.transaction().execute(async (trx) => {
          const existing = await aliasesOf(trx, [row.id]);
          const keptAliases = aliases ?? (existing.get(row.id) ?? []).filter((a) => a !== row.email);
          await assertFree(trx, dn, parts.email, aliases ?? [], row.id);
          const settings = mergeProtocols(parseStoredSettings(row.settings), c.settings?.protocols);
          await trx.updateTable('users').set({
            ...identityColumns({ dn, parts }),
            comment,
            ...(roles === undefined ? {} : { roles: JSON.stringify(roles) }),
            ...(c.expiresAt === undefined ? {} : { expires_at: c.expiresAt }),
            ...(c.acceptedTerms === undefined ? {} : { accepted_terms_at: c.acceptedTerms ? now : null }),
            settings: JSON.stringify(settings),
            updated_at: now,
          }).where('id', '=', row.id).execute();
          if (emailChanged || aliases !== undefined) {
            await trx.deleteFrom('user_aliases').where('user_id', '=', row.id).execute();
            const extra = keptAliases.filter((a) => a !== parts.email);
            await trx
              .insertInto('user_aliases')
              .values([{ alias: parts.email, user_id: row.id, kind: 'email' }, ...extra.map((alias) => ({ alias, user_id: row.id, kind: 'short_id' }))])
              .execute();
          }
        });
      } catch (err) {
        throw dbError('edit the user', conflictFromRace(err));
      }
      return store.get(row.id);
    },

    async setPassword(id, password) {
      const userId = requireId(id, 'id');
      const problems = new ProblemList();
      if (password !== null && (typeof password !== 'string' || password.length > 1024)) {
        problems.add('password', 'must be text of at most 256 characters, or null to remove password login');
      }
      problems.throwIfAny('password');
      const given = preparePassword(password, problems);
      problems.throwIfAny('password');
      if (given !== undefined) assertPasswordPolicy(given, accounts.password_policy);
      const row = await rowById(db, userId);
      if (row === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', 'No user has this id.');
      const hash = given === undefined ? null : await hashPassword(given);
      return updateRow(userId, { password_hash: hash });
    },

    async delete(idOrLogin, deleteOptions = {}) {
      if (typeof deleteOptions !== 'object' || deleteOptions === null) throw new InvalidInputError('Invalid delete options: must be an object.');
      const keepHome = deleteOptions.keepHome === true;
      const purge = deleteOptions.purge === true;
      if (keepHome && purge) throw new InvalidInputError('Invalid delete options: keepHome and purge exclude each other; choose one.');
      const row = await requireRow(db, idOrLogin);
      const record = await toRecord(db, row);
      const now = clock();
      const movedTo = keepHome ? undefined : await moveHomeAside(homeRoot, deletedRoot, row.id, now);
      try {
        const deleted = await db.transaction().execute(async (trx) => {
          await trx.deleteFrom('user_aliases').where('user_id', '=', row.id).execute();
          const result = await trx.deleteFrom('users').where('id', '=', row.id).executeTakeFirst();
          return Number(result.numDeletedRows);
        });
        if (deleted === 0) throw new NotFoundError('MIG_E_USER_NOT_FOUND', 'The user was deleted meanwhile.');
      } catch (err) {
        if (movedTo !== undefined) await restoreHome(movedTo, homeRoot, row.id).catch(() => undefined);
        throw dbError('delete the user', err);
      }
      if (keepHome) return { user: record, keptHome: join(homeRoot, row.id) };
      if (movedTo !== undefined && purge) {
        // The account is gone either way; a folder we could not remove is reported as kept.
        const removed = await removeHomeFolder(movedTo).then(() => true, () => false);
        return { user: record, keptHome: removed ? undefined : movedTo };
      }
      return { user: record, keptHome: movedTo };
    },

    async renew(idOrLogin, renewOptions = {}) {
      const days = renewOptions?.days ?? accounts.renew_days;
      if (!(typeof days === 'number' && Number.isInteger(days) && days >= 1 && days <= 36_500)) {
        throw new InvalidInputError('Invalid days: must be a whole number from 1 to 36500.', { details: { problems: [{ path: 'days', message: 'must be 1-36500' }] } });
      }
      const row = await requireRow(db, idOrLogin);
      const now = clock();
      const expiresAt = row.expires_at === null ? null : Math.max(now, row.expires_at) + days * DAY_MS;
      return updateRow(row.id, { expires_at: expiresAt, renewed_at: now });
    },

    async suspend(idOrLogin, reason) {
      const why = reasonOrThrow(reason);
      const row = await requireRow(db, idOrLogin);
      if (row.status === 'suspended') return toRecord(db, row);
      if (row.status === 'retired') {
        throw new ConflictError('MIG_E_ACCOUNT_STATE', 'This account is retired; reactivate it first if it should be suspended instead.');
      }
      return updateRow(row.id, { status: 'suspended', settings: withStatusNote(row, why, clock()) });
    },

    async reactivate(idOrLogin) {
      const row = await requireRow(db, idOrLogin);
      if (row.status === 'active' || row.status === 'temporal') return toRecord(db, row);
      const previous = parseStoredSettings(row.settings).statusNote?.previous;
      const status: UserStatus = previous === 'temporal' ? 'temporal' : 'active';
      return updateRow(row.id, { status, settings: withStatusNote(row, '', clock()) });
    },

    async retire(idOrLogin, reason) {
      const why = reasonOrThrow(reason);
      const row = await requireRow(db, idOrLogin);
      if (row.status === 'retired') return toRecord(db, row);
      // Retiring a suspended account keeps what it was before the suspension, for a later reactivate.
      const previousNote = parseStoredSettings(row.settings).statusNote;
      const settings = row.status === 'suspended' && previousNote !== undefined
        ? JSON.stringify({ ...parseStoredSettings(row.settings), statusNote: { reason: why, at: clock(), previous: previousNote.previous } })
        : withStatusNote(row, why, clock());
      return updateRow(row.id, { status: 'retired', settings });
    },

    async get(id) {
      const userId = requireId(id, 'id');
      const row = await rowById(db, userId);
      if (row === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', 'No user has this id.');
      return toRecord(db, row);
    },

    async find(key) {
      const row = await findRow(db, key);
      return row === undefined ? undefined : toRecord(db, row);
    },

    async list(filter) {
      const f = parseFilter(filter, true);
      const rows = await listQuery(f)
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .limit(f.limit ?? DEFAULT_USER_LIST_LIMIT)
        .offset(f.offset ?? 0)
        .execute();
      return toRecords(db, rows);
    },

    async count(filter) {
      const f = parseFilter(filter, false);
      const row = await listQuery(f).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async expireDueAccounts() {
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where('status', 'in', ['active', 'temporal'])
        .where('expires_at', 'is not', null)
        .where('expires_at', '<=', clock())
        .orderBy('expires_at')
        .execute();
      return toRecords(db, rows);
    },

    async expiredAccounts() {
      return (await store.expireDueAccounts()).map((u) => u.id);
    },

    async sweepAbandonedHomes() {
      return sweepAbandonedHomeStaging(homeRoot, 3_600_000, clock());
    },

    async homeDir(id) {
      const userId = requireId(id, 'id');
      const row = await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst();
      if (row === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', 'No user has this id.');
      return join(homeRoot, userId);
    },

    async findByLogin(login) {
      if (typeof login !== 'string') throw new InvalidInputError('Invalid login: must be text.');
      if (login.length === 0 || login.length > 256 || CONTROL.test(login)) return undefined;
      let row: Row<UsersTable> | undefined;
      let name = login;
      if (loginAlias === 'user_id') {
        if (!isUserId(login)) return undefined;
        row = await rowById(db, login);
      } else {
        name = login.toLowerCase();
        const hit = await db.selectFrom('user_aliases').select('user_id').where('alias', '=', name).executeTakeFirst();
        row = hit === undefined ? undefined : await rowById(db, hit.user_id);
      }
      if (row === undefined) return undefined;
      return {
        id: row.id,
        login: name,
        status: isUserStatus(row.status) ? row.status : 'suspended',
        expiresAt: row.expires_at,
        passwordHash: row.password_hash,
        disabledProtocols: USER_PROTOCOLS.filter((name) => !parseStoredSettings(row.settings).protocols[name]),
      };
    },

    async updatePasswordHash(userId, hash) {
      const id = requireId(userId, 'userId');
      parsePasswordHash(hash);
      const result = await db.updateTable('users').set({ password_hash: hash, updated_at: clock() }).where('id', '=', id).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new NotFoundError('MIG_E_USER_NOT_FOUND', 'No user has this id.');
    },
  };

  internals.set(store, {
    async createWithPasswordHash(input, passwordHash, extra = {}) {
      const { prepared } = prepareCreate(input, true);
      if (passwordHash !== null) parsePasswordHash(passwordHash);
      const acceptedTermsAt = extra.acceptedTermsAt !== undefined ? extra.acceptedTermsAt : prepared.acceptedTermsAt;
      return insertUser({ ...prepared, acceptedTermsAt, passwordHash }, extra.within);
    },
  });
  return store;
}

