/**
 * The admin API (`/api/v1/admin/…`): accounts, sign-up requests, defender bans and site status.
 * Administrators only; API tokens need the `admin` scope.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import { USER_STATUSES, type EditUserChanges, type UserStatus } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { accountJson, accountSchema, banJson, banSchema, errorResponses, signupJson, signupSchema } from '../accounts/account-json.js';
import { adminDelete, adminEdit, adminReactivate, adminRenew, adminSuspend, siteStatus, userById } from '../accounts/admin-actions.js';
import { acceptSignup, rejectSignup } from '../accounts/signup-decisions.js';
import { requireAdmin } from '../plugins/authentication.js';

const tags = ['admin'];
const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', minLength: 1, maxLength: 1024 } } } as const;
const okSchema = { type: 'object', properties: { ok: { type: 'boolean' } } } as const;
const reasonBody = { type: 'object', additionalProperties: false, nullable: true, properties: { reason: { type: 'string', maxLength: 1024 } } } as const;

interface AdminEditBody {
  fullName?: string;
  organization?: string;
  organizationalUnit?: string;
  locality?: string;
  state?: string;
  country?: string;
  email?: string;
  comment?: string;
  roles?: string[];
  aliases?: string[];
  expiresAt?: string | null;
}

/** Registers the admin API. */
export function registerAdminApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;

  app.get<{ Querystring: { search?: string; status?: UserStatus; limit?: number; offset?: number } }>('/api/v1/admin/users', {
    schema: {
      tags,
      summary: 'Search accounts',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          search: { type: 'string', maxLength: 256 },
          status: { type: 'string', enum: [...USER_STATUSES] },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          offset: { type: 'integer', minimum: 0, maximum: 10_000_000, default: 0 },
        },
      },
      response: { 200: { type: 'object', properties: { total: { type: 'integer' }, users: { type: 'array', items: accountSchema } } }, ...errorResponses },
    },
  }, async (request) => {
    requireAdmin(request);
    const { search, status, limit, offset } = request.query;
    const filter = { ...(search !== undefined && search !== '' && { search }), ...(status !== undefined && { status }) };
    const [users, total] = await Promise.all([site.users.list({ ...filter, limit: limit ?? 100, offset: offset ?? 0 }), site.users.count(filter)]);
    return { total, users: users.map(accountJson) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/admin/users/:id', {
    schema: { tags, summary: 'One account (by id, email, alias or DN)', params: idParams, response: { 200: accountSchema, ...errorResponses } },
  }, async (request) => {
    requireAdmin(request);
    return accountJson(await userById(site, request.params.id));
  });

  app.patch<{ Params: { id: string }; Body: AdminEditBody }>('/api/v1/admin/users/:id', {
    schema: {
      tags,
      summary: 'Change an account',
      params: idParams,
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          fullName: { type: 'string', maxLength: 256 },
          organization: { type: 'string', maxLength: 256 },
          organizationalUnit: { type: 'string', maxLength: 256 },
          locality: { type: 'string', maxLength: 256 },
          state: { type: 'string', maxLength: 2 },
          country: { type: 'string', maxLength: 2 },
          email: { type: 'string', maxLength: 256 },
          comment: { type: 'string', maxLength: 4096 },
          roles: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 64 } },
          aliases: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 256 } },
          expiresAt: { type: 'string', format: 'date-time', nullable: true, description: 'End of access; null = never.' },
        },
      },
      response: { 200: accountSchema, ...errorResponses },
    },
  }, async (request) => {
    const admin = requireAdmin(request);
    const { expiresAt, ...rest } = request.body;
    const changes: EditUserChanges = { ...rest, ...(expiresAt !== undefined && { expiresAt: expiresAt === null ? null : Date.parse(expiresAt) }) };
    return accountJson(await adminEdit(ctx, request, admin, request.params.id, changes));
  });

  app.delete<{ Params: { id: string } }>('/api/v1/admin/users/:id', {
    schema: { tags, summary: 'Delete an account (its home is moved to deleted_homes/)', params: idParams, response: { 200: okSchema, ...errorResponses } },
  }, async (request) => {
    await adminDelete(ctx, request, requireAdmin(request), request.params.id);
    return { ok: true };
  });

  app.post<{ Params: { id: string }; Body: { reason?: string } | null }>('/api/v1/admin/users/:id/suspend', {
    schema: { tags, summary: 'Suspend an account (ends its sessions)', params: idParams, body: reasonBody, response: { 200: accountSchema, ...errorResponses } },
  }, async (request) => accountJson(await adminSuspend(ctx, request, requireAdmin(request), request.params.id, request.body?.reason)));

  app.post<{ Params: { id: string } }>('/api/v1/admin/users/:id/reactivate', {
    schema: { tags, summary: 'Lift a suspension', params: idParams, response: { 200: accountSchema, ...errorResponses } },
  }, async (request) => accountJson(await adminReactivate(ctx, request, requireAdmin(request), request.params.id)));

  app.post<{ Params: { id: string }; Body: { days?: number } | null }>('/api/v1/admin/users/:id/renew', {
    schema: {
      tags,
      summary: 'Extend an account\'s access (default [accounts] renew_days)',
      params: idParams,
      body: { type: 'object', additionalProperties: false, nullable: true, properties: { days: { type: 'integer', minimum: 1, maximum: 36500 } } },
      response: { 200: accountSchema, ...errorResponses },
    },
  }, async (request) => accountJson(await adminRenew(ctx, request, requireAdmin(request), request.params.id, request.body?.days)));

  app.get<{ Querystring: { status?: 'pending' | 'accepted' | 'rejected' } }>('/api/v1/admin/requests', {
    schema: {
      tags,
      summary: 'Sign-up requests (pending by default)',
      querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: ['pending', 'accepted', 'rejected'], default: 'pending' } } },
      response: { 200: { type: 'object', properties: { requests: { type: 'array', items: signupSchema } } }, ...errorResponses },
    },
  }, async (request) => {
    requireAdmin(request);
    return { requests: (await site.signups.list({ status: request.query.status ?? 'pending' })).map(signupJson) };
  });

  app.post<{ Params: { id: string } }>('/api/v1/admin/requests/:id/accept', {
    schema: {
      tags,
      summary: 'Accept a sign-up request (creates the account and emails the person)',
      params: idParams,
      response: { 200: { type: 'object', properties: { request: signupSchema, user: accountSchema } }, ...errorResponses },
    },
  }, async (request) => {
    const admin = requireAdmin(request);
    const result = await acceptSignup(site, request.params.id, `user:${admin.id}`, { baseUrl: ctx.baseUrl });
    return { request: signupJson(result.request), user: accountJson(result.user) };
  });

  app.post<{ Params: { id: string }; Body: { reason?: string } | null }>('/api/v1/admin/requests/:id/reject', {
    schema: { tags, summary: 'Reject a sign-up request (emails the person, with the reason)', params: idParams, body: reasonBody, response: { 200: signupSchema, ...errorResponses } },
  }, async (request) => {
    const admin = requireAdmin(request);
    return signupJson(await rejectSignup(site, request.params.id, `user:${admin.id}`, request.body?.reason));
  });

  app.get('/api/v1/admin/bans', {
    schema: { tags, summary: 'Active bans of the brute-force defender', response: { 200: { type: 'object', properties: { bans: { type: 'array', items: banSchema } } }, ...errorResponses } },
  }, async (request) => {
    requireAdmin(request);
    return { bans: (await site.defender.listBans()).map(banJson) };
  });

  app.delete<{ Params: { subject: string } }>('/api/v1/admin/bans/:subject', {
    schema: {
      tags,
      summary: 'Lift a ban (`addr:<ip>`, `user:<name>` or a bare IP address)',
      params: { type: 'object', required: ['subject'], additionalProperties: false, properties: { subject: { type: 'string', minLength: 1, maxLength: 300 } } },
      response: { 200: { type: 'object', properties: { lifted: { type: 'boolean' } } }, ...errorResponses },
    },
  }, async (request) => {
    const admin = requireAdmin(request);
    const lifted = await site.defender.liftBan(request.params.subject);
    await site.audit.record({ actor: `user:${admin.id}`, action: 'defender.lift', target: request.params.subject, outcome: lifted ? 'success' : 'none', address: request.ip }).catch(() => undefined);
    return { lifted };
  });

  app.get('/api/v1/admin/status', {
    schema: {
      tags,
      summary: 'Site status: accounts by status, pending requests, bans, database, uptime, version',
      response: {
        200: {
          type: 'object',
          properties: {
            users: { type: 'object', properties: Object.fromEntries([...USER_STATUSES, 'total', 'expired'].map((k) => [k, { type: 'integer' }])) },
            pendingRequests: { type: 'integer' },
            bans: { type: 'integer' },
            database: { type: 'string' },
            uptimeSeconds: { type: 'integer' },
            version: { type: 'string' },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request) => {
    requireAdmin(request);
    return siteStatus(site);
  });
}
