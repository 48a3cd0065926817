export type { Notification, Notifier } from './notifier.js';
export { createLogNotifier } from './log-notifier.js';
export type { LogNotifierOptions } from './log-notifier.js';
export { createSmtpNotifier } from './smtp-notifier.js';
export type { SmtpNotifierOptions } from './smtp-notifier.js';
