import { describe, expect, it } from 'vitest';
import { isMigError } from '../src/errors.js';
import {
  assertPasswordPolicy,
  checkPasswordPolicy,
  generatePassword,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  verifyPassword,
} from '../src/auth/index.js';

const MIG_VECTOR = 'PBKDF2$sha256$10000$MDAwMDAwMDAwMDAw$epib2rEg/HYTQZFnCp7hmIGZ6rzHnViy';
const FAST = { logN: 10, r: 8, p: 1 } as const;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isMigError(err) ? err.code : `not a MigError: ${String(err)}`;
  }
  return undefined;
}

async function asyncCodeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return isMigError(err) ? err.code : `not a MigError: ${String(err)}`;
  }
  return undefined;
}

describe('password hashing', () => {
  it("verifies MiG's PBKDF2 test vector and refuses a wrong password", async () => {
    expect(await verifyPassword('foobar', MIG_VECTOR)).toBe(true);
    expect(await verifyPassword('foobaz', MIG_VECTOR)).toBe(false);
    expect(await verifyPassword('', MIG_VECTOR)).toBe(false);
  });

  it('hashes with scrypt at the OWASP defaults in the documented format, with a fresh salt each time', async () => {
    const a = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$15\$8\$3\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/);
    const b = await hashPassword('correct horse', FAST);
    expect(b.startsWith('scrypt$10$8$1$')).toBe(true);
    expect(b.split('$')[4]).not.toBe(a.split('$')[4]);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horse', b)).toBe(true);
    expect(await verifyPassword('correct horsE', b)).toBe(false);
    expect(needsRehash(a)).toBe(false);
  });

  it('treats Unicode-equivalent spellings of a password as the same (NFC)', async () => {
    const composed = 'caf\u00e9-p\u00e5ssword';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    const stored = await hashPassword(composed, FAST);
    expect(await verifyPassword(decomposed, stored)).toBe(true);
  });

  it('asks for a rehash of PBKDF2, weaker scrypt and malformed hashes', async () => {
    expect(needsRehash(MIG_VECTOR)).toBe(true);
    expect(needsRehash(await hashPassword('x', FAST))).toBe(true);
    expect(needsRehash(await hashPassword('x', FAST), FAST)).toBe(false);
    expect(needsRehash('garbage')).toBe(true);
  });

  it('parses both formats and refuses malformed or absurd stored hashes with MIG_E_PASSWORD_HASH_FORMAT', async () => {
    expect(parsePasswordHash(MIG_VECTOR)).toMatchObject({ kind: 'pbkdf2', iterations: 10000, saltText: 'MDAwMDAwMDAwMDAw' });
    const ours = await hashPassword('x', FAST);
    expect(parsePasswordHash(ours)).toMatchObject({ kind: 'scrypt', logN: 10, r: 8, p: 1 });
    const bad = [
      '',
      'plain-text-password',
      'PBKDF2$sha1$10000$MDAwMDAwMDAwMDAw$epib2rEg/HYTQZFnCp7hmIGZ6rzHnViy',
      'PBKDF2$sha256$99999999$MDAwMDAwMDAwMDAw$epib2rEg/HYTQZFnCp7hmIGZ6rzHnViy',
      'PBKDF2$sha256$0$MDAwMDAwMDAwMDAw$epib2rEg/HYTQZFnCp7hmIGZ6rzHnViy',
      'PBKDF2$sha256$10000$MDAwMDAwMDAwMDAw$not base64!',
      'PBKDF2$sha256$10000$MDAwMDAwMDAwMDAw',
      ours.replace(/^scrypt\$10\$/, 'scrypt$21$'),
      ours.replace(/^scrypt\$10\$/, 'scrypt$64$'),
      ours.replace(/^scrypt\$10\$8\$/, 'scrypt$10$800$'),
      ours.replace(/^scrypt\$10\$8\$1\$/, 'scrypt$10$8$1000$'),
      ours.replace(/^scrypt\$10\$8\$/, 'scrypt$20$32$'), // 4 GiB
      ours.replace(/^scrypt\$10\$8\$1\$/, 'scrypt$18$8$16$'), // 128 MiB but far too much work
      ours.replace(/^scrypt\$10\$/, 'scrypt$-1$'),
      ours.replace(/^scrypt\$10\$/, 'scrypt$1e3$'),
      `${ours}$extra`,
      `scrypt$10$8$1$${'A'.repeat(600)}$AAAA`,
    ];
    for (const stored of bad) {
      expect(codeOf(() => parsePasswordHash(stored)), stored).toBe('MIG_E_PASSWORD_HASH_FORMAT');
      expect(await verifyPassword('foobar', stored), stored).toBe(false);
    }
  });

  it('enforces password length limits: empty never verifies, over 256 characters is refused', async () => {
    const long = 'a'.repeat(257);
    expect(await asyncCodeOf(hashPassword(''))).toBe('MIG_E_INVALID_INPUT');
    expect(await asyncCodeOf(hashPassword(long))).toBe('MIG_E_INVALID_INPUT');
    const max = await hashPassword('\u{1F600}'.repeat(256), FAST);
    expect(await verifyPassword('\u{1F600}'.repeat(256), max)).toBe(true);
    expect(await verifyPassword(long, max)).toBe(false);
  });

  it('refuses bad arguments with MIG_E_INVALID_INPUT', async () => {
    expect(await asyncCodeOf(hashPassword(42 as unknown as string))).toBe('MIG_E_INVALID_INPUT');
    expect(await asyncCodeOf(hashPassword('x', { logN: 30 }))).toBe('MIG_E_INVALID_INPUT');
    expect(await asyncCodeOf(hashPassword('x', { r: 0.5 }))).toBe('MIG_E_INVALID_INPUT');
    expect(await asyncCodeOf(hashPassword('x', { logN: 20, r: 32 }))).toBe('MIG_E_INVALID_INPUT');
    expect(await asyncCodeOf(verifyPassword(undefined as unknown as string, MIG_VECTOR))).toBe('MIG_E_INVALID_INPUT');
    expect(await asyncCodeOf(verifyPassword('x', null as unknown as string))).toBe('MIG_E_INVALID_INPUT');
  });
});

// MiG's own sample passwords (mig/shared/pwcrypto.py self-test), with the results that follow from
// the rules: NONE any; WEAK ≥6 chars & 2 classes; MEDIUM ≥8 & 3; HIGH ≥10 & 4; MODERN:12 ≥12 & 1;
// CUSTOM:12:4 ≥12 & 4. Classes: lower, upper, digits, other.
const POLICIES = ['NONE', 'WEAK', 'MEDIUM', 'HIGH', 'MODERN:12', 'CUSTOM:12:4'] as const;
//                                   length classes NONE  WEAK   MEDIUM HIGH   MOD:12 C:12:4
const MATRIX: Array<[string, number, number, boolean, boolean, boolean, boolean, boolean, boolean]> = [
  ['', 0, 0, true, false, false, false, false, false],
  ['abc', 3, 1, true, false, false, false, false, false],
  ['dbey3h', 6, 2, true, true, false, false, false, false],
  ['abcdefgh', 8, 1, true, false, false, false, false, false],
  ['12345678', 8, 1, true, false, false, false, false, false],
  ['test1234', 8, 2, true, true, false, false, false, false],
  ['password', 8, 1, true, false, false, false, false, false],
  ['djeudmdj', 8, 1, true, false, false, false, false, false],
  ['Password12', 10, 3, true, true, true, false, false, false],
  ['P4s5W0rd', 8, 3, true, true, true, false, false, false],
  ['GoofBall', 8, 2, true, true, false, false, false, false],
  ['b43kdn22', 8, 2, true, true, false, false, false, false],
  ['Dr3Ab3_2', 8, 4, true, true, true, false, false, false],
  ['kasd#D2s', 8, 4, true, true, true, false, false, false],
  ['fsk34dsa-.32d', 13, 3, true, true, true, false, true, false],
  ['d3kk3mdkkded', 12, 2, true, true, false, false, true, false],
  ['Loh/p4iv,ahk', 12, 4, true, true, true, true, true, true],
  ['MinimumIntrusionGrid', 20, 2, true, true, false, false, true, false],
  ['correcthorsebatterystaple', 25, 1, true, false, false, false, true, false],
];

describe('password policies', () => {
  it('covers all 19 of MiG sample passwords', () => {
    expect(MATRIX).toHaveLength(19);
  });

  for (const [password, length, , ...expected] of MATRIX) {
    it(`judges ${JSON.stringify(password)} (${length} chars) by every policy`, () => {
      expect([...password]).toHaveLength(length);
      POLICIES.forEach((policy, i) => {
        const result = checkPasswordPolicy(password, policy);
        expect(result.ok, `${policy}`).toBe(expected[i]);
        expect(codeOf(() => assertPasswordPolicy(password, policy)), policy).toBe(expected[i] ? undefined : 'MIG_E_PASSWORD_POLICY');
      });
    });
  }

  it('gives human-readable reasons, in details too, without the password', () => {
    expect(checkPasswordPolicy('abcdefgh', 'MEDIUM')).toEqual({
      ok: false,
      reasons: ['characters from at least 3 of: lower case, upper case, digits, other'],
    });
    expect(checkPasswordPolicy('Ab1', 'MEDIUM')).toEqual({ ok: false, reasons: ['at least 8 characters'] });
    expect(checkPasswordPolicy('abc', 'medium')).toEqual({
      ok: false,
      reasons: ['at least 8 characters', 'characters from at least 3 of: lower case, upper case, digits, other'],
    });
    try {
      assertPasswordPolicy('sekrit', 'HIGH');
      expect.unreachable();
    } catch (err) {
      expect(isMigError(err, 'MIG_E_PASSWORD_POLICY')).toBe(true);
      const e = err as Error & { details: Record<string, unknown> };
      expect(e.message).toContain('at least 10 characters');
      expect(e.message).not.toContain('sekrit');
      expect(e.details).toEqual({ policy: 'HIGH', reasons: ['at least 10 characters', 'characters from at least 4 of: lower case, upper case, digits, other'] });
    }
  });

  it('counts non-ASCII letters as "other" and length in characters, and caps length at 256', () => {
    expect(checkPasswordPolicy('ÆØÅæøå12', 'CUSTOM:8:2').ok).toBe(true);
    expect(checkPasswordPolicy('ÆØÅæøå12', 'CUSTOM:8:3').ok).toBe(false);
    expect(checkPasswordPolicy('\u{1F600}'.repeat(8), 'MODERN:8').ok).toBe(true);
    expect(checkPasswordPolicy('a'.repeat(257), 'NONE')).toEqual({ ok: false, reasons: ['at most 256 characters'] });
  });

  it('refuses unknown policies and non-string passwords with MIG_E_INVALID_INPUT', () => {
    for (const policy of ['STRONG', 'MODERN', 'MODERN:0', 'CUSTOM:8:5', 'CUSTOM:8', '', 'x'.repeat(100)]) {
      expect(codeOf(() => checkPasswordPolicy('whatever', policy)), policy).toBe('MIG_E_INVALID_INPUT');
    }
    expect(codeOf(() => checkPasswordPolicy(null as unknown as string, 'NONE'))).toBe('MIG_E_INVALID_INPUT');
    expect(codeOf(() => assertPasswordPolicy('x', 'bogus'))).toBe('MIG_E_INVALID_INPUT');
  });
});

describe('password generator', () => {
  it('generates passwords that meet every policy, of the requested length, and differ', () => {
    const seen = new Set<string>();
    for (const policy of [...POLICIES, 'MODERN:40', 'CUSTOM:20:4']) {
      for (let i = 0; i < 50; i += 1) {
        const pw = generatePassword(policy);
        expect(checkPasswordPolicy(pw, policy).ok, `${policy}: ${pw}`).toBe(true);
        expect(pw).toMatch(/^[A-Za-z0-9\-_.,:;+=@%#!?*]+$/);
        seen.add(pw);
      }
    }
    expect(seen.size).toBe(400);
    expect(generatePassword('HIGH', { length: 32 })).toHaveLength(32);
    expect(generatePassword('MODERN:40')).toHaveLength(40);
    expect(generatePassword('NONE')).toHaveLength(16);
  });

  it('raises short lengths to the policy minimum, refuses impossible lengths and unknown policies', () => {
    expect(generatePassword('MODERN:24', { length: 20 })).toHaveLength(24); // raised to the policy minimum
    expect(codeOf(() => generatePassword('NONE', { length: 3 }))).toBe('MIG_E_INVALID_INPUT');
    expect(codeOf(() => generatePassword('NONE', { length: 257 }))).toBe('MIG_E_INVALID_INPUT');
    expect(codeOf(() => generatePassword('nope'))).toBe('MIG_E_INVALID_INPUT');
    expect(codeOf(() => generatePassword('NONE', { length: 12.5 }))).toBe('MIG_E_INVALID_INPUT');
  });
});
