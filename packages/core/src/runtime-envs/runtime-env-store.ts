/**
 * The site's runtime environments (MiG's `re_home`): admins publish them, jobs require them by
 * name in RUNTIMEENVIRONMENT, resources provide them. A name is taken once; a runtime environment
 * that a registered resource still provides cannot be removed (MiG's `deletere`).
 * @packageDocumentation
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { parseUserId, systemClock, type Clock } from '../auth/store-support.js';
import type { AdminPrincipal } from '../principal.js';
import type { ResourceConfig } from '../resources/resource-config.js';
import { checkProvidedRuntimeEnvironments } from '../resources/check-provided-runtime-environments.js';
import { ResourceConfigError } from '../resources/resource-config-error.js';
import type { RuntimeEnvironment } from './runtime-environment.js';
import { runtimeEnvironmentFromJson, runtimeEnvironmentToJson } from './runtime-environment-json.js';
import { normalizeRuntimeEnvironmentName } from './runtime-environment-name.js';

/**
 * A published runtime environment with who published it and when (MiG's CREATOR and
 * CREATED_TIMESTAMP).
 *
 * @example
 * ```ts
 * const { name, definition, createdBy } = await site.runtimeEnvs.get('python-3');
 * name; // 'PYTHON-3'
 * ```
 */
export interface RuntimeEnvRecord {
  /** The upper-case name, equal to `definition.RENAME`. */
  readonly name: string;
  /** The validated definition. */
  readonly definition: RuntimeEnvironment;
  /** The admin user who published it, or `null` for the site's operator (the local CLI). */
  readonly createdBy: string | null;
  /** When it was published (epoch ms). */
  readonly createdAt: number;
  /** When it was last replaced (epoch ms). */
  readonly updatedAt: number;
}

/**
 * What the runtime environment store needs to know about resources: the registered ones and the
 * runtime environments their configurations provide. `site.resources` fits.
 *
 * @example
 * ```ts
 * createRuntimeEnvStore(db, { resources: site.resources });
 * ```
 */
export interface RuntimeEnvProviders {
  list(): Promise<ReadonlyArray<{ readonly id: string; readonly config: ResourceConfig }>>;
}

/** Options for {@link createRuntimeEnvStore}. */
export interface RuntimeEnvStoreOptions {
  /** Clock (epoch ms) for tests. */
  readonly now?: Clock;
  /** The registered resources; without it nothing is known to provide a runtime environment. */
  readonly resources?: RuntimeEnvProviders;
}

/**
 * The runtime environment registry.
 *
 * @example
 * ```ts
 * const re = parseRuntimeEnvironment(await readFile('python-3.re', 'utf8'));
 * await site.runtimeEnvs.add(re, { kind: 'admin', userId: null });
 * await site.runtimeEnvs.missing(['PYTHON-3', 'POVRAY-3.6']); // ['POVRAY-3.6']
 * ```
 */
export interface RuntimeEnvStore {
  /**
   * Publishes a runtime environment (a {@link RuntimeEnvironment} or its JSON form, checked again).
   * @throws RuntimeEnvironmentError `MIG_E_RUNTIME_ENV_INVALID`/`MIG_E_TOO_LARGE`;
   *   ConflictError `MIG_E_RUNTIME_ENV_EXISTS` when the name is taken.
   */
  add(definition: unknown, actor: AdminPrincipal): Promise<RuntimeEnvRecord>;
  /**
   * Replaces the definition of a published runtime environment (same name). Refused while a
   * resource provides it and the new definition no longer matches what the resource gives
   * (its variables).
   * @throws NotFoundError `MIG_E_RUNTIME_ENV_NOT_FOUND`; ConflictError `MIG_E_RUNTIME_ENV_IN_USE`
   */
  replace(definition: unknown, actor: AdminPrincipal): Promise<RuntimeEnvRecord>;
  /**
   * One runtime environment by name (any case).
   * @throws InvalidInputError for a malformed name; NotFoundError `MIG_E_RUNTIME_ENV_NOT_FOUND`
   */
  get(name: string): Promise<RuntimeEnvRecord>;
  /** Every runtime environment, by name. */
  list(): Promise<RuntimeEnvRecord[]>;
  /**
   * Removes a runtime environment.
   * @throws NotFoundError `MIG_E_RUNTIME_ENV_NOT_FOUND`; ConflictError `MIG_E_RUNTIME_ENV_IN_USE`
   *   naming the resources that provide it (`details.resources`).
   */
  remove(name: string): Promise<void>;
  /** The names (upper-cased, each once, in the order given) the site has no runtime environment for. */
  missing(names: readonly string[]): Promise<string[]>;
  /** The definitions of those of `names` that exist, by upper-case name. */
  definitions(names: readonly string[]): Promise<Map<string, RuntimeEnvironment>>;
  /** The ids of the resources whose configuration provides the runtime environment. */
  providers(name: string): Promise<string[]>;
}

/** Most names one {@link RuntimeEnvStore.missing} or {@link RuntimeEnvStore.definitions} call takes. */
const MAX_NAMES = 1000;

interface RuntimeEnvRow {
  name: string;
  definition: string;
  created_by: string | null;
  created_at: number | string | bigint;
  updated_at: number | string | bigint;
}

function toRecord(row: RuntimeEnvRow): RuntimeEnvRecord {
  return {
    name: row.name,
    definition: runtimeEnvironmentFromJson(JSON.parse(row.definition)),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function creatorOf(actor: AdminPrincipal): string | null {
  if (typeof actor !== 'object' || actor === null || actor.kind !== 'admin') {
    throw new InvalidInputError('Only an admin publishes runtime environments: give an admin principal.', { details: { field: 'actor' } });
  }
  return actor.userId === null ? null : parseUserId(actor.userId);
}

/**
 * Names as the store compares them: trimmed and upper-cased, each once. A name that breaks the
 * naming rule is kept (upper-cased) rather than refused: no runtime environment has it, so it is
 * simply missing.
 */
function canonicalNames(names: readonly string[]): string[] {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) throw new InvalidInputError('Give a list of runtime environment names.');
  if (names.length > MAX_NAMES) throw new InvalidInputError(`At most ${MAX_NAMES} runtime environment names at once.`, { code: 'MIG_E_TOO_LARGE' });
  return [...new Set(names.map((n) => n.trim().toUpperCase()))];
}

function listNames(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(', ');
}

/**
 * Creates the runtime environment registry over the site database.
 *
 * @example
 * ```ts
 * const runtimeEnvs = createRuntimeEnvStore(db, { resources });
 * await runtimeEnvs.add({ RENAME: 'python-3' }, { kind: 'admin', userId: admin.id });
 * ```
 */
export function createRuntimeEnvStore(db: Kysely<Database>, options: RuntimeEnvStoreOptions = {}): RuntimeEnvStore {
  const now = options.now ?? systemClock;

  async function findRow(name: string): Promise<RuntimeEnvRow | undefined> {
    return (await db.selectFrom('runtime_envs').selectAll().where('name', '=', name).executeTakeFirst()) as RuntimeEnvRow | undefined;
  }

  async function row(name: string): Promise<RuntimeEnvRow> {
    const canonical = normalizeRuntimeEnvironmentName(name);
    const found = await findRow(canonical);
    if (found === undefined) {
      throw new NotFoundError('MIG_E_RUNTIME_ENV_NOT_FOUND', `There is no runtime environment named ${JSON.stringify(canonical)}; list them with "mig runtime-env list".`);
    }
    return found;
  }

  async function providingResources(name: string): Promise<Array<{ readonly id: string; readonly config: ResourceConfig }>> {
    if (options.resources === undefined) return [];
    const all = await options.resources.list();
    return all.filter((r) => r.config.RUNTIMEENVIRONMENT.some((p) => p.name.toUpperCase() === name));
  }

  return {
    async add(definition, actor) {
      const createdBy = creatorOf(actor);
      const re = runtimeEnvironmentFromJson(definition);
      const at = now();
      try {
        await db
          .insertInto('runtime_envs')
          .values({ name: re.RENAME, definition: JSON.stringify(runtimeEnvironmentToJson(re)), created_by: createdBy, created_at: at, updated_at: at })
          .execute();
      } catch (err) {
        if (await findRow(re.RENAME)) {
          throw new ConflictError('MIG_E_RUNTIME_ENV_EXISTS', `A runtime environment named ${JSON.stringify(re.RENAME)} exists already; choose another name, or remove the old one first.`);
        }
        throw err;
      }
      return toRecord(await row(re.RENAME));
    },

    async replace(definition, actor) {
      creatorOf(actor);
      const re = runtimeEnvironmentFromJson(definition);
      await row(re.RENAME);
      const conflicts: string[] = [];
      for (const resource of await providingResources(re.RENAME)) {
        const provided = resource.config.RUNTIMEENVIRONMENT.filter((p) => p.name.toUpperCase() === re.RENAME);
        try {
          checkProvidedRuntimeEnvironments({ ...resource.config, RUNTIMEENVIRONMENT: provided }, () => re);
        } catch (err) {
          if (!(err instanceof ResourceConfigError)) throw err;
          conflicts.push(resource.id);
        }
      }
      if (conflicts.length > 0) {
        throw new ConflictError('MIG_E_RUNTIME_ENV_IN_USE', `Runtime environment ${JSON.stringify(re.RENAME)} is provided by resources whose values would no longer match its variables: ${listNames(conflicts)}; change those resources first, or keep the variables.`, {
          details: { resources: conflicts },
        });
      }
      await db
        .updateTable('runtime_envs')
        .set({ definition: JSON.stringify(runtimeEnvironmentToJson(re)), updated_at: now() })
        .where('name', '=', re.RENAME)
        .execute();
      return toRecord(await row(re.RENAME));
    },

    async get(name) {
      return toRecord(await row(name));
    },

    async list() {
      const rows = await db.selectFrom('runtime_envs').selectAll().orderBy('name').execute();
      return rows.map((r) => toRecord(r as RuntimeEnvRow));
    },

    async remove(name) {
      const found = await row(name);
      const users = (await providingResources(found.name)).map((r) => r.id);
      if (users.length > 0) {
        throw new ConflictError('MIG_E_RUNTIME_ENV_IN_USE', `Runtime environment ${JSON.stringify(found.name)} cannot be removed: it is provided by ${users.length === 1 ? 'resource' : 'resources'} ${listNames(users)}. Remove it from their configurations first.`, {
          details: { resources: users },
        });
      }
      await db.deleteFrom('runtime_envs').where('name', '=', found.name).execute();
    },

    async missing(names) {
      const wanted = canonicalNames(names);
      if (wanted.length === 0) return [];
      const rows = await db.selectFrom('runtime_envs').select('name').where('name', 'in', wanted).execute();
      const known = new Set(rows.map((r) => r.name));
      return wanted.filter((n) => !known.has(n));
    },

    async definitions(names) {
      const wanted = canonicalNames(names);
      const found = new Map<string, RuntimeEnvironment>();
      if (wanted.length === 0) return found;
      const rows = await db.selectFrom('runtime_envs').selectAll().where('name', 'in', wanted).execute();
      for (const r of rows) found.set(r.name, toRecord(r as RuntimeEnvRow).definition);
      return found;
    },

    async providers(name) {
      const canonical = normalizeRuntimeEnvironmentName(name);
      return (await providingResources(canonical)).map((r) => r.id);
    },
  };
}
