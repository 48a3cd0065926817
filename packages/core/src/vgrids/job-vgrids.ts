/**
 * VGrids and jobs: which VGrids a job may name (MiG's submit check in `mrslparser`), which VGrids a
 * resource may serve (the VGrids whose owners added it), and which VGrids one execution unit then
 * offers to the scheduler.
 *
 * The rules, as MiG's:
 * - A job's `VGRID` list names `Generic` or VGrids its owner takes part in (as owner or member,
 *   directly or through a parent VGrid). `ANY` is replaced, where it stands, by `Generic` and every
 *   VGrid of the owner at submit time. Anything else is refused, naming the VGrid. Choice where MiG
 *   is silent: repeated names are kept once (first place wins), and a hidden VGrid the owner does
 *   not take part in is reported as unknown (its existence is not revealed).
 * - A resource serves a VGrid when it was added to that VGrid or to a parent of it (resources are
 *   inherited downwards, like members: a resource of `A` runs `A/B` jobs).
 * - An execution unit offers `Generic` when its `vgrid` list names it, and each VGrid its list names
 *   that has the resource, with every VGrid below it (a job of `A/B` runs on a unit serving `A`). A
 *   VGrid named in the unit's configuration alone, without its owners' consent, is never offered.
 * @packageDocumentation
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { NotFoundError, PolicyError } from '../errors.js';
import { DEFAULT_VGRID } from '../mrsl/build-job-spec.js';

/** The job `VGRID` value that stands for `Generic` and every VGrid of the owner (MiG's `any_vgrid`). */
export const ANY_VGRID = 'ANY';

/** What {@link resolveJobVgrids} needs of the VGrid store (`site.vgrids` fits). */
export interface JobVgridLookup {
  /** Every VGrid the user takes part in, directly or through a parent. */
  vgridsOf(userId: string): Promise<readonly { readonly name: string }[]>;
  /** The VGrid, or `undefined`. */
  find(name: string): Promise<{ readonly name: string; readonly settings: { readonly hidden: boolean } } | undefined>;
}

/** Options of {@link resolveJobVgrids}. */
export interface ResolveJobVgridsOptions {
  /** What the site calls a VGrid (`[vgrids] label`, default `VGrid`). */
  readonly label?: string;
}

const MAX_SHOWN = 80;

/** A name fit for a message: quoted and cut (job values are restricted to plain characters already). */
function shown(name: string): string {
  return JSON.stringify(name.length > MAX_SHOWN ? `${name.slice(0, MAX_SHOWN)}…` : name);
}

/**
 * The VGrids a job of `userId` may run in, in its order of preference: `ANY` expanded, `Generic`
 * by default, each name checked.
 *
 * @throws NotFoundError `MIG_E_VGRID_NOT_FOUND` for a name that is no VGrid (or a hidden one the user is not in)
 * @throws PolicyError `MIG_E_VGRID_NOT_ALLOWED` for a VGrid the user is neither owner nor member of
 * @example
 * ```ts
 * await resolveJobVgrids(site.vgrids, user.id, ['ANY']); // ['Generic', 'Physics', 'Physics/Optics']
 * await resolveJobVgrids(site.vgrids, user.id, ['Chemistry']); // throws MIG_E_VGRID_NOT_ALLOWED
 * ```
 */
export async function resolveJobVgrids(
  lookup: JobVgridLookup,
  userId: string,
  requested: readonly string[],
  options: ResolveJobVgridsOptions = {},
): Promise<string[]> {
  const label = options.label ?? 'VGrid';
  const mine = (await lookup.vgridsOf(userId)).map((m) => m.name);
  const allowed = new Set<string>([DEFAULT_VGRID, ...mine]);
  const expanded: string[] = [];
  for (const name of requested.length === 0 ? [DEFAULT_VGRID] : requested) {
    if (name === ANY_VGRID) expanded.push(DEFAULT_VGRID, ...mine);
    else expanded.push(name);
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (const name of expanded) {
    if (seen.has(name)) continue;
    seen.add(name);
    if (!allowed.has(name)) {
      const found = typeof name === 'string' && name.length > 0 && name.length <= 255 ? await lookup.find(name) : undefined;
      if (found === undefined || found.settings.hidden) {
        throw new NotFoundError('MIG_E_VGRID_NOT_FOUND', `The job names ${label} ${shown(name)}, which does not exist; check the name (names are case-sensitive), or use ${DEFAULT_VGRID} or ${ANY_VGRID}.`, { details: { vgrid: name } });
      }
      throw new PolicyError('MIG_E_VGRID_NOT_ALLOWED', `You are not an owner or member of the ${label} ${shown(name)}, so you cannot submit jobs to it; ask its owners to let you join, or use ${DEFAULT_VGRID} or ${ANY_VGRID}.`, { details: { vgrid: name } });
    }
    out.push(name);
  }
  return out;
}

/**
 * Every VGrid whose jobs the resource may run: those it was added to and every VGrid below them.
 * One query; sorted by name.
 *
 * @example
 * ```ts
 * await vgridsWithResource(site.db, 'cluster.example.org.0'); // ['Physics', 'Physics/Optics']
 * ```
 */
export async function vgridsWithResource(db: Kysely<Database>, resourceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('vgrid_resources as r')
    .innerJoin('vgrid_lineage as l', 'l.ancestor', 'r.vgrid')
    .select('l.vgrid as name')
    .distinct()
    .where('r.resource_id', '=', resourceId)
    .execute();
  return rows.map((r) => r.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * {@link vgridsWithResource} for every resource in some VGrid at once (one query): resource id →
 * sorted VGrid names. Resources in no VGrid are absent.
 *
 * @example
 * ```ts
 * (await vgridsOfAllResources(site.db)).get('cluster.example.org.0'); // ['Physics', 'Physics/Optics']
 * ```
 */
export async function vgridsOfAllResources(db: Kysely<Database>): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('vgrid_resources as r')
    .innerJoin('vgrid_lineage as l', 'l.ancestor', 'r.vgrid')
    .select(['r.resource_id as resourceId', 'l.vgrid as name'])
    .distinct()
    .execute();
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const list = out.get(r.resourceId) ?? [];
    list.push(r.name);
    out.set(r.resourceId, list);
  }
  for (const list of out.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

/** Whether `name` is `of` or lies below it. */
function atOrBelow(name: string, of: string): boolean {
  return name === of || name.startsWith(`${of}/`);
}

/**
 * What one execution unit offers: `Generic` when configured, and each configured VGrid that has
 * the resource (see {@link vgridsWithResource}) with every VGrid below it (as MiG, a configured
 * name the resource is not a resource of serves nothing, not even a sub-VGrid that added it).
 *
 * @example
 * ```ts
 * unitVgrids(['Generic', 'Physics', 'Chemistry'], ['Physics', 'Physics/Optics']);
 * // ['Generic', 'Physics', 'Physics/Optics'] (Chemistry did not add the resource)
 * ```
 */
export function unitVgrids(configured: readonly string[], withResource: readonly string[]): string[] {
  const out: string[] = configured.includes(DEFAULT_VGRID) ? [DEFAULT_VGRID] : [];
  const has = new Set(withResource);
  const named = configured.filter((c) => c !== DEFAULT_VGRID && has.has(c));
  for (const name of withResource) {
    if (named.some((c) => atOrBelow(name, c)) && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * The names in a unit's configured `vgrid` list that it does not get to serve because that VGrid
 * (or a parent of it) has not added the resource, for explanations.
 *
 * @example
 * ```ts
 * vgridsNotAccepted(['Generic', 'Physics', 'Chemistry'], ['Physics']); // ['Chemistry']
 * ```
 */
export function vgridsNotAccepted(configured: readonly string[], withResource: readonly string[]): string[] {
  const has = new Set(withResource);
  return configured.filter((c) => c !== DEFAULT_VGRID && !has.has(c));
}
