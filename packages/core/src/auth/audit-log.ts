import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { InvalidInputError, MigError } from '../errors.js';
import { parseInput } from '../validation/parse-input.js';
import { systemClock } from './store-support.js';
import type { Clock } from './store-support.js';

/** What {@link AuditLog.record} takes. */
export interface AuditEntryInput {
  /** Who did it, e.g. `user:<id>`, `admin:local`, `system`. */
  readonly actor: string;
  /** What was done, a dotted word, e.g. `auth.login`, `user.create`, `sshkey.add`. */
  readonly action: string;
  /** What it was done to, e.g. a user id or a path. */
  readonly target: string;
  /** `success`, `failure`, `denied`, … */
  readonly outcome: string;
  /** The client address, if there was one. */
  readonly address?: string;
  /** Small machine-readable details; never secrets. At most 16 KiB as JSON. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** One recorded audit entry. */
export interface AuditEntry {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: string;
  readonly address: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Filters of {@link AuditLog.list}. */
export interface AuditQuery {
  /** Only entries at or after this time (epoch ms). */
  readonly since?: number;
  readonly actor?: string;
  readonly action?: string;
  /** At most this many entries, newest first (1–1000). */
  readonly limit: number;
}

/** The append-only audit log of security-relevant actions. */
export interface AuditLog {
  /** Records an entry (in the database, and in the JSON-lines file if configured). */
  record(entry: AuditEntryInput): Promise<AuditEntry>;
  /** Entries matching the filters, newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
  /** Waits for pending file writes; later records are refused (`MIG_E_INTERNAL`). */
  close(): Promise<void>;
}

/** Options for {@link createAuditLog}. */
export interface AuditLogOptions {
  /** Also append each entry as one JSON line to this file. */
  readonly filePath?: string;
  /** Clock for tests. */
  readonly now?: Clock;
}

const noControl = /^[^\p{Cc}]*$/u;
const entrySchema = z.object({
  actor: z.string().min(1).max(300).regex(noControl, 'must not contain control characters'),
  action: z.string().regex(/^[a-z][a-z0-9_.:-]{0,63}$/, 'must be a dotted lower-case word such as auth.login'),
  target: z.string().max(1024).regex(noControl, 'must not contain control characters'),
  outcome: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a lower-case word such as success'),
  address: z.string().max(64).regex(noControl, 'must not contain control characters').optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
const querySchema = z.object({
  since: z.number().int().min(0).optional(),
  actor: z.string().max(300).optional(),
  action: z.string().max(64).optional(),
  limit: z.number().int().min(1).max(1000),
});
const MAX_DETAILS_BYTES = 16 * 1024;

function parseDetails(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Creates the audit log over the site database, optionally mirrored to a JSON-lines file for
 * log shippers.
 *
 * @example
 * ```ts
 * const audit = createAuditLog(db, { filePath: join(stateDir, 'log', 'audit.jsonl') });
 * await audit.record({ actor: 'admin:local', action: 'user.suspend', target: userId, outcome: 'success' });
 * ```
 */
export function createAuditLog(db: Kysely<Database>, options: AuditLogOptions = {}): AuditLog {
  const { filePath } = options;
  if (filePath !== undefined && (typeof filePath !== 'string' || filePath.length === 0 || filePath.includes('\0'))) {
    throw new InvalidInputError('The audit log path must be a non-empty file path.', { details: { field: 'filePath' } });
  }
  const now = options.now ?? systemClock;
  let madeDir = false;
  let queue: Promise<void> = Promise.resolve();
  let closed = false;

  return {
    async record(input) {
      if (closed) throw new MigError('MIG_E_INTERNAL', 'The audit log is closed; the site is shutting down.');
      const entry = parseInput(entrySchema, input, 'audit entry');
      let detailsText: string;
      try {
        detailsText = JSON.stringify(entry.details ?? {});
      } catch (err) {
        throw new InvalidInputError('Audit details must be plain JSON data.', { cause: err, details: { field: 'details' } });
      }
      if (Buffer.byteLength(detailsText) > MAX_DETAILS_BYTES) {
        throw new InvalidInputError('Audit details must be at most 16 KiB as JSON.', { code: 'MIG_E_TOO_LARGE', details: { field: 'details' } });
      }
      const at = now();
      const row = {
        at,
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        outcome: entry.outcome,
        address: entry.address ?? null,
        details: detailsText,
      };
      const inserted = await db.insertInto('audit_log').values(row).returning('id').executeTakeFirstOrThrow();
      const recorded: AuditEntry = { id: Number(inserted.id), ...row, details: parseDetails(detailsText) };
      if (filePath !== undefined) {
        const line = `${JSON.stringify({ ...recorded, time: new Date(at).toISOString() })}\n`;
        const next = queue.then(async () => {
          if (!madeDir) {
            await mkdir(dirname(filePath), { recursive: true, mode: 0o750 });
            madeDir = true;
          }
          await appendFile(filePath, line, { encoding: 'utf8', mode: 0o640 });
        });
        queue = next.catch(() => undefined);
        await next;
      }
      return recorded;
    },

    async list(input) {
      const query = parseInput(querySchema, input, 'audit query');
      let q = db.selectFrom('audit_log').selectAll();
      if (query.since !== undefined) q = q.where('at', '>=', query.since);
      if (query.actor !== undefined) q = q.where('actor', '=', query.actor);
      if (query.action !== undefined) q = q.where('action', '=', query.action);
      const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map((r) => ({
        id: Number(r.id),
        at: Number(r.at),
        actor: r.actor,
        action: r.action,
        target: r.target,
        outcome: r.outcome,
        address: r.address,
        details: parseDetails(r.details),
      }));
    },

    async close() {
      closed = true;
      await queue;
    },
  };
}
