/**
 * The notifier seam (DESIGN.md §3): how the site tells people things (sign-up accepted, password
 * reset, job finished). Email over SMTP by default; a log notifier for development and tests.
 * @packageDocumentation
 */

/** One message to one or more recipients. Plain text; the notifier decides the envelope. */
export interface Notification {
  /** Recipient email addresses (at least one). */
  readonly to: readonly string[];
  /** One-line subject (no line breaks). */
  readonly subject: string;
  /** Plain-text body. */
  readonly text: string;
  /** What the message is about, for logs and filters, e.g. `signup.accepted`, `password.reset`. */
  readonly topic: string;
}

/** Sends notifications. Implement it to route messages elsewhere (a chat system, a queue). */
export interface Notifier {
  /** Sends `message`; rejects when it could not be handed over. */
  send(message: Notification): Promise<void>;
  /** Releases connections. */
  close?(): Promise<void>;
}
