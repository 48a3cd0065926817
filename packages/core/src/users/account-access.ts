import type { UserRecord } from './user-record.js';

/**
 * Whether an account may be used now: its status is `active` or `temporal` and it has not
 * expired. MiG refuses suspended, retired and expired accounts on every protocol; so do we.
 *
 * @example
 * ```ts
 * if (!isAccessible(user, Date.now())) throw new AuthError('MIG_E_ACCOUNT_DISABLED', '…');
 * ```
 */
export function isAccessible(record: Pick<UserRecord, 'status' | 'expiresAt'>, now: number): boolean {
  if (record.status !== 'active' && record.status !== 'temporal') return false;
  return record.expiresAt === null || record.expiresAt > now;
}
