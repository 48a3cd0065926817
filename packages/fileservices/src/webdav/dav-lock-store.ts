/**
 * WebDAV write locks in the database table `dav_locks`, shared by every WebDAV process of the
 * site. Expired locks are ignored and swept lazily.
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '@migrid/core';
import { sql, type Kysely } from 'kysely';
import { ancestorKeys, descendantPrefix, escapeLike } from './dav-resource-key.js';

/** One active lock. */
export interface DavLock {
  /** `opaquelocktoken:<uuid>`. */
  readonly token: string;
  /** Key of the locked resource (the lock root). */
  readonly resource: string;
  readonly scope: 'exclusive' | 'shared';
  readonly depth: '0' | 'infinity';
  /** The client's `<D:owner>` element as XML, or `''`. */
  readonly owner: string;
  /** Who took it, e.g. `user:<id>`. */
  readonly principal: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

type Row = Database['dav_locks'];

function toLock(r: { [K in keyof Row]: Row[K] }): DavLock {
  return {
    token: r.token,
    resource: r.resource,
    scope: r.scope === 'shared' ? 'shared' : 'exclusive',
    depth: r.depth === 'infinity' ? 'infinity' : '0',
    owner: r.owner,
    principal: r.principal,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  };
}

/** Lock storage. */
export class DavLockStore {
  private readonly db: Kysely<Database>;
  private readonly now: () => number;

  constructor(db: Kysely<Database>, now: () => number = Date.now) {
    this.db = db;
    this.now = now;
  }

  /** Locks that apply to `resource`: its own and depth-infinity locks of the folders above it. */
  async covering(resource: string): Promise<DavLock[]> {
    const ancestors = ancestorKeys(resource);
    const rows = await this.db
      .selectFrom('dav_locks')
      .selectAll()
      .where('resource', 'in', [resource, ...ancestors])
      .where('expires_at', '>', this.now())
      .execute();
    return rows.map(toLock).filter((l) => l.resource === resource || l.depth === 'infinity');
  }

  /**
   * Whether any live lock exists on a resource whose key starts with one of `rootIds` (followed by
   * `:`), or anywhere when `rootIds` is `undefined`. One cheap query that lets a request which
   * submits no lock tokens skip the lock checks entirely. Asked of the database every time, so
   * locks taken by another process of the site count at once.
   */
  async anyLive(rootIds?: readonly string[]): Promise<boolean> {
    let q = this.db.selectFrom('dav_locks').select('token').where('expires_at', '>', this.now());
    if (rootIds !== undefined) {
      // LIKE may ignore case (SQLite): a false match only costs the full check.
      q = q.where((eb) => eb.or(rootIds.map((id) => sql<boolean>`${sql.ref('resource')} like ${`${escapeLike(id)}:%`} escape '\\'`)));
    }
    return (await q.limit(1).executeTakeFirst()) !== undefined;
  }

  /** Locks on resources strictly below `resource`. */
  async below(resource: string): Promise<DavLock[]> {
    const prefix = descendantPrefix(resource);
    const rows = await this.db
      .selectFrom('dav_locks')
      .selectAll()
      .where(sql<boolean>`${sql.ref('resource')} like ${`${escapeLike(prefix)}%`} escape '\\'`)
      .where('expires_at', '>', this.now())
      .execute();
    return rows.map(toLock).filter((l) => l.resource.startsWith(prefix) && l.resource !== resource);
  }

  /** One lock by token (undefined when unknown or expired). */
  async get(token: string): Promise<DavLock | undefined> {
    if (token.length > 128) return undefined;
    const row = await this.db.selectFrom('dav_locks').selectAll().where('token', '=', token).where('expires_at', '>', this.now()).executeTakeFirst();
    return row === undefined ? undefined : toLock(row);
  }

  /** Stores a new lock and returns it. */
  async create(input: { resource: string; scope: DavLock['scope']; depth: DavLock['depth']; owner: string; principal: string; timeoutSeconds: number }): Promise<DavLock> {
    const now = this.now();
    const lock: DavLock = {
      token: `opaquelocktoken:${randomUUID()}`,
      resource: input.resource,
      scope: input.scope,
      depth: input.depth,
      owner: input.owner,
      principal: input.principal,
      createdAt: now,
      expiresAt: now + input.timeoutSeconds * 1000,
    };
    await this.db.deleteFrom('dav_locks').where('expires_at', '<=', now).execute();
    await this.db
      .insertInto('dav_locks')
      .values({ token: lock.token, resource: lock.resource, scope: lock.scope, depth: lock.depth, owner: lock.owner, principal: lock.principal, created_at: now, expires_at: lock.expiresAt })
      .execute();
    return lock;
  }

  /** Extends a lock's timeout; returns the updated lock. */
  async refresh(lock: DavLock, timeoutSeconds: number): Promise<DavLock> {
    const expiresAt = this.now() + timeoutSeconds * 1000;
    await this.db.updateTable('dav_locks').set({ expires_at: expiresAt }).where('token', '=', lock.token).execute();
    return { ...lock, expiresAt };
  }

  /** Removes one lock. */
  async remove(token: string): Promise<void> {
    await this.db.deleteFrom('dav_locks').where('token', '=', token).execute();
  }

  /** Removes the locks of `resource` and of everything below it (after DELETE or MOVE). */
  async removeTree(resource: string): Promise<void> {
    const below = await this.below(resource);
    await this.db.deleteFrom('dav_locks').where('resource', '=', resource).execute();
    for (const l of below) await this.remove(l.token);
  }
}
