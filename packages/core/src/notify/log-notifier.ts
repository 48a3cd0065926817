/**
 * A notifier that writes each message as one JSON line to a file (default `<log dir>/mail.log`),
 * used when no mail server is configured: an admin (or a test) reads the messages there.
 * @packageDocumentation
 */
import { appendFile } from 'node:fs/promises';
import type { Notifier } from './notifier.js';
import { validateNotification } from './validate-notification.js';

/** Options of {@link createLogNotifier}. */
export interface LogNotifierOptions {
  /** The file to append to (created with mode 0600). */
  readonly file: string;
  /** Clock for tests. */
  readonly now?: () => number;
}

/**
 * Creates a notifier that appends `{"at": ISO time, "to": [...], "subject": ..., "text": ..., "topic": ...}`
 * lines to `options.file`.
 */
export function createLogNotifier(options: LogNotifierOptions): Notifier {
  const now = options.now ?? Date.now;
  return {
    async send(message) {
      const m = validateNotification(message);
      const line = JSON.stringify({ at: new Date(now()).toISOString(), topic: m.topic, to: m.to, subject: m.subject, text: m.text });
      await appendFile(options.file, `${line}\n`, { mode: 0o600 });
    },
  };
}
