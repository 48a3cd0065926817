/**
 * Dead properties in the database table `dav_properties` (resource key, Clark name, XML value):
 * shared by every WebDAV process of the site, moved with MOVE, copied with COPY, dropped with
 * DELETE.
 * @packageDocumentation
 */
import type { Database } from '@migrid/core';
import { sql, type Kysely } from 'kysely';
import { descendantPrefix, escapeLike } from './dav-resource-key.js';

/** One change of a PROPPATCH, in document order. */
export type PropertyChange = { readonly op: 'set'; readonly name: string; readonly value: string } | { readonly op: 'remove'; readonly name: string };

/** Dead-property storage. */
export class DavPropertyStore {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** The properties of one resource, by Clark name. */
  async get(resource: string): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom('dav_properties').select(['name', 'value']).where('resource', '=', resource).execute();
    return new Map(rows.map((r) => [r.name, r.value]));
  }

  /** The properties of several resources at once (for a depth-1 PROPFIND). */
  async getMany(resources: readonly string[]): Promise<Map<string, Map<string, string>>> {
    const out = new Map<string, Map<string, string>>();
    for (let i = 0; i < resources.length; i += 500) {
      const batch = resources.slice(i, i + 500);
      const rows = await this.db.selectFrom('dav_properties').select(['resource', 'name', 'value']).where('resource', 'in', batch).execute();
      for (const r of rows) {
        let m = out.get(r.resource);
        if (m === undefined) out.set(r.resource, (m = new Map()));
        m.set(r.name, r.value);
      }
    }
    return out;
  }

  /** Applies the changes all together or not at all. */
  async patch(resource: string, changes: readonly PropertyChange[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const c of changes) {
        await trx.deleteFrom('dav_properties').where('resource', '=', resource).where('name', '=', c.name).execute();
        if (c.op === 'set') await trx.insertInto('dav_properties').values({ resource, name: c.name, value: c.value }).execute();
      }
    });
  }

  /** Drops the properties of `resource` and of everything below it. */
  async removeTree(resource: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('dav_properties').where('resource', '=', resource).execute();
      const below = await this.below(trx, resource);
      for (const key of below) await trx.deleteFrom('dav_properties').where('resource', '=', key).execute();
    });
  }

  /** Copies (or with `move` moves) the properties of `from` (and, with `deep`, its descendants) to `to`, replacing `to`'s. */
  async transferTree(from: string, to: string, options: { move: boolean; deep: boolean }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // The target's old properties go first: the target was replaced.
      await trx.deleteFrom('dav_properties').where('resource', '=', to).execute();
      for (const key of await this.below(trx, to)) await trx.deleteFrom('dav_properties').where('resource', '=', key).execute();
      const sources = [from, ...(options.deep ? await this.below(trx, from) : [])];
      for (const src of sources) {
        const dst = to + src.slice(from.length);
        const rows = await trx.selectFrom('dav_properties').select(['name', 'value']).where('resource', '=', src).execute();
        if (rows.length === 0) continue;
        if (options.move) {
          await trx.updateTable('dav_properties').set({ resource: dst }).where('resource', '=', src).execute();
        } else {
          await trx.insertInto('dav_properties').values(rows.map((r) => ({ resource: dst, name: r.name, value: r.value }))).execute();
        }
      }
      if (options.move && !options.deep) {
        // A shallow move leaves nothing behind either.
        for (const key of await this.below(trx, from)) await trx.deleteFrom('dav_properties').where('resource', '=', key).execute();
      }
    });
  }

  /** Distinct resource keys strictly below `resource`. */
  private async below(db: Kysely<Database>, resource: string): Promise<string[]> {
    const prefix = descendantPrefix(resource);
    const rows = await db
      .selectFrom('dav_properties')
      .select('resource')
      .distinct()
      .where(sql<boolean>`${sql.ref('resource')} like ${`${escapeLike(prefix)}%`} escape '\\'`)
      .execute();
    // LIKE may ignore case (SQLite): keep exact prefix matches only.
    return rows.map((r) => r.resource).filter((k) => k.startsWith(prefix) && k !== resource);
  }
}
