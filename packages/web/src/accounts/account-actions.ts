/**
 * What a signed-in user may do to their own account, shared by the settings pages and the JSON
 * API so both check and audit the same way. Every function names the acting request (for the
 * address, the session to keep, and the token's scopes).
 * @packageDocumentation
 */
import type { FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import {
  AuthError, MigError, isMigError, type ApiTokenInfo, type CreatedApiToken, type EditUserChanges, type SshKeyRecord, type TotpEnrollment, type UserProtocol, type UserRecord,
} from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { endSessionsOf } from '../plugins/sessions.js';
import { tokenScopesFor } from './token-scopes.js';

/** Profile fields a user may change themselves (the DN follows them). */
export const PROFILE_FIELDS = ['fullName', 'organization', 'organizationalUnit', 'locality', 'state', 'country', 'comment'] as const;
/** One editable profile field. */
export type ProfileField = (typeof PROFILE_FIELDS)[number];

async function audit(ctx: WebContext, request: FastifyRequest, user: UserRecord, action: string, target: string, details?: Record<string, unknown>): Promise<void> {
  await ctx.site.audit
    .record({ actor: `user:${user.id}`, action, target, outcome: 'success', address: request.ip, ...(details !== undefined && { details }) })
    .catch(() => undefined);
}

/** Changes profile fields. */
export async function editProfile(ctx: WebContext, request: FastifyRequest, user: UserRecord, changes: Partial<Record<ProfileField, string>>): Promise<UserRecord> {
  const picked: EditUserChanges = Object.fromEntries(PROFILE_FIELDS.filter((f) => typeof changes[f] === 'string').map((f) => [f, changes[f]]));
  const updated = await ctx.site.users.edit(user.id, picked);
  await audit(ctx, request, user, 'account.profile', user.id, { fields: Object.keys(picked) });
  return updated;
}

/**
 * Changes the password after checking the current one through the authenticator (so guesses are
 * counted by the defender), then ends every other session of the user. Returns how many ended.
 * @throws AuthError `MIG_E_AUTH_FAILED` for a wrong current password; PolicyError `MIG_E_PASSWORD_POLICY`.
 */
export async function changePassword(ctx: WebContext, request: FastifyRequest, user: UserRecord, current: string, next: string): Promise<number> {
  if (user.hasPassword) {
    try {
      await ctx.site.auth.authenticatePassword({ login: user.email, password: current, address: request.ip, protocol: 'https' });
    } catch (err) {
      if (isMigError(err, 'MIG_E_AUTH_FAILED')) throw new AuthError('MIG_E_AUTH_FAILED', 'The current password is wrong.');
      throw err;
    }
  }
  await ctx.site.users.setPassword(user.id, next);
  const keep = request.auth?.via === 'session' ? request.session.rawId : undefined;
  const ended = await endSessionsOf(ctx.site.db, user.id, keep);
  await audit(ctx, request, user, 'account.password', user.id, { endedSessions: ended });
  return ended;
}

/** Adds an SSH public key (one `authorized_keys` line). */
export async function addSshKey(ctx: WebContext, request: FastifyRequest, user: UserRecord, line: string): Promise<SshKeyRecord> {
  const key = await ctx.site.sshKeys.add(user.id, line);
  await audit(ctx, request, user, 'sshkey.add', key.id, { fingerprint: key.fingerprint });
  return key;
}

/** Removes one of the user's SSH keys. */
export async function removeSshKey(ctx: WebContext, request: FastifyRequest, user: UserRecord, id: string): Promise<void> {
  await ctx.site.sshKeys.remove(user.id, id);
  await audit(ctx, request, user, 'sshkey.remove', id);
}

/**
 * Creates an API token. A request that itself came with a token can only hand out scopes that
 * token has (no escalation); `admin` is for administrators only.
 */
export async function createToken(
  ctx: WebContext,
  request: FastifyRequest,
  user: UserRecord,
  input: { name: string; scopes?: readonly string[] | undefined; expiresInDays?: number | undefined },
): Promise<CreatedApiToken> {
  const scopes = tokenScopesFor(user, input.scopes);
  const auth = request.auth;
  if (auth?.via === 'token') {
    const held = auth.scopes ?? [];
    const beyond = scopes.filter((s) => !held.includes(s));
    if (beyond.length > 0) throw new MigError('MIG_E_FORBIDDEN', `A token cannot create a token with more scopes than its own (${beyond.join(', ')}).`);
  }
  const maxDays = ctx.site.config.security.api_token_max_days;
  const created = await ctx.site.apiTokens.create(user.id, { name: input.name, scopes, expiresInDays: Math.min(input.expiresInDays ?? maxDays, maxDays) });
  await audit(ctx, request, user, 'token.create', created.id, { name: created.name, scopes });
  return created;
}

/** The user's tokens, newest first. */
export async function listTokens(ctx: WebContext, user: UserRecord): Promise<ApiTokenInfo[]> {
  return ctx.site.apiTokens.list(user.id);
}

/** Revokes one of the user's tokens. */
export async function revokeToken(ctx: WebContext, request: FastifyRequest, user: UserRecord, id: string): Promise<void> {
  await ctx.site.apiTokens.revoke(user.id, id);
  await audit(ctx, request, user, 'token.revoke', id);
}

/** Turns protocols on or off for the account. Switching `web` off over a session would lock the user out, so it is refused there. */
export async function setProtocols(ctx: WebContext, request: FastifyRequest, user: UserRecord, protocols: Partial<Record<UserProtocol, boolean>>): Promise<UserRecord> {
  if (protocols.web === false && request.auth?.via === 'session') {
    throw new MigError('MIG_E_INVALID_INPUT', 'You cannot switch web access off from the web: you would lock yourself out.');
  }
  const updated = await ctx.site.users.edit(user.id, { settings: { protocols } });
  await audit(ctx, request, user, 'account.protocols', user.id, { protocols });
  return updated;
}

/** A begun TOTP enrolment with the QR code of its URI as a `data:` URL. */
export interface TotpSetup extends TotpEnrollment {
  /** `data:image/png;base64,…` of the provisioning URI. */
  readonly qr: string;
}

/** Starts TOTP enrolment. */
export async function beginTotp(ctx: WebContext, request: FastifyRequest, user: UserRecord): Promise<TotpSetup> {
  const issuer = (ctx.site.config.security.totp_issuer || ctx.site.config.site.short_title || 'MiG').replace(/:/g, ' ').slice(0, 64);
  const enrollment = await ctx.site.totp.beginEnrollment(user.id, { issuer, label: user.email.slice(0, 256) });
  const qr = await QRCode.toDataURL(enrollment.uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
  await audit(ctx, request, user, 'totp.begin', user.id);
  return { ...enrollment, qr };
}

/** Confirms TOTP enrolment with a first code; returns the recovery codes (shown once). */
export async function confirmTotp(ctx: WebContext, request: FastifyRequest, user: UserRecord, code: string): Promise<string[]> {
  const codes = await ctx.site.totp.confirmEnrollment(user.id, code.replace(/\s/g, ''));
  await audit(ctx, request, user, 'totp.enable', user.id);
  return codes;
}

/**
 * Turns TOTP off. Needs a current code or a recovery code (checked by the authenticator, so
 * failures count), so a borrowed session cannot remove the second factor.
 */
export async function disableTotp(ctx: WebContext, request: FastifyRequest, user: UserRecord, code: string): Promise<void> {
  const status = await ctx.site.totp.status(user.id);
  if (status.enabled) await ctx.site.auth.verifyTotp({ userId: user.id, login: user.email, code, address: request.ip });
  await ctx.site.totp.disable(user.id);
  await audit(ctx, request, user, 'totp.disable', user.id);
}
