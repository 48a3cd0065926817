import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { AuthError, ConflictError, InvalidInputError } from '../errors.js';
import { parseInput } from '../validation/parse-input.js';
import { parseUserId, requireUser, systemClock } from './store-support.js';
import type { Clock } from './store-support.js';

/** The TOTP parameters every authenticator app understands (RFC 6238 defaults). */
export const TOTP_PARAMETERS = Object.freeze({ algorithm: 'SHA1', digits: 6, period: 30 } as const);

/** How many time steps before and after the current one a code is accepted for (clock drift). */
export const TOTP_WINDOW = 1;

/** How many recovery codes a confirmed enrolment hands out. */
export const RECOVERY_CODE_COUNT = 10;

/** What {@link TotpStore.beginEnrollment} returns: show the URI as a QR code and the secret as text. */
export interface TotpEnrollment {
  /** Base32 secret, for typing into an app by hand. */
  readonly secret: string;
  /** `otpauth://totp/…` provisioning URI. */
  readonly uri: string;
}

/** Where a user stands with TOTP. */
export interface TotpStatus {
  /** A secret exists (enrolment begun). */
  readonly enrolled: boolean;
  /** Enrolment was confirmed with a first code; codes are required from now on. */
  readonly enabled: boolean;
  /** Unused recovery codes left. */
  readonly recoveryCodesLeft: number;
}

/** Options for {@link createTotpStore}. */
export interface TotpStoreOptions {
  /** Clock for tests. */
  readonly now?: Clock;
}

/** TOTP second factors with single-use recovery codes. */
export interface TotpStore {
  /**
   * Starts (or restarts) enrolment with a fresh 160-bit secret. Codes are not required until
   * {@link TotpStore.confirmEnrollment}.
   * @throws ConflictError `MIG_E_TOTP_ENABLED` when TOTP is enabled already (disable it first);
   *   NotFoundError `MIG_E_USER_NOT_FOUND`; InvalidInputError for a bad issuer or label.
   */
  beginEnrollment(userId: string, options: { issuer: string; label: string }): Promise<TotpEnrollment>;
  /**
   * Confirms enrolment with a code from the app, enables TOTP and returns the recovery codes
   * (shown once; only their hashes are stored).
   * @throws ConflictError `MIG_E_TOTP_NOT_ENROLLED` without a begun enrolment, `MIG_E_TOTP_ENABLED`
   *   when confirmed already; AuthError `MIG_E_TOTP_INVALID` for a wrong code.
   */
  confirmEnrollment(userId: string, code: string): Promise<string[]>;
  /**
   * Checks a code (±1 step) and refuses a step that was accepted before, so an observed code
   * cannot be replayed. Returns false for a wrong, malformed or replayed code.
   * @throws ConflictError `MIG_E_TOTP_NOT_ENROLLED` when TOTP is not enabled for the user.
   */
  verify(userId: string, code: string): Promise<boolean>;
  /**
   * Checks and consumes a recovery code; each works once. Returns false for an unknown code.
   * @throws ConflictError `MIG_E_TOTP_NOT_ENROLLED` when TOTP is not enabled for the user.
   */
  verifyRecoveryCode(userId: string, code: string): Promise<boolean>;
  /** Removes the user's TOTP secret and recovery codes. Returns false if there was none. */
  disable(userId: string): Promise<boolean>;
  /** The user's TOTP status. */
  status(userId: string): Promise<TotpStatus>;
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const CODE_PATTERN = /^[0-9]{6}$/;
const labelSchema = z.object({
  issuer: z.string().trim().min(1).max(64).regex(/^[^:\p{Cc}\p{Cf}]+$/u, 'must not contain colons or control characters'),
  label: z.string().trim().min(1).max(256).regex(/^[^:\p{Cc}\p{Cf}]+$/u, 'must not contain colons or control characters'),
});

function makeTotp(secret: string, issuer = '', label = ''): TOTP {
  return new TOTP({ issuer, label, secret: Secret.fromBase32(secret), ...TOTP_PARAMETERS });
}

/** The time step a code belongs to, or undefined for a wrong code. */
function matchingStep(secret: string, code: string, at: number): number | undefined {
  if (!CODE_PATTERN.test(code)) return undefined;
  const delta = makeTotp(secret).validate({ token: code, timestamp: at, window: TOTP_WINDOW });
  if (delta === null) return undefined;
  return Math.floor(at / 1000 / TOTP_PARAMETERS.period) + delta;
}

function newRecoveryCode(): string {
  // 16 characters from 31 symbols ≈ 79 bits: too many to guess online or to brute-force from the stored SHA-256.
  let code = '';
  for (let i = 0; i < 16; i += 1) code += RECOVERY_ALPHABET.charAt(randomInt(RECOVERY_ALPHABET.length));
  return code.replace(/(.{4})(?!$)/g, '$1-');
}

function recoveryHash(code: string): string {
  const normal = code.toLowerCase().replace(/[\s-]/g, '');
  return createHash('sha256').update(`mig-recovery:${normal}`).digest('hex');
}

function parseHashes(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

function requireCode(code: unknown, what: string): string {
  if (typeof code !== 'string') throw new InvalidInputError(`The ${what} must be a string.`, { details: { field: 'code' } });
  return code.replace(/\s/g, '').slice(0, 64);
}

/**
 * Creates the TOTP store.
 *
 * @example
 * ```ts
 * const totp = createTotpStore(db);
 * const { uri } = await totp.beginEnrollment(user.id, { issuer: 'MiG', label: user.email });
 * const recoveryCodes = await totp.confirmEnrollment(user.id, codeFromApp);
 * ```
 */
export function createTotpStore(db: Kysely<Database>, options: TotpStoreOptions = {}): TotpStore {
  const now = options.now ?? systemClock;

  const notEnrolled = (): ConflictError =>
    new ConflictError('MIG_E_TOTP_NOT_ENROLLED', 'Two-factor authentication is not set up for this account; set it up first.');
  const alreadyEnabled = (): ConflictError =>
    new ConflictError('MIG_E_TOTP_ENABLED', 'Two-factor authentication is enabled already; disable it before setting up a new authenticator.');

  async function enabledRow(userId: string) {
    const row = await db.selectFrom('totp_secrets').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (row === undefined || Number(row.enabled) !== 1) throw notEnrolled();
    return row;
  }

  return {
    async beginEnrollment(userIdInput, labels) {
      const userId = parseUserId(userIdInput);
      const { issuer, label } = parseInput(labelSchema, labels, 'TOTP enrolment');
      await requireUser(db, userId);
      const existing = await db.selectFrom('totp_secrets').select('enabled').where('user_id', '=', userId).executeTakeFirst();
      if (existing !== undefined && Number(existing.enabled) === 1) throw alreadyEnabled();
      const secret = new Secret({ size: 20 }).base32;
      const values = { user_id: userId, secret, enabled: 0, last_step: 0, recovery_codes: '[]', created_at: now() };
      await db
        .insertInto('totp_secrets')
        .values(values)
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ secret, enabled: 0, last_step: 0, recovery_codes: '[]', created_at: values.created_at }).where('totp_secrets.enabled', '=', 0))
        .execute();
      return { secret, uri: makeTotp(secret, issuer, label).toString() };
    },

    async confirmEnrollment(userIdInput, codeInput) {
      const userId = parseUserId(userIdInput);
      const code = requireCode(codeInput, 'TOTP code');
      const row = await db.selectFrom('totp_secrets').selectAll().where('user_id', '=', userId).executeTakeFirst();
      if (row === undefined) throw notEnrolled();
      if (Number(row.enabled) === 1) throw alreadyEnabled();
      const step = matchingStep(row.secret, code, now());
      if (step === undefined) throw new AuthError('MIG_E_TOTP_INVALID', 'The code is not valid; check the time on your device and enter the current code.');
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
      const result = await db
        .updateTable('totp_secrets')
        .set({ enabled: 1, last_step: step, recovery_codes: JSON.stringify(codes.map(recoveryHash)) })
        .where('user_id', '=', userId)
        .where('enabled', '=', 0)
        .where('secret', '=', row.secret)
        .executeTakeFirst();
      // Someone restarted or confirmed the enrolment in between: this code belonged to the old secret.
      if (Number(result.numUpdatedRows) !== 1) throw new AuthError('MIG_E_TOTP_INVALID', 'The enrolment changed meanwhile; start the set-up again.');
      return codes;
    },

    async verify(userIdInput, codeInput) {
      const userId = parseUserId(userIdInput);
      const code = requireCode(codeInput, 'TOTP code');
      const row = await enabledRow(userId);
      const step = matchingStep(row.secret, code, now());
      if (step === undefined || step <= Number(row.last_step)) return false;
      // Compare-and-set: of two concurrent uses of one code only one moves last_step forward.
      const result = await db
        .updateTable('totp_secrets')
        .set({ last_step: step })
        .where('user_id', '=', userId)
        .where('last_step', '<', step)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async verifyRecoveryCode(userIdInput, codeInput) {
      const userId = parseUserId(userIdInput);
      const code = requireCode(codeInput, 'recovery code');
      const row = await enabledRow(userId);
      const hashes = parseHashes(row.recovery_codes);
      const wanted = Buffer.from(recoveryHash(code), 'hex');
      let index = -1;
      hashes.forEach((h, i) => {
        const stored = Buffer.from(h, 'hex');
        if (stored.length === wanted.length && timingSafeEqual(stored, wanted)) index = i;
      });
      if (index < 0) return false;
      const remaining = hashes.filter((_, i) => i !== index);
      // Compare-and-set on the whole list, so a code cannot be spent twice by two concurrent requests.
      const result = await db
        .updateTable('totp_secrets')
        .set({ recovery_codes: JSON.stringify(remaining) })
        .where('user_id', '=', userId)
        .where('recovery_codes', '=', row.recovery_codes)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async disable(userIdInput) {
      const userId = parseUserId(userIdInput);
      const result = await db.deleteFrom('totp_secrets').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async status(userIdInput) {
      const userId = parseUserId(userIdInput);
      const row = await db.selectFrom('totp_secrets').select(['enabled', 'recovery_codes']).where('user_id', '=', userId).executeTakeFirst();
      if (row === undefined) return { enrolled: false, enabled: false, recoveryCodesLeft: 0 };
      return { enrolled: true, enabled: Number(row.enabled) === 1, recoveryCodesLeft: parseHashes(row.recovery_codes).length };
    },
  };
}
