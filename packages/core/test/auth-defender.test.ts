import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import { createAuthLog, createDefender, normalizeBanSubject, normalizeIpAddress, SAME_SECRET_FREE_RETRIES } from '../src/auth/index.js';
import { defenderConfig, tempDir, testClock } from './auth-fixtures.js';
import { codeOf } from '../../../test/support/errors.js';

const A = '203.0.113.9';
const B = '198.51.100.7';

describe('IP address normalisation', () => {
  it('canonicalises IPv4-mapped and long IPv6 forms and refuses non-addresses', () => {
    expect(normalizeIpAddress('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(normalizeIpAddress('::FFFF:cb00:7109')).toBe('203.0.113.9');
    expect(normalizeIpAddress('2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(normalizeIpAddress('fe80::1%eth0')).toBe('fe80::1');
    for (const bad of ['', 'localhost', '1.2.3', '01.2.3.4', '1.2.3.4 ', '1.2.3.4\naddress=5.6.7.8', 'x'.repeat(100)]) {
      expect(normalizeIpAddress(bad), bad).toBeUndefined();
    }
    expect(normalizeBanSubject('::ffff:1.2.3.4')).toBe('addr:1.2.3.4');
    expect(normalizeBanSubject('user:Alice ')).toBe('user:alice');
    expect(() => normalizeBanSubject('alice')).toThrowError(expect.objectContaining({ code: 'MIG_E_INVALID_INPUT' }));
  });
});

describe('defender', () => {
  forEachDatabase((current) => {
    it('bans an address at max_user_failures for one user, for every protocol and user, for ban_seconds', async () => {
      const { db } = current();
      const clock = testClock();
      const defender = createDefender(db, defenderConfig(), { now: clock.now });
      for (const pw of ['a', 'b']) {
        expect(await defender.check({ address: A, username: 'alice', protocol: 'sftp' })).toEqual({ allowed: true });
        expect(await defender.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret: pw })).toMatchObject({ banned: false });
      }
      const third = await defender.recordFailure({ address: A, username: 'Alice', protocol: 'webdavs', secret: 'c' });
      expect(third).toEqual({ banned: true, until: clock.now() + 60_000, level: 1, subjects: [`addr:${A}`] });
      for (const protocol of ['sftp', 'ftps', 'webdavs', 'https']) {
        expect(await defender.check({ address: A, username: 'bob', protocol })).toEqual({ allowed: false, until: clock.now() + 60_000, reason: 'address-banned', subject: `addr:${A}` });
      }
      expect(await defender.check({ address: `::ffff:${A}`, username: '', protocol: 'sftp' })).toMatchObject({ allowed: false });
      expect(await defender.check({ address: B, username: 'alice', protocol: 'sftp' })).toEqual({ allowed: true });
      clock.advance(59_999);
      expect((await defender.check({ address: A, username: 'alice', protocol: 'sftp' })).allowed).toBe(false);
      clock.advance(1);
      expect((await defender.check({ address: A, username: 'alice', protocol: 'sftp' })).allowed).toBe(true);
      // The failures that led to the ban are spent: the next failure starts a new count.
      expect(await defender.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret: 'd' })).toMatchObject({ banned: false, userFailures: 1 });
    });

    it('forgets failures outside window_seconds', async () => {
      const { db } = current();
      const clock = testClock();
      const defender = createDefender(db, defenderConfig(), { now: clock.now });
      await defender.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret: 'a' });
      await defender.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret: 'b' });
      clock.advance(120_001);
      expect(await defender.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret: 'c' })).toMatchObject({ banned: false, userFailures: 1 });
      expect(await defender.prune()).toEqual({ failures: 2, bans: 0 });
    });

    it('counts a retry of the same secret once (up to the free retries), and never stores the secret', async () => {
      const { db } = current();
      const clock = testClock();
      const defender = createDefender(db, defenderConfig({ max_address_failures: 100 }), { now: clock.now });
      const secret = 'hunter2-Correct-Horse';
      for (let i = 0; i < SAME_SECRET_FREE_RETRIES; i += 1) {
        expect(await defender.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret })).toMatchObject({ banned: false, userFailures: 1 });
      }
      // The same secret for another user is another failure.
      expect(await defender.recordFailure({ address: A, username: 'bob', protocol: 'sftp', secret })).toMatchObject({ userFailures: 1, addressFailures: 2 });
      const rows = await db.selectFrom('auth_failures').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain('hunter2');
      expect(new Set(rows.filter((r) => r.username === 'alice').map((r) => r.secret_hash)).size).toBe(1);
      // Beyond the free retries every retry counts again.
      expect(await defender.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret })).toMatchObject({ banned: false, userFailures: 2 });
      expect(await defender.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret })).toMatchObject({ banned: true });
      // Failures without a secret (e.g. unknown method) always count.
      expect(await defender.recordFailure({ address: B, username: 'carol', protocol: 'ftps' })).toMatchObject({ userFailures: 1 });
      expect(await defender.recordFailure({ address: B, username: 'carol', protocol: 'ftps' })).toMatchObject({ userFailures: 2 });
    });

    it('bans an address at max_address_failures over all user names', async () => {
      const { db } = current();
      const clock = testClock();
      const defender = createDefender(db, defenderConfig(), { now: clock.now });
      for (const user of ['root', 'admin', 'test', 'guest']) {
        expect(await defender.recordFailure({ address: A, username: user, protocol: 'sftp', secret: 'x' })).toMatchObject({ banned: false });
      }
      expect(await defender.recordFailure({ address: A, username: 'oracle', protocol: 'ftps', secret: 'x' })).toMatchObject({ banned: true, subjects: [`addr:${A}`] });
      expect((await defender.listBans())[0]).toMatchObject({ subject: `addr:${A}`, reason: 'too-many-address-failures', level: 1 });
    });

    it('grows bans by ban_growth up to max_ban_seconds, and forgets history after a day', async () => {
      const { db } = current();
      const clock = testClock();
      const defender = createDefender(db, defenderConfig({ max_user_failures: 1 }), { now: clock.now });
      const lengths: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const result = await defender.recordFailure({ address: A, username: `u${i}`, protocol: 'sftp', secret: 'x' });
        if (!result.banned) throw new Error('expected a ban');
        lengths.push((result.until - clock.now()) / 1000);
        clock.set(result.until);
      }
      expect(lengths).toEqual([60, 120, 240, 480, 600, 600]);
      clock.advance(86_400_000 + 1);
      const fresh = await defender.recordFailure({ address: A, username: 'again', protocol: 'sftp', secret: 'x' });
      expect(fresh).toMatchObject({ banned: true, level: 1, until: clock.now() + 60_000 });
    });

    it('bans a user name from every address after repeated address bans for it', async () => {
      const { db } = current();
      const clock = testClock();
      const defender = createDefender(db, defenderConfig({ max_user_failures: 2 }), { now: clock.now });
      const addresses = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
      let last;
      for (const address of addresses) {
        await defender.recordFailure({ address, username: 'alice', protocol: 'sftp', secret: '1' });
        last = await defender.recordFailure({ address, username: 'alice', protocol: 'sftp', secret: '2' });
      }
      expect(last).toMatchObject({ banned: true, subjects: ['addr:192.0.2.3', 'user:alice'] });
      expect(await defender.check({ address: '192.0.2.99', username: 'ALICE', protocol: 'https' })).toMatchObject({ allowed: false, reason: 'user-banned', subject: 'user:alice' });
      expect(await defender.check({ address: '192.0.2.99', username: 'bob', protocol: 'https' })).toEqual({ allowed: true });
      expect((await defender.listBans()).map((b) => b.subject).sort()).toEqual(['addr:192.0.2.1', 'addr:192.0.2.2', 'addr:192.0.2.3', 'user:alice']);
      expect(await defender.liftBan('user:alice')).toBe(true);
      expect(await defender.liftBan('user:alice')).toBe(false);
      expect(await defender.check({ address: '192.0.2.99', username: 'alice', protocol: 'https' })).toEqual({ allowed: true });
      expect(await defender.liftBan('::ffff:192.0.2.1')).toBe(true);
      expect(await defender.check({ address: '192.0.2.1', username: 'bob', protocol: 'sftp' })).toEqual({ allowed: true });
    });

    it('never bans, counts or refuses allow-listed addresses (IPv4, IPv6, CIDR, IPv4-mapped)', async () => {
      const { db } = current();
      const clock = testClock();
      const defender = createDefender(db, defenderConfig({ max_user_failures: 1, max_address_failures: 1, allow_list: ['127.0.0.1', '10.0.0.0/8', '2001:db8::/32'] }), { now: clock.now });
      for (const address of ['127.0.0.1', '10.200.3.4', '::ffff:10.9.9.9', '2001:db8:1::5', '::ffff:127.0.0.1']) {
        for (let i = 0; i < 5; i += 1) {
          expect(await defender.recordFailure({ address, username: 'alice', protocol: 'sftp', secret: String(i) }), address).toMatchObject({ banned: false });
        }
        expect(await defender.check({ address, username: 'alice', protocol: 'sftp' }), address).toEqual({ allowed: true });
      }
      expect(await db.selectFrom('auth_failures').selectAll().execute()).toEqual([]);
      expect(await defender.recordFailure({ address: '11.0.0.1', username: 'alice', protocol: 'sftp', secret: 'x' })).toMatchObject({ banned: true });
      expect(await defender.recordFailure({ address: '2001:db9::1', username: 'alice', protocol: 'sftp', secret: 'x' })).toMatchObject({ banned: true });
    });

    it("clears a user's failures from an address on success, and nobody else's", async () => {
      const { db } = current();
      const clock = testClock();
      const defender = createDefender(db, defenderConfig({ max_address_failures: 100 }), { now: clock.now });
      await defender.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret: 'a' });
      await defender.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret: 'b' });
      await defender.recordFailure({ address: A, username: 'bob', protocol: 'sftp', secret: 'a' });
      await defender.recordFailure({ address: B, username: 'alice', protocol: 'sftp', secret: 'a' });
      await defender.recordSuccess({ address: A, username: 'ALICE', protocol: 'https' });
      expect(await defender.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret: 'c' })).toMatchObject({ banned: false, userFailures: 1 });
      expect(await defender.recordFailure({ address: A, username: 'bob', protocol: 'sftp', secret: 'b' })).toMatchObject({ userFailures: 2 });
      expect(await defender.recordFailure({ address: B, username: 'alice', protocol: 'sftp', secret: 'b' })).toMatchObject({ userFailures: 2 });
    });

    it('shares state between defenders (processes) over the database, and writes banned lines', async () => {
      const { db } = current();
      const clock = testClock();
      const t = await tempDir();
      try {
        const authLog = createAuthLog(join(t.dir, 'log', 'auth.log'), { now: clock.now });
        const sftp = createDefender(db, defenderConfig(), { now: clock.now, authLog });
        const web = createDefender(db, defenderConfig(), { now: clock.now, authLog });
        await sftp.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret: '1' });
        await web.recordFailure({ address: A, username: 'alice', protocol: 'https', secret: '2' });
        expect(await sftp.recordFailure({ address: A, username: 'alice', protocol: 'sftp', secret: '3' })).toMatchObject({ banned: true });
        expect(await web.check({ address: A, username: 'alice', protocol: 'https' })).toMatchObject({ allowed: false });
        await authLog.flush();
        const text = await readFile(join(t.dir, 'log', 'auth.log'), 'utf8');
        expect(text).toBe(`2026-11-28T04:30:00.000Z mig[${process.pid}]: auth banned subject=address address=${A} until=2026-11-28T04:31:00.000Z level=1 reason=too-many-user-failures\n`);
      } finally {
        await t.cleanup();
      }
    });

    it('does nothing when disabled', async () => {
      const { db } = current();
      const defender = createDefender(db, defenderConfig({ enabled: false, max_user_failures: 1 }));
      for (let i = 0; i < 5; i += 1) expect(await defender.recordFailure({ address: A, username: 'a', protocol: 'sftp', secret: String(i) })).toMatchObject({ banned: false });
      expect(await defender.check({ address: A, username: 'a', protocol: 'sftp' })).toEqual({ allowed: true });
    });

    it('prunes expired bans after their history period', async () => {
      const { db } = current();
      const clock = testClock();
      const defender = createDefender(db, defenderConfig({ max_user_failures: 1 }), { now: clock.now });
      await defender.recordFailure({ address: A, username: 'a', protocol: 'sftp', secret: '1' });
      clock.advance(61_000);
      expect(await defender.listBans()).toEqual([]);
      expect(await defender.prune()).toEqual({ failures: 0, bans: 0 }); // history is kept for growing penalties
      clock.advance(86_400_000);
      // The address ban and the strike it put on the user name.
      expect(await defender.prune()).toEqual({ failures: 0, bans: 2 });
      expect(await db.selectFrom('auth_bans').selectAll().execute()).toEqual([]);
    });

    it('refuses malformed input and config with stable codes', async () => {
      const { db } = current();
      const defender = createDefender(db, defenderConfig());
      expect(await codeOf(defender.check({ address: 'evil host', username: 'a', protocol: 'sftp' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(defender.check({ address: A, username: 'a', protocol: 'SFTP proto' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(defender.recordFailure({ address: A, username: 42 as unknown as string, protocol: 'sftp' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(defender.recordFailure(null as unknown as { address: string; username: string; protocol: string }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(defender.recordSuccess({ address: '', username: 'a', protocol: 'sftp' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(defender.liftBan('nonsense'))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(() => createDefender(db, defenderConfig({ allow_list: ['10.0.0.0/33'] })))).toBe('MIG_E_CONFIG_INVALID');
      expect(await codeOf(() => createDefender(db, defenderConfig({ allow_list: ['example.org'] })))).toBe('MIG_E_CONFIG_INVALID');
      expect(await codeOf(() => createDefender(db, defenderConfig({ window_seconds: -1 })))).toBe('MIG_E_INVALID_INPUT');
      // A hostile, huge user name is counted (by its prefix), not refused.
      expect(await defender.recordFailure({ address: A, username: 'x'.repeat(50_000), protocol: 'sftp', secret: 's' })).toMatchObject({ banned: false, userFailures: 1 });
    });
  });
});
