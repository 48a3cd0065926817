import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import { isMigError } from '../src/errors.js';
import { createSshKeyStore, parseSshPublicKey, sshKeyFingerprint } from '../src/auth/index.js';
import { insertUser, sshKeygen, tempDir, testClock } from './auth-fixtures.js';
import type { GeneratedKey } from './auth-fixtures.js';

let cleanup: () => Promise<void>;
const keys: Record<string, GeneratedKey> = {};

beforeAll(async () => {
  const t = await tempDir('mig-sshkeys-');
  cleanup = t.cleanup;
  keys.ed25519 = await sshKeygen(t.dir, 'ed25519', 'ed25519');
  keys.ed25519b = await sshKeygen(t.dir, 'ed25519b', 'ed25519');
  keys.ecdsa256 = await sshKeygen(t.dir, 'ecdsa256', 'ecdsa', 256);
  keys.ecdsa384 = await sshKeygen(t.dir, 'ecdsa384', 'ecdsa', 384);
  keys.ecdsa521 = await sshKeygen(t.dir, 'ecdsa521', 'ecdsa', 521);
  keys.rsa1024 = await sshKeygen(t.dir, 'rsa1024', 'rsa', 1024);
  keys.rsa2048 = await sshKeygen(t.dir, 'rsa2048', 'rsa', 2048);
  keys.rsa3072 = await sshKeygen(t.dir, 'rsa3072', 'rsa', 3072);
  keys.dsa = await sshKeygen(t.dir, 'dsa', 'dsa');
});
afterAll(async () => cleanup?.());

function key(name: string): GeneratedKey {
  const k = keys[name];
  if (k === undefined) throw new Error(`no key ${name}`);
  return k;
}

function errorOf(fn: () => unknown): { code?: string; message: string; details?: unknown } | undefined {
  try {
    fn();
  } catch (err) {
    if (!isMigError(err)) throw err;
    return { code: err.code, message: err.message, details: err.details };
  }
  return undefined;
}

describe('SSH public key parsing', () => {
  it.each([
    ['ed25519', 'ssh-ed25519', 256],
    ['ecdsa256', 'ecdsa-sha2-nistp256', 256],
    ['ecdsa384', 'ecdsa-sha2-nistp384', 384],
    ['ecdsa521', 'ecdsa-sha2-nistp521', 521],
    ['rsa2048', 'ssh-rsa', 2048],
    ['rsa3072', 'ssh-rsa', 3072],
  ])('accepts %s keys with the fingerprint and size ssh-keygen reports', (name, algorithm, bits) => {
    const k = key(name);
    const parsed = parseSshPublicKey(`${k.publicLine}\n`);
    expect(parsed.algorithm).toBe(algorithm);
    expect(parsed.bits).toBe(bits);
    expect(parsed.bits).toBe(k.bits);
    expect(parsed.fingerprint).toBe(k.fingerprint);
    expect(parsed.comment).toBe(`${name}@test`);
    expect(parsed.publicKey).toBe(k.publicLine.split(' ').slice(0, 2).join(' '));
    expect(sshKeyFingerprint(parsed.blob)).toBe(k.fingerprint);
  });

  it('accepts keys made by node:crypto in OpenSSH form', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const type = Buffer.from('ssh-ed25519');
    const blob = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), raw]);
    const parsed = parseSshPublicKey(`ssh-ed25519 ${blob.toString('base64')}`);
    expect(parsed.blob.equals(blob)).toBe(true);
    expect(parsed.comment).toBe('');
  });

  it('rejects RSA below the minimum and DSA always as MIG_E_SSH_KEY_WEAK', () => {
    expect(errorOf(() => parseSshPublicKey(key('rsa1024').publicLine))).toMatchObject({ code: 'MIG_E_SSH_KEY_WEAK', details: { bits: 1024, minBits: 2048 } });
    expect(errorOf(() => parseSshPublicKey(key('rsa2048').publicLine, { minRsaBits: 3072 }))?.code).toBe('MIG_E_SSH_KEY_WEAK');
    expect(parseSshPublicKey(key('rsa1024').publicLine, { minRsaBits: 1024 }).bits).toBe(1024);
    expect(errorOf(() => parseSshPublicKey(key('dsa').publicLine))?.code).toBe('MIG_E_SSH_KEY_WEAK');
  });

  it('refuses a private key pasted by mistake with a hint, without echoing it', () => {
    for (const name of ['ed25519', 'rsa2048']) {
      const err = errorOf(() => parseSshPublicKey(key(name).privateText));
      expect(err?.code).toBe('MIG_E_SSH_KEY_INVALID');
      expect(err?.message).toMatch(/private key/i);
      expect(err?.message).toMatch(/\.pub/);
      expect(err?.message).not.toContain(key(name).privateText.split('\n')[1] ?? 'x');
    }
  });

  it('refuses options prefixes, garbage, damaged keys, several keys and oversized input as MIG_E_SSH_KEY_INVALID', () => {
    const line = key('ed25519').publicLine;
    const [type, data] = line.split(' ') as [string, string];
    const cases: Array<[string, string]> = [
      [`from="10.0.0.0/8" ${line}`, 'options'],
      [`no-pty,command="/bin/true" ${line}`, 'options'],
      ['hello world', 'unknown-type'],
      ['', 'empty'],
      ['   \n# just a comment\n', 'empty'],
      [`${type}`, 'bad-base64'],
      [`${type} !!!notbase64`, 'bad-base64'],
      [`ssh-rsa ${data}`, 'type-mismatch'],
      [`${type} ${data.slice(0, 20)}`, 'unparsable'],
      [`${type} ${data.slice(0, 21)}`, 'bad-base64'],
      [`${type} ${Buffer.from(data, 'base64').subarray(0, 30).toString('base64')}`, 'unparsable'],
      [`${line}\n${key('ed25519b').publicLine}`, 'several-keys'],
      [`${type} ${data} ${'x'.repeat(17 * 1024)}`, 'too-large'],
      ['---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n---- END SSH2 PUBLIC KEY ----', 'pem'],
      [`sk-ssh-ed25519@openssh.com ${data}`, 'unsupported-type'],
    ];
    for (const [input, reason] of cases) {
      const err = errorOf(() => parseSshPublicKey(input));
      expect(err?.code, reason).toBe('MIG_E_SSH_KEY_INVALID');
      expect(err?.details, input.slice(0, 60)).toEqual({ reason });
    }
    expect(errorOf(() => parseSshPublicKey(42 as unknown as string))?.code).toBe('MIG_E_SSH_KEY_INVALID');
    expect(errorOf(() => parseSshPublicKey(line, { minRsaBits: 12 }))?.code).toBe('MIG_E_INVALID_INPUT');
  });

  it('strips control characters from the comment', () => {
    const [type, data] = key('ed25519').publicLine.split(' ') as [string, string];
    expect(parseSshPublicKey(`${type} ${data} evil\u0007\u001b[31m  comment\u2028x`).comment).toBe('evil[31m comment' + 'x');
  });
});

describe('SSH key store', () => {
  forEachDatabase((current) => {
    it('adds, lists, finds (marking use) and removes keys', async () => {
      const { db } = current();
      await insertUser(db, 'alice');
      await insertUser(db, 'bob');
      const clock = testClock();
      const store = createSshKeyStore(db, { now: clock.now });
      const a = await store.add('alice', key('ed25519').publicLine);
      clock.advance(1000);
      const b = await store.add('alice', key('rsa3072').publicLine);
      await store.add('bob', key('ed25519').publicLine);
      expect(a).toMatchObject({ userId: 'alice', fingerprint: key('ed25519').fingerprint, algorithm: 'ssh-ed25519', bits: 256, lastUsedAt: null, comment: 'ed25519@test' });
      expect((await store.list('alice')).map((k) => k.id)).toEqual([a.id, b.id]);

      const blob = parseSshPublicKey(key('rsa3072').publicLine).blob;
      clock.advance(5000);
      const found = await store.findUserKey('alice', blob);
      expect(found?.id).toBe(b.id);
      expect(found?.lastUsedAt).toBe(clock.now());
      expect((await store.list('alice'))[1]?.lastUsedAt).toBe(clock.now());
      expect(await store.findUserKey('bob', blob)).toBeUndefined();
      expect(await store.findUserKey('alice', parseSshPublicKey(key('ecdsa256').publicLine).blob)).toBeUndefined();

      await store.remove('alice', a.fingerprint);
      await store.remove('alice', b.id);
      expect(await store.list('alice')).toEqual([]);
      expect(await store.list('bob')).toHaveLength(1);
    });

    it('refuses a duplicate key per user, weak keys, unknown users and missing keys with stable codes', async () => {
      const { db } = current();
      await insertUser(db, 'alice');
      const store = createSshKeyStore(db, { minRsaBits: 3072, maxKeysPerUser: 2 });
      await store.add('alice', key('ed25519').publicLine);
      const codeOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => (isMigError(e) ? e.code : String(e)));
      // the same key with another comment is the same key
      expect(await codeOf(store.add('alice', `${key('ed25519').publicLine.split(' ').slice(0, 2).join(' ')} other comment`))).toBe('MIG_E_SSH_KEY_EXISTS');
      expect(await codeOf(Promise.all([store.add('alice', key('ecdsa384').publicLine), store.add('alice', key('ecdsa384').publicLine)]))).toBe('MIG_E_SSH_KEY_EXISTS');
      expect(await codeOf(store.add('alice', key('rsa2048').publicLine))).toBe('MIG_E_SSH_KEY_WEAK');
      expect(await codeOf(store.add('alice', key('ecdsa521').publicLine))).toBe('MIG_E_SSH_KEY_INVALID'); // over maxKeysPerUser
      expect(await codeOf(store.add('nobody', key('ed25519').publicLine))).toBe('MIG_E_USER_NOT_FOUND');
      expect(await codeOf(store.add('../etc', key('ed25519').publicLine))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(store.remove('alice', 'SHA256:nope'))).toBe('MIG_E_SSH_KEY_NOT_FOUND');
      expect(await codeOf(store.remove('alice', ''))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(store.findUserKey('alice', 'ssh-ed25519 AAAA' as unknown as Buffer))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(store.findUserKey('alice', Buffer.alloc(0)))).toBe('MIG_E_INVALID_INPUT');
      expect(await store.list('alice')).toHaveLength(2);
    });
  });
});
