/**
 * Server-side sign-in sessions. The browser holds only a random 256-bit id in a
 * `__Host-` cookie (Secure, HttpOnly, SameSite=Lax, Path=/); the database holds a sha256 of it,
 * the user and a small JSON state (the CSRF secret, a pending second factor, OIDC state). A session
 * is created lazily (the first time a page needs a CSRF token), gets a fresh id at sign-in (no
 * fixation), expires after {@link SESSION_IDLE_MS} idle or {@link SESSION_MAX_MS} in total, and is
 * deleted at sign-out. Every process of a site shares them through the database.
 * @packageDocumentation
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '@migrid/core';

/** Name of the session cookie. The `__Host-` prefix pins it to this host, path `/` and HTTPS. */
export const SESSION_COOKIE = '__Host-mig_session';
/** A session unused this long ends (12 hours). */
export const SESSION_IDLE_MS = 12 * 3600_000;
/** A session ends this long after it began, used or not (7 days). */
export const SESSION_MAX_MS = 7 * 24 * 3600_000;
/** `last_seen_at` is written at most this often per session. */
const TOUCH_EVERY_MS = 60_000;

/** What a session remembers besides the user. Keep it small: it is read on every request. */
export interface SessionData {
  /** The CSRF secret of this session (see the CSRF plugin). */
  csrf?: string;
  [key: string]: unknown;
}

const hashId = (id: string): string => createHash('sha256').update(id).digest('hex');

/** The session of one request. */
export class WebSession {
  /** @internal */ rawId: string | undefined;
  /** @internal */ dirty = false;
  /** @internal */ isNew = false;
  /** @internal */ destroyed = false;
  /** @internal */ touch = false;
  /** @internal */ oldIdHash: string | undefined;
  /** @internal */ createdAt: number;

  /** @internal */
  constructor(
    rawId: string | undefined,
    /** The signed-in user's id, or null. */
    public userId: string | null,
    /** The session's state. Call {@link WebSession.set} to change it. */
    public data: SessionData,
    createdAt: number,
  ) {
    this.rawId = rawId;
    this.createdAt = createdAt;
  }

  /** True when the browser already had this session (it sent the cookie). */
  get exists(): boolean {
    return this.rawId !== undefined && !this.isNew && !this.destroyed;
  }

  /** Sets a value in the session's state (creating the session if needed). */
  set(key: string, value: unknown): void {
    if (value === undefined) delete this.data[key];
    else this.data[key] = value;
    this.dirty = true;
    this.ensure();
  }

  /** Reads a value of the session's state. */
  get<T = unknown>(key: string): T | undefined {
    return this.data[key] as T | undefined;
  }

  /** Makes sure the session exists (an anonymous one, if nobody is signed in). */
  ensure(): void {
    if (this.rawId === undefined || this.destroyed) {
      this.rawId = randomBytes(32).toString('base64url');
      this.isNew = true;
      this.destroyed = false;
      this.dirty = true;
      this.createdAt = Date.now();
    }
  }

  /**
   * Signs `userId` in: a fresh id replaces the old one (so a session id planted before sign-in is
   * worthless), and the state is kept except for `keep`-less sign-in leftovers.
   */
  signIn(userId: string): void {
    if (this.rawId !== undefined && !this.isNew) this.oldIdHash = hashId(this.rawId);
    this.rawId = undefined;
    this.ensure();
    this.userId = userId;
    this.data = { csrf: randomBytes(32).toString('base64url') };
  }

  /** Ends the session: the row is deleted and the cookie cleared. */
  signOut(): void {
    if (this.rawId !== undefined && !this.isNew) this.oldIdHash = hashId(this.rawId);
    this.destroyed = true;
    this.userId = null;
    this.data = {};
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session (may be an empty, not yet created one). */
    session: WebSession;
  }
}

/** Options of {@link registerSessions}. */
export interface SessionOptions {
  readonly db: Kysely<Database>;
  /** Clock for tests. */
  readonly now?: () => number;
}

/** Adds `request.session`, loading and saving sessions in the database. Needs `@fastify/cookie`. */
export function registerSessions(app: FastifyInstance, options: SessionOptions): void {
  const { db } = options;
  const now = options.now ?? Date.now;
  app.decorateRequest('session', null as unknown as WebSession);

  app.addHook('onRequest', async (request) => {
    const cookie = request.cookies[SESSION_COOKIE];
    request.session = new WebSession(undefined, null, {}, now());
    if (cookie === undefined || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return;
    const idHash = hashId(cookie);
    const row = await db.selectFrom('web_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    const t = now();
    if (row === undefined) return;
    // Compare again in constant time, as a belt to the hash lookup's braces.
    if (!timingSafeEqual(Buffer.from(row.id_hash), Buffer.from(idHash))) return;
    if (row.expires_at <= t || row.last_seen_at + SESSION_IDLE_MS <= t) {
      await db.deleteFrom('web_sessions').where('id_hash', '=', idHash).execute();
      return;
    }
    let data: SessionData = {};
    try {
      const parsed: unknown = JSON.parse(row.data);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) data = parsed as SessionData;
    } catch {
      data = {};
    }
    const session = new WebSession(cookie, row.user_id, data, row.created_at);
    session.touch = t - row.last_seen_at >= TOUCH_EVERY_MS;
    request.session = session;
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    const session = request.session;
    if (session === null || session === undefined) return payload;
    const t = now();
    if (session.oldIdHash !== undefined) {
      await db.deleteFrom('web_sessions').where('id_hash', '=', session.oldIdHash).execute();
    }
    if (session.destroyed) {
      reply.clearCookie(SESSION_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'lax' });
      return payload;
    }
    if (session.rawId === undefined) return payload;
    const idHash = hashId(session.rawId);
    if (session.isNew) {
      await db
        .insertInto('web_sessions')
        .values({
          id_hash: idHash,
          user_id: session.userId,
          created_at: session.createdAt,
          last_seen_at: t,
          expires_at: session.createdAt + SESSION_MAX_MS,
          address: request.ip.slice(0, 64),
          user_agent: (request.headers['user-agent'] ?? '').slice(0, 512),
          data: JSON.stringify(session.data),
        })
        .execute();
      reply.setCookie(SESSION_COOKIE, session.rawId, { path: '/', secure: true, httpOnly: true, sameSite: 'lax', maxAge: Math.floor(SESSION_MAX_MS / 1000) });
    } else if (session.dirty || session.touch) {
      await db
        .updateTable('web_sessions')
        .set({ data: JSON.stringify(session.data), user_id: session.userId, last_seen_at: t })
        .where('id_hash', '=', idHash)
        .execute();
    }
    return payload;
  });
}

/** Ends every session of a user (password change, suspension, deletion). Returns how many. */
export async function endSessionsOf(db: Kysely<Database>, userId: string, exceptRawId?: string): Promise<number> {
  let q = db.deleteFrom('web_sessions').where('user_id', '=', userId);
  if (exceptRawId !== undefined) q = q.where('id_hash', '!=', hashId(exceptRawId));
  const result = await q.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Removes expired sessions (housekeeping). Returns how many. */
export async function pruneSessions(db: Kysely<Database>, now: number = Date.now()): Promise<number> {
  const result = await db
    .deleteFrom('web_sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - SESSION_IDLE_MS)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
