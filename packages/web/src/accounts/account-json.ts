/**
 * The JSON shapes of accounts, sign-up requests, SSH keys, API tokens and bans in the API, with
 * their OpenAPI (JSON) schemas. One place, so `GET /api/v1/account` and the admin API agree.
 * @packageDocumentation
 */
import {
  API_TOKEN_SCOPES, USER_PROTOCOLS, USER_STATUSES, type ApiTokenInfo, type DefenderBan, type SignupRequest, type SshKeyRecord, type UserRecord,
} from '@migrid/core';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const nullableTime = { type: 'string', format: 'date-time', nullable: true } as const;
const time = { type: 'string', format: 'date-time' } as const;

/** An account as the API shows it. */
export interface AccountJson {
  readonly id: string;
  readonly email: string;
  readonly fullName: string;
  readonly dn: string;
  readonly organization: string;
  readonly organizationalUnit: string;
  readonly locality: string;
  readonly state: string;
  readonly country: string;
  readonly comment: string;
  readonly status: string;
  readonly statusReason: string;
  readonly expiresAt: string | null;
  readonly createdAt: string;
  readonly renewedAt: string | null;
  readonly acceptedTermsAt: string | null;
  readonly roles: readonly string[];
  readonly aliases: readonly string[];
  readonly hasPassword: boolean;
  readonly settings: UserRecord['settings'];
}

/** The API form of an account. */
export function accountJson(user: UserRecord): AccountJson {
  return {
    id: user.id,
    email: user.email,
    fullName: user.fullName,
    dn: user.dn,
    organization: user.organization,
    organizationalUnit: user.organizationalUnit,
    locality: user.locality,
    state: user.state,
    country: user.country,
    comment: user.comment,
    status: user.status,
    statusReason: user.statusReason,
    expiresAt: iso(user.expiresAt),
    createdAt: new Date(user.createdAt).toISOString(),
    renewedAt: iso(user.renewedAt),
    acceptedTermsAt: iso(user.acceptedTermsAt),
    roles: user.roles,
    aliases: user.aliases,
    hasPassword: user.hasPassword,
    settings: user.settings,
  };
}

/** The identity fields an account and a sign-up request share, as JSON schema properties. */
const identityProperties = {
  id: { type: 'string' },
  email: { type: 'string' },
  fullName: { type: 'string' },
  dn: { type: 'string' },
  organization: { type: 'string' },
  organizationalUnit: { type: 'string' },
  locality: { type: 'string' },
  state: { type: 'string' },
  country: { type: 'string' },
  comment: { type: 'string' },
} as const;

/** JSON schema of {@link AccountJson}. */
export const accountSchema = {
  type: 'object',
  required: ['id', 'email', 'fullName', 'dn', 'organization', 'country', 'status', 'expiresAt', 'roles', 'settings'],
  properties: {
    ...identityProperties,
    status: { type: 'string', enum: [...USER_STATUSES] },
    statusReason: { type: 'string' },
    expiresAt: nullableTime,
    createdAt: time,
    renewedAt: nullableTime,
    acceptedTermsAt: nullableTime,
    roles: { type: 'array', items: { type: 'string' } },
    aliases: { type: 'array', items: { type: 'string' } },
    hasPassword: { type: 'boolean' },
    settings: {
      type: 'object',
      properties: {
        protocols: { type: 'object', properties: Object.fromEntries(USER_PROTOCOLS.map((p) => [p, { type: 'boolean' }])) },
      },
    },
  },
} as const;

/** The API form of an SSH key. */
export function sshKeyJson(key: SshKeyRecord): Record<string, unknown> {
  return {
    id: key.id,
    fingerprint: key.fingerprint,
    algorithm: key.algorithm,
    bits: key.bits,
    publicKey: key.publicKey,
    comment: key.comment,
    createdAt: new Date(key.createdAt).toISOString(),
    lastUsedAt: iso(key.lastUsedAt),
  };
}

/** JSON schema of an SSH key. */
export const sshKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    fingerprint: { type: 'string' },
    algorithm: { type: 'string' },
    bits: { type: 'integer' },
    publicKey: { type: 'string' },
    comment: { type: 'string' },
    createdAt: time,
    lastUsedAt: nullableTime,
  },
} as const;

/** The API form of an API token (never its secret). */
export function apiTokenJson(token: ApiTokenInfo): Record<string, unknown> {
  return {
    id: token.id,
    name: token.name,
    scopes: token.scopes,
    createdAt: new Date(token.createdAt).toISOString(),
    expiresAt: iso(token.expiresAt),
    lastUsedAt: iso(token.lastUsedAt),
    revokedAt: iso(token.revokedAt),
  };
}

/** JSON schema of the scopes list. */
export const scopesSchema = { type: 'array', items: { type: 'string', enum: [...API_TOKEN_SCOPES] }, minItems: 1, maxItems: API_TOKEN_SCOPES.length, uniqueItems: true } as const;

/** JSON schema of an API token. */
export const apiTokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    createdAt: time,
    expiresAt: nullableTime,
    lastUsedAt: nullableTime,
    revokedAt: nullableTime,
  },
} as const;

/** The API form of a sign-up request (never the password hash). */
export function signupJson(request: SignupRequest): Record<string, unknown> {
  return {
    id: request.id,
    email: request.email,
    fullName: request.fullName,
    dn: request.dn,
    organization: request.organization,
    organizationalUnit: request.organizationalUnit,
    locality: request.locality,
    state: request.state,
    country: request.country,
    comment: request.comment,
    status: request.status,
    createdAt: new Date(request.createdAt).toISOString(),
    decidedAt: iso(request.decidedAt),
    decidedBy: request.decidedBy,
    reason: request.reason,
    userId: request.userId,
  };
}

/** JSON schema of a sign-up request. */
export const signupSchema = {
  type: 'object',
  properties: {
    ...identityProperties,
    status: { type: 'string', enum: ['pending', 'accepted', 'rejected'] },
    createdAt: time,
    decidedAt: nullableTime,
    decidedBy: { type: 'string', nullable: true },
    reason: { type: 'string', nullable: true },
    userId: { type: 'string', nullable: true },
  },
} as const;

/** The API form of a defender ban. */
export function banJson(ban: DefenderBan): Record<string, unknown> {
  return { subject: ban.subject, until: new Date(ban.until).toISOString(), level: ban.level, reason: ban.reason, updatedAt: new Date(ban.updatedAt).toISOString() };
}

/** JSON schema of a ban. */
export const banSchema = {
  type: 'object',
  properties: { subject: { type: 'string' }, until: time, level: { type: 'integer' }, reason: { type: 'string' }, updatedAt: time },
} as const;

/** JSON schema of the API's error body, for `response` maps. */
export const errorSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true } },
} as const;

/** Common error responses for `response` maps. */
export const errorResponses = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 429: errorSchema } as const;
