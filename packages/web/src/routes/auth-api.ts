/**
 * `POST /api/v1/auth/token`: a script trades a user name, password (and TOTP code when the account
 * has one) for an API token. It authenticates itself, so it needs no session and no CSRF token;
 * every attempt goes through the core authenticator and the defender.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import { AuthError } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { errorResponses, scopesSchema } from '../accounts/account-json.js';
import { tokenScopesFor } from '../accounts/token-scopes.js';

interface TokenBody {
  username: string;
  password: string;
  totp?: string;
  name: string;
  scopes?: string[];
  expiresInDays?: number;
}

/** Registers the auth API. */
export function registerAuthApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;
  app.post<{ Body: TokenBody }>('/api/v1/auth/token', {
    config: { csrf: false },
    schema: {
      tags: ['auth'],
      summary: 'Create an API token with a user name and password',
      description: 'Checks the credentials (and the TOTP code when the account has two-factor sign-in on) and returns a new API token, shown only this once. Repeated failures ban the address and user name (`MIG_E_BANNED`).',
      security: [],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['username', 'password', 'name'],
        properties: {
          username: { type: 'string', minLength: 1, maxLength: 256 },
          password: { type: 'string', minLength: 1, maxLength: 1024 },
          totp: { type: 'string', maxLength: 64, description: 'Current TOTP code or a recovery code; required when TOTP is enabled.' },
          name: { type: 'string', minLength: 1, maxLength: 100, description: 'A label for the token, e.g. "laptop sync".' },
          scopes: scopesSchema,
          expiresInDays: { type: 'integer', minimum: 1, maximum: 36500 },
        },
      },
      response: {
        201: {
          type: 'object',
          required: ['token', 'id', 'name', 'scopes', 'expiresAt'],
          properties: {
            token: { type: 'string', description: 'The secret token (send as `Authorization: Bearer <token>`); shown once.' },
            id: { type: 'string' },
            name: { type: 'string' },
            scopes: { type: 'array', items: { type: 'string' } },
            expiresAt: { type: 'string', format: 'date-time', nullable: true },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const body = request.body;
    const { userId } = await site.auth.authenticatePassword({ login: body.username, password: body.password, address: request.ip, protocol: 'https' });
    // Scopes are checked before the TOTP code, so a refused request does not spend a code.
    const user = await site.users.get(userId);
    const scopes = tokenScopesFor(user, body.scopes);
    const totp = await site.totp.status(userId);
    if (totp.enabled) {
      if (body.totp === undefined || body.totp.trim() === '') {
        throw new AuthError('MIG_E_TOTP_INVALID', 'This account has two-factor sign-in on: send the current code from your authenticator app as "totp".', { details: { totpRequired: true } });
      }
      await site.auth.verifyTotp({ userId, login: body.username, code: body.totp, address: request.ip });
    }
    const maxDays = site.config.security.api_token_max_days;
    const created = await site.apiTokens.create(userId, {
      name: body.name,
      scopes,
      expiresInDays: Math.min(body.expiresInDays ?? maxDays, maxDays),
    });
    await site.audit
      .record({ actor: `user:${userId}`, action: 'token.create', target: created.id, outcome: 'success', address: request.ip, details: { name: created.name, scopes, via: 'auth/token' } })
      .catch(() => undefined);
    return reply.status(201).send({
      token: created.token,
      id: created.id,
      name: created.name,
      scopes: created.scopes,
      expiresAt: created.expiresAt === null ? null : new Date(created.expiresAt).toISOString(),
    });
  });
}
