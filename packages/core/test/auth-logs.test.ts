import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import { createAuditLog, createAuthLog, FAIL2BAN_FAILREGEX, formatAuthAttempt, quoteLogUsername } from '../src/auth/index.js';
import { tempDir, testClock } from './auth-fixtures.js';
import { codeOf } from '../../../test/support/errors.js';


/** fail2ban's <HOST> as a JS group, as fail2ban substitutes it. */
const failRegex = new RegExp(FAIL2BAN_FAILREGEX.replace('<HOST>', '(?<host>[0-9a-fA-F.:]+)'));

describe('auth log', () => {
  it('writes one stable, fail2ban-friendly line per attempt', async () => {
    const t = await tempDir();
    try {
      const clock = testClock(Date.parse('2026-11-28T04:30:00.123Z'));
      const file = join(t.dir, 'log', 'auth.log');
      const log = createAuthLog(file, { now: clock.now });
      await log.attempt({ outcome: 'failure', protocol: 'sftp', method: 'password', username: 'alice@example.org', address: '::ffff:203.0.113.9', reason: 'wrong-credentials' });
      await log.attempt({ outcome: 'success', protocol: 'https', method: 'totp', username: 'alice@example.org', address: '2001:DB8::1', reason: 'ok' });
      await log.banned({ subject: 'user', username: 'alice@example.org', until: clock.now() + 60_000, level: 3, reason: 'repeated-bans' });
      const lines = (await readFile(file, 'utf8')).split('\n');
      expect(lines).toEqual([
        `2026-11-28T04:30:00.123Z mig[${process.pid}]: auth failure protocol=sftp method=password user="alice@example.org" address=203.0.113.9 reason=wrong-credentials`,
        `2026-11-28T04:30:00.123Z mig[${process.pid}]: auth success protocol=https method=totp user="alice@example.org" address=2001:db8::1 reason=ok`,
        `2026-11-28T04:30:00.123Z mig[${process.pid}]: auth banned subject=user user="alice@example.org" until=2026-11-28T04:31:00.123Z level=3 reason=repeated-bans`,
        '',
      ]);
      expect(failRegex.exec(lines[0] ?? '')?.groups?.host).toBe('203.0.113.9');
      expect(failRegex.test(lines[1] ?? '')).toBe(false);
    } finally {
      await t.cleanup();
    }
  });

  it('keeps hostile user names inside their quotes: no new lines, no forged address', async () => {
    const t = await tempDir();
    try {
      const file = join(t.dir, 'auth.log');
      const log = createAuthLog(file);
      const hostile = [
        'alice"\n2026-11-28T04:30:00.000Z mig[1]: auth failure protocol=sftp method=password user="x" address=192.0.2.66 reason=wrong-credentials',
        'bob" address=192.0.2.66 reason=wrong-credentials',
        'carol\\" address=192.0.2.66 reason=x \\',
        'dave\r\naddress=192.0.2.66',
        'eve\u2028address=192.0.2.66\u2029\u0085\u000b\u000c\u001b[2J',
        '\\',
        '"',
        '',
        'x'.repeat(5000),
        'mig[1]: auth failure protocol=a method=b user=',
        'mig[1]: auth failure protocol=a method=b user=" address=192.0.2.66 reason=x',
      ];
      // Written concurrently: order within the process is kept and lines never interleave.
      await Promise.all(hostile.map((username) => log.attempt({ outcome: 'failure', protocol: 'ftps', method: 'password', username, address: '203.0.113.9', reason: 'wrong-credentials' })));
      const lines = (await readFile(file, 'utf8')).split('\n').slice(0, -1);
      expect(lines).toHaveLength(hostile.length);
      lines.forEach((line, i) => {
        expect(line, String(i)).toMatch(failRegex);
        expect(failRegex.exec(line)?.groups?.host).toBe('203.0.113.9');
        expect(line).not.toMatch(/[\r\u2028\u2029\u0085\u000b\u000c\u001b]/);
        // The naive "last address=" reading gives the real address too.
        expect([...line.matchAll(/ address=(\S+) reason=/g)].at(-1)?.[1]).toBe('203.0.113.9');
      });
      expect(lines[0]).toContain('user="alice\\"2026-11-28');
      expect(lines[2]).toContain('user="carol\\\\\\" address=192.0.2.66 reason=x \\\\" address=203.0.113.9');
      expect(lines[8]?.length).toBeLessThan(400);
      expect(quoteLogUsername('a"b\\c\nd')).toBe('"a\\"b\\\\cd"');
    } finally {
      await t.cleanup();
    }
  });

  it('refuses malformed fields with MIG_E_INVALID_INPUT', async () => {
    const base = { outcome: 'failure', protocol: 'sftp', method: 'password', username: 'a', address: '203.0.113.9', reason: 'wrong-credentials' } as const;
    expect(await codeOf(() => formatAuthAttempt({ ...base, address: '203.0.113.9 reason=ok' }, 0))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => formatAuthAttempt({ ...base, protocol: 'sftp x=y' }, 0))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => formatAuthAttempt({ ...base, reason: 'Bad Reason' }, 0))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => formatAuthAttempt({ ...base, outcome: 'maybe' as 'success' }, 0))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => createAuthLog(''))).toBe('MIG_E_INVALID_INPUT');
    const t = await tempDir();
    try {
      const log = createAuthLog(join(t.dir, 'auth.log'));
      expect(await codeOf(log.attempt({ ...base, method: '' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(log.banned({ subject: 'address', address: 'nope', until: 0, level: 1, reason: 'x' }))).toBe('MIG_E_INVALID_INPUT');
      // A failed line does not block the next one.
      await log.attempt(base);
      expect((await readFile(join(t.dir, 'auth.log'), 'utf8')).split('\n')).toHaveLength(2);
      await log.close();
      expect(await codeOf(log.attempt(base))).toBe('MIG_E_INTERNAL');
    } finally {
      await t.cleanup();
    }
  });
});

describe('audit log', () => {
  forEachDatabase((current) => {
    it('records entries in the database and a JSON-lines file, and lists them newest first with filters', async () => {
      const { db } = current();
      const t = await tempDir();
      try {
        const clock = testClock();
        const file = join(t.dir, 'log', 'audit.jsonl');
        const audit = createAuditLog(db, { filePath: file, now: clock.now });
        const first = await audit.record({ actor: 'admin:local', action: 'user.create', target: 'u1', outcome: 'success', details: { email: 'a@example.org' } });
        clock.advance(1000);
        await audit.record({ actor: 'user:u1', action: 'auth.login', target: 'u1', outcome: 'success', address: '203.0.113.9' });
        clock.advance(1000);
        await audit.record({ actor: 'user:u1', action: 'sshkey.add', target: 'u1', outcome: 'success' });
        expect(first).toMatchObject({ actor: 'admin:local', action: 'user.create', address: null, details: { email: 'a@example.org' } });
        expect(typeof first.id).toBe('number');
        expect((await audit.list({ limit: 10 })).map((e) => e.action)).toEqual(['sshkey.add', 'auth.login', 'user.create']);
        expect((await audit.list({ limit: 1 })).map((e) => e.action)).toEqual(['sshkey.add']);
        expect((await audit.list({ limit: 10, actor: 'user:u1' })).map((e) => e.action)).toEqual(['sshkey.add', 'auth.login']);
        expect((await audit.list({ limit: 10, action: 'auth.login' }))[0]).toMatchObject({ address: '203.0.113.9', details: {} });
        expect((await audit.list({ limit: 10, since: clock.now() - 1000 })).map((e) => e.action)).toEqual(['sshkey.add', 'auth.login']);
        const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(lines.map((l) => l.action)).toEqual(['user.create', 'auth.login', 'sshkey.add']);
        expect(lines[0]).toMatchObject({ actor: 'admin:local', details: { email: 'a@example.org' }, time: new Date(first.at).toISOString() });
      } finally {
        await t.cleanup();
      }
    });

    it('refuses malformed entries and queries with stable codes', async () => {
      const { db } = current();
      const audit = createAuditLog(db);
      const ok = { actor: 'system', action: 'x.y', target: 't', outcome: 'success' };
      expect(await codeOf(audit.record({ ...ok, action: 'Bad Action' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(audit.record({ ...ok, actor: '' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(audit.record({ ...ok, actor: 'a\nb' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(audit.record({ ...ok, target: 'x'.repeat(1025) }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(audit.record({ ...ok, details: { big: 'x'.repeat(20_000) } }))).toBe('MIG_E_TOO_LARGE');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(await codeOf(audit.record({ ...ok, details: cyclic }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(audit.list({ limit: 0 }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(audit.list({ limit: 10_000 }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(audit.list(undefined as unknown as { limit: number }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(() => createAuditLog(db, { filePath: '' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await audit.list({ limit: 10 })).toEqual([]);
      await audit.close();
      expect(await codeOf(audit.record(ok))).toBe('MIG_E_INTERNAL');
    });
  });
});
