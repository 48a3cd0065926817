/**
 * The authenticator protocols call: they ask, the core decides. Every attempt is checked with the
 * defender first (a banned address or user name is refused before any secret is looked at),
 * counted on failure, and written to the auth log.
 *
 * Answers are deliberately uniform: an unknown user and a wrong secret give the same
 * `MIG_E_AUTH_FAILED` after the same amount of work (a dummy scrypt hash is verified for unknown
 * users); account status (`MIG_E_ACCOUNT_DISABLED`, `MIG_E_ACCOUNT_EXPIRED`) is revealed only to
 * someone who presented the right secret.
 * @packageDocumentation
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { AuthError, isMigError } from '../errors.js';
import { parseInput } from '../validation/parse-input.js';
import { apiTokenId, createApiTokenStore } from './api-token-store.js';
import type { ApiTokenScope, ApiTokenStore } from './api-token-store.js';
import type { AuditLog } from './audit-log.js';
import type { AuthLog } from './auth-log.js';
import type { Defender } from './defender.js';
import { requireIpAddress } from './ip-address.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ShareLinkPrincipal } from '../principal.js';
import type { ShareLinkMode } from '../share-links/share-link.js';
import { isShareIdShape } from '../share-links/share-link-id.js';
import { shareLinkState } from '../share-links/share-link.js';
import { shareLinkLogName, type ShareLinkLoginRecord } from '../share-links/share-link-store.js';
import { USER_PROTOCOLS, parseStoredSettings } from '../users/user-record.js';
import { hashPassword, needsRehash, verifyPassword } from './password-hash.js';
import type { PasswordHashOptions } from './password-hash.js';
import { checkPasswordPolicy } from './password-policy.js';
import { createSshKeyStore } from './ssh-key-store.js';
import type { SshKeyStore } from './ssh-key-store.js';
import { systemClock } from './store-support.js';
import type { Clock } from './store-support.js';
import { createTotpStore } from './totp-store.js';
import { createVerifiedPasswordCache } from './verified-password-cache.js';
import type { TotpStore } from './totp-store.js';

/** An account as the authenticator needs to see it. */
export interface AuthSubject {
  readonly id: string;
  readonly login: string;
  readonly status: 'active' | 'temporal' | 'suspended' | 'retired';
  /** When access ends (epoch ms); null = never. */
  readonly expiresAt: number | null;
  /** Stored password hash (ours or MiG's PBKDF2); null = no password login. */
  readonly passwordHash: string | null;
  /**
   * Protocols the account has switched off (the user's per-protocol settings, e.g. `sftp`); a login
   * over one of them is refused with `MIG_E_PROTOCOL_DISABLED`. `web` also covers protocol `https`.
   */
  readonly disabledProtocols?: readonly string[];
}

/** How the authenticator finds accounts (implemented by the users module). */
export interface UserLookup {
  /** The account a login name (email or other alias) belongs to, if any. */
  findByLogin(login: string): Promise<AuthSubject | undefined>;
  /** Replaces an account's password hash (used to upgrade old hashes at login). */
  updatePasswordHash(userId: string, hash: string): Promise<void>;
}

/** A successful authentication. */
export interface AuthResult {
  readonly userId: string;
  /**
   * Set when the password meets only the legacy policy, not the current one: the caller should ask
   * the user to choose a new password.
   */
  readonly passwordBelowPolicy?: true;
}

/** A successful token authentication. */
export interface TokenAuthResult extends AuthResult {
  readonly tokenId: string;
  readonly scopes: readonly ApiTokenScope[];
}

/** How the authenticator reads share links and counts their uses (the share link store is one). */
export interface ShareLinkLogins {
  /** The link with this id, its password hash and whether its owner is active; undefined when unknown. */
  findForLogin(id: string): Promise<ShareLinkLoginRecord | undefined>;
  /** Counts one use atomically; throws `MIG_E_SHARE_LINK_USED_UP` (or revoked/expired) when it cannot. */
  recordUse(id: string): Promise<void>;
}

/** A successful share-link login: the principal to ask views for, and what the link allows. */
export interface ShareLinkAuthResult extends ShareLinkPrincipal {
  readonly mode: ShareLinkMode;
  readonly linkKind: 'file' | 'folder';
}

/** Login-time password rules (MiG's `password_policy` / `password_legacy_policy`). */
export interface LoginPasswordPolicy {
  /** The site's password policy. */
  readonly passwordPolicy?: string;
  /** A weaker policy still accepted at login for passwords set before the policy was raised. */
  readonly legacyPolicy?: string;
}

/** Dependencies of {@link createAuthenticator}. */
export interface AuthenticatorOptions {
  readonly db: Kysely<Database>;
  readonly defender: Defender;
  readonly authLog: AuthLog;
  readonly audit?: AuditLog;
  readonly users: UserLookup;
  /**
   * When given, a login password must meet the password policy or the legacy policy, as in MiG;
   * others are refused (and counted) without being verified.
   */
  readonly policy?: LoginPasswordPolicy;
  /** Stores to use instead of fresh ones over `db`. */
  readonly sshKeys?: SshKeyStore;
  readonly apiTokens?: ApiTokenStore;
  readonly totp?: TotpStore;
  /** Share links, for {@link Authenticator.authenticateShareLink}; without them every share login fails. */
  readonly shareLinks?: ShareLinkLogins;
  /** Cost of the hashes that replace old ones (and of the dummy hash); defaults to hashPassword's. */
  readonly hashOptions?: PasswordHashOptions;
  /**
   * How long a successful password verification is remembered (seconds, default 300; 0 = never),
   * so protocols that send the password on every request skip the slow KDF. Status, expiry and
   * the defender are still checked every time; a changed password never matches an old entry.
   */
  readonly verifiedPasswordCacheSeconds?: number;
  /** Clock for tests. */
  readonly now?: Clock;
}

/** What protocols call to authenticate a client. */
export interface Authenticator {
  /**
   * Checks a login name and password.
   * @throws AuthError `MIG_E_BANNED`, `MIG_E_AUTH_FAILED`, `MIG_E_ACCOUNT_DISABLED`, `MIG_E_ACCOUNT_EXPIRED`;
   *   InvalidInputError for a malformed address or protocol.
   */
  authenticatePassword(input: { login: string; password: string; address: string; protocol: string }): Promise<AuthResult>;
  /**
   * Checks that a public key is registered for the login. This does **not** verify the client's
   * signature: the SFTP server must do that (ssh2's `ctx.signature` with `ctx.blob`) and then call
   * again with `signed: true`. Only a signed call counts as a success (clears failures, logs
   * `success`); an unsigned call answers the key query (`ctx.signature` undefined) so that knowing a
   * public key never resets the failure count. Account status is checked on the signed call, so a
   * query does not reveal it either. An SSH client offering several keys makes one failure per
   * unregistered key (a re-offered key counts once, its blob being the "secret").
   * @throws AuthError `MIG_E_BANNED`, `MIG_E_AUTH_FAILED`, `MIG_E_ACCOUNT_DISABLED`, `MIG_E_ACCOUNT_EXPIRED`.
   */
  authenticatePublicKey(input: { login: string; keyAlgo: string; keyData: Buffer; address: string; protocol: string; signed?: boolean }): Promise<AuthResult>;
  /**
   * Checks an API token (`mig_<id>_<secret>`) and, if given, that it has `scope`. Every failure is
   * logged; successes at most once a minute per token, address and protocol (a script's burst of
   * requests is one auth-log line, not thousands).
   * @throws AuthError `MIG_E_BANNED`, `MIG_E_AUTH_FAILED`, `MIG_E_TOKEN_SCOPE`, `MIG_E_ACCOUNT_DISABLED`, `MIG_E_ACCOUNT_EXPIRED`.
   */
  authenticateToken(input: { token: string; address: string; protocol: string; scope?: ApiTokenScope }): Promise<TokenAuthResult>;
  /**
   * Checks a TOTP code (6 digits) or, failing that form, a recovery code for an account that
   * enabled TOTP. Failures are counted by the defender under protocol `https`, method `totp`.
   * @throws AuthError `MIG_E_BANNED`, `MIG_E_TOTP_INVALID`; ConflictError `MIG_E_TOTP_NOT_ENROLLED`.
   */
  verifyTotp(input: { userId: string; login: string; code: string; address: string }): Promise<void>;
  /**
   * A share-link login (the link's id as login name): the password is the link's own password when
   * it has one, else the id itself (as in MiG). Guarded, counted and logged like a password login;
   * in logs and the defender the link appears as `share-link:<hash>`, never by its id.
   *
   * What a client learns: an unknown id and a wrong password both give `MIG_E_AUTH_FAILED`
   * ("unknown share link or wrong password"), counted by the defender. Only after the right id
   * *and* password does it learn that the link is revoked (`MIG_E_SHARE_LINK_REVOKED`, also when the
   * owner's account is no longer active), expired (`MIG_E_SHARE_LINK_EXPIRED`) or used up
   * (`MIG_E_SHARE_LINK_USED_UP`); these are logged, not counted as guesses. A success counts one
   * use of the link unless `countUse` is false (a protocol re-checking the login of a session it
   * already counted).
   * @throws AuthError as above and `MIG_E_BANNED`; InvalidInputError for a malformed address or protocol.
   */
  authenticateShareLink(input: { shareId: string; password: string; address: string; protocol: string; countUse?: boolean }): Promise<ShareLinkAuthResult>;
}

const common = {
  address: z.string().min(1).max(80),
  protocol: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be a short lower-case protocol name'),
};
// Logins and secrets are only bounded loosely here: over-long ones are failures (counted), not input errors.
const passwordSchema = z.object({ ...common, login: z.string().max(100_000), password: z.string().max(100_000) });
const keySchema = z.object({
  ...common,
  login: z.string().max(100_000),
  keyAlgo: z.string().max(128),
  keyData: z.instanceof(Buffer),
  signed: z.boolean().optional(),
});
const tokenSchema = z.object({ ...common, token: z.string().max(100_000), scope: z.string().max(64).optional() });
const shareSchema = z.object({ ...common, shareId: z.string().max(100_000), password: z.string().max(100_000), countUse: z.boolean().optional() });
const totpSchema = z.object({ userId: z.string().min(1).max(64), login: z.string().max(100_000), code: z.string().max(1_000), address: common.address });

const MAX_LOGIN = 256;
/** Successful uses of one API token are logged at most this often per address and protocol. */
const TOKEN_USE_LOG_INTERVAL_MS = 60_000;
const TOKEN_USE_LOG_MAX_KEYS = 10_000;
const MAX_KEY_BLOB = 16 * 1024;

/**
 * Creates the authenticator.
 *
 * @example
 * ```ts
 * const auth = createAuthenticator({ db, defender, authLog, users, policy: { passwordPolicy: 'MEDIUM' } });
 * const { userId } = await auth.authenticatePassword({ login, password, address: socket.remoteAddress, protocol: 'sftp' });
 * ```
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { db, defender, authLog, audit, users } = options;
  const now = options.now ?? systemClock;
  const sshKeys = options.sshKeys ?? createSshKeyStore(db);
  const apiTokens = options.apiTokens ?? createApiTokenStore(db, { maxDays: 36_500 });
  const totp = options.totp ?? createTotpStore(db);
  const loginPolicies = [options.policy?.passwordPolicy, options.policy?.legacyPolicy].filter((p): p is string => p !== undefined && p !== '');
  // Validate the policies now, so a bad config fails at start-up and not at the first login.
  for (const p of loginPolicies) checkPasswordPolicy('', p);
  const verifiedPasswords = createVerifiedPasswordCache({ ttlMs: (options.verifiedPasswordCacheSeconds ?? 300) * 1000, now });
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = (): Promise<string> => (dummyHash ??= hashPassword('mig-dummy-password-for-unknown-users', options.hashOptions));

  const failed = (): AuthError => new AuthError('MIG_E_AUTH_FAILED', 'Authentication failed: wrong user name or credentials.');

  /** When each token's successful use was last logged, per token, address and protocol. */
  const tokenUseLogged = new Map<string, number>();
  function tokenUseLogDue(key: string): boolean {
    const at = now();
    const last = tokenUseLogged.get(key);
    if (last !== undefined && at - last < TOKEN_USE_LOG_INTERVAL_MS) return false;
    if (tokenUseLogged.size >= TOKEN_USE_LOG_MAX_KEYS) tokenUseLogged.clear();
    tokenUseLogged.set(key, at);
    return true;
  }

  async function log(outcome: 'success' | 'failure', protocol: string, method: string, username: string, address: string, reason: string): Promise<void> {
    // The auth log must not turn a login into an error (a full disk should not lock everyone out).
    try {
      await authLog.attempt({ outcome, protocol, method, username, address, reason });
    } catch {
      // ignored on purpose (see above)
    }
  }

  const requireAddress = (raw: string): string => requireIpAddress(raw);

  /** Refuses a banned address or user name before anything else is looked at. */
  async function guard(address: string, username: string, protocol: string, method: string): Promise<void> {
    const decision = await defender.check({ address, username, protocol });
    if (decision.allowed) return;
    await log('failure', protocol, method, username, address, 'banned');
    throw new AuthError('MIG_E_BANNED', `Too many failed logins; try again after ${new Date(decision.until).toISOString()}.`, {
      details: { until: decision.until },
    });
  }

  async function fail(address: string, username: string, protocol: string, method: string, reason: string, secret?: string | Buffer): Promise<never> {
    await defender.recordFailure({ address, username, protocol, ...(secret === undefined ? {} : { secret }) });
    await log('failure', protocol, method, username, address, reason);
    throw failed();
  }

  /** Status checks, done only after the secret was right. */
  async function checkStatus(
    status: string,
    expiresAt: number | null,
    ctx: { address: string; username: string; protocol: string; method: string; userId: string },
    disabledProtocols: readonly string[] = [],
  ): Promise<void> {
    let error: AuthError | undefined;
    let reason = '';
    const protocolSwitch = ctx.protocol === 'https' ? 'web' : ctx.protocol;
    if (status === 'suspended' || status === 'retired') {
      reason = 'account-disabled';
      error = new AuthError('MIG_E_ACCOUNT_DISABLED', 'This account is disabled; contact the site administrators.');
    } else if (status !== 'active' && status !== 'temporal') {
      reason = 'account-disabled';
      error = new AuthError('MIG_E_ACCOUNT_DISABLED', 'This account is not active; contact the site administrators.');
    } else if (expiresAt !== null && expiresAt <= now()) {
      reason = 'account-expired';
      error = new AuthError('MIG_E_ACCOUNT_EXPIRED', 'This account has expired; renew it from the sign-up page or contact the site administrators.');
    } else if (disabledProtocols.includes(protocolSwitch)) {
      reason = 'protocol-disabled';
      error = new AuthError('MIG_E_PROTOCOL_DISABLED', `Logins over ${protocolSwitch} are switched off for this account; turn them on in your settings on the web.`);
    }
    if (error === undefined) return;
    await log('failure', ctx.protocol, ctx.method, ctx.username, ctx.address, reason);
    await audit
      ?.record({ actor: `user:${ctx.userId}`, action: 'auth.login', target: ctx.userId, outcome: 'denied', address: ctx.address, details: { protocol: ctx.protocol, method: ctx.method, reason } })
      .catch(() => undefined);
    throw error;
  }

  /** A share-link failure: counted and logged like any, with a message that says no more than needed. */
  async function failShare(address: string, username: string, protocol: string, method: string, reason: string, secret: string): Promise<never> {
    await defender.recordFailure({ address, username, protocol, secret });
    await log('failure', protocol, method, username, address, reason);
    throw new AuthError('MIG_E_AUTH_FAILED', 'Authentication failed: unknown share link or wrong password.');
  }

  async function succeed(address: string, username: string, protocol: string, method: string, userId: string): Promise<void> {
    await defender.recordSuccess({ address, username, protocol });
    await log('success', protocol, method, username, address, 'ok');
    await audit?.record({ actor: `user:${userId}`, action: 'auth.login', target: userId, outcome: 'success', address, details: { protocol, method } }).catch(() => undefined);
  }

  return {
    async authenticatePassword(input) {
      const { login, password, protocol, address: rawAddress } = parseInput(passwordSchema, input, 'password login');
      const address = requireAddress(rawAddress);
      const method = 'password';
      await guard(address, login, protocol, method);
      if (login.length === 0 || login.length > MAX_LOGIN) return fail(address, login, protocol, method, 'invalid-username', password);
      let weak = false;
      if (loginPolicies.length > 0) {
        const results = loginPolicies.map((p) => checkPasswordPolicy(password, p).ok);
        if (!results.some(Boolean)) return fail(address, login, protocol, method, 'password-policy', password);
        weak = results[0] !== true;
      }
      const subject = await users.findByLogin(login);
      const stored = subject?.passwordHash ?? null;
      // Unknown users and users without a password cost one real verification too, so timing does not tell them apart.
      const ok =
        stored === null || subject === undefined
          ? (await verifyPassword(password, await getDummyHash()), false)
          : verifiedPasswords.has(subject.id, stored, password) || (await verifyPassword(password, stored));
      if (subject === undefined || stored === null || !ok) return fail(address, login, protocol, method, 'wrong-credentials', password);
      verifiedPasswords.remember(subject.id, stored, password);
      await checkStatus(subject.status, subject.expiresAt, { address, username: login, protocol, method, userId: subject.id }, subject.disabledProtocols);
      await succeed(address, login, protocol, method, subject.id);
      if (needsRehash(stored, options.hashOptions)) {
        // An upgrade that fails is retried at the next login; it must not fail this one.
        await hashPassword(password, options.hashOptions)
          .then((hash) => users.updatePasswordHash(subject.id, hash))
          .catch(() => undefined);
      }
      return weak ? { userId: subject.id, passwordBelowPolicy: true } : { userId: subject.id };
    },

    async authenticatePublicKey(input) {
      const { login, keyData, protocol, signed, address: rawAddress } = parseInput(keySchema, input, 'public key login');
      const address = requireAddress(rawAddress);
      const method = 'publickey';
      await guard(address, login, protocol, method);
      if (login.length === 0 || login.length > MAX_LOGIN) return fail(address, login, protocol, method, 'invalid-username', keyData);
      if (keyData.length === 0 || keyData.length > MAX_KEY_BLOB) return fail(address, login, protocol, method, 'invalid-key', keyData.subarray(0, MAX_KEY_BLOB));
      const subject = await users.findByLogin(login);
      const key = subject === undefined ? undefined : await sshKeys.findUserKey(subject.id, keyData);
      if (subject === undefined || key === undefined) return fail(address, login, protocol, method, 'wrong-credentials', keyData);
      if (signed === true) {
        await checkStatus(subject.status, subject.expiresAt, { address, username: login, protocol, method, userId: subject.id }, subject.disabledProtocols);
        await succeed(address, login, protocol, method, subject.id);
      }
      return { userId: subject.id };
    },

    async authenticateToken(input) {
      const { token, scope, protocol, address: rawAddress } = parseInput(tokenSchema, input, 'token login');
      const address = requireAddress(rawAddress);
      const method = 'token';
      // Tokens are counted under their id, never their secret; garbage tokens under one shared name.
      const username = `token:${apiTokenId(token) ?? 'malformed'}`;
      await guard(address, username, protocol, method);
      let verified;
      try {
        verified = await apiTokens.verify(token, scope as ApiTokenScope | undefined);
      } catch (err) {
        if (isMigError(err, 'MIG_E_TOKEN_SCOPE')) {
          await log('failure', protocol, method, username, address, 'scope');
          throw err;
        }
        if (isMigError(err, 'MIG_E_AUTH_FAILED')) return fail(address, username, protocol, method, 'wrong-credentials', token.slice(0, 256));
        throw err;
      }
      const user = await db.selectFrom('users').select(['status', 'expires_at', 'settings']).where('id', '=', verified.userId).executeTakeFirst();
      if (user === undefined) return fail(address, username, protocol, method, 'wrong-credentials', token.slice(0, 256));
      const settings = parseStoredSettings(user.settings);
      const disabled = USER_PROTOCOLS.filter((name) => !settings.protocols[name]);
      await checkStatus(user.status, user.expires_at === null ? null : Number(user.expires_at), { address, username, protocol, method, userId: verified.userId }, disabled);
      // No defender write per API request: a token cannot be guessed, so there is nothing to clear.
      // A script may make thousands of requests a minute: its successes are logged once a minute
      // per token, address and protocol (failures always are).
      if (tokenUseLogDue(`${verified.tokenId}|${address}|${protocol}`)) await log('success', protocol, method, username, address, 'ok');
      return { userId: verified.userId, tokenId: verified.tokenId, scopes: verified.scopes };
    },

    async authenticateShareLink(input) {
      const { shareId, password, protocol, countUse, address: rawAddress } = parseInput(shareSchema, input, 'share link login');
      const address = requireAddress(rawAddress);
      const method = 'share-link';
      const shaped = isShareIdShape(shareId);
      // Never the id itself in logs or the defender's tables: it is the secret.
      const username = shaped ? shareLinkLogName(shareId) : 'share-link:malformed';
      await guard(address, username, protocol, method);
      if (!shaped) return failShare(address, username, protocol, method, 'invalid-username', password);
      const found = await options.shareLinks?.findForLogin(shareId);
      const stored = found?.passwordHash ?? null;
      let ok: boolean;
      if (stored === null) {
        // The id is the password: compare digests in constant time (also for unknown ids).
        const a = createHash('sha256').update(password).digest();
        const b = createHash('sha256').update(shareId).digest();
        ok = timingSafeEqual(a, b) && found !== undefined;
      } else {
        const cacheKey = `share:${shareId}`;
        ok = verifiedPasswords.has(cacheKey, stored, password) || (await verifyPassword(password, stored));
        if (ok) verifiedPasswords.remember(cacheKey, stored, password);
      }
      if (found === undefined || !ok) return failShare(address, username, protocol, method, 'wrong-credentials', password);
      const { link } = found;
      const state = found.ownerActive ? shareLinkState(link, now()) : 'revoked';
      const refusals = {
        revoked: new AuthError('MIG_E_SHARE_LINK_REVOKED', found.ownerActive ? 'This share link was revoked by its owner.' : "This share link is no longer available: its owner's account is not active."),
        expired: new AuthError('MIG_E_SHARE_LINK_EXPIRED', 'This share link has expired; ask its owner for a new one.'),
        'used-up': new AuthError('MIG_E_SHARE_LINK_USED_UP', 'This share link has been used as often as its owner allowed; ask them for a new one.'),
      } as const;
      if (state !== 'active') {
        await log('failure', protocol, method, username, address, `share-link-${state}`);
        throw refusals[state];
      }
      if (countUse !== false) {
        try {
          await options.shareLinks?.recordUse(shareId);
        } catch (err) {
          if (isMigError(err)) await log('failure', protocol, method, username, address, 'share-link-used-up');
          throw err;
        }
      }
      await defender.recordSuccess({ address, username, protocol });
      await log('success', protocol, method, username, address, 'ok');
      await audit
        ?.record({ actor: username, action: 'auth.login', target: username, outcome: 'success', address, details: { protocol, method, owner: link.ownerId, mode: link.mode } })
        .catch(() => undefined);
      return { kind: 'share-link', shareId: link.id, mode: link.mode, linkKind: link.kind };
    },

    async verifyTotp(input) {
      const { userId, login, code, address: rawAddress } = parseInput(totpSchema, input, 'TOTP check');
      const address = requireAddress(rawAddress);
      const protocol = 'https';
      const trimmed = code.replace(/\s/g, '');
      const method = /^[0-9]{6}$/.test(trimmed) ? 'totp' : 'recovery-code';
      await guard(address, login, protocol, method);
      const ok = method === 'totp' ? await totp.verify(userId, trimmed) : await totp.verifyRecoveryCode(userId, trimmed);
      if (!ok) {
        await defender.recordFailure({ address, username: login, protocol, secret: trimmed });
        await log('failure', protocol, method, login, address, 'wrong-credentials');
        throw new AuthError('MIG_E_TOTP_INVALID', 'The code is not valid (or was used already); enter the current code from your authenticator app.');
      }
      await defender.recordSuccess({ address, username: login, protocol });
      await log('success', protocol, method, login, address, 'ok');
      await audit?.record({ actor: `user:${userId}`, action: 'auth.second-factor', target: userId, outcome: 'success', address, details: { method } }).catch(() => undefined);
    },
  };
}
