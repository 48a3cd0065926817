/**
 * Who hears about account matters: `[site] admin_email` and every account with the `admin` role.
 * @packageDocumentation
 */
import type { Site } from '@migrid/core';

/** The email addresses of the site's administrators (deduplicated, lower-case). */
export async function adminRecipients(site: Site): Promise<string[]> {
  const out = new Set<string>();
  const configured = site.config.site.admin_email;
  if (configured !== undefined && configured.trim() !== '') out.add(configured.trim().toLowerCase());
  for (const admin of await site.users.list({ role: 'admin', limit: 1000 })) {
    if (admin.status === 'active' || admin.status === 'temporal') out.add(admin.email);
  }
  return [...out];
}

/** Sends a message to the administrators; a failure is logged, never thrown (the user's action succeeded). */
export async function notifyAdmins(site: Site, message: { subject: string; text: string; topic: string }): Promise<void> {
  const to = await adminRecipients(site);
  if (to.length === 0) return;
  await site.notifier.send({ to, ...message }).catch((err: unknown) => site.logger.warn({ err, topic: message.topic }, 'could not notify the administrators'));
}
