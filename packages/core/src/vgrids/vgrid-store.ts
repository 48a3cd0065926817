/**
 * The VGrid store: VGrids, their owners, members and resources (inherited downwards: an owner of
 * `A` owns `A/B`, a member of `A` is a member of `A/B`), requests to join, settings, and the
 * change generation that live file views read before every operation.
 *
 * Rules, as MiG's, with choices where MiG is silent or unsafe:
 * - **Create**: the name follows {@link checkVgridName}; the creator passes `[vgrids] creators`
 *   (site admins always may). A sub-VGrid needs its parent to exist, the creator to own the
 *   parent, and the parent not to be read-only (MiG refuses sub-VGrids under write-restricted
 *   ones). The creator becomes a direct owner unless they already own it through an ancestor (as
 *   MiG, where a sub-VGrid's owner list starts empty). Folders are made for the share and both web
 *   folders; a folder already there (e.g. a plain folder of that name in the parent's share) is
 *   refused, never adopted.
 * - **Manage** (participants, resources, settings, requests): owners (direct or inherited) who pass
 *   `[vgrids] managers`, and site admins. Anyone may remove themselves.
 * - **Last owner**: removing an owner that would leave the VGrid with no owner at all (no direct
 *   owner left and none through an ancestor) needs `force`, and then removes the VGrid.
 * - **Remove**: a VGrid with sub-VGrids is refused unless `force`, which removes the whole subtree.
 *   The same `force` covers both cases (removing the last owner of a VGrid with sub-VGrids removes
 *   them all). Folders are moved aside, never deleted (see `vgrid-folders.ts`).
 * - **Requests**: any signed-in user who lacks the role may ask; one pending request per user,
 *   VGrid and kind; the message is bounded (`[vgrids] request_message_max`). The first
 *   `requestRecipients` direct owners (by when they were added) of the VGrid, or of its nearest
 *   ancestor that has direct owners, are notified; a failed delivery is logged, never fatal.
 * - Every change is audit-logged and bumps the site-wide `vgrid_generation` counter in the same
 *   transaction, so every process sees it with a single-row read ({@link VgridStore.changeGeneration}).
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AuditLog } from '../auth/audit-log.js';
import type { Database } from '../db/schema.js';
import { ConflictError, InvalidInputError, MigError, NotFoundError, PolicyError } from '../errors.js';
import type { Notifier } from '../notify/notifier.js';
import { describePrincipal } from '../principal.js';
import { isUniqueViolation } from '../users/db-errors.js';
import type { UserRecord } from '../users/user-record.js';
import { matchesIdentityFilters, parseIdentityFilters, type IdentityFilter } from './identity-filter.js';
import { existingVgridFolder, makeVgridFolders, moveVgridFoldersAside, type VgridFolderPaths } from './vgrid-folders.js';
import { checkVgridName, vgridAncestors, vgridParent, VGRID_NAME_MAX_LENGTH } from './vgrid-name.js';
import type {
  VgridActor, VgridMembership, VgridParticipant, VgridRecord, VgridRemoval, VgridRequest, VgridRequestKind, VgridRequestStatus, VgridResource, VgridRole,
} from './vgrid-record.js';
import { decisionNotice, requestNotice } from './vgrid-request-notice.js';
import {
  applyVgridSettings, checkVgridSettingsPatch, DEFAULT_VGRID_SETTINGS, vgridSettingsFromJson, type VgridSettings, type VgridSettingsPatch,
} from './vgrid-settings.js';

/** The name of the counter every VGrid change bumps (table `counters`). */
export const VGRID_GENERATION_COUNTER = 'vgrid_generation';

/** The VGrid store. Every mutating call names its actor; reads are for callers that decided already. */
export interface VgridStore {
  /** @throws NotFoundError `MIG_E_VGRID_NOT_FOUND` */
  get(name: string): Promise<VgridRecord>;
  /** The VGrid, or `undefined`. */
  find(name: string): Promise<VgridRecord | undefined>;
  /**
   * VGrids by name. `under`: only those below that VGrid. `visibleTo`: hidden VGrids are left out
   * unless that actor participates (or is a site admin).
   */
  list(options?: { readonly under?: string; readonly visibleTo?: VgridActor }): Promise<VgridRecord[]>;
  /** Creates a VGrid (see the module rules). */
  create(input: { readonly actor: VgridActor; readonly name: string; readonly settings?: VgridSettingsPatch }): Promise<VgridRecord>;
  /** Removes a VGrid; `force` also removes its sub-VGrids. Folders are moved aside. */
  remove(name: string, options: { readonly actor: VgridActor; readonly force?: boolean }): Promise<VgridRemoval>;
  /** The user's role with inheritance, or `null` (also for an unknown VGrid). */
  roleOf(userId: string, name: string): Promise<VgridRole | null>;
  /** Every VGrid the user takes part in, directly or through an ancestor, by name. */
  vgridsOf(userId: string): Promise<readonly VgridMembership[]>;
  /**
   * A string that changes whenever any user's VGrid roots or access could have changed, in any
   * process sharing the database (one single-row read). The `userId` is accepted for a future
   * per-user counter; today the counter is site-wide.
   */
  changeGeneration(userId: string): Promise<string>;
  /** Owners and members with inheritance (owners first, then by when they were added). */
  participants(name: string): Promise<VgridParticipant[]>;
  addOwner(name: string, userId: string, options: { readonly actor: VgridActor }): Promise<void>;
  /** Removing the last owner needs `force` and removes the VGrid (and, the same flag, its sub-VGrids). */
  removeOwner(name: string, userId: string, options: { readonly actor: VgridActor; readonly force?: boolean }): Promise<VgridRemoval | null>;
  addMember(name: string, userId: string, options: { readonly actor: VgridActor }): Promise<void>;
  removeMember(name: string, userId: string, options: { readonly actor: VgridActor }): Promise<void>;
  /** Resources allowed to run the VGrid's jobs, with inheritance. */
  resources(name: string): Promise<VgridResource[]>;
  addResource(name: string, resourceId: string, options: { readonly actor: VgridActor }): Promise<void>;
  removeResource(name: string, resourceId: string, options: { readonly actor: VgridActor }): Promise<void>;
  /** Changes settings (managing owners and admins). */
  updateSettings(name: string, patch: VgridSettingsPatch, options: { readonly actor: VgridActor }): Promise<VgridRecord>;
  /** Asks to become member or owner; notifies owners. */
  request(name: string, input: { readonly actor: VgridActor; readonly kind: VgridRequestKind; readonly message?: string }): Promise<{ request: VgridRequest; notified: readonly string[] }>;
  /** A VGrid's requests (managing owners and admins), newest first. */
  listRequests(name: string, options: { readonly actor: VgridActor; readonly status?: VgridRequestStatus }): Promise<VgridRequest[]>;
  /** A user's own requests, newest first. */
  requestsOf(userId: string): Promise<VgridRequest[]>;
  /** Accepts a pending request: the requester gets the role. */
  acceptRequest(id: string, options: { readonly actor: VgridActor }): Promise<VgridRequest>;
  /** Rejects a pending request. */
  rejectRequest(id: string, options: { readonly actor: VgridActor }): Promise<VgridRequest>;
}

/** The part of the user store the VGrid store needs (`site.users` fits). */
export interface VgridUserLookup {
  /** @throws NotFoundError `MIG_E_USER_NOT_FOUND` */
  get(id: string): Promise<UserRecord>;
}

/** A logger for failed notifications and folder moves (pino fits). */
export interface VgridStoreLogger {
  warn(obj: object, msg: string): void;
}

/** Options of {@link createVgridStore}. */
export interface VgridStoreOptions {
  readonly db: Kysely<Database>;
  readonly users: VgridUserLookup;
  readonly folders: VgridFolderPaths;
  /** Names no level of a VGrid name may have (`[files] hidden_names`). */
  readonly hiddenNames?: readonly string[];
  /** `[vgrids] creators` (default: everybody). */
  readonly creators?: readonly string[];
  /** `[vgrids] managers` (default: every owner). */
  readonly managers?: readonly string[];
  /** `[vgrids] label` (default `VGrid`). */
  readonly label?: string;
  /** `[vgrids] request_message_max` (default 4096). */
  readonly requestMessageMax?: number;
  readonly notifier?: Notifier;
  readonly audit?: AuditLog;
  readonly logger?: VgridStoreLogger;
  /** Clock (epoch ms) for tests. */
  readonly now?: () => number;
}

interface ActorInfo {
  readonly desc: string;
  readonly userId: string | null;
  readonly admin: boolean;
  readonly user: UserRecord | undefined;
}

const ROLE_RANK: Record<VgridRole, number> = { member: 1, owner: 2 };
const USER_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const REQUEST_ID = /^[0-9a-f]{32}$/;

function better(a: VgridRole | null, b: VgridRole): VgridRole {
  return a === null || ROLE_RANK[b] > ROLE_RANK[a] ? b : a;
}

function notAllowed(message: string): PolicyError {
  return new PolicyError('MIG_E_VGRID_NOT_ALLOWED', message);
}

function requireUserId(userId: unknown): string {
  if (typeof userId !== 'string' || !USER_ID.test(userId)) throw new InvalidInputError('Invalid user id.', { details: { field: 'userId' } });
  return userId;
}

/** A lenient check for lookups: a string that could be a VGrid name (unknown names just find nothing). */
function lookupName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > VGRID_NAME_MAX_LENGTH) {
    throw new InvalidInputError('Invalid VGrid name.', { code: 'MIG_E_VGRID_NAME', details: { field: 'name' } });
  }
  return name;
}

interface VgridRow {
  name: string;
  parent: string | null;
  settings: string;
  created_at: number | string;
  created_by: string;
  updated_at: number | string;
}

function toRecord(row: VgridRow): VgridRecord {
  return {
    name: row.name,
    parent: row.parent,
    settings: vgridSettingsFromJson(row.settings),
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
    updatedAt: Number(row.updated_at),
  };
}

interface RequestRow {
  id: string;
  vgrid: string;
  user_id: string;
  kind: string;
  message: string;
  status: string;
  created_at: number | string;
  decided_at: number | string | null;
  decided_by: string | null;
}

function toRequest(row: RequestRow): VgridRequest {
  return {
    id: row.id,
    vgrid: row.vgrid,
    userId: row.user_id,
    kind: row.kind === 'owner' ? 'owner' : 'member',
    message: row.message,
    status: row.status as VgridRequestStatus,
    createdAt: Number(row.created_at),
    decidedAt: row.decided_at === null ? null : Number(row.decided_at),
    decidedBy: row.decided_by,
  };
}

async function bumpGeneration(trx: Transaction<Database>): Promise<void> {
  await trx
    .insertInto('counters')
    .values({ name: VGRID_GENERATION_COUNTER, value: 1 })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: sql<number>`counters.value + 1` }))
    .execute();
}

/**
 * Creates the VGrid store over the site database.
 *
 * @example
 * ```ts
 * const vgrids = createVgridStore({ db, users, folders: { filesHome, privateBase, publicBase, removedHome } });
 * await vgrids.create({ actor: { kind: 'user', userId }, name: 'Physics' });
 * ```
 */
export function createVgridStore(options: VgridStoreOptions): VgridStore {
  const { db, users, folders } = options;
  const now = options.now ?? Date.now;
  const label = options.label ?? 'VGrid';
  const hiddenNames = options.hiddenNames ?? [];
  const creators: IdentityFilter[] = parseIdentityFilters(options.creators ?? []);
  const managers: IdentityFilter[] = parseIdentityFilters(options.managers ?? []);
  const messageMax = options.requestMessageMax ?? 4096;

  async function audit(actor: ActorInfo, action: string, target: string, details?: Record<string, unknown>): Promise<void> {
    await options.audit?.record({ actor: actor.desc, action, target, outcome: 'success', ...(details === undefined ? {} : { details }) });
  }

  async function actorInfo(actor: VgridActor): Promise<ActorInfo> {
    if (typeof actor !== 'object' || actor === null) throw new InvalidInputError('An actor is required.', { details: { field: 'actor' } });
    if (actor.kind === 'admin') {
      const userId = actor.userId === null ? null : requireUserId(actor.userId);
      return { desc: describePrincipal(actor), userId, admin: true, user: undefined };
    }
    if (actor.kind !== 'user') throw notAllowed(`Only signed-in users and admins can act on ${label}s.`);
    const user = await users.get(requireUserId(actor.userId));
    return { desc: describePrincipal(actor), userId: user.id, admin: user.roles.includes('admin'), user };
  }

  async function find(name: string): Promise<VgridRecord | undefined> {
    const row = await db.selectFrom('vgrids').selectAll().where('name', '=', lookupName(name)).executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  async function get(name: string): Promise<VgridRecord> {
    const found = await find(name);
    if (found === undefined) throw new NotFoundError('MIG_E_VGRID_NOT_FOUND', `No such ${label}; check the name (names are case-sensitive).`, { details: { name } });
    return found;
  }

  async function roleOf(userId: string, name: string): Promise<VgridRole | null> {
    const rows = await db
      .selectFrom('vgrid_participants')
      .select(['role'])
      .where('user_id', '=', requireUserId(userId))
      .where('vgrid', 'in', [lookupName(name), ...vgridAncestors(name)])
      .execute();
    let role: VgridRole | null = null;
    for (const r of rows) role = better(role, r.role === 'owner' ? 'owner' : 'member');
    return role;
  }

  /** Managing owners and admins pass; everyone else is refused. */
  async function requireManager(actor: ActorInfo, name: string, what: string): Promise<void> {
    if (actor.admin) return;
    const role = actor.userId === null ? null : await roleOf(actor.userId, name);
    if (role !== 'owner') throw notAllowed(`Only owners of the ${label} may ${what}.`);
    if (actor.user !== undefined && !matchesIdentityFilters(actor.user, managers)) {
      throw notAllowed(`This site lets only some owners manage ${label}s (the [vgrids] managers setting); ask a site admin.`);
    }
  }

  /** Whether the VGrid keeps some owner (direct or through an ancestor) once `without` is gone. */
  async function hasOtherOwner(name: string, without: string): Promise<boolean> {
    const row = await db
      .selectFrom('vgrid_participants')
      .select('user_id')
      .where('vgrid', 'in', [name, ...vgridAncestors(name)])
      .where('role', '=', 'owner')
      .where((eb) => eb.or([eb('vgrid', '!=', name), eb('user_id', '!=', without)]))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async function removeTree(actor: ActorInfo, name: string, reason: string): Promise<VgridRemoval> {
    const removed = await db.transaction().execute(async (trx) => {
      const below = await trx.selectFrom('vgrid_lineage').select('vgrid').where('ancestor', '=', name).execute();
      const names = below.map((r) => r.vgrid);
      if (!names.includes(name)) names.push(name);
      await trx.deleteFrom('vgrids').where('name', 'in', names).execute();
      await bumpGeneration(trx);
      return names.sort();
    });
    const moved = await moveVgridFoldersAside(folders, name, now());
    if (moved.notMoved.length > 0) options.logger?.warn({ vgrid: name, notMoved: moved.notMoved }, 'could not move the folders of a removed VGrid aside; they were left where they were');
    await audit(actor, 'vgrid.remove', name, { removed, movedTo: moved.movedTo, reason });
    return { removed, movedTo: moved.movedTo, notMoved: moved.notMoved };
  }

  async function participantRow(name: string, userId: string): Promise<{ role: string } | undefined> {
    return db.selectFrom('vgrid_participants').select('role').where('vgrid', '=', name).where('user_id', '=', userId).executeTakeFirst();
  }

  async function addParticipant(actor: ActorInfo, name: string, userId: string, role: VgridRole): Promise<void> {
    const current = await roleOf(userId, name);
    const direct = await participantRow(name, userId);
    if (current === 'owner' || (current === 'member' && role === 'member')) {
      const through = direct === undefined ? ' through a parent' : '';
      throw new ConflictError('MIG_E_VGRID_PARTICIPANT_EXISTS', `That user is already ${current === 'owner' ? 'an owner' : 'a member'} of the ${label}${through}.`);
    }
    await db.transaction().execute(async (trx) => {
      if (direct !== undefined) {
        // A direct member becomes owner: one row, one role.
        await trx.updateTable('vgrid_participants').set({ role, added_at: now(), added_by: actor.desc }).where('vgrid', '=', name).where('user_id', '=', userId).execute();
      } else {
        await trx.insertInto('vgrid_participants').values({ vgrid: name, user_id: userId, role, added_at: now(), added_by: actor.desc }).execute();
      }
      await bumpGeneration(trx);
    }).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw new ConflictError('MIG_E_VGRID_PARTICIPANT_EXISTS', `That user was just added to the ${label}.`);
      throw err;
    });
  }

  async function notify(message: Parameters<Notifier['send']>[0]): Promise<boolean> {
    if (options.notifier === undefined) return false;
    try {
      await options.notifier.send(message);
      return true;
    } catch (err) {
      options.logger?.warn({ err, topic: message.topic }, 'could not send a VGrid notification');
      return false;
    }
  }

  async function decide(id: string, actorIn: VgridActor, accept: boolean): Promise<VgridRequest> {
    if (typeof id !== 'string' || !REQUEST_ID.test(id)) throw new InvalidInputError('Invalid request id.', { details: { field: 'id' } });
    const actor = await actorInfo(actorIn);
    const row = await db.selectFrom('vgrid_requests').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new NotFoundError('MIG_E_VGRID_REQUEST_NOT_FOUND', 'No such request; it may have been withdrawn or its VGrid removed.');
    const request = toRequest(row);
    await requireManager(actor, request.vgrid, 'decide on requests');
    if (request.status !== 'pending') throw new ConflictError('MIG_E_VGRID_REQUEST_EXISTS', `The request was ${request.status} already.`);
    const at = now();
    const decided = await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('vgrid_requests')
        .set({ status: accept ? 'accepted' : 'rejected', open: null, decided_at: at, decided_by: actor.desc })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new ConflictError('MIG_E_VGRID_REQUEST_EXISTS', 'The request was decided meanwhile.');
      if (accept) {
        const held = await trx
          .selectFrom('vgrid_participants')
          .select(['vgrid', 'role'])
          .where('vgrid', 'in', [request.vgrid, ...vgridAncestors(request.vgrid)])
          .where('user_id', '=', request.userId)
          .execute();
        const direct = held.find((h) => h.vgrid === request.vgrid);
        let current: VgridRole | null = null;
        for (const r of held) current = better(current, r.role === 'owner' ? 'owner' : 'member');
        if (current === null || ROLE_RANK[request.kind] > ROLE_RANK[current]) {
          if (direct === undefined) {
            await trx.insertInto('vgrid_participants').values({ vgrid: request.vgrid, user_id: request.userId, role: request.kind, added_at: at, added_by: actor.desc }).execute();
          } else {
            await trx.updateTable('vgrid_participants').set({ role: request.kind, added_at: at, added_by: actor.desc }).where('vgrid', '=', request.vgrid).where('user_id', '=', request.userId).execute();
          }
        }
      }
      await bumpGeneration(trx);
      return { ...request, status: accept ? 'accepted' : 'rejected', decidedAt: at, decidedBy: actor.desc } as VgridRequest;
    });
    await audit(actor, accept ? 'vgrid.request.accept' : 'vgrid.request.reject', request.vgrid, { request: id, userId: request.userId, kind: request.kind });
    const requester = await users.get(request.userId).catch(() => undefined);
    if (requester !== undefined) await notify(decisionNotice(label, decided, requester.email));
    return decided;
  }

  const store: VgridStore = {
    get,
    find,

    async list(listOptions = {}) {
      let q = db.selectFrom('vgrids').selectAll('vgrids');
      if (listOptions.under !== undefined) {
        const under = lookupName(listOptions.under);
        q = q.innerJoin('vgrid_lineage', 'vgrid_lineage.vgrid', 'vgrids.name').where('vgrid_lineage.ancestor', '=', under).where('vgrid_lineage.depth', '>', 0);
      }
      const rows = (await q.orderBy('vgrids.name').execute()).map(toRecord);
      if (listOptions.visibleTo === undefined) return rows;
      const actor = await actorInfo(listOptions.visibleTo);
      if (actor.admin) return rows;
      const mine = new Set(actor.userId === null ? [] : (await store.vgridsOf(actor.userId)).map((m) => m.name));
      return rows.filter((r) => !r.settings.hidden || mine.has(r.name));
    },

    async create(input) {
      const actor = await actorInfo(input.actor);
      const name = checkVgridName(input.name, { hiddenNames });
      const patch = input.settings === undefined ? {} : checkVgridSettingsPatch(input.settings);
      if (!actor.admin && actor.user !== undefined && !matchesIdentityFilters(actor.user, creators)) {
        throw notAllowed(`This site lets only some users create ${label}s (the [vgrids] creators setting); ask a site admin.`);
      }
      const parent = vgridParent(name);
      let ownsThroughParent = false;
      if (parent !== null) {
        const parentRecord = await find(parent);
        if (parentRecord === undefined) throw new NotFoundError('MIG_E_VGRID_NOT_FOUND', `The parent ${label} does not exist; create it first.`, { details: { name: parent } });
        const role = actor.userId === null ? null : await roleOf(actor.userId, parent);
        ownsThroughParent = role === 'owner';
        if (!ownsThroughParent && !actor.admin) throw notAllowed(`Only owners of the parent ${label} may create a ${label} under it.`);
        if (parentRecord.settings.readOnly) throw notAllowed(`No ${label} can be created under a read-only one (its members cannot write its shared folder).`);
      }
      if (await find(name) !== undefined) throw new ConflictError('MIG_E_VGRID_EXISTS', `A ${label} of that name exists already.`);
      if (await existingVgridFolder(folders, name) !== undefined) {
        throw new ConflictError('MIG_E_VGRID_EXISTS', `A folder of that name exists already${parent === null ? '' : ` in the parent ${label}'s shared folder`}; rename it first or choose another name.`);
      }
      const at = now();
      const settings = applyVgridSettings(DEFAULT_VGRID_SETTINGS, patch);
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('vgrids').values({ name, parent, settings: JSON.stringify(settings), created_at: at, created_by: actor.desc, updated_at: at }).execute();
        const lineage = parent === null ? [] : await trx.selectFrom('vgrid_lineage').select(['ancestor', 'depth']).where('vgrid', '=', parent).execute();
        await trx.insertInto('vgrid_lineage').values([{ ancestor: name, vgrid: name, depth: 0 }, ...lineage.map((l) => ({ ancestor: l.ancestor, vgrid: name, depth: Number(l.depth) + 1 }))]).execute();
        if (actor.userId !== null && !ownsThroughParent) {
          await trx.insertInto('vgrid_participants').values({ vgrid: name, user_id: actor.userId, role: 'owner', added_at: at, added_by: actor.desc }).execute();
        }
        await bumpGeneration(trx);
      }).catch((err: unknown) => {
        if (isUniqueViolation(err)) throw new ConflictError('MIG_E_VGRID_EXISTS', `A ${label} of that name was just created.`);
        throw err;
      });
      try {
        await makeVgridFolders(folders, name);
      } catch (err) {
        await db.transaction().execute(async (trx) => {
          await trx.deleteFrom('vgrids').where('name', '=', name).execute();
          await bumpGeneration(trx);
        });
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ConflictError('MIG_E_VGRID_EXISTS', 'A folder of that name was just made; rename it first or choose another name.');
        throw new MigError('MIG_E_INTERNAL', `Could not make the ${label}'s folders; check that the state folder is writable.`, { cause: err });
      }
      await audit(actor, 'vgrid.create', name, { owner: actor.userId !== null && !ownsThroughParent ? actor.userId : null });
      return get(name);
    },

    async remove(name, removeOptions) {
      const actor = await actorInfo(removeOptions.actor);
      await get(name);
      await requireManager(actor, name, 'remove it');
      const children = await db.selectFrom('vgrids').select('name').where('parent', '=', name).execute();
      if (children.length > 0 && removeOptions.force !== true) {
        throw notAllowed(`The ${label} has ${children.length} sub-${label}(s); remove them first, or remove with force to remove them all.`);
      }
      return removeTree(actor, name, 'removed');
    },

    roleOf,

    async vgridsOf(userId) {
      const rows = await db
        .selectFrom('vgrid_participants as p')
        .innerJoin('vgrid_lineage as l', 'l.ancestor', 'p.vgrid')
        .innerJoin('vgrids as v', 'v.name', 'l.vgrid')
        .select(['l.vgrid as name', 'p.vgrid as via', 'p.role as role', 'l.depth as depth', 'v.settings as settings'])
        .where('p.user_id', '=', requireUserId(userId))
        .execute();
      const best = new Map<string, { role: VgridRole; via: string; depth: number; settings: string }>();
      for (const r of rows) {
        const role: VgridRole = r.role === 'owner' ? 'owner' : 'member';
        const depth = Number(r.depth);
        const seen = best.get(r.name);
        if (seen === undefined || ROLE_RANK[role] > ROLE_RANK[seen.role] || (role === seen.role && depth < seen.depth)) {
          best.set(r.name, { role, via: r.via, depth, settings: r.settings });
        }
      }
      const parsed = new Map<string, VgridSettings>();
      return [...best.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, b]) => {
          let settings = parsed.get(b.settings);
          if (settings === undefined) {
            settings = vgridSettingsFromJson(b.settings);
            parsed.set(b.settings, settings);
          }
          return { name, role: b.role, inherited: b.depth > 0, via: b.via, settings };
        });
    },

    async changeGeneration() {
      const row = await db.selectFrom('counters').select('value').where('name', '=', VGRID_GENERATION_COUNTER).executeTakeFirst();
      return row === undefined ? '0' : String(row.value);
    },

    async participants(name) {
      const names = [lookupName(name), ...vgridAncestors(name)];
      const rows = await db.selectFrom('vgrid_participants').selectAll().where('vgrid', 'in', names).execute();
      const byUser = new Map<string, VgridParticipant>();
      for (const r of rows) {
        const role: VgridRole = r.role === 'owner' ? 'owner' : 'member';
        const p: VgridParticipant = { userId: r.user_id, role, via: r.vgrid, inherited: r.vgrid !== name, addedAt: Number(r.added_at), addedBy: r.added_by };
        const seen = byUser.get(r.user_id);
        if (seen === undefined || ROLE_RANK[role] > ROLE_RANK[seen.role] || (role === seen.role && r.vgrid.length > seen.via.length)) byUser.set(r.user_id, p);
      }
      return [...byUser.values()].sort((a, b) => ROLE_RANK[b.role] - ROLE_RANK[a.role] || a.addedAt - b.addedAt || (a.userId < b.userId ? -1 : 1));
    },

    async addOwner(name, userId, opts) {
      const actor = await actorInfo(opts.actor);
      await get(name);
      await requireManager(actor, name, 'add owners');
      const user = await users.get(requireUserId(userId));
      await addParticipant(actor, name, user.id, 'owner');
      await audit(actor, 'vgrid.owner.add', name, { userId: user.id });
    },

    async removeOwner(name, userId, opts) {
      const actor = await actorInfo(opts.actor);
      await get(name);
      const target = requireUserId(userId);
      if (actor.userId !== target) await requireManager(actor, name, 'remove owners');
      const direct = await participantRow(name, target);
      if (direct?.role !== 'owner') {
        const role = await roleOf(target, name);
        if (role === 'owner') throw notAllowed(`That user owns the ${label} through a parent ${label}; remove them there.`);
        throw new NotFoundError('MIG_E_VGRID_PARTICIPANT_NOT_FOUND', `That user is not an owner of the ${label}.`);
      }
      if (!(await hasOtherOwner(name, target))) {
        if (opts.force !== true) {
          throw new ConflictError('MIG_E_VGRID_LAST_OWNER', `That is the last owner of the ${label}; removing them removes the ${label} (and any sub-${label}s), so it needs force.`);
        }
        return removeTree(actor, name, 'last owner removed');
      }
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('vgrid_participants').where('vgrid', '=', name).where('user_id', '=', target).where('role', '=', 'owner').execute();
        await bumpGeneration(trx);
      });
      await audit(actor, 'vgrid.owner.remove', name, { userId: target });
      return null;
    },

    async addMember(name, userId, opts) {
      const actor = await actorInfo(opts.actor);
      await get(name);
      await requireManager(actor, name, 'add members');
      const user = await users.get(requireUserId(userId));
      await addParticipant(actor, name, user.id, 'member');
      await audit(actor, 'vgrid.member.add', name, { userId: user.id });
    },

    async removeMember(name, userId, opts) {
      const actor = await actorInfo(opts.actor);
      await get(name);
      const target = requireUserId(userId);
      if (actor.userId !== target) await requireManager(actor, name, 'remove members');
      const direct = await participantRow(name, target);
      if (direct?.role !== 'member') {
        const role = await roleOf(target, name);
        if (role === 'member') throw notAllowed(`That user is a member through a parent ${label}; remove them there.`);
        throw new NotFoundError('MIG_E_VGRID_PARTICIPANT_NOT_FOUND', `That user is not a member of the ${label}${role === 'owner' ? ' (they are an owner)' : ''}.`);
      }
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('vgrid_participants').where('vgrid', '=', name).where('user_id', '=', target).where('role', '=', 'member').execute();
        await bumpGeneration(trx);
      });
      await audit(actor, 'vgrid.member.remove', name, { userId: target });
    },

    async resources(name) {
      const names = [lookupName(name), ...vgridAncestors(name)];
      const rows = await db.selectFrom('vgrid_resources').selectAll().where('vgrid', 'in', names).execute();
      const byId = new Map<string, VgridResource>();
      for (const r of rows) {
        const seen = byId.get(r.resource_id);
        if (seen === undefined || r.vgrid.length > seen.via.length) {
          byId.set(r.resource_id, { resourceId: r.resource_id, via: r.vgrid, inherited: r.vgrid !== name, addedAt: Number(r.added_at), addedBy: r.added_by });
        }
      }
      return [...byId.values()].sort((a, b) => (a.resourceId < b.resourceId ? -1 : 1));
    },

    async addResource(name, resourceId, opts) {
      const actor = await actorInfo(opts.actor);
      await get(name);
      await requireManager(actor, name, 'add resources');
      if (typeof resourceId !== 'string' || resourceId.length === 0 || resourceId.length > 64) throw new InvalidInputError('Invalid resource id.', { details: { field: 'resourceId' } });
      const resource = await db.selectFrom('resources').select('id').where('id', '=', resourceId).executeTakeFirst();
      if (resource === undefined) throw new NotFoundError('MIG_E_RESOURCE_NOT_FOUND', 'No such resource.');
      if ((await store.resources(name)).some((r) => r.resourceId === resourceId)) throw new ConflictError('MIG_E_VGRID_PARTICIPANT_EXISTS', `The resource is in the ${label} already.`);
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('vgrid_resources').values({ vgrid: name, resource_id: resourceId, added_at: now(), added_by: actor.desc }).execute();
        await bumpGeneration(trx);
      }).catch((err: unknown) => {
        if (isUniqueViolation(err)) throw new ConflictError('MIG_E_VGRID_PARTICIPANT_EXISTS', `The resource is in the ${label} already.`);
        throw err;
      });
      await audit(actor, 'vgrid.resource.add', name, { resourceId });
    },

    async removeResource(name, resourceId, opts) {
      const actor = await actorInfo(opts.actor);
      await get(name);
      await requireManager(actor, name, 'remove resources');
      const deleted = await db.transaction().execute(async (trx) => {
        const r = await trx.deleteFrom('vgrid_resources').where('vgrid', '=', name).where('resource_id', '=', String(resourceId)).executeTakeFirst();
        if (Number(r.numDeletedRows) > 0) await bumpGeneration(trx);
        return Number(r.numDeletedRows);
      });
      if (deleted === 0) throw new NotFoundError('MIG_E_VGRID_PARTICIPANT_NOT_FOUND', `The resource is not in the ${label} (or is there through a parent ${label}).`);
      await audit(actor, 'vgrid.resource.remove', name, { resourceId: String(resourceId) });
    },

    async updateSettings(name, patch, opts) {
      const actor = await actorInfo(opts.actor);
      const record = await get(name);
      await requireManager(actor, name, 'change its settings');
      const checked = checkVgridSettingsPatch(patch);
      const settings = applyVgridSettings(record.settings, checked);
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('vgrids').set({ settings: JSON.stringify(settings), updated_at: now() }).where('name', '=', name).execute();
        await bumpGeneration(trx);
      });
      await audit(actor, 'vgrid.settings.update', name, { changed: Object.keys(checked) });
      return get(name);
    },

    async request(name, input) {
      const actor = await actorInfo(input.actor);
      if (actor.user === undefined) throw notAllowed(`Only signed-in users can ask to join a ${label}.`);
      const vgrid = await get(name);
      const kind: VgridRequestKind = input.kind === 'owner' ? 'owner' : input.kind === 'member' ? 'member' : (() => {
        throw new InvalidInputError('A request is for "member" or "owner".', { details: { field: 'kind' } });
      })();
      const message = input.message ?? '';
      if (typeof message !== 'string' || message.length > messageMax) {
        throw new InvalidInputError(`A request message is at most ${messageMax} characters.`, { code: 'MIG_E_TOO_LARGE', details: { field: 'message' } });
      }
      if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(message)) throw new InvalidInputError('A request message must not contain control characters other than line breaks and tabs.', { details: { field: 'message' } });
      const current = await roleOf(actor.user.id, name);
      if (current !== null && ROLE_RANK[current] >= ROLE_RANK[kind]) {
        throw new ConflictError('MIG_E_VGRID_PARTICIPANT_EXISTS', `You are already ${current === 'owner' ? 'an owner' : 'a member'} of the ${label}.`);
      }
      const row = {
        id: randomBytes(16).toString('hex'),
        vgrid: vgrid.name,
        user_id: actor.user.id,
        kind,
        message,
        status: 'pending',
        open: 1,
        created_at: now(),
        decided_at: null,
        decided_by: null,
      };
      await db.insertInto('vgrid_requests').values(row).execute().catch((err: unknown) => {
        if (isUniqueViolation(err)) throw new ConflictError('MIG_E_VGRID_REQUEST_EXISTS', `You asked already; the ${label}'s owners have not decided yet.`);
        throw err;
      });
      const request = toRequest(row);
      await audit(actor, 'vgrid.request.create', vgrid.name, { request: request.id, kind });
      // The owners of the VGrid itself, or of the nearest ancestor that has direct owners.
      const path = [vgrid.name, ...vgridAncestors(vgrid.name)];
      const owners = await db.selectFrom('vgrid_participants').select(['vgrid', 'user_id', 'added_at']).where('vgrid', 'in', path).where('role', '=', 'owner').execute();
      const nearest = path.find((n) => owners.some((o) => o.vgrid === n));
      const recipients = owners
        .filter((o) => o.vgrid === nearest)
        .sort((a, b) => Number(a.added_at) - Number(b.added_at) || (a.user_id < b.user_id ? -1 : 1))
        .slice(0, vgrid.settings.requestRecipients);
      const notified: string[] = [];
      for (const o of recipients) {
        const owner = await users.get(o.user_id).catch(() => undefined);
        if (owner !== undefined && (await notify(requestNotice(label, request, { fullName: actor.user.fullName, email: actor.user.email }, owner.email)))) notified.push(owner.email);
      }
      return { request, notified };
    },

    async listRequests(name, opts) {
      const actor = await actorInfo(opts.actor);
      await get(name);
      await requireManager(actor, name, 'see its requests');
      let q = db.selectFrom('vgrid_requests').selectAll().where('vgrid', '=', name);
      if (opts.status !== undefined) q = q.where('status', '=', opts.status);
      return (await q.orderBy('created_at', 'desc').orderBy('id').execute()).map(toRequest);
    },

    async requestsOf(userId) {
      const rows = await db.selectFrom('vgrid_requests').selectAll().where('user_id', '=', requireUserId(userId)).orderBy('created_at', 'desc').orderBy('id').execute();
      return rows.map(toRequest);
    },

    acceptRequest: (id, opts) => decide(id, opts.actor, true),
    rejectRequest: (id, opts) => decide(id, opts.actor, false),
  };
  return store;
}
