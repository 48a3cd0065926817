/**
 * Registered resources: who owns them, their configuration (MiG's keywords), whether they take
 * work, and the credential their agent uses (`migres_<id>_<secret>`; only a SHA-256 of the secret
 * is stored, the token is shown once).
 * @packageDocumentation
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AuthError, ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { parseUserId, systemClock, type Clock } from '../auth/store-support.js';
import type { RuntimeEnvironment } from '../runtime-envs/runtime-environment.js';
import { checkProvidedRuntimeEnvironments } from './check-provided-runtime-environments.js';
import type { ResourceConfig } from './resource-config.js';
import { resourceConfigFromJson, resourceConfigToJson } from './resource-config-json.js';

/** How a resource's agent runs jobs. */
export type ResourceExecutorKind = 'local' | 'slurm';

/** Whether a resource is given work. A paused resource may still report and finish its jobs. */
export type ResourceStatus = 'active' | 'paused';

/** A registered resource. */
export interface ResourceRecord {
  /** The resource's name, also its id (MiG's unique resource name): host-name characters. */
  readonly id: string;
  readonly ownerId: string;
  readonly status: ResourceStatus;
  readonly executor: ResourceExecutorKind;
  readonly config: ResourceConfig;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** When its agent last asked for work or reported (epoch ms), `null` before the first time. */
  readonly lastSeenAt: number | null;
}

/** Input of {@link ResourceStore.add}. */
export interface AddResourceInput {
  /** 1–63 characters `[a-z0-9.-]`, starting with a letter or digit. */
  readonly name: string;
  readonly ownerId: string;
  /** How many execution units (`exe0`…); ignored when `config` names its own. Default 1. */
  readonly units?: number;
  readonly executor?: ResourceExecutorKind;
  /** MiG resource keywords as JSON (defaults applied); default: one unit per `units`. */
  readonly config?: unknown;
}

/** The resource registry. */
export interface ResourceStore {
  /** Registers a resource; returns it with its agent token, which is shown only this once. */
  add(input: AddResourceInput): Promise<{ resource: ResourceRecord; token: string }>;
  /** @throws NotFoundError `MIG_E_RESOURCE_NOT_FOUND` */
  get(id: string): Promise<ResourceRecord>;
  /** Every resource, or an owner's. */
  list(filter?: { readonly ownerId?: string }): Promise<ResourceRecord[]>;
  /** Replaces the configuration (MiG keywords as JSON, checked). */
  updateConfig(id: string, config: unknown): Promise<ResourceRecord>;
  /** Pauses (no new work) or resumes a resource. */
  setStatus(id: string, status: ResourceStatus): Promise<ResourceRecord>;
  /** Removes a resource; its token stops working at once. */
  remove(id: string): Promise<void>;
  /** Issues a new agent token; the old one stops working. */
  rotateToken(id: string): Promise<string>;
  /**
   * The resource a token belongs to (constant-time comparison; a malformed token costs a hash
   * like a real one). @throws AuthError `MIG_E_AUTH_FAILED`
   */
  authenticate(token: string): Promise<ResourceRecord>;
  /** Records that the agent was seen now (at most once a second is written). */
  touch(id: string): Promise<void>;
}

/**
 * Where the resource registry looks up the runtime environments a configuration provides.
 * `site.runtimeEnvs` fits.
 */
export interface ResourceRuntimeEnvLookup {
  /** The definitions of those of `names` that exist, by upper-case name. */
  definitions(names: readonly string[]): Promise<Map<string, RuntimeEnvironment>>;
}

/** Options for {@link createResourceStore}. */
export interface ResourceStoreOptions {
  /** Clock (epoch ms) for tests. */
  readonly now?: Clock;
  /**
   * When given, a configuration is refused (`MIG_E_RESOURCE_CONFIG_INVALID`) unless every runtime
   * environment it provides exists and gets a value for exactly its variables, as MiG checks.
   */
  readonly runtimeEnvs?: ResourceRuntimeEnvLookup;
}

const NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;
const TOKEN = /^migres_([a-z0-9][a-z0-9.-]{0,62})_([A-Za-z0-9_-]{43})$/;
const MAX_UNITS = 256;

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

function requireName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidInputError('A resource name is 1-63 characters a-z, 0-9, "." and "-", starting with a letter or digit (e.g. "cluster1.example.org").', { details: { field: 'name' } });
  }
  return name;
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

interface ResourceRow {
  id: string;
  owner_id: string;
  status: string;
  executor: string;
  config: string;
  token_hash: string;
  created_at: number | string | bigint;
  updated_at: number | string | bigint;
  last_seen_at: number | string | bigint | null;
}

function toRecord(row: ResourceRow): ResourceRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    status: row.status === 'paused' ? 'paused' : 'active',
    executor: row.executor === 'slurm' ? 'slurm' : 'local',
    config: resourceConfigFromJson(JSON.parse(row.config)),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastSeenAt: row.last_seen_at === null ? null : Number(row.last_seen_at),
  };
}

/** The default configuration of a resource added with `units` execution units. */
export function defaultResourceConfig(name: string, units: number): ResourceConfig {
  if (!Number.isInteger(units) || units < 1 || units > MAX_UNITS) {
    throw new InvalidInputError(`A resource has 1 to ${MAX_UNITS} execution units.`, { details: { field: 'units' } });
  }
  return resourceConfigFromJson({
    HOSTURL: name,
    NODECOUNT: 1,
    CPUCOUNT: 1,
    MEMORY: 1024,
    DISK: 10,
    ARCHITECTURE: 'AMD64',
    EXECONFIG: Array.from({ length: units }, (_, i) => ({ name: `exe${i}` })),
  });
}

/**
 * Creates the resource registry over the site database.
 *
 * @example
 * ```ts
 * const resources = createResourceStore(db);
 * const { resource, token } = await resources.add({ name: 'cluster1', ownerId: owner.id, units: 4, executor: 'slurm' });
 * console.log(token); // give it to the resource owner once
 * ```
 */
export function createResourceStore(db: Kysely<Database>, options: ResourceStoreOptions = {}): ResourceStore {
  const now = options.now ?? systemClock;
  const lastTouch = new Map<string, number>();

  async function checkRuntimeEnvs(config: ResourceConfig): Promise<void> {
    if (options.runtimeEnvs === undefined || config.RUNTIMEENVIRONMENT.length === 0) return;
    const known = await options.runtimeEnvs.definitions(config.RUNTIMEENVIRONMENT.map((p) => p.name));
    checkProvidedRuntimeEnvironments(config, (name) => known.get(name.toUpperCase()));
  }

  async function row(id: string): Promise<ResourceRow> {
    const found = await db.selectFrom('resources').selectAll().where('id', '=', requireName(id)).executeTakeFirst();
    if (found === undefined) throw new NotFoundError('MIG_E_RESOURCE_NOT_FOUND', `There is no resource named ${JSON.stringify(id)}; list them with "mig resource list".`);
    return found as ResourceRow;
  }

  return {
    async add(input) {
      const name = requireName(input.name);
      const ownerId = parseUserId(input.ownerId);
      const executor = input.executor ?? 'local';
      if (executor !== 'local' && executor !== 'slurm') throw new InvalidInputError('The executor is "local" or "slurm".', { details: { field: 'executor' } });
      const config = input.config === undefined ? defaultResourceConfig(name, input.units ?? 1) : resourceConfigFromJson(input.config);
      await checkRuntimeEnvs(config);
      const owner = await db.selectFrom('users').select('id').where('id', '=', ownerId).executeTakeFirst();
      if (owner === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', 'The owner is not a user of this site.');
      const secret = newSecret();
      const at = now();
      try {
        await db
          .insertInto('resources')
          .values({
            id: name,
            owner_id: ownerId,
            status: 'active',
            executor,
            config: JSON.stringify(resourceConfigToJson(config)),
            token_hash: sha256(secret).toString('hex'),
            created_at: at,
            updated_at: at,
            last_seen_at: null,
          })
          .execute();
      } catch (err) {
        if (await db.selectFrom('resources').select('id').where('id', '=', name).executeTakeFirst()) {
          throw new ConflictError('MIG_E_RESOURCE_EXISTS', `A resource named ${JSON.stringify(name)} exists already; choose another name.`);
        }
        throw err;
      }
      return { resource: toRecord(await row(name)), token: `migres_${name}_${secret}` };
    },

    async get(id) {
      return toRecord(await row(id));
    },

    async list(filter = {}) {
      let q = db.selectFrom('resources').selectAll().orderBy('id');
      if (filter.ownerId !== undefined) q = q.where('owner_id', '=', parseUserId(filter.ownerId));
      return (await q.execute()).map((r) => toRecord(r as ResourceRow));
    },

    async updateConfig(id, config) {
      await row(id);
      const checked = resourceConfigFromJson(config);
      await checkRuntimeEnvs(checked);
      await db.updateTable('resources').set({ config: JSON.stringify(resourceConfigToJson(checked)), updated_at: now() }).where('id', '=', id).execute();
      return toRecord(await row(id));
    },

    async setStatus(id, status) {
      if (status !== 'active' && status !== 'paused') throw new InvalidInputError('A resource status is "active" or "paused".', { details: { field: 'status' } });
      await row(id);
      await db.updateTable('resources').set({ status, updated_at: now() }).where('id', '=', id).execute();
      return toRecord(await row(id));
    },

    async remove(id) {
      await row(id);
      await db.deleteFrom('resources').where('id', '=', id).execute();
      lastTouch.delete(id);
    },

    async rotateToken(id) {
      await row(id);
      const secret = newSecret();
      await db.updateTable('resources').set({ token_hash: sha256(secret).toString('hex'), updated_at: now() }).where('id', '=', id).execute();
      return `migres_${id}_${secret}`;
    },

    async authenticate(token) {
      const match = typeof token === 'string' && token.length <= 200 ? TOKEN.exec(token) : null;
      const presented = sha256(match?.[2] ?? String(token).slice(0, 200));
      const failed = (): AuthError => new AuthError('MIG_E_AUTH_FAILED', 'The resource token is not valid; ask the resource owner for the current one ("mig resource token NAME").');
      if (match === null) throw failed();
      const found = (await db.selectFrom('resources').selectAll().where('id', '=', match[1] as string).executeTakeFirst()) as ResourceRow | undefined;
      const stored = Buffer.from(found?.token_hash ?? '0'.repeat(64), 'hex');
      if (found === undefined || stored.length !== presented.length || !timingSafeEqual(stored, presented)) throw failed();
      return toRecord(found);
    },

    async touch(id) {
      const at = now();
      const last = lastTouch.get(id);
      if (last !== undefined && at - last < 1000) return;
      lastTouch.set(id, at);
      await db.updateTable('resources').set({ last_seen_at: at }).where('id', '=', requireName(id)).execute();
    },
  };
}
