/**
 * The account API (`/api/v1/account…`): the caller's own profile, password, SSH keys, API tokens,
 * protocol switches and TOTP. Reads need the `account:read` scope, changes `account:write`.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import { USER_PROTOCOLS, type UserProtocol } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import {
  accountJson, accountSchema, apiTokenJson, apiTokenSchema, errorResponses, scopesSchema, sshKeyJson, sshKeySchema,
} from '../accounts/account-json.js';
import {
  PROFILE_FIELDS, type ProfileField, addSshKey, beginTotp, changePassword, confirmTotp, createToken, disableTotp, editProfile, listTokens, removeSshKey, revokeToken, setProtocols,
} from '../accounts/account-actions.js';
import { requireUser } from '../plugins/authentication.js';

const tags = ['account'];
const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } } as const;
const noBody = { type: 'object', additionalProperties: false, properties: {} } as const;
const okSchema = { type: 'object', properties: { ok: { type: 'boolean' } } } as const;

/** Registers the account API. */
export function registerAccountApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;

  app.get('/api/v1/account', {
    schema: { tags, summary: 'The signed-in account', response: { 200: accountSchema, ...errorResponses } },
  }, async (request) => accountJson(requireUser(request, 'account:read')));

  app.patch<{ Body: Partial<Record<ProfileField, string>> }>('/api/v1/account', {
    schema: {
      tags,
      summary: 'Change profile fields (the DN follows)',
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: Object.fromEntries(PROFILE_FIELDS.map((f) => [f, { type: 'string', maxLength: f === 'comment' ? 4096 : 256 }])),
      },
      response: { 200: accountSchema, ...errorResponses },
    },
  }, async (request) => accountJson(await editProfile(ctx, request, requireUser(request, 'account:write'), request.body)));

  app.post<{ Body: { currentPassword: string; newPassword: string } }>('/api/v1/account/password', {
    schema: {
      tags,
      summary: 'Change the password (ends the account\'s other sessions)',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['currentPassword', 'newPassword'],
        properties: { currentPassword: { type: 'string', maxLength: 1024 }, newPassword: { type: 'string', minLength: 1, maxLength: 1024 } },
      },
      response: { 200: { type: 'object', properties: { endedSessions: { type: 'integer' } } }, ...errorResponses },
    },
  }, async (request) => {
    const user = requireUser(request, 'account:write');
    return { endedSessions: await changePassword(ctx, request, user, request.body.currentPassword, request.body.newPassword) };
  });

  app.get('/api/v1/account/ssh-keys', {
    schema: { tags, summary: 'The account\'s SSH public keys (for SFTP)', response: { 200: { type: 'object', properties: { keys: { type: 'array', items: sshKeySchema } } }, ...errorResponses } },
  }, async (request) => ({ keys: (await site.sshKeys.list(requireUser(request, 'account:read').id)).map(sshKeyJson) }));

  app.post<{ Body: { publicKey: string } }>('/api/v1/account/ssh-keys', {
    schema: {
      tags,
      summary: 'Add an SSH public key (one authorized_keys line)',
      body: { type: 'object', additionalProperties: false, required: ['publicKey'], properties: { publicKey: { type: 'string', minLength: 1, maxLength: 16384 } } },
      response: { 201: sshKeySchema, ...errorResponses },
    },
  }, async (request, reply) => reply.status(201).send(sshKeyJson(await addSshKey(ctx, request, requireUser(request, 'account:write'), request.body.publicKey))));

  app.delete<{ Params: { id: string } }>('/api/v1/account/ssh-keys/:id', {
    schema: { tags, summary: 'Remove an SSH key (by id or fingerprint)', params: idParams, response: { 200: okSchema, ...errorResponses } },
  }, async (request) => {
    await removeSshKey(ctx, request, requireUser(request, 'account:write'), request.params.id);
    return { ok: true };
  });

  app.get('/api/v1/account/tokens', {
    schema: { tags, summary: 'The account\'s API tokens (never their secrets)', response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: apiTokenSchema } } }, ...errorResponses } },
  }, async (request) => ({ tokens: (await listTokens(ctx, requireUser(request, 'account:read'))).map(apiTokenJson) }));

  app.post<{ Body: { name: string; scopes?: string[]; expiresInDays?: number } }>('/api/v1/account/tokens', {
    schema: {
      tags,
      summary: 'Create an API token (its secret is shown only in this answer)',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, scopes: scopesSchema, expiresInDays: { type: 'integer', minimum: 1, maximum: 36500 } },
      },
      response: { 201: { ...apiTokenSchema, properties: { ...apiTokenSchema.properties, token: { type: 'string' } } }, ...errorResponses },
    },
  }, async (request, reply) => {
    const created = await createToken(ctx, request, requireUser(request, 'account:write'), request.body);
    return reply.status(201).send({ ...apiTokenJson(created), token: created.token });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/account/tokens/:id', {
    schema: { tags, summary: 'Revoke an API token', params: idParams, response: { 200: okSchema, ...errorResponses } },
  }, async (request) => {
    await revokeToken(ctx, request, requireUser(request, 'account:write'), request.params.id);
    return { ok: true };
  });

  app.patch<{ Body: { protocols: Partial<Record<UserProtocol, boolean>> } }>('/api/v1/account/settings', {
    schema: {
      tags,
      summary: 'Switch protocols (web, sftp, ftps, webdavs) on or off for this account',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['protocols'],
        properties: {
          protocols: { type: 'object', additionalProperties: false, minProperties: 1, properties: Object.fromEntries(USER_PROTOCOLS.map((p) => [p, { type: 'boolean' }])) },
        },
      },
      response: { 200: accountSchema, ...errorResponses },
    },
  }, async (request) => accountJson(await setProtocols(ctx, request, requireUser(request, 'account:write'), request.body.protocols)));

  app.get('/api/v1/account/totp', {
    schema: {
      tags,
      summary: 'Two-factor (TOTP) status',
      response: { 200: { type: 'object', properties: { enrolled: { type: 'boolean' }, enabled: { type: 'boolean' }, recoveryCodesLeft: { type: 'integer' } } }, ...errorResponses },
    },
  }, async (request) => site.totp.status(requireUser(request, 'account:read').id));

  app.post('/api/v1/account/totp', {
    schema: {
      tags,
      summary: 'Begin TOTP enrolment (returns the secret, the otpauth URI and a QR code)',
      body: { ...noBody, nullable: true },
      response: { 200: { type: 'object', properties: { secret: { type: 'string' }, uri: { type: 'string' }, qr: { type: 'string', description: 'PNG data: URL of the URI' } } }, ...errorResponses },
    },
  }, async (request) => beginTotp(ctx, request, requireUser(request, 'account:write')));

  app.post<{ Body: { code: string } }>('/api/v1/account/totp/confirm', {
    schema: {
      tags,
      summary: 'Confirm TOTP enrolment with a first code; returns the recovery codes (shown once)',
      body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', minLength: 1, maxLength: 16 } } },
      response: { 200: { type: 'object', properties: { recoveryCodes: { type: 'array', items: { type: 'string' } } } }, ...errorResponses },
    },
  }, async (request) => ({ recoveryCodes: await confirmTotp(ctx, request, requireUser(request, 'account:write'), request.body.code) }));

  app.post<{ Body: { code: string } }>('/api/v1/account/totp/disable', {
    schema: {
      tags,
      summary: 'Turn TOTP off (needs a current code or a recovery code)',
      body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', minLength: 1, maxLength: 64 } } },
      response: { 200: okSchema, ...errorResponses },
    },
  }, async (request) => {
    await disableTotp(ctx, request, requireUser(request, 'account:write'), request.body.code);
    return { ok: true };
  });
}
