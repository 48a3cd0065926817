/**
 * Per-user caps on simultaneous sessions, shared by the file servers (`max_sessions_per_user`).
 * @packageDocumentation
 */
import { PolicyError } from '@migrid/core';

/** Counts open sessions per user and refuses one over the cap. */
export interface SessionLimiter {
  /**
   * Takes a session slot for `userId`. Call the returned function exactly once when the session
   * ends (extra calls are ignored).
   * @throws PolicyError `MIG_E_TOO_MANY_SESSIONS` when the user already has `max` sessions.
   */
  acquire(userId: string): () => void;
  /** Open sessions of `userId`. */
  count(userId: string): number;
}

/** Creates a limiter allowing at most `max` sessions per user. */
export function createSessionLimiter(max: number): SessionLimiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max sessions per user must be a positive integer');
  const open = new Map<string, number>();
  return {
    acquire(userId) {
      const current = open.get(userId) ?? 0;
      if (current >= max) {
        throw new PolicyError('MIG_E_TOO_MANY_SESSIONS', `Too many simultaneous sessions (at most ${max} per user); close some and try again.`);
      }
      open.set(userId, current + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const n = (open.get(userId) ?? 1) - 1;
        if (n <= 0) open.delete(userId);
        else open.set(userId, n);
      };
    },
    count: (userId) => open.get(userId) ?? 0,
  };
}
