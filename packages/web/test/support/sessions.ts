/**
 * Test helpers for the web app: a signed-in session made directly in the database (so tests of a
 * feature do not depend on the sign-in pages), and cookie handling for `inject()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Site } from '@migrid/core';
import { SESSION_COOKIE } from '../../src/plugins/sessions.js';

export interface TestSession {
  /** The `cookie` header value to send. */
  readonly cookie: string;
  /** The session's CSRF token (send as `x-csrf-token` or `_csrf`). */
  readonly csrf: string;
}

/** Creates a signed-in session for `userId`. */
export async function sessionFor(site: Site, userId: string): Promise<TestSession> {
  const raw = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const now = Date.now();
  await site.db
    .insertInto('web_sessions')
    .values({
      id_hash: createHash('sha256').update(raw).digest('hex'),
      user_id: userId,
      created_at: now,
      last_seen_at: now,
      expires_at: now + 3600_000,
      address: '127.0.0.1',
      user_agent: 'test',
      data: JSON.stringify({ csrf }),
    })
    .execute();
  return { cookie: `${SESSION_COOKIE}=${raw}`, csrf };
}

/** The session cookie a response set (`name=value`), if any. */
export function sessionCookieOf(setCookie: string | string[] | undefined): string | undefined {
  const all = Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie];
  const hit = all.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return hit?.split(';')[0];
}
