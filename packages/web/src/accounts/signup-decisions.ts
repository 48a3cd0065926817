/**
 * Sign-up requests from filing to decision, with the emails MiG sends: administrators hear of a
 * new request (`signup.new`), the person hears of the decision (`signup.accepted` /
 * `signup.rejected`). Shared by the sign-up page, the JSON API, the admin pages and the `mig user
 * accept|reject` CLI, so all decide the same way.
 * @packageDocumentation
 */
import { MigError, type SignupInput, type SignupRequest, type Site, type UserRecord } from '@migrid/core';
import { notifyAdmins } from './admin-recipients.js';

/** Where links in emails point (`https://host:port`), if known. */
export interface SignupMailContext {
  readonly baseUrl?: string | undefined;
}

async function tell(site: Site, to: string, subject: string, text: string, topic: string): Promise<void> {
  await site.notifier.send({ to: [to], subject, text, topic }).catch((err: unknown) => site.logger.warn({ err, topic }, 'could not send a sign-up email'));
}

const signInHint = (mail: SignupMailContext): string => (mail.baseUrl === undefined ? 'You can now sign in.' : `You can now sign in at ${mail.baseUrl}/login`);

/**
 * Files a sign-up request (or, with `[accounts] auto_accept`, creates the account at once) and
 * sends the emails.
 * @throws MigError `MIG_E_SIGNUP_DISABLED` when `[accounts] signup_enabled` is false; the store's
 *   validation, policy and conflict errors.
 */
export async function submitSignup(site: Site, input: SignupInput, mail: SignupMailContext = {}): Promise<SignupRequest> {
  if (!site.config.accounts.signup_enabled) {
    throw new MigError('MIG_E_SIGNUP_DISABLED', 'This site does not take sign-up requests; ask the site administrators for an account.');
  }
  const request = await site.signups.submit(input);
  const title = site.config.site.title;
  await site.audit.record({ actor: `signup:${request.id}`, action: 'signup.submit', target: request.email, outcome: request.status }).catch(() => undefined);
  if (request.status === 'accepted') {
    await tell(site, request.email, `Your ${title} account is ready`, `Hello ${request.fullName},\n\nyour account on ${title} was created.\n${signInHint(mail)}\n`, 'signup.accepted');
    await notifyAdmins(site, { subject: `New ${title} account (accepted automatically): ${request.email}`, text: `${request.fullName} <${request.email}>\n${request.dn}\nwas accepted automatically.\n`, topic: 'signup.new' });
    return request;
  }
  const review = mail.baseUrl === undefined ? 'Review it with `mig user requests` or on the admin pages.' : `Review it at ${mail.baseUrl}/admin/requests or with \`mig user accept|reject ${request.id}\`.`;
  await notifyAdmins(site, {
    subject: `New ${title} sign-up request: ${request.email}`,
    text: `${request.fullName} <${request.email}> asks for an account.\nDN: ${request.dn}\nComment: ${request.comment || '-'}\n\n${review}\n`,
    topic: 'signup.new',
  });
  return request;
}

/** Accepts a pending request (creating the account) and tells the person. */
export async function acceptSignup(site: Site, id: string, by: string, mail: SignupMailContext = {}): Promise<{ request: SignupRequest; user: UserRecord }> {
  const result = await site.signups.accept(id, { by });
  const title = site.config.site.title;
  await site.audit.record({ actor: by, action: 'signup.accept', target: result.user.id, outcome: 'success', details: { request: id } }).catch(() => undefined);
  await tell(site, result.user.email, `Your ${title} account is ready`, `Hello ${result.user.fullName},\n\nyour request for an account on ${title} was accepted.\n${signInHint(mail)}\n`, 'signup.accepted');
  return result;
}

/** Rejects a pending request and tells the person (with the reason, if given). */
export async function rejectSignup(site: Site, id: string, by: string, reason?: string): Promise<SignupRequest> {
  const request = await site.signups.reject(id, { by, ...(reason !== undefined && reason !== '' && { reason }) });
  const title = site.config.site.title;
  await site.audit.record({ actor: by, action: 'signup.reject', target: request.email, outcome: 'success', details: { request: id } }).catch(() => undefined);
  const why = reason === undefined || reason === '' ? '' : `\nReason: ${reason}\n`;
  await tell(site, request.email, `Your ${title} sign-up request`, `Hello ${request.fullName},\n\nyour request for an account on ${title} was not accepted.\n${why}\nContact the site administrators if you have questions.\n`, 'signup.rejected');
  return request;
}
