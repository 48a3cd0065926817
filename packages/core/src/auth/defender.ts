/**
 * The defender: one brute-force guard for every protocol (MiG's griddaemons rate limits, kept in the
 * database so every daemon and process shares it, and one ban covers SFTP, FTPS, WebDAVS and the web).
 *
 * Rules:
 * - Failures are remembered for `window_seconds`, per address and user name (user names compared
 *   case-insensitively). A client retrying the **same** secret counts once, as MiG does; after 10
 *   retries of one secret each further retry counts again, so a client cannot hammer for free.
 * - `max_user_failures` for one user name from one address, or `max_address_failures` from one
 *   address over all user names, bans the address for `ban_seconds × ban_growth^(level)` (capped
 *   at `max_ban_seconds`), where `level` counts earlier bans of that address. The address's
 *   failures are then spent (cleared), so counting starts afresh after the ban.
 * - Every address ban caused by one user name is a strike against that name; from the third
 *   strike ({@link DefenderOptions.userBanAfter}) the user name itself is banned from every address,
 *   with the same growing length. This stops one account being guessed from many addresses.
 *   An admin lifts it with `liftBan('user:<name>')`.
 * - A subject's ban history (its level) is forgotten a day (or `max_ban_seconds`, whichever is
 *   longer) after its last ban ended.
 * - Addresses on the `allow_list` are never banned, never counted and never refused.
 * - With `enabled = false` nothing is counted and nothing is refused.
 *
 * Secrets are never stored: a failure keeps an HMAC of the secret under a key that lives only in
 * the process (or the one given in {@link DefenderOptions.secretKey}), just enough to recognise a
 * retry of the same secret.
 * @packageDocumentation
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { DefenderSection } from '../config/site-config.js';
import type { Database } from '../db/schema.js';
import { InvalidInputError } from '../errors.js';
import { parseInput } from '../validation/parse-input.js';
import type { AuthBanEvent, AuthLog } from './auth-log.js';
import { createAddressMatcher, normalizeIpAddress } from './ip-address.js';
import { systemClock } from './store-support.js';
import type { Clock } from './store-support.js';

/** Who is trying: the client address, the user name as sent, the protocol. */
export interface DefenderAttempt {
  /** The client's IP address (IPv4, IPv6, or IPv4-mapped IPv6). */
  readonly address: string;
  /** The user name as the client sent it (may be empty or hostile; it is only counted). */
  readonly username: string;
  /** `sftp`, `ftps`, `webdavs`, `https`, … */
  readonly protocol: string;
}

/** A failed attempt, with the secret that was tried (used only to recognise a retry of the same secret). */
export interface DefenderFailure extends DefenderAttempt {
  /** The secret tried, if any; without one every failure counts. */
  readonly secret?: string | Buffer;
}

/** The answer of {@link Defender.check}. */
export type DefenderDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly until: number; readonly reason: string; readonly subject: string };

/** What {@link Defender.recordFailure} did. */
export type DefenderFailureResult =
  | { readonly banned: false; readonly userFailures: number; readonly addressFailures: number }
  | { readonly banned: true; readonly until: number; readonly level: number; readonly subjects: readonly string[] };

/** An active ban, as listed for admins. */
export interface DefenderBan {
  /** `addr:<ip>` or `user:<name>`. */
  readonly subject: string;
  readonly until: number;
  readonly level: number;
  readonly reason: string;
  readonly updatedAt: number;
}

/** Options for {@link createDefender}. */
export interface DefenderOptions {
  /** Where `banned` lines go. */
  readonly authLog?: AuthLog;
  /** Clock for tests. */
  readonly now?: Clock;
  /**
   * Key for the HMAC of failed secrets. Give every process of a site the same key (e.g. derived
   * from a site secret) if retries of one secret across processes should count once; by default a
   * random key per process is used, so nothing in the database can be tested against guesses.
   */
  readonly secretKey?: Buffer;
  /** Address bans caused by one user name before the name itself is banned; default 3. */
  readonly userBanAfter?: number;
}

/** The brute-force defender shared by every protocol. */
export interface Defender {
  /** Call before checking any secret: is this address or user name banned right now? */
  check(attempt: DefenderAttempt): Promise<DefenderDecision>;
  /** Records a failed attempt; may ban the address (and the user name). */
  recordFailure(failure: DefenderFailure): Promise<DefenderFailureResult>;
  /** Records a success: clears that user name's failures from that address. */
  recordSuccess(attempt: DefenderAttempt): Promise<void>;
  /** Active bans, soonest ending first. */
  listBans(): Promise<DefenderBan[]>;
  /**
   * Lifts a ban and forgets the subject's history. `subject` is `addr:<ip>`, `user:<name>` or a bare
   * IP address. Returns false when there was no such ban.
   */
  liftBan(subject: string): Promise<boolean>;
  /** Drops failures older than the window and bans whose history has expired. */
  prune(): Promise<{ failures: number; bans: number }>;
}

/** How many identical retries of one secret count as one failure. */
export const SAME_SECRET_FREE_RETRIES = 10;
const USERNAME_MAX = 200;
const HISTORY_MIN_MS = 86_400_000;

const attemptSchema = z.object({
  address: z.string().min(1).max(80),
  username: z.string().max(100_000),
  protocol: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be a short lower-case protocol name'),
});
const failureSchema = attemptSchema.extend({
  secret: z.union([z.string().max(100_000), z.instanceof(Buffer)]).optional(),
});

const defenderConfigSchema = z.object({
  enabled: z.boolean(),
  window_seconds: z.number().int().min(1).max(86_400 * 30),
  max_user_failures: z.number().int().min(1).max(100_000),
  max_address_failures: z.number().int().min(1).max(1_000_000),
  ban_seconds: z.number().int().min(1).max(86_400 * 365),
  ban_growth: z.number().min(1).max(100),
  max_ban_seconds: z.number().int().min(1).max(86_400 * 3650),
  allow_list: z.array(z.string()).max(10_000),
});

/** How user names are counted: case-insensitive, trimmed, bounded (a longer name is still counted, by its prefix). */
function normalizeUsername(username: string): string {
  return username.trim().toLowerCase().slice(0, USERNAME_MAX);
}

/** Effective failures of a group of identical attempts: one, plus each retry beyond the free ones. */
function effective(n: number): number {
  return n <= SAME_SECRET_FREE_RETRIES ? 1 : n - SAME_SECRET_FREE_RETRIES + 1;
}

/**
 * Parses a ban subject (`addr:<ip>`, `user:<name>`, or a bare IP) into its stored form.
 * @throws InvalidInputError `MIG_E_INVALID_INPUT`.
 */
export function normalizeBanSubject(subject: string): string {
  if (typeof subject === 'string' && subject.length <= 300) {
    if (subject.startsWith('user:') && subject.length > 5) return `user:${normalizeUsername(subject.slice(5))}`;
    const ip = normalizeIpAddress(subject.startsWith('addr:') ? subject.slice(5) : subject);
    if (ip !== undefined) return `addr:${ip}`;
  }
  throw new InvalidInputError('A ban subject is addr:<ip address>, user:<user name> or an IP address.', { details: { field: 'subject' } });
}

/**
 * Creates the defender over the site database with the `[defender]` config section.
 *
 * @throws InvalidInputError for an out-of-range config; ConfigError for a bad allow-list entry.
 *
 * @example
 * ```ts
 * const defender = createDefender(db, config.defender, { authLog });
 * const decision = await defender.check({ address, username, protocol: 'sftp' });
 * if (!decision.allowed) return reject();
 * if (!(await verify())) await defender.recordFailure({ address, username, protocol: 'sftp', secret: password });
 * ```
 */
export function createDefender(db: Kysely<Database>, config: DefenderSection, options: DefenderOptions = {}): Defender {
  const cfg = parseInput(defenderConfigSchema, config, 'defender config');
  const allow = createAddressMatcher(cfg.allow_list);
  const now = options.now ?? systemClock;
  const secretKey = options.secretKey ?? randomBytes(32);
  const userBanAfter = options.userBanAfter ?? 3;
  const windowMs = cfg.window_seconds * 1000;
  const historyMs = Math.max(HISTORY_MIN_MS, cfg.max_ban_seconds * 1000);

  /** Validates and normalises an attempt; `undefined` address means "not an IP": such input is refused. */
  function prepare(input: unknown, schema: typeof attemptSchema | typeof failureSchema, what: string) {
    const parsed = parseInput(schema, input, what) as z.output<typeof failureSchema>;
    const address = normalizeIpAddress(parsed.address);
    if (address === undefined) throw new InvalidInputError(`Invalid ${what}: address: must be an IPv4 or IPv6 address`, { details: { field: 'address' } });
    return { address, username: normalizeUsername(parsed.username), protocol: parsed.protocol, secret: parsed.secret };
  }

  function banLength(level: number): number {
    return Math.min(cfg.ban_seconds * cfg.ban_growth ** level, cfg.max_ban_seconds) * 1000;
  }

  /** Bans a subject one level higher than before; returns the new ban. */
  async function ban(subject: string, reason: string, at: number, strikeOnly = false): Promise<{ until: number; level: number; active: boolean }> {
    return db.transaction().execute(async (tx) => {
      const old = await tx.selectFrom('auth_bans').selectAll().where('subject', '=', subject).executeTakeFirst();
      // A strike-only row has no ban end, so its history runs from its last update.
      const lastEvent = old === undefined ? 0 : Math.max(Number(old.until), Number(old.updated_at));
      const remembered = old !== undefined && lastEvent + historyMs > at ? Number(old.level) : 0;
      const level = remembered + 1;
      let until = old !== undefined && remembered > 0 ? Number(old.until) : 0;
      let active = false;
      if (!strikeOnly || level >= userBanAfter) {
        const growth = strikeOnly ? level - userBanAfter : level - 1;
        until = Math.max(until, at + banLength(growth));
        active = true;
      }
      await tx
        .insertInto('auth_bans')
        .values({ subject, until, level, reason, updated_at: at })
        .onConflict((oc) => oc.column('subject').doUpdateSet({ until, level, reason, updated_at: at }))
        .execute();
      return { until, level, active };
    });
  }

  /** A ban stands even when its log line cannot be written. */
  async function logBan(event: AuthBanEvent): Promise<void> {
    try {
      await options.authLog?.banned(event);
    } catch {
      // ignored on purpose (see above)
    }
  }

  return {
    async check(input) {
      const { address, username } = prepare(input, attemptSchema, 'defender attempt');
      if (!cfg.enabled || allow.matches(address)) return { allowed: true };
      const at = now();
      const subjects = [`addr:${address}`];
      if (username !== '') subjects.push(`user:${username}`);
      const bans = await db.selectFrom('auth_bans').selectAll().where('subject', 'in', subjects).where('until', '>', at).orderBy('until', 'desc').execute();
      const first = bans[0];
      if (first === undefined) return { allowed: true };
      return {
        allowed: false,
        until: Number(first.until),
        subject: first.subject,
        reason: first.subject.startsWith('addr:') ? 'address-banned' : 'user-banned',
      };
    },

    async recordFailure(input) {
      const { address, username, protocol, secret } = prepare(input, failureSchema, 'defender failure');
      if (!cfg.enabled || allow.matches(address)) return { banned: false, userFailures: 0, addressFailures: 0 };
      const at = now();
      const secretHash =
        secret === undefined
          ? `unique:${randomBytes(16).toString('hex')}`
          : createHmac('sha256', secretKey).update(`${address}\0${username}\0`).update(secret).digest('hex').slice(0, 56);
      await db.insertInto('auth_failures').values({ address, username, protocol, secret_hash: secretHash, at }).execute();

      const since = at - windowMs;
      const groups = await db
        .selectFrom('auth_failures')
        .select(['username', 'secret_hash', db.fn.countAll().as('n')])
        .where('address', '=', address)
        .where('at', '>', since)
        .groupBy(['username', 'secret_hash'])
        .execute();
      let userFailures = 0;
      let addressFailures = 0;
      for (const g of groups) {
        const n = effective(Number(g.n));
        addressFailures += n;
        if (g.username === username) userFailures += n;
      }
      const byUser = userFailures >= cfg.max_user_failures;
      if (!byUser && addressFailures < cfg.max_address_failures) return { banned: false, userFailures, addressFailures };

      const reason = byUser ? 'too-many-user-failures' : 'too-many-address-failures';
      const addrBan = await ban(`addr:${address}`, reason, at);
      // The failures that led to the ban are spent; counting starts afresh when it ends.
      await db.deleteFrom('auth_failures').where('address', '=', address).execute();
      const subjects = [`addr:${address}`];
      await logBan({ subject: 'address', address, until: addrBan.until, level: addrBan.level, reason });
      let until = addrBan.until;
      if (byUser && username !== '') {
        const userBan = await ban(`user:${username}`, 'repeated-bans', at, true);
        if (userBan.active) {
          subjects.push(`user:${username}`);
          until = Math.max(until, userBan.until);
          await logBan({ subject: 'user', username, until: userBan.until, level: userBan.level, reason: 'repeated-bans' });
        }
      }
      return { banned: true, until, level: addrBan.level, subjects };
    },

    async recordSuccess(input) {
      const { address, username } = prepare(input, attemptSchema, 'defender attempt');
      await db.deleteFrom('auth_failures').where('address', '=', address).where('username', '=', username).execute();
    },

    async listBans() {
      const rows = await db.selectFrom('auth_bans').selectAll().where('until', '>', now()).orderBy('until').orderBy('subject').execute();
      return rows.map((r) => ({ subject: r.subject, until: Number(r.until), level: Number(r.level), reason: r.reason, updatedAt: Number(r.updated_at) }));
    },

    async liftBan(subjectInput) {
      const subject = normalizeBanSubject(subjectInput);
      const result = await db.deleteFrom('auth_bans').where('subject', '=', subject).executeTakeFirst();
      if (subject.startsWith('addr:')) await db.deleteFrom('auth_failures').where('address', '=', subject.slice(5)).execute();
      return Number(result.numDeletedRows) > 0;
    },

    async prune() {
      const at = now();
      const failures = await db.deleteFrom('auth_failures').where('at', '<=', at - windowMs).executeTakeFirst();
      const bans = await db.deleteFrom('auth_bans').where('until', '<=', at - historyMs).where('updated_at', '<=', at - historyMs).executeTakeFirst();
      return { failures: Number(failures.numDeletedRows), bans: Number(bans.numDeletedRows) };
    },
  };
}
