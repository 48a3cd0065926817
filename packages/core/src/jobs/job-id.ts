/**
 * Job ids shaped as MiG shapes them: `<counter>_<month>_<day>_<year>__<hour>_<min>_<sec>_<server id>`
 * in GMT, e.g. `42_7_2_2025__12_57_15_myhost`. The counter comes from the database, bumped in the
 * transaction that creates the job, so ids are unique across processes and hosts.
 * @packageDocumentation
 */
import { hostname } from 'node:os';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { InvalidInputError } from '../errors.js';

/**
 * A server id: what ends a job id (MiG's `mig_server_id`). Letters, digits, `.` and `-`, starting
 * and ending with a letter or digit, at most 64 characters.
 *
 * @example
 * ```ts
 * JOB_SERVER_ID_PATTERN.test('myhost.0'); // true
 * ```
 */
export const JOB_SERVER_ID_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$/;

/**
 * What a job id must look like: a counter without leading zeros, then month, day, year, hour,
 * minute and second as MiG writes them (no padding), then a server id. Nothing else: no `/`, no
 * `..`, no spaces, so a job id is always a safe single path component (`job_output/<job id>/`).
 *
 * @example
 * ```ts
 * JOB_ID_PATTERN.test('42_7_2_2025__12_57_15_myhost.0'); // true
 * JOB_ID_PATTERN.test('../etc');                        // false
 * ```
 */
export const JOB_ID_PATTERN =
  /^([1-9][0-9]{0,15})_([1-9]|1[0-2])_([1-9]|[12][0-9]|3[01])_([0-9]{4})__([0-9]|1[0-9]|2[0-3])_([0-9]|[1-5][0-9])_([0-9]|[1-5][0-9])_([A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?)$/;

/** The longest job id {@link JOB_ID_PATTERN} allows (MiG's limit on job ids is 255). */
export const MAX_JOB_ID_LENGTH = 128;

/**
 * The parts of a job id.
 *
 * @example
 * ```ts
 * const parts: JobIdParts = parseJobId('42_7_2_2025__12_57_15_myhost')!;
 * parts.counter; // 42
 * ```
 */
export interface JobIdParts {
  /** The site-wide counter value. */
  readonly counter: number;
  /** When the job was received (whole seconds, epoch milliseconds). */
  readonly receivedAt: number;
  /** The server id that ends the id. */
  readonly serverId: string;
}

/**
 * True when `value` is a well-formed job id.
 *
 * @example
 * ```ts
 * isJobId('1_1_1_2025__0_0_0_site'); // true
 * isJobId('1_1_1_2025__0_0_0_site/x'); // false
 * ```
 */
export function isJobId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_JOB_ID_LENGTH && parseJobId(value) !== undefined;
}

/**
 * Throws unless `value` is a well-formed job id; returns it typed as a string.
 *
 * @throws {@link InvalidInputError} `MIG_E_INVALID_INPUT` (the value is never echoed).
 *
 * @example
 * ```ts
 * const id = assertJobId(request.params.jobId);
 * ```
 */
export function assertJobId(value: unknown): string {
  if (!isJobId(value)) {
    throw new InvalidInputError('Invalid job id: a job id looks like 42_7_2_2025__12_57_15_myhost (counter, date and time in GMT, server id).');
  }
  return value;
}

/**
 * Splits a job id into its parts, or `undefined` when it is not a well-formed job id (including
 * dates that do not exist, such as 31 February).
 *
 * @example
 * ```ts
 * parseJobId('42_7_2_2025__12_57_15_myhost')?.receivedAt; // Date.UTC(2025, 6, 2, 12, 57, 15)
 * ```
 */
export function parseJobId(value: string): JobIdParts | undefined {
  if (typeof value !== 'string' || value.length > MAX_JOB_ID_LENGTH) return undefined;
  const m = JOB_ID_PATTERN.exec(value);
  if (m === null) return undefined;
  const [, counter, month, day, year, hour, minute, second, serverId] = m as unknown as [string, string, string, string, string, string, string, string, string];
  const counterValue = Number(counter);
  if (!Number.isSafeInteger(counterValue)) return undefined;
  const at = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (new Date(at).getUTCDate() !== Number(day)) return undefined;
  return { counter: counterValue, receivedAt: at, serverId };
}

/**
 * Builds a job id from a counter value, a time (read in GMT) and a server id.
 *
 * @throws {@link InvalidInputError} when the counter is not a positive safe integer, the server id
 *   does not match {@link JOB_SERVER_ID_PATTERN} or the year is outside 1000–9999.
 *
 * @example
 * ```ts
 * formatJobId(42, Date.UTC(2025, 6, 2, 12, 57, 15), 'myhost'); // '42_7_2_2025__12_57_15_myhost'
 * ```
 */
export function formatJobId(counter: number, at: number | Date, serverId: string): string {
  if (!Number.isSafeInteger(counter) || counter < 1) throw new InvalidInputError('A job id counter must be a positive whole number.');
  if (typeof serverId !== 'string' || !JOB_SERVER_ID_PATTERN.test(serverId)) {
    throw new InvalidInputError('Invalid job server id: use letters, digits, "." and "-" (at most 64), starting and ending with a letter or digit.');
  }
  const d = new Date(at);
  const year = d.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) throw new InvalidInputError('A job id time must be between the years 1000 and 9999.');
  const id = `${counter}_${d.getUTCMonth() + 1}_${d.getUTCDate()}_${year}__${d.getUTCHours()}_${d.getUTCMinutes()}_${d.getUTCSeconds()}_${serverId}`;
  return id;
}

/**
 * The server id to use when none is configured: this host's short name (the part before the first
 * dot), with characters a job id may not have replaced by `-`; `mig` when nothing usable is left.
 * (MiG's own default is `<fqdn>.0`; the project has no `[site] server_id` key yet.)
 *
 * @example
 * ```ts
 * defaultJobServerId('grid01.example.org'); // 'grid01'
 * ```
 */
export function defaultJobServerId(host: string = hostname()): string {
  const short = (host.split('.')[0] ?? '').replace(/[^A-Za-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '');
  return JOB_SERVER_ID_PATTERN.test(short) ? short : 'mig';
}

/** The counter row job ids are numbered from. */
export const JOB_ID_COUNTER = 'job_id';

/**
 * Bumps a named counter and returns its new value (1 the first time). Run it inside the
 * transaction that uses the value: the row stays locked until that transaction ends (PostgreSQL)
 * or the whole database is (SQLite), so concurrent callers get distinct, gap-free values and a
 * rolled-back transaction gives its value back. Internal to the jobs module.
 */
export async function bumpCounter(db: Kysely<Database> | Transaction<Database>, name: string): Promise<number> {
  const row = await db
    .insertInto('counters')
    .values({ name, value: 1 })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: sql<number>`counters.value + 1` }))
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}
