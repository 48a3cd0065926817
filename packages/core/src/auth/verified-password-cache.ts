import { createHmac, randomBytes } from 'node:crypto';

/**
 * Remembers, for a short while, that a password was verified against a stored hash, so that
 * protocols which send the password with every request (WebDAV Basic auth, FTP clients that open
 * many sessions, SFTP reconnects) do not pay the deliberately slow KDF each time. MiG keeps a
 * similar per-process hash cache.
 *
 * Entries are HMACs under a random key that lives only in this process's memory, keyed by the
 * user id, the stored hash and the password: a changed password (a new stored hash) never hits an
 * old entry, and a wrong password can never hit at all. Only successes are remembered; account
 * status, expiry and the defender are still checked on every login by the authenticator.
 */
export interface VerifiedPasswordCache {
  has(userId: string, storedHash: string, password: string): boolean;
  remember(userId: string, storedHash: string, password: string): void;
  clear(): void;
}

/**
 * @param ttlMs - how long a verification is remembered; 0 disables the cache.
 * @param maxEntries - bound on memory; the oldest entries are dropped first.
 */
export function createVerifiedPasswordCache(options: { ttlMs: number; maxEntries?: number; now: () => number }): VerifiedPasswordCache {
  const key = randomBytes(32);
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, number>();
  const digest = (userId: string, storedHash: string, password: string): string =>
    createHmac('sha256', key).update(userId).update('\0').update(storedHash).update('\0').update(password, 'utf8').digest('base64');
  return {
    has(userId, storedHash, password) {
      if (options.ttlMs <= 0) return false;
      const id = digest(userId, storedHash, password);
      const until = entries.get(id);
      if (until === undefined) return false;
      if (until <= options.now()) {
        entries.delete(id);
        return false;
      }
      return true;
    },
    remember(userId, storedHash, password) {
      if (options.ttlMs <= 0) return;
      const id = digest(userId, storedHash, password);
      entries.delete(id);
      entries.set(id, options.now() + options.ttlMs);
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    clear() {
      entries.clear();
    },
  };
}
