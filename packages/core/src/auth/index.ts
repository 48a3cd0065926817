/**
 * Authentication in the core: password hashing and policies, SSH keys, API tokens, TOTP, the
 * brute-force defender, the auth and audit logs, and the authenticator protocols call.
 * @packageDocumentation
 */
export { hashPassword, verifyPassword, needsRehash, parsePasswordHash, DEFAULT_PASSWORD_HASH_OPTIONS } from './password-hash.js';
export type { PasswordHashOptions, ParsedPasswordHash } from './password-hash.js';
export { checkPasswordPolicy, assertPasswordPolicy, passwordCharacterClasses, requirePasswordPolicy } from './password-policy.js';
export type { PasswordPolicyResult, PasswordCharacterClass } from './password-policy.js';
export { generatePassword } from './generate-password.js';
export type { GeneratePasswordOptions } from './generate-password.js';
export { parseSshPublicKey, sshKeyFingerprint, SSH_KEY_ALGORITHMS, MAX_SSH_KEY_LINE_BYTES, DEFAULT_MIN_RSA_BITS } from './ssh-public-key.js';
export type { SshPublicKey, SshKeyAlgorithm, ParseSshPublicKeyOptions } from './ssh-public-key.js';
export { createSshKeyStore } from './ssh-key-store.js';
export type { SshKeyStore, SshKeyRecord, SshKeyStoreOptions } from './ssh-key-store.js';
export { createApiTokenStore, API_TOKEN_SCOPES, tokenScopeAllows, apiTokenId, TOKEN_LAST_USED_RESOLUTION_MS } from './api-token-store.js';
export type { ApiTokenStore, ApiTokenScope, ApiTokenInfo, CreatedApiToken, VerifiedApiToken, CreateApiTokenInput, ApiTokenStoreOptions } from './api-token-store.js';
export { createTotpStore, TOTP_PARAMETERS, TOTP_WINDOW, RECOVERY_CODE_COUNT } from './totp-store.js';
export type { TotpStore, TotpEnrollment, TotpStatus, TotpStoreOptions } from './totp-store.js';
export { normalizeIpAddress, requireIpAddress, createAddressMatcher } from './ip-address.js';
export type { AddressMatcher } from './ip-address.js';
export { createDefender, normalizeBanSubject, SAME_SECRET_FREE_RETRIES } from './defender.js';
export type { Defender, DefenderAttempt, DefenderFailure, DefenderDecision, DefenderFailureResult, DefenderBan, DefenderOptions } from './defender.js';
export { createAuthLog, formatAuthAttempt, formatAuthBan, quoteLogUsername, FAIL2BAN_FAILREGEX } from './auth-log.js';
export type { AuthLog, AuthAttempt, AuthBanEvent, AuthLogOptions } from './auth-log.js';
export { createAuditLog } from './audit-log.js';
export type { AuditLog, AuditEntry, AuditEntryInput, AuditQuery, AuditLogOptions } from './audit-log.js';
export { createAuthenticator } from './authenticator.js';
export type { Authenticator, AuthenticatorOptions, AuthSubject, UserLookup, AuthResult, TokenAuthResult, LoginPasswordPolicy } from './authenticator.js';
export type { ShareLinkAuthResult, ShareLinkLogins } from './authenticator.js';
