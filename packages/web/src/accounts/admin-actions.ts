/**
 * What administrators do to accounts, shared by the admin pages and the admin API: each action is
 * audited under `user:<admin id>`, and one that takes access away also ends the account's
 * sessions. An administrator cannot suspend or delete their own account (a lock-out guard).
 * @packageDocumentation
 */
import type { FastifyRequest } from 'fastify';
import { MigError, USER_STATUSES, type EditUserChanges, type Site, type UserRecord, type UserStatus } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { endSessionsOf } from '../plugins/sessions.js';

const startedAt = Date.now();

async function audit(ctx: WebContext, request: FastifyRequest, admin: UserRecord, action: string, target: string, details?: Record<string, unknown>): Promise<void> {
  await ctx.site.audit
    .record({ actor: `user:${admin.id}`, action, target, outcome: 'success', address: request.ip, ...(details !== undefined && { details }) })
    .catch(() => undefined);
}

function notSelf(admin: UserRecord, user: UserRecord, what: string): void {
  if (admin.id === user.id) throw new MigError('MIG_E_FORBIDDEN', `You cannot ${what} your own account; ask another administrator.`);
}

/** The account with this id (or email), or `MIG_E_USER_NOT_FOUND`. */
export async function userById(site: Site, id: string): Promise<UserRecord> {
  const user = await site.users.find(id);
  if (user === undefined) return site.users.get(id);
  return user;
}

/** Changes an account's fields. */
export async function adminEdit(ctx: WebContext, request: FastifyRequest, admin: UserRecord, id: string, changes: EditUserChanges): Promise<UserRecord> {
  const user = await userById(ctx.site, id);
  if (changes.roles !== undefined && admin.id === user.id && !changes.roles.includes('admin')) {
    throw new MigError('MIG_E_FORBIDDEN', 'You cannot take the admin role from yourself; ask another administrator.');
  }
  const updated = await ctx.site.users.edit(user.id, changes);
  await audit(ctx, request, admin, 'user.edit', user.id, { fields: Object.keys(changes) });
  return updated;
}

/** Suspends an account and ends its sessions. */
export async function adminSuspend(ctx: WebContext, request: FastifyRequest, admin: UserRecord, id: string, reason?: string): Promise<UserRecord> {
  const user = await userById(ctx.site, id);
  notSelf(admin, user, 'suspend');
  const updated = await ctx.site.users.suspend(user.id, reason);
  await endSessionsOf(ctx.site.db, user.id);
  await audit(ctx, request, admin, 'user.suspend', user.id, reason === undefined ? undefined : { reason });
  return updated;
}

/** Lifts a suspension. */
export async function adminReactivate(ctx: WebContext, request: FastifyRequest, admin: UserRecord, id: string): Promise<UserRecord> {
  const user = await userById(ctx.site, id);
  const updated = await ctx.site.users.reactivate(user.id);
  await audit(ctx, request, admin, 'user.reactivate', user.id);
  return updated;
}

/** Extends an account's access (default `[accounts] renew_days`) and tells the user. */
export async function adminRenew(ctx: WebContext, request: FastifyRequest, admin: UserRecord, id: string, days?: number): Promise<UserRecord> {
  const user = await userById(ctx.site, id);
  const updated = await ctx.site.users.renew(user.id, days === undefined ? {} : { days });
  await audit(ctx, request, admin, 'user.renew', user.id, { expiresAt: updated.expiresAt });
  await ctx.site.notifier
    .send({
      to: [updated.email],
      subject: `${ctx.site.config.site.title}: your account was renewed`,
      text: `Hello ${updated.fullName},\n\nyour account on ${ctx.site.config.site.title} was renewed${updated.expiresAt === null ? '' : ` until ${new Date(updated.expiresAt).toISOString().slice(0, 10)}`}.\nSign in at ${ctx.baseUrl}/login\n`,
      topic: 'account.renewed',
    })
    .catch((err: unknown) => request.log.warn({ err }, 'could not send a renewal email'));
  return updated;
}

/** Deletes an account (its home goes to `deleted_homes/`) and ends its sessions. */
export async function adminDelete(ctx: WebContext, request: FastifyRequest, admin: UserRecord, id: string): Promise<UserRecord> {
  const user = await userById(ctx.site, id);
  notSelf(admin, user, 'delete');
  await endSessionsOf(ctx.site.db, user.id);
  const { user: deleted } = await ctx.site.users.delete(user.id);
  await audit(ctx, request, admin, 'user.delete', user.id, { email: user.email });
  return deleted;
}

/** Site status for the admin overview. */
export interface SiteStatus {
  readonly users: Readonly<Record<UserStatus, number>> & { readonly total: number; readonly expired: number };
  readonly pendingRequests: number;
  readonly bans: number;
  readonly database: string;
  readonly uptimeSeconds: number;
  readonly version: string;
}

/** Version string of this web app. */
export const WEB_VERSION = '0.1.0';

/** Counts for the admin overview. */
export async function siteStatus(site: Site): Promise<SiteStatus> {
  const counts = await Promise.all(USER_STATUSES.map((status) => site.users.count({ status })));
  const users = Object.fromEntries(USER_STATUSES.map((s, i) => [s, counts[i] ?? 0])) as Record<UserStatus, number>;
  const [pending, bans, expired] = await Promise.all([site.signups.list({ status: 'pending', limit: 10_000 }), site.defender.listBans(), site.users.expiredAccounts()]);
  return {
    users: { ...users, total: counts.reduce((a, b) => a + b, 0), expired: expired.length },
    pendingRequests: pending.length,
    bans: bans.length,
    database: site.database.dialect,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    version: WEB_VERSION,
  };
}
