import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogNotifier, createSmtpNotifier } from '@migrid/core';
import { codeOf } from '../../../test/support/errors.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('the log notifier', () => {
  it('appends one JSON line per message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mig-notify-'));
    dirs.push(dir);
    const file = join(dir, 'mail.log');
    const notifier = createLogNotifier({ file, now: () => Date.UTC(2026, 0, 2) });
    await notifier.send({ to: ['ada@example.org'], subject: 'Welcome', text: 'line 1\nline 2', topic: 'signup.accepted' });
    await notifier.send({ to: ['bob@example.org', 'eve@example.org'], subject: 'Reset', text: 'x', topic: 'password.reset' });
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { at: '2026-01-02T00:00:00.000Z', topic: 'signup.accepted', to: ['ada@example.org'], subject: 'Welcome', text: 'line 1\nline 2' },
      { at: '2026-01-02T00:00:00.000Z', topic: 'password.reset', to: ['bob@example.org', 'eve@example.org'], subject: 'Reset', text: 'x' },
    ]);
  });

  it('refuses header injection, bad addresses and empty recipient lists, writing nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mig-notify-'));
    dirs.push(dir);
    const file = join(dir, 'mail.log');
    const notifier = createLogNotifier({ file });
    const base = { to: ['ada@example.org'], subject: 'Hi', text: 't', topic: 'x.y' };
    expect(await codeOf(notifier.send({ ...base, subject: 'Hi\r\nBcc: all@example.org' }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(notifier.send({ ...base, to: ['not an address'] }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(notifier.send({ ...base, to: [] }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(notifier.send({ ...base, topic: 'Bad Topic' }))).toBe('MIG_E_INVALID_INPUT');
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
  });
});

describe('the SMTP notifier', () => {
  it('delivers a message to a real SMTP server', async () => {
    const received: string[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, callback) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString()));
        stream.on('end', () => {
          received.push(data);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as { port: number }).port;
    const notifier = createSmtpNotifier({ url: `smtp://127.0.0.1:${port}`, sender: 'MiG <noreply@example.org>' });
    try {
      await notifier.send({ to: ['ada@example.org'], subject: 'Your account', text: 'Accepted.', topic: 'signup.accepted' });
    } finally {
      await notifier.close?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(received).toHaveLength(1);
    expect(received[0]).toMatch(/^Subject: Your account/m);
    expect(received[0]).toMatch(/^X-MiG-Topic: signup\.accepted/im);
    expect(received[0]).toMatch(/Accepted\./);
  });

  it('reports a mail server that cannot be reached as MIG_E_NOTIFY_FAILED', async () => {
    const notifier = createSmtpNotifier({ url: 'smtp://127.0.0.1:1', sender: 'MiG <noreply@example.org>' });
    expect(await codeOf(notifier.send({ to: ['ada@example.org'], subject: 'x', text: 'y', topic: 'a.b' }))).toBe('MIG_E_NOTIFY_FAILED');
  });
});
