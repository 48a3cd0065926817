/**
 * The job store: job records in the site database, the single truth about every job's state.
 *
 * Every change is one transaction that reads the row, checks the step against the state machine
 * ({@link assertTransition}), and writes it with `WHERE id = ? AND state = ? AND version = ?`
 * (compare-and-set), together with a history event. A change made meanwhile by another process
 * makes the write miss and the call fail with `MIG_E_JOB_STATE`, so a stale dispatch, a stale
 * session or a late requeue can never overwrite a newer decision. Nothing is cached: a restarted
 * engine reloads the queue with {@link JobStore.loadQueued}.
 * @packageDocumentation
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { z } from 'zod';
import type { JobsTable, Database } from '../db/schema.js';
import { ConflictError, DatabaseError, InvalidInputError, NotFoundError, PolicyError, isMigError } from '../errors.js';
import { jobSpecFromJson, jobSpecToJson } from '../mrsl/job-spec-json.js';
import type { JobSpec } from '../mrsl/job-spec.js';
import { MRSL_LIMITS } from '../mrsl/mrsl-limits.js';
import { MrslError } from '../mrsl/mrsl-error.js';
import { checkRuntimeEnvironmentName } from '../runtime-envs/runtime-environment-name.js';
import type { MrslOptions } from '../mrsl/mrsl-options.js';
import { describePrincipal, type AdminPrincipal, type UserPrincipal } from '../principal.js';
import { isRetryableTransactionError } from '../users/db-errors.js';
import { parseInput } from '../validation/parse-input.js';
import { JOB_ID_COUNTER, assertJobId, bumpCounter, defaultJobServerId, formatJobId, parseJobId, JOB_SERVER_ID_PATTERN } from './job-id.js';
import { jobEventFromRow, jobRecordFromRow, type JobEvent, type JobRecord } from './job-record.js';
import { JOB_STATES, QUEUED_JOB_STATES, assertTransition, isFinalJobState, type JobState } from './job-state.js';
import type { JobVerification } from './job-verify.js';

/**
 * Who may cancel, freeze or thaw a job: its owner (a user principal; other users are told the job
 * does not exist), or an admin.
 *
 * @example
 * ```ts
 * await site.jobs.cancel(jobId, { kind: 'user', userId: me.id });
 * await site.jobs.cancel(jobId, { kind: 'admin', userId: null }); // the CLI
 * ```
 */
export type JobActor = UserPrincipal | AdminPrincipal;

/** Options for {@link createJobStore}. */
export interface JobStoreOptions {
  /** Clock (epoch milliseconds) for tests; default `Date.now`. */
  readonly now?: () => number;
  /** What ends every job id (MiG's `mig_server_id`); default {@link defaultJobServerId}. */
  readonly serverId?: string;
  /** The site's mRSL settings, used to re-check every submitted spec (default MiG's). */
  readonly mrslOptions?: MrslOptions;
  /** Largest stored job description (its JSON form), in bytes; default 2 MiB. */
  readonly maxSpecBytes?: number;
  /**
   * The site's runtime environments (`site.runtimeEnvs` fits). When given, a job requiring one the
   * site does not have is refused at submit (`MIG_E_MRSL_INVALID`), as MiG does; ARC jobs are not checked.
   */
  readonly runtimeEnvs?: { missing(names: readonly string[]): Promise<string[]> };
  /**
   * The job VGrid check (`resolveJobVgrids` over `site.vgrids` fits): given the owner and the job's
   * `VGRID` list, the list to store (`ANY` expanded), or a refusal (`MIG_E_VGRID_NOT_FOUND`,
   * `MIG_E_VGRID_NOT_ALLOWED`). Without it, `VGRID` is stored as given.
   */
  readonly jobVgrids?: { resolve(ownerId: string, requested: readonly string[]): Promise<readonly string[]> };
}

/** Input of {@link JobStore.submit}. */
export interface SubmitJobInput {
  /** The owner's stable user id; the account must exist. */
  readonly ownerId: string;
  /** The parsed job (`parseMrsl` or `jobSpecFromJson`); it is checked again before it is stored. */
  readonly spec: JobSpec;
  /** The mRSL text as the user wrote it, kept for display and resubmission (at most 1 MiB). */
  readonly mrsl?: string | undefined;
  /** Refuse (`MIG_E_JOB_LIMIT`) when the owner already has this many waiting jobs (queued, retrying, frozen). */
  readonly maxQueued?: number | undefined;
  /** Who submits, for the history (default `user:<ownerId>`). */
  readonly actor?: string | undefined;
}

/** Filter and page of {@link JobStore.list}. */
export interface ListJobsFilter {
  /** Only this owner's jobs. */
  readonly ownerId?: string | undefined;
  /** Only jobs in these states. */
  readonly states?: readonly JobState[] | undefined;
  /** Only jobs whose name contains this text (case-insensitive for ASCII letters; at most 200 characters). */
  readonly nameContains?: string | undefined;
  /** Page size, 1–1000 (default 100). */
  readonly limit?: number | undefined;
  /** The `next` cursor of the previous page: a job id; this page starts with the job received just before it. */
  readonly before?: string | undefined;
}

/**
 * One page of jobs, newest first.
 *
 * @example
 * ```ts
 * let page = await site.jobs.list({ ownerId, limit: 50 });
 * while (page.next !== null) page = await site.jobs.list({ ownerId, limit: 50, before: page.next });
 * ```
 */
export interface JobPage {
  readonly jobs: readonly JobRecord[];
  /** Pass as `before` for the next page; `null` on the last page. */
  readonly next: string | null;
}

/** Columns a {@link JobStore.transition} may set along with the state. */
export interface JobChanges {
  /** Why the job failed (or anything worth keeping about its end); `null` clears it. At most 4096 characters. */
  readonly failureMessage?: string | null | undefined;
  /** The VERIFYFILES result (see `verifyJobResults`). */
  readonly verified?: JobVerification | null | undefined;
}

/** Input of {@link JobStore.transition}. */
export interface TransitionJobInput {
  /** The state the caller believes the job is in; the change happens only if it still is. */
  readonly from: JobState;
  readonly to: JobState;
  /** The version the caller read; the change happens only if nobody changed the job since. */
  readonly expectVersion?: number | undefined;
  /** Who makes the change, for the history: `grid_script`, `resource:<id>`, `user:<id>` … */
  readonly actor: string;
  /** Structured detail for the history (a JSON object, at most 16 KiB). */
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
  readonly set?: JobChanges | undefined;
}

/** Input of {@link JobStore.dispatch}. */
export interface DispatchJobInput {
  /** The resource the job is handed to. */
  readonly resourceId: string;
  /** The resource's execution unit (MiG's exe) that asked for work. */
  readonly unit: string;
  /** The version of the job the engine scheduled; a job changed since is not handed out. */
  readonly expectVersion: number;
  /** Who hands it out, for the history (default `grid_script`). */
  readonly actor?: string | undefined;
}

/** What {@link JobStore.dispatch} returns. */
export interface DispatchedJob {
  readonly record: JobRecord;
  /**
   * The job's fresh session id: 64 hex characters (256 random bits), the only credential the
   * resource gets for the job. Only its SHA-256 is stored; give it out now, it cannot be read back.
   */
  readonly sessionId: string;
}

/** Input of {@link JobStore.requeue}. */
export interface RequeueJobInput {
  /** The version of the executing job the caller decided about. */
  readonly expectVersion: number;
  /** Why (timeout, resource asked for new work while the job ran, …); kept as the failure message. */
  readonly reason: string;
  /** Who requeues, for the history (default `grid_script`). */
  readonly actor?: string | undefined;
}

/**
 * A position in the job change feed (the history's event numbers), as {@link JobStore.changedSince}
 * returns it: plain JSON, to be passed back unchanged. Start with {@link JobStore.changeCursor}.
 */
export interface JobChangeCursor {
  /** The highest history event number read so far. */
  readonly after: number;
  /**
   * Event numbers below `after` that were not visible when read past: a transaction still open
   * (PostgreSQL hands out numbers before commit), or one rolled back. Each is looked for again
   * until it shows up or `settleMs` has passed since it was first missed.
   */
  readonly pending: readonly { readonly id: number; readonly since: number }[];
}

/** Options of {@link JobStore.changedSince}. */
export interface JobChangesOptions {
  /** Most history events read per call, 1–10000 (default 1000); `more` says when the page was full. */
  readonly limit?: number | undefined;
  /** How long a missing event number is waited for before it counts as rolled back, ms (default 60000). */
  readonly settleMs?: number | undefined;
}

/** What {@link JobStore.changedSince} returns. */
export interface JobChangeBatch {
  /** The current records of the jobs that changed, each once, in the order of their latest change read. */
  readonly jobs: readonly JobRecord[];
  /** Pass this to the next call. */
  readonly cursor: JobChangeCursor;
  /** True when the page was full: call again at once for the rest. */
  readonly more: boolean;
}

/**
 * Job records: submission, the state machine, dispatch with session ids, requeue, expiry and the
 * history. See the module description for the concurrency rules.
 */
export interface JobStore {
  /**
   * Stores a new job: numbered from the site-wide counter, recorded in PARSE and moved to QUEUED in
   * one transaction, with both steps in the history.
   * @throws InvalidInputError `MIG_E_INVALID_INPUT`/`MIG_E_TOO_LARGE`; MrslError `MIG_E_MRSL_INVALID`
   *   for a spec that breaks the job language; NotFoundError `MIG_E_USER_NOT_FOUND`;
   *   PolicyError `MIG_E_JOB_LIMIT` when `maxQueued` is reached.
   */
  submit(input: SubmitJobInput): Promise<JobRecord>;
  /** @throws NotFoundError `MIG_E_JOB_NOT_FOUND`; InvalidInputError for a malformed id. */
  get(id: string): Promise<JobRecord>;
  /** The job only if `ownerId` owns it; another owner's job is `MIG_E_JOB_NOT_FOUND`, exactly as a missing one. */
  getForOwner(id: string, ownerId: string): Promise<JobRecord>;
  /** Jobs newest first, filtered and paged. */
  list(filter?: ListJobsFilter): Promise<JobPage>;
  /** Every waiting job (QUEUED and RETRY), oldest in the queue first: what the engine loads at start-up. */
  loadQueued(): Promise<JobRecord[]>;
  /** Every EXECUTING job, oldest dispatch first: what the engine watches for timeouts after a restart. */
  loadExecuting(): Promise<JobRecord[]>;
  /**
   * The end of the change feed now: where {@link JobStore.changedSince} starts. Take it before
   * a full load ({@link JobStore.loadQueued}), so that nothing changed during the load is missed.
   */
  changeCursor(): Promise<JobChangeCursor>;
  /**
   * The jobs changed (in any process) since `cursor`, read from the history, with the cursor to
   * pass next time: the engine's way to follow the database without scanning the queue. Cost is
   * O(changes), not O(jobs). A job may be reported again (its change seen twice); callers apply
   * the current record, which is idempotent. Jobs deleted with their owner are not reported.
   *
   * @example
   * ```ts
   * let cursor = await jobs.changeCursor();
   * const queue = await jobs.loadQueued();
   * // … every few seconds:
   * let batch;
   * do {
   *   batch = await jobs.changedSince(cursor);
   *   for (const job of batch.jobs) apply(job);
   *   cursor = batch.cursor;
   * } while (batch.more);
   * ```
   * @throws InvalidInputError for a cursor not made by this method.
   */
  changedSince(cursor: JobChangeCursor, options?: JobChangesOptions): Promise<JobChangeBatch>;
  /**
   * One step of the state machine, compare-and-set on `from` (and `expectVersion` when given).
   * EXECUTING is reached only by {@link JobStore.dispatch}, and EXECUTING → QUEUED only by
   * {@link JobStore.requeue}.
   * @throws ConflictError `MIG_E_JOB_STATE` when the step is not allowed or the job moved on.
   */
  transition(id: string, input: TransitionJobInput): Promise<JobRecord>;
  /**
   * QUEUED/RETRY → EXECUTING on a resource unit, with a fresh session id (only its hash is stored).
   * @throws ConflictError `MIG_E_JOB_STATE` when the job is no longer queued at `expectVersion`.
   */
  dispatch(id: string, input: DispatchJobInput): Promise<DispatchedJob>;
  /** The EXECUTING job holding this session id, or `undefined` (malformed, unknown, or the job is no longer executing). */
  findBySession(sessionId: string): Promise<JobRecord | undefined>;
  /**
   * EXECUTING → QUEUED with the retry count plus one, or → FAILED when that count exceeds the job's
   * RETRIES. The old session id stops working either way.
   * @throws ConflictError `MIG_E_JOB_STATE` when the job is not executing at `expectVersion`.
   */
  requeue(id: string, input: RequeueJobInput): Promise<JobRecord>;
  /** Any pending job → CANCELED. Owners and admins only (others get `MIG_E_JOB_NOT_FOUND`). */
  cancel(id: string, by: JobActor, reason?: string): Promise<JobRecord>;
  /** QUEUED/RETRY → FROZEN (held in the queue). */
  freeze(id: string, by: JobActor): Promise<JobRecord>;
  /** FROZEN → QUEUED. */
  thaw(id: string, by: JobActor): Promise<JobRecord>;
  /**
   * Jobs waiting since before `cutoff` (QUEUED/RETRY by `queued_at`) → EXPIRED, at most `limit`
   * (default 1000) per call, oldest first. Returns the expired jobs (for notifications). FROZEN jobs
   * do not expire, as in MiG.
   */
  expireQueuedBefore(cutoff: number, options?: { readonly limit?: number; readonly actor?: string }): Promise<JobRecord[]>;
  /** The job's state changes, oldest first. @throws NotFoundError `MIG_E_JOB_NOT_FOUND`. */
  history(id: string): Promise<JobEvent[]>;
}

const userIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'must be a user id');
const actorSchema = z.string().min(1).max(300).refine((v) => !/[\u0000-\u001f\u007f]/.test(v), { message: 'must not contain control characters' });
const unitNameSchema = z.string().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9._+@:-]*$/, 'must be letters, digits and . _ + @ : - (starting with a letter or digit)');
const versionSchema = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const stateSchema = z.enum(JOB_STATES);
const reasonSchema = z.string().max(4096);
const verificationSchema = z.object({
  result: z.enum(['SUCCESS', 'FAILURE', 'NO']),
  checks: z.array(z.object({
    file: z.string().max(4096),
    check: z.enum(['status', 'stdout', 'stderr']).nullable(),
    ok: z.boolean(),
    message: z.string().max(4096),
  })).max(1000),
  summary: z.string().max(65_536),
});

/** Most missing history numbers a change cursor waits for (older ones count as rolled back). */
const MAX_PENDING_CHANGES = 1000;
const cursorSchema = z.object({
  after: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  pending: z.array(z.object({ id: z.int().min(1).max(Number.MAX_SAFE_INTEGER), since: z.number().finite() })).max(MAX_PENDING_CHANGES),
});
/** Most bytes of a history event's detail, as JSON. */
const MAX_DETAIL_BYTES = 16 * 1024;
const DEFAULT_MAX_SPEC_BYTES = 2 * 1024 * 1024;
const SESSION_ID_PATTERN = /^[0-9a-f]{64}$/;
/** Job states in which a job waits for a resource or a thaw (counted by `maxQueued`). */
const WAITING_STATES: readonly JobState[] = ['PARSE', 'QUEUED', 'RETRY', 'FROZEN'];

type JobRow = Selectable<JobsTable>;
type Db = Kysely<Database> | Transaction<Database>;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function notFound(): NotFoundError {
  return new NotFoundError('MIG_E_JOB_NOT_FOUND', 'No such job: check the job id (jobs of other users are not visible).');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function detailJson(detail: unknown): string {
  if (detail === undefined) return '{}';
  if (!isPlainObject(detail)) throw new InvalidInputError('Invalid job event detail: it must be a plain object.');
  let text: string;
  try {
    text = JSON.stringify(detail);
  } catch {
    throw new InvalidInputError('Invalid job event detail: it must be JSON (no cycles or big integers).');
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_DETAIL_BYTES) {
    throw new InvalidInputError(`Invalid job event detail: at most ${MAX_DETAIL_BYTES} bytes of JSON.`, { code: 'MIG_E_TOO_LARGE' });
  }
  return text;
}

/** The error for a job that changed between the caller's read and its write. */
function movedOn(row: JobRow, expected: { state: JobState; version?: number | undefined }): ConflictError {
  const wanted = expected.version === undefined ? expected.state : `${expected.state} (version ${expected.version})`;
  return new ConflictError(
    'MIG_E_JOB_STATE',
    `Job ${row.id} changed meanwhile: it is ${row.state} (version ${row.version}), not ${wanted}; reload it and decide again.`,
    { details: { jobId: row.id, state: row.state, version: Number(row.version), expectedState: expected.state, ...(expected.version !== undefined && { expectedVersion: expected.version }) } },
  );
}

/** Column changes that always come with entering a state. */
function entering(to: JobState, at: number): Partial<JobRow> {
  if (to === 'QUEUED' || to === 'RETRY') return { queued_at: at, session_id_hash: null };
  if (isFinalJobState(to)) return { finished_at: at, session_id_hash: null };
  return {};
}

/**
 * Creates the job store over the site database.
 *
 * @example
 * ```ts
 * const jobs = createJobStore(site.db, { serverId: 'grid01' });
 * const job = await jobs.submit({ ownerId: user.id, spec: parseMrsl(text), mrsl: text });
 * const { record, sessionId } = await jobs.dispatch(job.id, { resourceId: 'res.0', unit: 'exe0', expectVersion: job.version });
 * ```
 */
export function createJobStore(db: Kysely<Database>, options: JobStoreOptions = {}): JobStore {
  const now = options.now ?? Date.now;
  const serverId = options.serverId ?? defaultJobServerId();
  if (!JOB_SERVER_ID_PATTERN.test(serverId)) {
    throw new InvalidInputError('Invalid job server id: use letters, digits, "." and "-" (at most 64), starting and ending with a letter or digit.');
  }
  const maxSpecBytes = options.maxSpecBytes ?? DEFAULT_MAX_SPEC_BYTES;

  /** Runs `body` in a transaction, again when the database reports a lost race (busy, serialization). */
  async function inTransaction<T>(body: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await db.transaction().execute(body);
      } catch (err) {
        if (isMigError(err)) throw err;
        if (isRetryableTransactionError(err) && attempt < 5) {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
          continue;
        }
        throw new DatabaseError(`The job store could not complete the change: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      }
    }
  }

  async function readRow(trx: Db, id: string): Promise<JobRow> {
    const row = await trx.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw notFound();
    return row;
  }

  /**
   * The one place a job changes state: checks the step, writes it compare-and-set on the state
   * and version that were read, and appends the history event.
   */
  async function move(
    trx: Transaction<Database>,
    row: JobRow,
    to: JobState,
    step: { actor: string; detail?: Record<string, unknown>; columns?: Partial<JobRow>; at: number },
  ): Promise<JobRow> {
    const from = row.state as JobState;
    assertTransition(from, to, row.id);
    const version = Number(row.version);
    const updated = await trx
      .updateTable('jobs')
      .set({ ...entering(to, step.at), ...step.columns, state: to, version: version + 1, updated_at: step.at })
      .where('id', '=', row.id)
      .where('state', '=', from)
      .where('version', '=', version)
      .returningAll()
      .executeTakeFirst();
    if (updated === undefined) throw movedOn(await readRow(trx, row.id), { state: from, version });
    await trx
      .insertInto('job_events')
      .values({ job_id: row.id, at: step.at, from_state: from, to_state: to, actor: step.actor, detail: detailJson(step.detail) })
      .execute();
    return updated;
  }

  /** Reads the job, checks the caller's expectations, and moves it. */
  async function change(
    id: string,
    expect: { state?: JobState | readonly JobState[]; version?: number | undefined; ownerId?: string | undefined },
    decide: (row: JobRow, at: number) => { to: JobState; actor: string; detail?: Record<string, unknown>; columns?: Partial<JobRow> },
  ): Promise<JobRow> {
    return inTransaction(async (trx) => {
      const row = await readRow(trx, id);
      if (expect.ownerId !== undefined && row.owner_id !== expect.ownerId) throw notFound();
      const states: readonly JobState[] | undefined = typeof expect.state === 'string' ? [expect.state] : expect.state;
      const expectedState = states?.[0];
      if (states !== undefined && expectedState !== undefined && !states.includes(row.state as JobState)) {
        throw movedOn(row, { state: expectedState, version: expect.version });
      }
      if (expect.version !== undefined && Number(row.version) !== expect.version) {
        throw movedOn(row, { state: row.state as JobState, version: expect.version });
      }
      const at = now();
      const d = decide(row, at);
      return move(trx, row, d.to, { ...d, at });
    });
  }

  function checkActor(actor: unknown): string {
    return parseInput(actorSchema, actor, 'actor');
  }

  /** Owner check and actor name for cancel/freeze/thaw. */
  function actorOf(by: JobActor): { actor: string; ownerId?: string } {
    if (typeof by !== 'object' || by === null) throw new InvalidInputError('Invalid actor: give the user or admin who acts.');
    if (by.kind === 'user') {
      const userId = parseInput(userIdSchema, by.userId, 'userId');
      return { actor: describePrincipal({ kind: 'user', userId }), ownerId: userId };
    }
    if (by.kind === 'admin') {
      const userId = by.userId === null ? null : parseInput(userIdSchema, by.userId, 'userId');
      return { actor: describePrincipal({ kind: 'admin', userId }) };
    }
    throw new InvalidInputError('Invalid actor: only the job\'s owner or an admin may change a job.');
  }

  /** A user-initiated step: retried when the job moved on meanwhile but the step is still allowed. */
  async function userStep(id: string, by: JobActor, to: JobState, detail: Record<string, unknown>): Promise<JobRecord> {
    const jobId = assertJobId(id);
    const who = actorOf(by);
    for (let attempt = 0; ; attempt++) {
      try {
        const row = await change(jobId, { ownerId: who.ownerId }, () => ({ to, actor: who.actor, detail }));
        return jobRecordFromRow(row);
      } catch (err) {
        // Only a lost race is retried; a refused step (final state, wrong state) is reported.
        const raced = isMigError(err, 'MIG_E_JOB_STATE') && err.details?.['expectedState'] !== undefined;
        if (raced && attempt < 3) continue;
        throw err;
      }
    }
  }

  function checkSpec(spec: unknown): { spec: JobSpec; json: string } {
    if (!isPlainObject(spec)) throw new InvalidInputError('Invalid job: give the parsed job description (parseMrsl or jobSpecFromJson).');
    let wire: unknown;
    try {
      wire = jobSpecToJson(spec as unknown as JobSpec);
    } catch {
      throw new InvalidInputError('Invalid job: give the parsed job description (parseMrsl or jobSpecFromJson).');
    }
    const checked = jobSpecFromJson(wire, options.mrslOptions);
    const json = JSON.stringify(jobSpecToJson(checked));
    if (Buffer.byteLength(json, 'utf8') > maxSpecBytes) {
      throw new InvalidInputError(`The job description is too large: at most ${maxSpecBytes} bytes when stored.`, { code: 'MIG_E_TOO_LARGE' });
    }
    return { spec: checked, json };
  }

  /** MiG's submit check: every required runtime environment exists (ARC jobs name ARC's own). */
  async function checkRuntimeEnvs(spec: JobSpec): Promise<void> {
    if (options.runtimeEnvs === undefined || spec.JOBTYPE === 'arc' || spec.RUNTIMEENVIRONMENT.length === 0) return;
    const missing = await options.runtimeEnvs.missing(spec.RUNTIMEENVIRONMENT);
    if (missing.length === 0) return;
    // Only a well-formed name is repeated back; anything else cannot name a runtime environment.
    throw new MrslError(missing.map((name) => ({
      keyword: 'RUNTIMEENVIRONMENT',
      message: checkRuntimeEnvironmentName(name) === undefined
        ? `runtime environment ${name} does not exist on this site, so no resource can run the job; remove it or ask an admin to publish it (see "mig runtime-env list")`
        : "a runtime environment name is not valid (letters, digits, '.', '-' and '_' only), so no resource can run the job",
    })));
  }

  const store: JobStore = {
    async submit(input) {
      if (!isPlainObject(input)) throw new InvalidInputError('Invalid job submission: give ownerId and spec.');
      const ownerId = parseInput(userIdSchema, input.ownerId, 'ownerId');
      let { spec, json } = checkSpec(input.spec);
      await checkRuntimeEnvs(spec);
      if (options.jobVgrids !== undefined) {
        const vgrids = await options.jobVgrids.resolve(ownerId, spec.VGRID);
        if (vgrids.length !== spec.VGRID.length || vgrids.some((v, i) => v !== spec.VGRID[i])) ({ spec, json } = checkSpec({ ...spec, VGRID: vgrids }));
      }
      let mrsl: string | null = null;
      if (input.mrsl !== undefined) {
        if (typeof input.mrsl !== 'string') throw new InvalidInputError('Invalid job submission: mrsl must be the job description text.');
        if (Buffer.byteLength(input.mrsl, 'utf8') > MRSL_LIMITS.maxBytes) {
          throw new InvalidInputError(`The job description text is too large: at most ${MRSL_LIMITS.maxBytes} bytes.`, { code: 'MIG_E_TOO_LARGE' });
        }
        mrsl = input.mrsl;
      }
      const maxQueued = input.maxQueued === undefined ? undefined : parseInput(z.int().min(0).max(1_000_000), input.maxQueued, 'maxQueued');
      const actor = checkActor(input.actor ?? `user:${ownerId}`);

      const row = await inTransaction(async (trx) => {
        // The counter first: its row lock (PostgreSQL) or the write lock (SQLite) orders concurrent
        // submissions, so the count below cannot be raced past.
        const seq = await bumpCounter(trx, JOB_ID_COUNTER);
        const owner = await trx.selectFrom('users').select('id').where('id', '=', ownerId).executeTakeFirst();
        if (owner === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', 'No account has this user id; jobs can only be submitted for existing accounts.');
        if (maxQueued !== undefined) {
          const waiting = await trx
            .selectFrom('jobs')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('owner_id', '=', ownerId)
            .where('state', 'in', WAITING_STATES)
            .executeTakeFirstOrThrow();
          if (Number(waiting.n) >= maxQueued) {
            throw new PolicyError('MIG_E_JOB_LIMIT', `You have ${Number(waiting.n)} jobs waiting, the most allowed is ${maxQueued}: wait for some to run, or cancel some.`, {
              details: { waiting: Number(waiting.n), max: maxQueued },
            });
          }
        }
        const at = now();
        const id = formatJobId(seq, at, serverId);
        const parsing: JobRow = {
          id,
          seq,
          owner_id: ownerId,
          name: spec.JOBNAME,
          state: 'PARSE',
          spec: json,
          mrsl,
          retry_count: 0,
          version: 0,
          session_id_hash: null,
          resource_id: null,
          unit_name: null,
          received_at: at,
          queued_at: null,
          executing_at: null,
          finished_at: null,
          updated_at: at,
          failure_message: null,
          verified: null,
          verified_at: null,
        };
        await trx.insertInto('jobs').values(parsing).execute();
        await trx.insertInto('job_events').values({ job_id: id, at, from_state: null, to_state: 'PARSE', actor, detail: '{}' }).execute();
        return move(trx, parsing, 'QUEUED', { actor, at });
      });
      return jobRecordFromRow(row);
    },

    async get(id) {
      return jobRecordFromRow(await readRow(db, assertJobId(id)));
    },

    async getForOwner(id, ownerId) {
      const jobId = assertJobId(id);
      const owner = parseInput(userIdSchema, ownerId, 'ownerId');
      const row = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).where('owner_id', '=', owner).executeTakeFirst();
      if (row === undefined) throw notFound();
      return jobRecordFromRow(row);
    },

    async list(filter = {}) {
      const f = parseInput(
        z.object({
          ownerId: userIdSchema.optional(),
          states: z.array(stateSchema).max(JOB_STATES.length).optional(),
          nameContains: z.string().max(200).refine((v) => !/[\u0000-\u001f\u007f]/.test(v), { message: 'must not contain control characters' }).optional(),
          limit: z.int().min(1).max(1000).default(100),
          before: z.string().max(200).optional(),
        }),
        filter,
        'job list filter',
      );
      let query = db.selectFrom('jobs').selectAll();
      if (f.ownerId !== undefined) query = query.where('owner_id', '=', f.ownerId);
      if (f.states !== undefined) {
        if (f.states.length === 0) return { jobs: [], next: null };
        query = query.where('state', 'in', f.states);
      }
      if (f.nameContains !== undefined && f.nameContains !== '') {
        // LIKE with its wildcards escaped, on lower-cased text (SQLite's LIKE and lower() fold ASCII only).
        const pattern = `%${f.nameContains.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
        query = query.where(sql<boolean>`lower(name) like ${pattern} escape '!'`);
      }
      if (f.before !== undefined) {
        const cursor = parseJobId(f.before);
        if (cursor === undefined) throw new InvalidInputError('Invalid page cursor: pass the `next` value of the previous page.');
        query = query.where('seq', '<', cursor.counter);
      }
      const rows = await query.orderBy('seq', 'desc').limit(f.limit + 1).execute();
      const page = rows.slice(0, f.limit).map(jobRecordFromRow);
      const last = page[page.length - 1];
      return { jobs: page, next: rows.length > f.limit && last !== undefined ? last.id : null };
    },

    async loadQueued() {
      const rows = await db
        .selectFrom('jobs')
        .selectAll()
        .where('state', 'in', QUEUED_JOB_STATES)
        .orderBy('queued_at', 'asc')
        .orderBy('seq', 'asc')
        .execute();
      return rows.map(jobRecordFromRow);
    },

    async loadExecuting() {
      const rows = await db.selectFrom('jobs').selectAll().where('state', '=', 'EXECUTING').orderBy('executing_at', 'asc').orderBy('seq', 'asc').execute();
      return rows.map(jobRecordFromRow);
    },

    async changeCursor() {
      const last = await db.selectFrom('job_events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      return { after: Number(last?.id ?? 0), pending: [] };
    },

    async changedSince(cursor, opts = {}) {
      const c = parseInput(cursorSchema, cursor, 'cursor');
      const limit = parseInput(z.int().min(1).max(10_000), opts.limit ?? 1000, 'limit');
      const settleMs = parseInput(z.int().min(0).max(86_400_000), opts.settleMs ?? 60_000, 'settleMs');
      const at = now();
      // Event numbers only grow and are never reused (migration 0005), so `id > after` is exact
      // but for numbers taken by transactions that had not committed yet: those wait in `pending`.
      let after = c.after;
      const fresh = await db.selectFrom('job_events').select(['id', 'job_id']).where('id', '>', after).orderBy('id', 'asc').limit(limit).execute();
      const waiting = c.pending.filter((p) => p.id <= after);
      const filled = waiting.length === 0 ? [] : await db.selectFrom('job_events').select(['id', 'job_id']).where('id', 'in', waiting.map((p) => p.id)).execute();
      const seen = new Set(filled.map((e) => Number(e.id)));
      const pending: { id: number; since: number }[] = waiting.filter((p) => !seen.has(p.id) && at - p.since < settleMs);
      const changed = new Map<string, number>();
      for (const e of filled) changed.set(e.job_id, Number(e.id));
      for (const e of fresh) {
        const id = Number(e.id);
        // Numbers skipped here may belong to a transaction that has not committed yet.
        for (let missing = Math.max(after + 1, id - MAX_PENDING_CHANGES); missing < id; missing++) pending.push({ id: missing, since: at });
        after = Math.max(after, id);
        changed.delete(e.job_id);
        changed.set(e.job_id, id);
      }
      const ids = [...changed.keys()];
      const rows = ids.length === 0 ? [] : await db.selectFrom('jobs').selectAll().where('id', 'in', ids).execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      const jobs: JobRecord[] = [];
      for (const id of ids) {
        const row = byId.get(id);
        if (row !== undefined) jobs.push(jobRecordFromRow(row));
      }
      return { jobs, cursor: { after, pending: pending.slice(-MAX_PENDING_CHANGES) }, more: fresh.length === limit };
    },

    async transition(id, input) {
      const jobId = assertJobId(id);
      if (!isPlainObject(input)) throw new InvalidInputError('Invalid job transition: give from, to and actor.');
      const from = parseInput(stateSchema, input.from, 'from');
      const to = parseInput(stateSchema, input.to, 'to');
      const expectVersion = input.expectVersion === undefined ? undefined : parseInput(versionSchema, input.expectVersion, 'expectVersion');
      const actor = checkActor(input.actor);
      const detail = input.detail === undefined ? undefined : (JSON.parse(detailJson(input.detail)) as Record<string, unknown>);
      if (to === 'EXECUTING') throw new InvalidInputError('A job is handed to a resource with dispatch(), which also gives it a session id.');
      if (from === 'EXECUTING' && to === 'QUEUED') {
        throw new InvalidInputError('An executing job goes back to the queue with requeue(), which counts the retry.');
      }
      const columns: Partial<JobRow> = {};
      const set = input.set ?? {};
      if (!isPlainObject(set)) throw new InvalidInputError('Invalid job transition: set must be an object.');
      if (set.failureMessage !== undefined) {
        columns.failure_message = set.failureMessage === null ? null : parseInput(reasonSchema, set.failureMessage, 'failureMessage');
      }
      const verified = set.verified === undefined || set.verified === null ? set.verified : parseInput(verificationSchema, set.verified, 'verified');
      if (verified === null) Object.assign(columns, { verified: null, verified_at: null });
      const row = await change(jobId, { state: from, version: expectVersion }, (_current, at) => ({
        to,
        actor,
        ...(detail !== undefined && { detail }),
        columns: verified === undefined || verified === null ? columns : { ...columns, verified: JSON.stringify(verified), verified_at: at },
      }));
      return jobRecordFromRow(row);
    },

    async dispatch(id, input) {
      const jobId = assertJobId(id);
      if (!isPlainObject(input)) throw new InvalidInputError('Invalid dispatch: give resourceId, unit and expectVersion.');
      const resourceId = parseInput(unitNameSchema, input.resourceId, 'resourceId');
      const unit = parseInput(unitNameSchema, input.unit, 'unit');
      const expectVersion = parseInput(versionSchema, input.expectVersion, 'expectVersion');
      const actor = checkActor(input.actor ?? 'grid_script');
      const sessionId = randomBytes(32).toString('hex');
      const row = await change(jobId, { state: QUEUED_JOB_STATES, version: expectVersion }, (_current, at) => ({
        to: 'EXECUTING',
        actor,
        detail: { resourceId, unit },
        columns: { session_id_hash: sha256Hex(sessionId), resource_id: resourceId, unit_name: unit, executing_at: at },
      }));
      return { record: jobRecordFromRow(row), sessionId };
    },

    async findBySession(sessionId) {
      if (typeof sessionId !== 'string' || !SESSION_ID_PATTERN.test(sessionId)) return undefined;
      const hash = sha256Hex(sessionId);
      const row = await db.selectFrom('jobs').selectAll().where('session_id_hash', '=', hash).where('state', '=', 'EXECUTING').executeTakeFirst();
      // The lookup is by a hash of 256 random bits; the compare is constant-time anyway.
      if (row === undefined || row.session_id_hash === null) return undefined;
      if (!timingSafeEqual(Buffer.from(row.session_id_hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
      return jobRecordFromRow(row);
    },

    async requeue(id, input) {
      const jobId = assertJobId(id);
      if (!isPlainObject(input)) throw new InvalidInputError('Invalid requeue: give expectVersion and reason.');
      const expectVersion = parseInput(versionSchema, input.expectVersion, 'expectVersion');
      const reason = parseInput(reasonSchema.min(1), input.reason, 'reason');
      const actor = checkActor(input.actor ?? 'grid_script');
      const row = await change(jobId, { state: 'EXECUTING', version: expectVersion }, (current) => {
        const retryCount = Number(current.retry_count) + 1;
        const retries = (JSON.parse(current.spec) as Partial<JobSpec>).RETRIES ?? 0;
        const failed = retryCount > retries;
        return {
          to: failed ? 'FAILED' : 'QUEUED',
          actor,
          detail: { reason, retryCount, retries, resourceId: current.resource_id, unit: current.unit_name },
          columns: {
            retry_count: retryCount,
            failure_message: failed ? `${reason} (failed after ${retries} ${retries === 1 ? 'retry' : 'retries'})` : reason,
          },
        };
      });
      return jobRecordFromRow(row);
    },

    cancel(id, by, reason) {
      const detail = reason === undefined ? {} : { reason: parseInput(reasonSchema, reason, 'reason') };
      return userStep(id, by, 'CANCELED', detail);
    },

    freeze(id, by) {
      return userStep(id, by, 'FROZEN', {});
    },

    thaw(id, by) {
      return userStep(id, by, 'QUEUED', { thawed: true });
    },

    async expireQueuedBefore(cutoff, opts = {}) {
      const before = parseInput(z.number().finite(), cutoff, 'cutoff');
      const limit = parseInput(z.int().min(1).max(100_000), opts.limit ?? 1000, 'limit');
      const actor = checkActor(opts.actor ?? 'grid_script');
      const candidates = await db
        .selectFrom('jobs')
        .select(['id', 'state', 'version'])
        .where('state', 'in', QUEUED_JOB_STATES)
        .where('queued_at', '<', before)
        .orderBy('queued_at', 'asc')
        .limit(limit)
        .execute();
      const expired: JobRecord[] = [];
      for (const c of candidates) {
        try {
          const row = await change(c.id, { state: c.state as JobState, version: Number(c.version) }, (current) => ({
            to: 'EXPIRED',
            actor,
            detail: { queuedAt: current.queued_at, cutoff: before },
          }));
          expired.push(jobRecordFromRow(row));
        } catch (err) {
          // Dispatched, frozen or cancelled meanwhile: not ours to expire any more.
          if (isMigError(err, 'MIG_E_JOB_STATE') || isMigError(err, 'MIG_E_JOB_NOT_FOUND')) continue;
          throw err;
        }
      }
      return expired;
    },

    async history(id) {
      const jobId = assertJobId(id);
      const rows = await db.selectFrom('job_events').selectAll().where('job_id', '=', jobId).orderBy('id', 'asc').execute();
      if (rows.length === 0) {
        await readRow(db, jobId);
      }
      return rows.map(jobEventFromRow);
    },
  };
  return store;
}

/** The sha256 hex a session id is stored as (for tests and for tools that inspect the database). */
export function jobSessionHash(sessionId: string): string {
  return sha256Hex(sessionId);
}
