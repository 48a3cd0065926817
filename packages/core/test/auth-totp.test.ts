import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import { createTotpStore, RECOVERY_CODE_COUNT } from '../src/auth/index.js';
import { insertUser, testClock } from './auth-fixtures.js';
import { codeOf } from '../../../test/support/errors.js';


/** The code an authenticator app would show at `timestamp`. */
function appCode(secret: string, timestamp: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp });
}

describe('TOTP', () => {
  forEachDatabase((current) => {
    it('enrols with an otpauth URI, confirms with a code and hands out recovery codes', async () => {
      const { db } = current();
      await insertUser(db, 'alice');
      const clock = testClock();
      const totp = createTotpStore(db, { now: clock.now });
      expect(await totp.status('alice')).toEqual({ enrolled: false, enabled: false, recoveryCodesLeft: 0 });
      const { secret, uri } = await totp.beginEnrollment('alice', { issuer: 'MiG Test', label: 'alice@example.org' });
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      const url = new URL(uri);
      expect(url.protocol).toBe('otpauth:');
      expect(url.host).toBe('totp');
      expect(url.searchParams.get('secret')).toBe(secret);
      expect(url.searchParams.get('issuer')).toBe('MiG Test');
      expect(url.searchParams.get('algorithm')).toBe('SHA1');
      expect(url.searchParams.get('digits')).toBe('6');
      expect(url.searchParams.get('period')).toBe('30');
      expect(await totp.status('alice')).toMatchObject({ enrolled: true, enabled: false });
      expect(await codeOf(totp.verify('alice', appCode(secret, clock.now())))).toBe('MIG_E_TOTP_NOT_ENROLLED');

      expect(await codeOf(totp.confirmEnrollment('alice', '000000' === appCode(secret, clock.now()) ? '111111' : '000000'))).toBe('MIG_E_TOTP_INVALID');
      const recovery = await totp.confirmEnrollment('alice', appCode(secret, clock.now()));
      expect(recovery).toHaveLength(RECOVERY_CODE_COUNT);
      expect(new Set(recovery).size).toBe(RECOVERY_CODE_COUNT);
      for (const code of recovery) expect(code).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
      const row = await db.selectFrom('totp_secrets').selectAll().where('user_id', '=', 'alice').executeTakeFirstOrThrow();
      for (const code of recovery) expect(row.recovery_codes).not.toContain(code.replace(/-/g, ''));
      expect(await totp.status('alice')).toEqual({ enrolled: true, enabled: true, recoveryCodesLeft: RECOVERY_CODE_COUNT });
      expect(await codeOf(totp.confirmEnrollment('alice', appCode(secret, clock.now())))).toBe('MIG_E_TOTP_ENABLED');
      expect(await codeOf(totp.beginEnrollment('alice', { issuer: 'MiG', label: 'alice' }))).toBe('MIG_E_TOTP_ENABLED');
    });

    it('accepts codes within ±1 step, refuses older or newer ones and refuses a replayed step', async () => {
      const { db } = current();
      await insertUser(db, 'alice');
      const clock = testClock();
      const totp = createTotpStore(db, { now: clock.now });
      const { secret } = await totp.beginEnrollment('alice', { issuer: 'MiG', label: 'alice' });
      await totp.confirmEnrollment('alice', appCode(secret, clock.now()));
      // The confirming code's step is used: the same code again is a replay.
      expect(await totp.verify('alice', appCode(secret, clock.now()))).toBe(false);

      clock.advance(30_000 * 10);
      const t = clock.now();
      expect(await totp.verify('alice', appCode(secret, t - 60_000))).toBe(false); // two steps old
      expect(await totp.verify('alice', appCode(secret, t + 60_000))).toBe(false); // two steps ahead
      expect(await totp.verify('alice', appCode(secret, t - 30_000))).toBe(true); // one step old
      expect(await totp.verify('alice', appCode(secret, t - 30_000))).toBe(false); // replay
      expect(await totp.verify('alice', appCode(secret, t))).toBe(true);
      expect(await totp.verify('alice', appCode(secret, t))).toBe(false); // replay of the current step
      expect(await totp.verify('alice', appCode(secret, t - 30_000))).toBe(false); // older than the last accepted
      expect(await totp.verify('alice', appCode(secret, t + 30_000))).toBe(true); // one step ahead (drift)

      clock.advance(30_000 * 5);
      const code = appCode(secret, clock.now());
      // Two concurrent uses of one code: only one wins.
      const results = await Promise.all([totp.verify('alice', code), totp.verify('alice', code)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await totp.verify('alice', '12345')).toBe(false);
      expect(await totp.verify('alice', 'abcdef')).toBe(false);
      expect(await totp.verify('alice', '1'.repeat(5000))).toBe(false);
    });

    it('spends each recovery code once, and disables', async () => {
      const { db } = current();
      await insertUser(db, 'alice');
      const clock = testClock();
      const totp = createTotpStore(db, { now: clock.now });
      const { secret } = await totp.beginEnrollment('alice', { issuer: 'MiG', label: 'alice' });
      const [first, second] = await totp.confirmEnrollment('alice', appCode(secret, clock.now()));
      expect(await totp.verifyRecoveryCode('alice', (first as string).toUpperCase())).toBe(true);
      expect(await totp.verifyRecoveryCode('alice', first as string)).toBe(false);
      expect(await totp.verifyRecoveryCode('alice', 'aaaa-bbbb-cccc-dddd')).toBe(false);
      const both = await Promise.all([totp.verifyRecoveryCode('alice', second as string), totp.verifyRecoveryCode('alice', second as string)]);
      expect(both.filter(Boolean)).toHaveLength(1);
      expect((await totp.status('alice')).recoveryCodesLeft).toBe(RECOVERY_CODE_COUNT - 2);
      expect(await totp.disable('alice')).toBe(true);
      expect(await totp.disable('alice')).toBe(false);
      expect(await codeOf(totp.verifyRecoveryCode('alice', second as string))).toBe('MIG_E_TOTP_NOT_ENROLLED');
      // A new enrolment after disabling gets a new secret.
      const again = await totp.beginEnrollment('alice', { issuer: 'MiG', label: 'alice' });
      expect(again.secret).not.toBe(secret);
    });

    it('restarting an unconfirmed enrolment replaces the secret; bad input gets stable codes', async () => {
      const { db } = current();
      await insertUser(db, 'alice');
      const clock = testClock();
      const totp = createTotpStore(db, { now: clock.now });
      const one = await totp.beginEnrollment('alice', { issuer: 'MiG', label: 'alice' });
      const two = await totp.beginEnrollment('alice', { issuer: 'MiG', label: 'alice' });
      expect(two.secret).not.toBe(one.secret);
      const oldCode = appCode(one.secret, clock.now());
      if (oldCode !== appCode(two.secret, clock.now())) expect(await codeOf(totp.confirmEnrollment('alice', oldCode))).toBe('MIG_E_TOTP_INVALID');
      expect(await codeOf(totp.confirmEnrollment('bob', '123456'))).toBe('MIG_E_TOTP_NOT_ENROLLED');
      expect(await codeOf(totp.beginEnrollment('nobody', { issuer: 'MiG', label: 'x' }))).toBe('MIG_E_USER_NOT_FOUND');
      expect(await codeOf(totp.beginEnrollment('alice', { issuer: 'Mi:G', label: 'x' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(totp.beginEnrollment('alice', { issuer: 'MiG', label: '' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(totp.beginEnrollment('alice', { issuer: 'MiG', label: 'a\nb' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(totp.verify('alice', 123456 as unknown as string))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(totp.verify('', '123456'))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(totp.status('x'.repeat(65)))).toBe('MIG_E_INVALID_INPUT');
    });
  });
});
