import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import type { Database } from '../src/db/schema.js';
import { isMigError } from '../src/errors.js';
import {
  createApiTokenStore,
  createAuditLog,
  createAuthenticator,
  createAuthLog,
  createDefender,
  createSshKeyStore,
  createTotpStore,
  hashPassword,
  needsRehash,
  parseSshPublicKey,
  verifyPassword,
} from '../src/auth/index.js';
import type { AuthSubject, UserLookup } from '../src/auth/index.js';
import { defenderConfig, insertUser, sshKeygen, tempDir, testClock } from './auth-fixtures.js';
import type { GeneratedKey } from './auth-fixtures.js';

const FAST = { logN: 10, r: 8, p: 1 } as const;
const MIG_VECTOR = 'PBKDF2$sha256$10000$MDAwMDAwMDAwMDAw$epib2rEg/HYTQZFnCp7hmIGZ6rzHnViy';
const A = '203.0.113.9';

const errOf = async (p: Promise<unknown>): Promise<{ code?: string; message?: string }> => {
  try {
    await p;
  } catch (e) {
    return isMigError(e) ? { code: e.code, message: e.message } : { code: `not a MigError: ${String(e)}` };
  }
  return {};
};
const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => (await errOf(p)).code;

/** A users module stand-in over a Map, counting lookups. */
class MemoryUsers implements UserLookup {
  readonly byLogin = new Map<string, AuthSubject>();
  lookups = 0;
  readonly updates: Array<[string, string]> = [];
  add(subject: AuthSubject): void {
    this.byLogin.set(subject.login, subject);
  }
  async findByLogin(login: string): Promise<AuthSubject | undefined> {
    this.lookups += 1;
    return this.byLogin.get(login);
  }
  async updatePasswordHash(userId: string, hash: string): Promise<void> {
    this.updates.push([userId, hash]);
    for (const [login, s] of this.byLogin) if (s.id === userId) this.byLogin.set(login, { ...s, passwordHash: hash });
  }
}

let keyDir: { dir: string; cleanup(): Promise<void> };
let aliceKey: GeneratedKey;
let otherKey: GeneratedKey;
let aliceHash: string;
beforeAll(async () => {
  keyDir = await tempDir('mig-authn-');
  aliceKey = await sshKeygen(keyDir.dir, 'alice', 'ed25519');
  otherKey = await sshKeygen(keyDir.dir, 'other', 'ecdsa', 256);
  aliceHash = await hashPassword('Alice-Pa55word', FAST);
});
afterAll(async () => keyDir?.cleanup());

async function setup(db: Kysely<Database>, overrides: { policy?: { passwordPolicy?: string; legacyPolicy?: string }; defender?: Parameters<typeof defenderConfig>[0] } = {}) {
  const clock = testClock();
  const logFile = join(keyDir.dir, `auth-${Math.random().toString(36).slice(2)}.log`);
  const authLog = createAuthLog(logFile, { now: clock.now });
  const defender = createDefender(db, defenderConfig(overrides.defender), { now: clock.now, authLog });
  const audit = createAuditLog(db, { now: clock.now });
  const users = new MemoryUsers();
  const sshKeys = createSshKeyStore(db, { now: clock.now });
  const apiTokens = createApiTokenStore(db, { maxDays: 30, now: clock.now });
  const totp = createTotpStore(db, { now: clock.now });
  for (const [id, status] of [['alice', 'active'], ['sam', 'suspended'], ['rita', 'retired'], ['ed', 'active'], ['tom', 'temporal'], ['mig', 'active']] as const) {
    await insertUser(db, id, { status });
    users.add({ id, login: `${id}@example.org`, status, expiresAt: null, passwordHash: aliceHash });
  }
  users.add({ id: 'ed', login: 'ed@example.org', status: 'active', expiresAt: clock.now() - 1, passwordHash: aliceHash });
  users.add({ id: 'tom', login: 'tom@example.org', status: 'temporal', expiresAt: clock.now() + 86_400_000, passwordHash: aliceHash });
  users.add({ id: 'mig', login: 'mig@example.org', status: 'active', expiresAt: null, passwordHash: MIG_VECTOR });
  const auth = createAuthenticator({ db, defender, authLog, audit, users, sshKeys, apiTokens, totp, hashOptions: FAST, now: clock.now, ...(overrides.policy ? { policy: overrides.policy } : {}) });
  const logLines = async (): Promise<string[]> => {
    await authLog.flush();
    return (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '').map((l) => l.replace(/^\S+ mig\[\d+\]: /, ''));
  };
  return { clock, defender, audit, users, sshKeys, apiTokens, totp, auth, logLines };
}

describe('authenticator', () => {
  forEachDatabase((current) => {
    it('accepts the right password, logs and audits it, and clears earlier failures', async () => {
      const { db } = current();
      const { auth, logLines, audit, defender } = await setup(db);
      expect(await codeOf(auth.authenticatePassword({ login: 'alice@example.org', password: 'wrong-1', address: A, protocol: 'sftp' }))).toBe('MIG_E_AUTH_FAILED');
      expect(await auth.authenticatePassword({ login: 'alice@example.org', password: 'Alice-Pa55word', address: `::ffff:${A}`, protocol: 'sftp' })).toEqual({ userId: 'alice' });
      expect(await logLines()).toEqual([
        `auth failure protocol=sftp method=password user="alice@example.org" address=${A} reason=wrong-credentials`,
        `auth success protocol=sftp method=password user="alice@example.org" address=${A} reason=ok`,
      ]);
      expect((await audit.list({ limit: 10 }))[0]).toMatchObject({ actor: 'user:alice', action: 'auth.login', outcome: 'success', address: A, details: { protocol: 'sftp', method: 'password' } });
      expect(await defender.recordFailure({ address: A, username: 'alice@example.org', protocol: 'sftp', secret: 'x' })).toMatchObject({ userFailures: 1 });
    });

    it('answers unknown users and wrong passwords alike', async () => {
      const { db } = current();
      const { auth, logLines } = await setup(db, { defender: { max_address_failures: 100, max_user_failures: 100 } });
      const unknown = await errOf(auth.authenticatePassword({ login: 'nobody@example.org', password: 'Alice-Pa55word', address: A, protocol: 'ftps' }));
      const wrong = await errOf(auth.authenticatePassword({ login: 'alice@example.org', password: 'Wrong-Pa55word', address: A, protocol: 'ftps' }));
      expect(unknown).toEqual(wrong);
      expect(unknown.code).toBe('MIG_E_AUTH_FAILED');
      const lines = await logLines();
      expect(lines[0]).toContain('reason=wrong-credentials');
      expect(lines[1]).toContain('reason=wrong-credentials');
    });

    it('remembers a verified password only for the same stored hash, and still checks status every time', async () => {
      const { db } = current();
      const { auth, users } = await setup(db, { defender: { max_address_failures: 100, max_user_failures: 100 } });
      const login = { login: 'alice@example.org', password: 'Alice-Pa55word', address: A, protocol: 'webdavs' };
      expect(await auth.authenticatePassword(login)).toEqual({ userId: 'alice' });
      // A changed password (a new stored hash) must not be let in by the remembered old one.
      users.add({ id: 'alice', login: 'alice@example.org', status: 'active', expiresAt: null, passwordHash: await hashPassword('Changed-Pa55word', FAST) });
      expect(await codeOf(auth.authenticatePassword(login))).toBe('MIG_E_AUTH_FAILED');
      expect(await auth.authenticatePassword({ ...login, password: 'Changed-Pa55word' })).toEqual({ userId: 'alice' });
      // A wrong password never matches a remembered entry.
      expect(await codeOf(auth.authenticatePassword({ ...login, password: 'Changed-Pa55word!' }))).toBe('MIG_E_AUTH_FAILED');
      // A suspension takes effect at once, remembered password or not.
      const hash = users.byLogin.get('alice@example.org')?.passwordHash ?? null;
      users.add({ id: 'alice', login: 'alice@example.org', status: 'suspended', expiresAt: null, passwordHash: hash });
      expect(await codeOf(auth.authenticatePassword({ ...login, password: 'Changed-Pa55word' }))).toBe('MIG_E_ACCOUNT_DISABLED');
    });

    it('reveals a disabled or expired account only to the right password', async () => {
      const { db } = current();
      const { auth, audit } = await setup(db, { defender: { max_address_failures: 100, max_user_failures: 100 } });
      const attempt = (login: string, password: string) => codeOf(auth.authenticatePassword({ login, password, address: A, protocol: 'webdavs' }));
      expect(await attempt('sam@example.org', 'nope')).toBe('MIG_E_AUTH_FAILED');
      expect(await attempt('sam@example.org', 'Alice-Pa55word')).toBe('MIG_E_ACCOUNT_DISABLED');
      expect(await attempt('rita@example.org', 'nope')).toBe('MIG_E_AUTH_FAILED');
      expect(await attempt('rita@example.org', 'Alice-Pa55word')).toBe('MIG_E_ACCOUNT_DISABLED');
      expect(await attempt('ed@example.org', 'nope')).toBe('MIG_E_AUTH_FAILED');
      expect(await attempt('ed@example.org', 'Alice-Pa55word')).toBe('MIG_E_ACCOUNT_EXPIRED');
      expect(await attempt('tom@example.org', 'Alice-Pa55word')).toBeUndefined();
      expect((await audit.list({ limit: 10, action: 'auth.login' })).filter((e) => e.outcome === 'denied').map((e) => e.details.reason)).toEqual([
        'account-expired',
        'account-disabled',
        'account-disabled',
      ]);
    });

    it('refuses a login over a protocol the account switched off, and only to the right password', async () => {
      const { db } = current();
      const { auth, users, logLines } = await setup(db, { defender: { max_address_failures: 100, max_user_failures: 100 } });
      users.add({ id: 'alice', login: 'alice@example.org', status: 'active', expiresAt: null, passwordHash: aliceHash, disabledProtocols: ['sftp', 'web'] });
      const attempt = (password: string, protocol: string) => codeOf(auth.authenticatePassword({ login: 'alice@example.org', password, address: A, protocol }));
      expect(await attempt('nope', 'sftp')).toBe('MIG_E_AUTH_FAILED');
      expect(await attempt('Alice-Pa55word', 'sftp')).toBe('MIG_E_PROTOCOL_DISABLED');
      expect(await attempt('Alice-Pa55word', 'https')).toBe('MIG_E_PROTOCOL_DISABLED');
      expect(await attempt('Alice-Pa55word', 'ftps')).toBeUndefined();
      expect((await logLines()).filter((l) => l.includes('protocol-disabled'))).toHaveLength(2);
    });

    it('refuses a banned address before looking at any secret, on every protocol and method', async () => {
      const { db } = current();
      const { auth, users, sshKeys, apiTokens, logLines } = await setup(db);
      await sshKeys.add('alice', aliceKey.publicLine);
      const { token } = await apiTokens.create('alice', { name: 't', scopes: ['files:read'] });
      for (const pw of ['a', 'b']) await codeOf(auth.authenticatePassword({ login: 'alice@example.org', password: pw, address: A, protocol: 'sftp' }));
      expect(await codeOf(auth.authenticatePassword({ login: 'alice@example.org', password: 'c', address: A, protocol: 'sftp' }))).toBe('MIG_E_AUTH_FAILED');
      const lookups = users.lookups;
      const banned = await errOf(auth.authenticatePassword({ login: 'alice@example.org', password: 'Alice-Pa55word', address: A, protocol: 'ftps' }));
      expect(banned.code).toBe('MIG_E_BANNED');
      expect(users.lookups).toBe(lookups);
      const blob = parseSshPublicKey(aliceKey.publicLine).blob;
      expect(await codeOf(auth.authenticatePublicKey({ login: 'alice@example.org', keyAlgo: 'ssh-ed25519', keyData: blob, address: A, protocol: 'sftp', signed: true }))).toBe('MIG_E_BANNED');
      expect(await codeOf(auth.authenticateToken({ token, address: A, protocol: 'https' }))).toBe('MIG_E_BANNED');
      expect(await codeOf(auth.verifyTotp({ userId: 'alice', login: 'alice@example.org', code: '123456', address: A }))).toBe('MIG_E_BANNED');
      // Another address is unaffected.
      expect(await auth.authenticateToken({ token, address: '198.51.100.1', protocol: 'https' })).toMatchObject({ userId: 'alice' });
      const lines = await logLines();
      expect(lines.filter((l) => l.startsWith('auth banned'))).toEqual([`auth banned subject=address address=${A} until=2026-11-28T04:31:00.000Z level=1 reason=too-many-user-failures`]);
      expect(lines.filter((l) => l.endsWith('reason=banned'))).toHaveLength(4);
    });

    it("upgrades MiG's PBKDF2 hash to scrypt at a successful login", async () => {
      const { db } = current();
      const { auth, users } = await setup(db);
      expect(await codeOf(auth.authenticatePassword({ login: 'mig@example.org', password: 'foobaz', address: A, protocol: 'sftp' }))).toBe('MIG_E_AUTH_FAILED');
      expect(users.updates).toEqual([]);
      expect(await auth.authenticatePassword({ login: 'mig@example.org', password: 'foobar', address: A, protocol: 'sftp' })).toEqual({ userId: 'mig' });
      expect(users.updates).toHaveLength(1);
      const [id, hash] = users.updates[0] as [string, string];
      expect(id).toBe('mig');
      expect(hash).toMatch(/^scrypt\$/);
      expect(needsRehash(hash, FAST)).toBe(false);
      expect(await verifyPassword('foobar', hash)).toBe(true);
      expect(await auth.authenticatePassword({ login: 'mig@example.org', password: 'foobar', address: A, protocol: 'sftp' })).toEqual({ userId: 'mig' });
      expect(users.updates).toHaveLength(1);
    });

    it('applies the login password policy with the legacy policy, as MiG', async () => {
      const { db } = current();
      const { auth, users, logLines } = await setup(db, { policy: { passwordPolicy: 'MEDIUM', legacyPolicy: 'WEAK' }, defender: { max_user_failures: 100, max_address_failures: 100 } });
      users.add({ id: 'alice', login: 'weak@example.org', status: 'active', expiresAt: null, passwordHash: await hashPassword('test1234', FAST) });
      users.add({ id: 'alice', login: 'tiny@example.org', status: 'active', expiresAt: null, passwordHash: await hashPassword('abc', FAST) });
      expect(await auth.authenticatePassword({ login: 'alice@example.org', password: 'Alice-Pa55word', address: A, protocol: 'sftp' })).toEqual({ userId: 'alice' });
      expect(await auth.authenticatePassword({ login: 'weak@example.org', password: 'test1234', address: A, protocol: 'sftp' })).toEqual({ userId: 'alice', passwordBelowPolicy: true });
      expect(await codeOf(auth.authenticatePassword({ login: 'tiny@example.org', password: 'abc', address: A, protocol: 'sftp' }))).toBe('MIG_E_AUTH_FAILED');
      expect((await logLines()).at(-1)).toContain('reason=password-policy');
      expect(() => createAuthenticator({ db, users, defender: createDefender(db, defenderConfig()), authLog: createAuthLog(join(keyDir.dir, 'x.log')), policy: { passwordPolicy: 'BOGUS' } })).toThrowError(
        expect.objectContaining({ code: 'MIG_E_INVALID_INPUT' }),
      );
    });

    it('checks public keys: a query does not count as a login, a signed call does; unknown keys are failures', async () => {
      const { db } = current();
      const { auth, sshKeys, logLines, defender } = await setup(db, { defender: { max_user_failures: 100, max_address_failures: 100 } });
      await sshKeys.add('alice', aliceKey.publicLine);
      const blob = parseSshPublicKey(aliceKey.publicLine).blob;
      const other = parseSshPublicKey(otherKey.publicLine).blob;
      const base = { login: 'alice@example.org', keyAlgo: 'ssh-ed25519', address: A, protocol: 'sftp' };
      await defender.recordFailure({ address: A, username: 'alice@example.org', protocol: 'sftp', secret: 'pw' });
      expect(await auth.authenticatePublicKey({ ...base, keyData: blob })).toEqual({ userId: 'alice' });
      // A public key is public: the query must not reset the failure count.
      expect(await defender.recordFailure({ address: A, username: 'alice@example.org', protocol: 'sftp', secret: 'pw2' })).toMatchObject({ userFailures: 2 });
      expect(await auth.authenticatePublicKey({ ...base, keyData: blob, signed: true })).toEqual({ userId: 'alice' });
      expect(await codeOf(auth.authenticatePublicKey({ ...base, keyData: other }))).toBe('MIG_E_AUTH_FAILED');
      expect(await codeOf(auth.authenticatePublicKey({ ...base, login: 'nobody@example.org', keyData: blob }))).toBe('MIG_E_AUTH_FAILED');
      await sshKeys.add('sam', aliceKey.publicLine);
      expect(await codeOf(auth.authenticatePublicKey({ ...base, login: 'sam@example.org', keyData: blob, signed: true }))).toBe('MIG_E_ACCOUNT_DISABLED');
      expect(await logLines()).toEqual([
        `auth success protocol=sftp method=publickey user="alice@example.org" address=${A} reason=ok`,
        `auth failure protocol=sftp method=publickey user="alice@example.org" address=${A} reason=wrong-credentials`,
        `auth failure protocol=sftp method=publickey user="nobody@example.org" address=${A} reason=wrong-credentials`,
        `auth failure protocol=sftp method=publickey user="sam@example.org" address=${A} reason=account-disabled`,
      ]);
      expect(await codeOf(auth.authenticatePublicKey({ ...base, keyData: 'AAAA' as unknown as Buffer }))).toBe('MIG_E_INVALID_INPUT');
    });

    it('checks API tokens with scopes, account status and the defender', async () => {
      const { db } = current();
      const { auth, apiTokens, logLines, clock } = await setup(db);
      const { token, id } = await apiTokens.create('alice', { name: 't', scopes: ['jobs:write'] });
      expect(await auth.authenticateToken({ token, address: A, protocol: 'https', scope: 'jobs:read' })).toEqual({ userId: 'alice', tokenId: id, scopes: ['jobs:write'] });
      // A burst of uses is one success line a minute per token, address and protocol.
      for (let i = 0; i < 5; i += 1) await auth.authenticateToken({ token, address: A, protocol: 'https' });
      expect((await logLines()).filter((l) => l.startsWith('auth success'))).toHaveLength(1);
      clock.advance(61_000);
      await auth.authenticateToken({ token, address: A, protocol: 'https' });
      await auth.authenticateToken({ token, address: '192.0.2.77', protocol: 'https' });
      expect((await logLines()).filter((l) => l.startsWith('auth success'))).toHaveLength(3);
      expect(await codeOf(auth.authenticateToken({ token, address: A, protocol: 'https', scope: 'files:read' }))).toBe('MIG_E_TOKEN_SCOPE');
      const sams = await apiTokens.create('sam', { name: 't', scopes: ['jobs:write'] });
      expect(await codeOf(auth.authenticateToken({ token: sams.token, address: A, protocol: 'https' }))).toBe('MIG_E_ACCOUNT_DISABLED');
      const lines = await logLines();
      expect(lines[0]).toBe(`auth success protocol=https method=token user="token:${id}" address=${A} reason=ok`);
      expect(lines.join('\n')).not.toContain(token.split('_')[2] as string);
      // Garbage tokens from one address are counted and end in a ban.
      // (max_user_failures is 3; all malformed tokens count under one name, so the third bans)
      for (let i = 0; i < 3; i += 1) expect(await codeOf(auth.authenticateToken({ token: `garbage-${i}`, address: '198.51.100.5', protocol: 'https' }))).toBe('MIG_E_AUTH_FAILED');
      expect(await codeOf(auth.authenticateToken({ token, address: '198.51.100.5', protocol: 'https' }))).toBe('MIG_E_BANNED');
    });

    it('verifies TOTP and recovery codes, refuses replays and counts failures', async () => {
      const { db } = current();
      const { auth, totp, clock, logLines } = await setup(db, { defender: { max_user_failures: 3 } });
      const { secret } = await totp.beginEnrollment('alice', { issuer: 'MiG', label: 'alice' });
      const code = (t: number) => TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: t });
      const [recovery] = await totp.confirmEnrollment('alice', code(clock.now()));
      clock.advance(30_000);
      const input = { userId: 'alice', login: 'alice@example.org', address: A };
      await auth.verifyTotp({ ...input, code: code(clock.now()) });
      expect(await codeOf(auth.verifyTotp({ ...input, code: code(clock.now()) }))).toBe('MIG_E_TOTP_INVALID'); // replay
      await auth.verifyTotp({ ...input, code: recovery as string });
      expect(await codeOf(auth.verifyTotp({ ...input, code: recovery as string }))).toBe('MIG_E_TOTP_INVALID');
      // The recovery code's success cleared the replay's failure; the reused recovery code, 'nonsense' and a
      // code two steps ahead count, and the third of them bans.
      expect(await codeOf(auth.verifyTotp({ ...input, code: 'nonsense' }))).toBe('MIG_E_TOTP_INVALID');
      expect(await codeOf(auth.verifyTotp({ ...input, code: code(clock.now() + 60_000) }))).toBe('MIG_E_TOTP_INVALID');
      expect(await codeOf(auth.verifyTotp({ ...input, code: code(clock.now() + 30_000) }))).toBe('MIG_E_BANNED');
      const lines = await logLines();
      expect(lines[0]).toBe(`auth success protocol=https method=totp user="alice@example.org" address=${A} reason=ok`);
      expect(lines.filter((l) => l.includes('method=recovery-code'))).toHaveLength(3);
      expect(await codeOf(auth.verifyTotp({ ...input, userId: 'ed', address: '198.51.100.1' } as unknown as Parameters<typeof auth.verifyTotp>[0]))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(auth.verifyTotp({ ...input, userId: 'ed', address: '198.51.100.1', code: '123456' }))).toBe('MIG_E_TOTP_NOT_ENROLLED');
    });

    it('keeps hostile login names to one log line and refuses malformed calls with stable codes', async () => {
      const { db } = current();
      const { auth, logLines } = await setup(db, { defender: { max_user_failures: 100, max_address_failures: 100 } });
      const hostile = 'x" address=192.0.2.66 reason=ok\n2026-01-01T00:00:00.000Z mig[1]: auth failure protocol=sftp method=password user="y" address=192.0.2.66 reason=wrong-credentials';
      expect(await codeOf(auth.authenticatePassword({ login: hostile, password: 'p', address: A, protocol: 'sftp' }))).toBe('MIG_E_AUTH_FAILED');
      expect(await codeOf(auth.authenticatePassword({ login: 'x'.repeat(300), password: 'p', address: A, protocol: 'sftp' }))).toBe('MIG_E_AUTH_FAILED');
      expect(await codeOf(auth.authenticatePassword({ login: '', password: '', address: A, protocol: 'sftp' }))).toBe('MIG_E_AUTH_FAILED');
      const lines = await logLines();
      expect(lines).toHaveLength(3);
      for (const line of lines) expect([...line.matchAll(/ address=(\S+) reason=/g)].at(-1)?.[1]).toBe(A);
      expect(lines[1]).toContain('reason=invalid-username');
      expect(await codeOf(auth.authenticatePassword({ login: 'a', password: 'p', address: 'not-an-ip', protocol: 'sftp' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(auth.authenticatePassword({ login: 'a', password: 'p', address: A, protocol: 'SFTP!' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(auth.authenticatePassword({ login: 'a', password: 7 as unknown as string, address: A, protocol: 'sftp' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(auth.authenticatePassword(undefined as unknown as { login: string; password: string; address: string; protocol: string }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(auth.authenticateToken({ token: 'x', address: A, protocol: 'https', scope: 'root' as 'admin' }))).toBe('MIG_E_INVALID_INPUT');
    });
  });
});
