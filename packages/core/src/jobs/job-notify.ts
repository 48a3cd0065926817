/**
 * NOTIFY: telling people that a job ended, as MiG's `notify_user` does for FINISHED (SUCCESS),
 * FAILED and EXPIRED jobs. Cancelled jobs are not notified (MiG does not either).
 *
 * NOTIFY entries, read as MiG reads them:
 * - `email: someone@example.org` or `mail: someone@example.org` → that address;
 * - `email: SETTINGS`, `email:` (empty) or a bare `SETTINGS` → the owner's saved email address
 *   (the account's email; MiG reads its saved settings);
 * - a bare address `someone@example.org` → that address;
 * - `jabber:`, `msn:`, `icq:`, `aol:`, `yahoo:` (MiG's instant-message protocols) are **skipped
 *   with a log line**: this site has no IM gateway (MiG's grid_imnotify relayed to an IRC bridge).
 *   They are not refused at submission, so a job written for MiG still runs;
 * - anything else is skipped with a log line, as MiG does.
 *
 * Each address gets its own message (recipients do not see each other), at most 20 per job.
 * A failed delivery is logged and reported, never thrown: a job's end never fails because a mail
 * could not be sent.
 * @packageDocumentation
 */
import type { Notifier } from '../notify/notifier.js';
import type { JobState } from './job-state.js';

/**
 * MiG's instant-message protocols, recognised in NOTIFY and skipped (no IM gateway here).
 *
 * @example
 * ```ts
 * IM_NOTIFY_PROTOCOLS.includes('jabber'); // true
 * ```
 */
export const IM_NOTIFY_PROTOCOLS = ['jabber', 'msn', 'icq', 'aol', 'yahoo'] as const;

/**
 * The prefixes that mark an email entry (MiG's `email_keyword_list`).
 *
 * @example
 * ```ts
 * EMAIL_NOTIFY_KEYWORDS.includes('mail'); // true
 * ```
 */
export const EMAIL_NOTIFY_KEYWORDS = ['mail', 'email'] as const;

/** Most messages sent for one job's end. */
export const MAX_NOTIFY_RECIPIENTS = 20;

/**
 * What one NOTIFY entry asks for.
 *
 * @example
 * ```ts
 * parseNotifyEntry('email: SETTINGS'); // { kind: 'settings', entry: 'email: SETTINGS' }
 * ```
 */
export type NotifyTarget =
  | { readonly kind: 'email'; readonly entry: string; readonly address: string }
  | { readonly kind: 'settings'; readonly entry: string }
  | { readonly kind: 'im'; readonly entry: string; readonly protocol: string; readonly address: string }
  | { readonly kind: 'invalid'; readonly entry: string; readonly reason: string };

/** A NOTIFY entry that was not acted on, and why. */
export interface SkippedNotifyEntry {
  readonly entry: string;
  readonly reason: string;
}

/**
 * What {@link notifyJobEnded} did.
 *
 * @example
 * ```ts
 * const outcome = await notifyJobEnded({ notifier: site.notifier, job, ownerEmail: owner.email });
 * outcome.sent; // ['someone@example.org']
 * ```
 */
export interface JobNotifyOutcome {
  /** Addresses a message was handed to the notifier for. */
  readonly sent: readonly string[];
  /** Addresses whose message the notifier refused or could not deliver. */
  readonly failed: readonly string[];
  /** Entries not acted on (IM protocols, invalid addresses, over the limit), with the reason. */
  readonly skipped: readonly SkippedNotifyEntry[];
}

/** The part of a logger {@link notifyJobEnded} uses (a pino `SiteLogger` fits). */
export interface JobNotifyLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** The job fields {@link notifyJobEnded} reads (a `JobRecord` fits). */
export interface NotifiableJob {
  readonly id: string;
  readonly state: JobState;
  readonly retryCount: number;
  readonly failureMessage: string | null;
  readonly spec: { readonly NOTIFY: readonly string[]; readonly RETRIES: number; readonly JOBNAME: string };
}

/** Input of {@link notifyJobEnded}. */
export interface NotifyJobEndedInput {
  readonly notifier: Notifier;
  readonly job: NotifiableJob;
  /** The owner's email, used for `SETTINGS` entries; without it they are skipped. */
  readonly ownerEmail?: string | undefined;
  /** The site's short title for the subject (default `MiG`). */
  readonly siteTitle?: string | undefined;
  /** The `.status` file's text, quoted in the message of a finished job (cut at 16 KiB). */
  readonly statusText?: string | undefined;
  /** A link to the job's status page, e.g. `(id) => \`${base}/jobs/${id}\``. */
  readonly jobUrl?: ((jobId: string) => string) | undefined;
  readonly logger?: JobNotifyLogger | undefined;
}

const SIMPLE_EMAIL = /^[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;
const MAX_STATUS_QUOTE = 16 * 1024;

/**
 * True for a plain `local@domain.tld` address (no display name, no spaces), as MiG's
 * `is_valid_simple_email` wants.
 *
 * @example
 * ```ts
 * isSimpleEmail('someone@example.org'); // true
 * isSimpleEmail('Someone <someone@example.org>'); // false
 * ```
 */
export function isSimpleEmail(value: string): boolean {
  return typeof value === 'string' && value.length <= 254 && SIMPLE_EMAIL.test(value);
}

/**
 * Reads one NOTIFY entry.
 *
 * @example
 * ```ts
 * parseNotifyEntry('someone@example.org');     // { kind: 'email', address: 'someone@example.org', … }
 * parseNotifyEntry('jabber: me@jabber.org');   // { kind: 'im', protocol: 'jabber', … }
 * ```
 */
export function parseNotifyEntry(entry: string): NotifyTarget {
  const text = typeof entry === 'string' ? entry.trim() : '';
  const colon = text.indexOf(':');
  const head = colon < 0 ? text : text.slice(0, colon).trim();
  const rest = colon < 0 ? '' : text.slice(colon + 1).trim();
  if (colon >= 0 && (IM_NOTIFY_PROTOCOLS as readonly string[]).includes(head)) {
    return { kind: 'im', entry: text, protocol: head, address: rest };
  }
  if ((colon >= 0 && (EMAIL_NOTIFY_KEYWORDS as readonly string[]).includes(head)) || head === 'SETTINGS') {
    const recipient = head === 'SETTINGS' && colon < 0 ? '' : rest;
    if (recipient === '' || recipient.toUpperCase() === 'SETTINGS') return { kind: 'settings', entry: text };
    if (isSimpleEmail(recipient)) return { kind: 'email', entry: text, address: recipient };
    return { kind: 'invalid', entry: text, reason: 'not a valid email address' };
  }
  if (isSimpleEmail(text)) return { kind: 'email', entry: text, address: text };
  return { kind: 'invalid', entry: text, reason: 'neither an email address nor a known protocol' };
}

/**
 * The email addresses a job's NOTIFY entries name (deduplicated, case-insensitively, at most
 * {@link MAX_NOTIFY_RECIPIENTS}), and the entries skipped with the reason.
 *
 * @example
 * ```ts
 * resolveNotifyRecipients(['email: SETTINGS', 'jabber: me@jabber.org'], 'owner@example.org');
 * // { emails: ['owner@example.org'], skipped: [{ entry: 'jabber: me@jabber.org', reason: '…' }] }
 * ```
 */
export function resolveNotifyRecipients(notify: readonly string[], ownerEmail?: string): { emails: string[]; skipped: SkippedNotifyEntry[] } {
  const emails: string[] = [];
  const seen = new Set<string>();
  const skipped: SkippedNotifyEntry[] = [];
  for (const entry of notify) {
    const target = parseNotifyEntry(entry);
    let address: string | undefined;
    if (target.kind === 'im') {
      skipped.push({ entry: target.entry, reason: `instant messages (${target.protocol}) are not supported on this site; use an email address` });
      continue;
    }
    if (target.kind === 'invalid') {
      skipped.push({ entry: target.entry, reason: target.reason });
      continue;
    }
    if (target.kind === 'settings') {
      if (ownerEmail === undefined || !isSimpleEmail(ownerEmail)) {
        skipped.push({ entry: target.entry, reason: 'the owner has no usable saved email address' });
        continue;
      }
      address = ownerEmail;
    } else {
      address = target.address;
    }
    const key = address.toLowerCase();
    if (seen.has(key)) continue;
    if (emails.length >= MAX_NOTIFY_RECIPIENTS) {
      skipped.push({ entry: target.entry, reason: `more than ${MAX_NOTIFY_RECIPIENTS} recipients` });
      continue;
    }
    seen.add(key);
    emails.push(address);
  }
  return { emails, skipped };
}

/** Subject and text of the message for a job that ended in `state`, or undefined when MiG does not notify it. */
function compose(input: NotifyJobEndedInput): { subject: string; text: string; topic: string } | undefined {
  const { job } = input;
  const site = (input.siteTitle ?? 'MiG').replace(/[\r\n]+/g, ' ').slice(0, 64);
  const link = input.jobUrl === undefined ? '' : `\nThe job's status page: ${input.jobUrl(job.id)}\n`;
  const name = job.spec.JOBNAME === '' ? '' : ` (${job.spec.JOBNAME})`;
  const folder = `job_output/${job.id}/`;
  const footer = '\nThis message was sent automatically; replies are not read.\n';
  if (job.state === 'FINISHED') {
    const status = input.statusText === undefined ? '(the status file was not available)\n' : input.statusText.slice(0, MAX_STATUS_QUOTE);
    return {
      topic: 'job.finished',
      subject: `${site} job ${job.id} finished`,
      text:
        `Your ${site} job ${job.id}${name} has finished.\n${link}\n` +
        `Each command of the job and its exit code:\n${status}${status.endsWith('\n') ? '' : '\n'}\n` +
        `Its output is in ${folder} in your home (${job.id}.stdout and ${job.id}.stderr).\n${footer}`,
    };
  }
  if (job.state === 'FAILED') {
    const why = job.failureMessage === null ? '' : `\nThe last problem reported: ${job.failureMessage.slice(0, 4096)}\n`;
    return {
      topic: 'job.failed',
      subject: `${site} job ${job.id} failed`,
      text:
        `Your ${site} job ${job.id}${name} has failed: it was tried ${job.retryCount} ${job.retryCount === 1 ? 'time' : 'times'} ` +
        `(it allowed ${job.spec.RETRIES} ${job.spec.RETRIES === 1 ? 'retry' : 'retries'}) without finishing.\n${why}${link}\n` +
        `If this happens again, please contact the ${site} team.\n${footer}`,
    };
  }
  if (job.state === 'EXPIRED') {
    return {
      topic: 'job.expired',
      subject: `${site} job ${job.id} expired`,
      text:
        `Your ${site} job ${job.id}${name} has expired: it waited in the queue longer than the site allows, ` +
        `and no resource took it.\n${link}\nYou may submit it again, perhaps with smaller requirements.\n${footer}`,
    };
  }
  return undefined;
}

/**
 * Sends the NOTIFY messages of a job that ended (FINISHED, FAILED or EXPIRED; other states send
 * nothing) through the site's notifier, one message per address. Never throws for delivery
 * problems: they are logged and reported in the outcome.
 *
 * @example
 * ```ts
 * const owner = await site.users.get(job.ownerId);
 * const results = await openJobResults(site.files, job);
 * await notifyJobEnded({
 *   notifier: site.notifier, job, ownerEmail: owner.email, siteTitle: site.config.site.short_title,
 *   statusText: await results.read('status'), logger: site.logger,
 * });
 * ```
 */
export async function notifyJobEnded(input: NotifyJobEndedInput): Promise<JobNotifyOutcome> {
  const message = compose(input);
  if (message === undefined || input.job.spec.NOTIFY.length === 0) return { sent: [], failed: [], skipped: [] };
  const { emails, skipped } = resolveNotifyRecipients(input.job.spec.NOTIFY, input.ownerEmail);
  for (const s of skipped) input.logger?.info({ jobId: input.job.id, reason: s.reason }, 'job notification entry skipped');
  const sent: string[] = [];
  const failed: string[] = [];
  for (const address of emails) {
    try {
      await input.notifier.send({ to: [address], subject: message.subject, text: message.text, topic: message.topic });
      sent.push(address);
    } catch (err) {
      failed.push(address);
      input.logger?.warn({ jobId: input.job.id, err: (err as Error)?.message ?? String(err) }, 'job notification could not be sent');
    }
  }
  return { sent, failed, skipped };
}
