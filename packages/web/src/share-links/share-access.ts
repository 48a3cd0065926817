/**
 * Who may use a share link in this browser: after the link's password (or, without one, the id
 * itself) was accepted by `site.auth.authenticateShareLink`, the browser gets a short-lived signed
 * cookie scoped to `/share/<id>`, and the server keeps that browser session's view of the link (a
 * drop box remembers what this session uploaded; the view is live, so a revoked or expired link
 * fails the next operation). One use of the link is counted per browser session, not per request.
 * @packageDocumentation
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FileView, ShareLink, Site } from '@migrid/core';

/** Name of the cookie (one per link: each is scoped to `Path=/share/<id>`). */
export const SHARE_COOKIE = '__Secure-mig_share';
/** How long a share session lasts without use (it is renewed on use). */
export const SHARE_SESSION_MS = 2 * 3600_000;
/** Most share sessions held in memory; the least recently used beyond it are forgotten. */
const MAX_SESSIONS = 5_000;
/** Most names remembered as "uploaded in this session" per session. */
const MAX_UPLOADED = 1_000;

/** What a valid share cookie says. */
export interface ShareCookie {
  readonly shareId: string;
  /** The browser session's random id (keys its server-side state). */
  readonly nonce: string;
  /** When the cookie stops being accepted (epoch ms). */
  readonly expiresAt: number;
}

/** One browser session of one link, held in memory by the web process. */
export interface ShareSession {
  readonly shareId: string;
  readonly nonce: string;
  /** Names uploaded in this session (paths in the link's view), oldest first. */
  readonly uploaded: string[];
  /** The link's view for this session (made on first use). */
  view(): Promise<FileView>;
  lastUsed: number;
}

/**
 * The binding of a cookie to the link's password: a password link's cookie dies when the link is
 * changed (a new password ends the sessions of those who knew the old one).
 */
function bindingOf(link: Pick<ShareLink, 'hasPassword' | 'updatedAt'>): string {
  return link.hasPassword ? `p${link.updatedAt}` : 'n';
}

/** Signs and checks share cookies and keeps the share sessions of this process. */
export class ShareAccess {
  readonly #key: Buffer;
  readonly #site: Site;
  readonly #now: () => number;
  readonly #sessions = new Map<string, ShareSession>();

  constructor(site: Site, now: () => number) {
    this.#site = site;
    this.#now = now;
    // A purpose-bound key derived from the site's secret key: every web process agrees on it.
    this.#key = createHmac('sha256', site.secretKey).update('mig web share-link cookie v1').digest();
  }

  #mac(shareId: string, nonce: string, expiresAt: number, binding: string): string {
    return createHmac('sha256', this.#key).update(`${shareId}\0${nonce}\0${expiresAt}\0${binding}`).digest('base64url');
  }

  /** A cookie value for a new (or renewed, with `nonce`) session of `link`. */
  issue(link: Pick<ShareLink, 'id' | 'hasPassword' | 'updatedAt'>, nonce: string = randomBytes(18).toString('base64url')): { value: string; cookie: ShareCookie } {
    const expiresAt = this.#now() + SHARE_SESSION_MS;
    const value = `${nonce}.${expiresAt}.${this.#mac(link.id, nonce, expiresAt, bindingOf(link))}`;
    return { value, cookie: { shareId: link.id, nonce, expiresAt } };
  }

  /** The cookie's content when it is valid for `link` now, else undefined. */
  verify(link: Pick<ShareLink, 'id' | 'hasPassword' | 'updatedAt'>, value: string | undefined): ShareCookie | undefined {
    if (value === undefined || value.length > 200) return undefined;
    const m = /^([A-Za-z0-9_-]{24})\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (m === null) return undefined;
    const [, nonce = '', at = '', mac = ''] = m;
    const expiresAt = Number(at);
    if (!(expiresAt > this.#now())) return undefined;
    const expected = Buffer.from(this.#mac(link.id, nonce, expiresAt, bindingOf(link)));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    return { shareId: link.id, nonce, expiresAt };
  }

  /** The server-side state of a cookie's session (made when this process has none). */
  session(cookie: ShareCookie): ShareSession {
    const key = `${cookie.shareId}\0${cookie.nonce}`;
    const t = this.#now();
    let s = this.#sessions.get(key);
    if (s === undefined) {
      this.#prune(t);
      let made: Promise<FileView> | undefined;
      const site = this.#site;
      const shareId = cookie.shareId;
      s = {
        shareId,
        nonce: cookie.nonce,
        uploaded: [],
        lastUsed: t,
        view() {
          // A failed build is not kept: the next request tries again (and fails the same way when the link is gone).
          made ??= site.files.viewFor({ kind: 'share-link', shareId }).catch((err: unknown) => {
            made = undefined;
            throw err;
          });
          return made;
        },
      };
    } else {
      this.#sessions.delete(key); // re-inserted below: the map's order is least recently used first
    }
    s.lastUsed = t;
    this.#sessions.set(key, s);
    return s;
  }

  /** Remembers that this session uploaded `path`. */
  noteUpload(session: ShareSession, path: string): void {
    if (!session.uploaded.includes(path)) session.uploaded.push(path);
    if (session.uploaded.length > MAX_UPLOADED) session.uploaded.splice(0, session.uploaded.length - MAX_UPLOADED);
  }

  /** Forgets a session (its link turned out unusable). */
  forget(cookie: ShareCookie): void {
    this.#sessions.delete(`${cookie.shareId}\0${cookie.nonce}`);
  }

  #prune(t: number): void {
    for (const [key, s] of this.#sessions) {
      if (s.lastUsed + SHARE_SESSION_MS > t && this.#sessions.size < MAX_SESSIONS) break;
      this.#sessions.delete(key);
    }
  }
}
