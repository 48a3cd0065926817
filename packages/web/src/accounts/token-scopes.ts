/**
 * Which API token scopes a user may ask for, and the default set.
 * @packageDocumentation
 */
import { API_TOKEN_SCOPES, MigError, type ApiTokenScope, type UserRecord } from '@migrid/core';

/** Scopes a token gets when none are asked for: everything but `admin`. */
export const DEFAULT_TOKEN_SCOPES: readonly ApiTokenScope[] = API_TOKEN_SCOPES.filter((s) => s !== 'admin');

/** Scopes `user` may give a token (`admin` only to administrators). */
export function grantableScopes(user: UserRecord): readonly ApiTokenScope[] {
  return user.roles.includes('admin') ? API_TOKEN_SCOPES : DEFAULT_TOKEN_SCOPES;
}

/**
 * The scopes to give a new token: `asked` (or the default), refused with `MIG_E_FORBIDDEN` when it
 * holds one the user may not grant.
 */
export function tokenScopesFor(user: UserRecord, asked: readonly string[] | undefined): ApiTokenScope[] {
  const allowed = grantableScopes(user);
  const scopes = asked === undefined || asked.length === 0 ? [...DEFAULT_TOKEN_SCOPES] : [...new Set(asked)];
  const bad = scopes.filter((s) => !(allowed as readonly string[]).includes(s));
  if (bad.length > 0) throw new MigError('MIG_E_FORBIDDEN', `You may not give a token these scopes: ${bad.join(', ')}.`);
  return scopes as ApiTokenScope[];
}
