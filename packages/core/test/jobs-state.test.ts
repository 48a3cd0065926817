import { describe, expect, it } from 'vitest';
import {
  FINAL_JOB_STATES, JOB_STATES, PENDING_JOB_STATES, assertJobId, assertTransition, canTransition, compareWithTemplate, defaultJobServerId,
  formatJobId, isJobId, isMigError, parseJobId, parseJobIoStatus, parseJobStatus, parseNotifyEntry, resolveNotifyRecipients,
  type JobState,
} from '@migrid/core';
import { codeOf } from '../../../test/support/errors.js';

/** MiG-features §7.2, written out pair by pair: the only steps a job may take. */
const ALLOWED: ReadonlySet<string> = new Set([
  'PARSE>QUEUED', 'PARSE>CANCELED',
  'QUEUED>EXECUTING', 'QUEUED>FROZEN', 'QUEUED>CANCELED', 'QUEUED>EXPIRED',
  'RETRY>EXECUTING', 'RETRY>FROZEN', 'RETRY>CANCELED', 'RETRY>EXPIRED',
  'FROZEN>QUEUED', 'FROZEN>CANCELED',
  'EXECUTING>FINISHED', 'EXECUTING>QUEUED', 'EXECUTING>FAILED', 'EXECUTING>CANCELED',
]);

describe('job states', () => {
  it('splits the states into pending and final as MiG does', () => {
    expect([...PENDING_JOB_STATES].sort()).toEqual(['EXECUTING', 'FROZEN', 'PARSE', 'QUEUED', 'RETRY']);
    expect([...FINAL_JOB_STATES].sort()).toEqual(['CANCELED', 'EXPIRED', 'FAILED', 'FINISHED']);
    expect(JOB_STATES).toHaveLength(9);
  });

  it('allows exactly the listed steps and refuses the other 65 with MIG_E_JOB_STATE naming both states', async () => {
    let refused = 0;
    for (const from of JOB_STATES) {
      for (const to of JOB_STATES) {
        const allowed = ALLOWED.has(`${from}>${to}`);
        expect(canTransition(from, to), `${from} → ${to}`).toBe(allowed);
        if (allowed) {
          expect(() => assertTransition(from, to)).not.toThrow();
          continue;
        }
        refused += 1;
        expect(await codeOf(() => assertTransition(from, to, '1_1_1_2025__0_0_0_site'))).toBe('MIG_E_JOB_STATE');
        try {
          assertTransition(from, to);
        } catch (err) {
          expect((err as Error).message).toContain(`from ${from} to ${to}`);
          expect(isMigError(err) && err.status).toBe(409);
        }
      }
    }
    expect(refused).toBe(81 - ALLOWED.size);
  });

  it('tells the user what to do instead', () => {
    const message = (from: JobState, to: JobState): string => {
      try {
        assertTransition(from, to);
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    };
    expect(message('FINISHED', 'QUEUED')).toMatch(/final.*resubmit/);
    expect(message('FROZEN', 'EXECUTING')).toMatch(/thaw/);
    expect(message('EXECUTING', 'FROZEN')).toMatch(/cancel it, or wait/);
    expect(message('QUEUED', 'FINISHED')).toMatch(/only a job that is executing/);
  });
});

describe('job ids', () => {
  it('are shaped as MiG shapes them, in GMT, and parse back', () => {
    const at = Date.UTC(2025, 6, 2, 12, 57, 15);
    const id = formatJobId(42, at, 'myhost.0');
    expect(id).toBe('42_7_2_2025__12_57_15_myhost.0');
    expect(parseJobId(id)).toEqual({ counter: 42, receivedAt: at, serverId: 'myhost.0' });
    expect(formatJobId(1, Date.UTC(2026, 0, 1, 0, 0, 0), 'a')).toBe('1_1_1_2026__0_0_0_a');
    expect(isJobId(id)).toBe(true);
  });

  it('refuses anything that could be a path trick or is not exactly that shape', async () => {
    const bad = [
      '', '.', '..', '../etc/passwd', '42_7_2_2025__12_57_15_host/..', '42_7_2_2025__12_57_15_host/x', '42_7_2_2025__12_57_15_',
      '042_7_2_2025__12_57_15_host', '0_7_2_2025__12_57_15_host', '42_13_2_2025__12_57_15_host', '42_2_31_2025__12_57_15_host',
      '42_07_2_2025__12_57_15_host', '42_7_2_2025__24_0_0_host', '42_7_2_2025__12_60_15_host', '42_7_2_2025_12_57_15_host',
      '42_7_2_2025__12_57_15_host.', '42_7_2_2025__12_57_15_-host', '42_7_2_2025__12_57_15_ho st', '42_7_2_2025__12_57_15_h\u0000',
      '42_7_2_2025__12_57_15_høst', `42_7_2_2025__12_57_15_${'a'.repeat(65)}`, '99999999999999999_7_2_2025__12_57_15_host',
      '42_7_2_2025__12_57_15_host\n', ' 42_7_2_2025__12_57_15_host',
    ];
    for (const id of bad) {
      expect(isJobId(id), JSON.stringify(id)).toBe(false);
      expect(await codeOf(() => assertJobId(id))).toBe('MIG_E_INVALID_INPUT');
    }
    for (const value of [undefined, null, 42, {}, ['1_1_1_2025__0_0_0_a']]) expect(isJobId(value)).toBe(false);
    expect(await codeOf(() => formatJobId(0, Date.now(), 'host'))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(() => formatJobId(1, Date.now(), 'bad/host'))).toBe('MIG_E_INVALID_INPUT');
  });

  it('takes the short host name as the default server id', () => {
    expect(defaultJobServerId('grid01.example.org')).toBe('grid01');
    expect(defaultJobServerId('we!rd_name')).toBe('we-rd-name');
    expect(defaultJobServerId('...')).toBe('mig');
    expect(defaultJobServerId()).toMatch(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/);
  });
});

describe('status files', () => {
  it('reads "command exitcode" lines as the job script writes them', () => {
    const report = parseJobStatus('echo hello 0\nls -l /nonexistent 2\necho `quoted` 0\n');
    expect(report.commands).toEqual([
      { command: 'echo hello', exitCode: 0 },
      { command: 'ls -l /nonexistent', exitCode: 2 },
      { command: 'echo `quoted`', exitCode: 0 },
    ]);
    expect(report.success).toBe(false);
    expect(report.lastExitCode).toBe(0);
    expect(parseJobStatus('true 0\n').success).toBe(true);
  });

  it('recognises a failed setup, a command cut off, an empty file and junk', () => {
    expect(parseJobStatus('Internal job setup failed!\n')).toMatchObject({ setupFailed: true, success: false, commands: [] });
    expect(parseJobStatus('echo a 0\nsleep 600 ')).toMatchObject({ unfinished: 'sleep 600', success: false });
    expect(parseJobStatus('')).toMatchObject({ commands: [], success: false, lastExitCode: null });
    expect(parseJobStatus('no code here\necho a 0\n').unreadableLines).toBe(1);
    expect(parseJobStatus('x 99999999999 \n').commands).toEqual([]);
    expect(parseJobStatus('a 0\r\nb 1\r\n').commands).toEqual([{ command: 'a', exitCode: 0 }, { command: 'b', exitCode: 1 }]);
    const many = 'true 0\n'.repeat(20_000);
    expect(parseJobStatus(many).commands).toHaveLength(10_000);
  });

  it('reads .io-status steps', () => {
    expect(parseJobIoStatus('get_input_status 0\nsend_output_status 6\nnonsense\n')).toEqual([
      { step: 'get_input_status', exitCode: 0 },
      { step: 'send_output_status', exitCode: 6 },
    ]);
  });
});

describe('VERIFYFILES comparison', () => {
  it('matches template lines as regular expressions from the start of each stripped line', () => {
    expect(compareWithTemplate('echo hello 0\n', 'echo hello 0\n')).toBeUndefined();
    expect(compareWithTemplate('hello\n[0-9]+\n', '  hello world  \n42 is the answer\n')).toBeUndefined();
    expect(compareWithTemplate('world\n', 'hello world\n')).toBe('line 1 does not match the template');
    expect(compareWithTemplate('a\nb\n', 'a\n')).toMatch(/line count mismatch/);
    expect(compareWithTemplate('(?P<x>a)(?P=x)\n', 'aa\n')).toBeUndefined();
    expect(compareWithTemplate('a\n(\n', 'a\nb\n')).toBe('template line 2 is not a valid regular expression');
    // Anchored at the start for every alternative (no `^(?:…)` wrapping a pattern could break out of).
    expect(compareWithTemplate('a|b\n', 'xb\n')).toBe('line 1 does not match the template');
    expect(compareWithTemplate('a|b\n', 'b\n')).toBeUndefined();
    expect(compareWithTemplate('a)|(b\n', 'xb\n')).toBe('template line 1 is not a valid regular expression');
  });

  it('lets an empty template match a missing file, but nothing else', () => {
    expect(compareWithTemplate('', undefined)).toBeUndefined();
    expect(compareWithTemplate('x\n', undefined)).toMatch(/no such result file/);
    expect(compareWithTemplate('', '')).toBeUndefined();
  });

  it('stops a catastrophic regular expression at the time limit', () => {
    const template = '(a+)+$\n';
    const actual = `${'a'.repeat(40)}!\n`;
    expect(compareWithTemplate(template, actual, 200)).toMatch(/took longer than 200 ms/);
  });
});

describe('NOTIFY entries', () => {
  it('reads the forms MiG reads', () => {
    expect(parseNotifyEntry('someone@example.org')).toMatchObject({ kind: 'email', address: 'someone@example.org' });
    expect(parseNotifyEntry('email: someone@example.org')).toMatchObject({ kind: 'email', address: 'someone@example.org' });
    expect(parseNotifyEntry('mail:someone@example.org')).toMatchObject({ kind: 'email', address: 'someone@example.org' });
    expect(parseNotifyEntry('email: SETTINGS')).toMatchObject({ kind: 'settings' });
    expect(parseNotifyEntry('email:')).toMatchObject({ kind: 'settings' });
    expect(parseNotifyEntry('SETTINGS')).toMatchObject({ kind: 'settings' });
    expect(parseNotifyEntry('jabber: me@jabber.org')).toMatchObject({ kind: 'im', protocol: 'jabber', address: 'me@jabber.org' });
    expect(parseNotifyEntry('icq: SETTINGS')).toMatchObject({ kind: 'im', protocol: 'icq' });
    expect(parseNotifyEntry('email: not an address')).toMatchObject({ kind: 'invalid' });
    expect(parseNotifyEntry('Someone <someone@example.org>')).toMatchObject({ kind: 'invalid' });
    expect(parseNotifyEntry('email: a@b.org\r\nBcc: victim@x.org')).toMatchObject({ kind: 'invalid' });
  });

  it('resolves recipients once each, skipping IM and invalid entries with a reason', () => {
    const { emails, skipped } = resolveNotifyRecipients(
      ['email: SETTINGS', 'Owner@Example.org', 'other@example.org', 'jabber: me@jabber.org', 'nonsense'],
      'owner@example.org',
    );
    expect(emails).toEqual(['owner@example.org', 'other@example.org']);
    expect(skipped.map((s) => s.entry)).toEqual(['jabber: me@jabber.org', 'nonsense']);
    expect(skipped[0]?.reason).toMatch(/instant messages \(jabber\) are not supported/);
    expect(resolveNotifyRecipients(['SETTINGS'], undefined).skipped[0]?.reason).toMatch(/no usable saved email/);
    const many = Array.from({ length: 30 }, (_, i) => `u${i}@example.org`);
    const capped = resolveNotifyRecipients(many);
    expect(capped.emails).toHaveLength(20);
    expect(capped.skipped).toHaveLength(10);
  });
});
