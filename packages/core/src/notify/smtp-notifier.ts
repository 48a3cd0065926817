/**
 * Email over SMTP with nodemailer: the default notifier when `[notify] smtp_url` is set.
 * @packageDocumentation
 */
import nodemailer from 'nodemailer';
import { MigError } from '../errors.js';
import type { Notifier } from './notifier.js';
import { validateNotification } from './validate-notification.js';

/** Options of {@link createSmtpNotifier}. */
export interface SmtpNotifierOptions {
  /** `smtp://host:port` or `smtps://user:password@host:465`. */
  readonly url: string;
  /** The From header, e.g. `MiG <noreply@mig.example.org>`. */
  readonly sender: string;
}

/** Creates a notifier that sends each message as one email (all recipients in To). */
export function createSmtpNotifier(options: SmtpNotifierOptions): Notifier {
  const transport = nodemailer.createTransport(options.url);
  return {
    async send(message) {
      const m = validateNotification(message);
      try {
        await transport.sendMail({ from: options.sender, to: [...m.to], subject: m.subject, text: m.text, headers: { 'X-MiG-Topic': m.topic } });
      } catch (err) {
        throw new MigError('MIG_E_NOTIFY_FAILED', `Could not send the email "${m.subject}": ${(err as Error).message}. Check [notify] smtp_url.`, { cause: err });
      }
    },
    async close() {
      transport.close();
    },
  };
}
