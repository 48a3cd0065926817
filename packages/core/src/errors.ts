/**
 * The core's error catalogue. Every error the core throws on purpose is a {@link MigError} with a
 * stable `code` (never renamed once released), an HTTP status that protocol adapters can map to
 * their own answers, and a message that says what was wrong and what to do.
 *
 * @example
 * ```ts
 * try {
 *   await site.users.create(input);
 * } catch (err) {
 *   if (err instanceof MigError && err.code === 'MIG_E_USER_EXISTS') console.error(err.message);
 * }
 * ```
 * @packageDocumentation
 */

/** Every stable error code with the HTTP status it maps to. */
export const MIG_ERROR_CODES = {
  // input
  MIG_E_INVALID_INPUT: 400,
  MIG_E_TOO_LARGE: 413,
  // jobs: an mRSL job description (or its JSON form) that breaks the language's rules
  MIG_E_MRSL_INVALID: 400,
  // jobs: a job record that is not in a state allowing the action (or moved on meanwhile), an unknown job, a per-user job limit
  MIG_E_JOB_STATE: 409,
  MIG_E_JOB_NOT_FOUND: 404,
  MIG_E_JOB_LIMIT: 429,
  // resources: an unknown resource, a name taken
  MIG_E_RESOURCE_NOT_FOUND: 404,
  MIG_E_RESOURCE_EXISTS: 409,
  // the grid engine is not reachable from this process (jobs can be submitted, but no work is handed out here)
  MIG_E_GRID_UNAVAILABLE: 503,
  // a second grid engine was started for a site whose engine already runs
  MIG_E_ENGINE_RUNNING: 409,
  // resources and runtime environments: a resource configuration or runtime environment that breaks MiG's rules
  MIG_E_RESOURCE_CONFIG_INVALID: 400,
  MIG_E_RUNTIME_ENV_INVALID: 400,
  // runtime environments: an unknown name, a name taken, one that resources still provide
  MIG_E_RUNTIME_ENV_NOT_FOUND: 404,
  MIG_E_RUNTIME_ENV_EXISTS: 409,
  MIG_E_RUNTIME_ENV_IN_USE: 409,
  // configuration
  MIG_E_CONFIG_INVALID: 500,
  MIG_E_CONFIG_NOT_FOUND: 500,
  // database
  MIG_E_DATABASE: 500,
  MIG_E_DATABASE_UNSUPPORTED: 500,
  // site
  MIG_E_SITE_EXISTS: 409,
  // identity and users
  MIG_E_INVALID_DN: 400,
  MIG_E_USER_EXISTS: 409,
  MIG_E_USER_NOT_FOUND: 404,
  MIG_E_SIGNUP_NOT_FOUND: 404,
  MIG_E_SIGNUP_NOT_PENDING: 409,
  MIG_E_SIGNUP_EXISTS: 409,
  MIG_E_ACCOUNT_STATE: 409,
  MIG_E_HOME_FOLDER: 500,
  // auth
  MIG_E_AUTH_FAILED: 401,
  MIG_E_ACCOUNT_DISABLED: 403,
  MIG_E_ACCOUNT_EXPIRED: 403,
  MIG_E_PROTOCOL_DISABLED: 403,
  MIG_E_BANNED: 429,
  MIG_E_PASSWORD_POLICY: 400,
  MIG_E_TOO_MANY_SESSIONS: 429,
  // web
  MIG_E_CSRF: 403,
  MIG_E_NOT_SIGNED_IN: 401,
  MIG_E_FORBIDDEN: 403,
  MIG_E_NOT_FOUND: 404,
  MIG_E_RESET_TOKEN_INVALID: 400,
  MIG_E_SIGNUP_DISABLED: 403,
  // notifications
  MIG_E_NOTIFY_FAILED: 502,
  MIG_E_PASSWORD_HASH_FORMAT: 400,
  MIG_E_SSH_KEY_INVALID: 400,
  MIG_E_SSH_KEY_WEAK: 400,
  MIG_E_SSH_KEY_EXISTS: 409,
  MIG_E_SSH_KEY_NOT_FOUND: 404,
  MIG_E_TOKEN_NOT_FOUND: 404,
  MIG_E_TOKEN_SCOPE: 403,
  MIG_E_TOTP_NOT_ENROLLED: 409,
  MIG_E_TOTP_ENABLED: 409,
  MIG_E_TOTP_INVALID: 401,
  // file-system layer
  MIG_E_PATH_INVALID: 400,
  MIG_E_PATH_ESCAPE: 403,
  MIG_E_PATH_HIDDEN: 403,
  MIG_E_PATH_NOT_FOUND: 404,
  MIG_E_PATH_EXISTS: 409,
  MIG_E_NOT_A_DIRECTORY: 409,
  MIG_E_IS_A_DIRECTORY: 409,
  MIG_E_DIRECTORY_NOT_EMPTY: 409,
  MIG_E_PERMISSION_DENIED: 403,
  MIG_E_SYMLINK_REFUSED: 403,
  MIG_E_QUOTA_EXCEEDED: 507,
  MIG_E_PROTECTED_PATH: 403,
  MIG_E_RANGE_INVALID: 416,
  MIG_E_TRASH_ITEM_NOT_FOUND: 404,
  MIG_E_UPLOAD_NOT_FOUND: 404,
  MIG_E_UPLOAD_OFFSET: 409,
  // VGrids: an unknown VGrid, a name taken, a name that breaks the rules, the last owner, an action the actor may not take
  MIG_E_VGRID_NOT_FOUND: 404,
  MIG_E_VGRID_EXISTS: 409,
  MIG_E_VGRID_NAME: 400,
  MIG_E_VGRID_LAST_OWNER: 409,
  MIG_E_VGRID_NOT_ALLOWED: 403,
  // VGrids: a participant (owner, member, resource) or request that is not there, or is there already
  MIG_E_VGRID_PARTICIPANT_NOT_FOUND: 404,
  MIG_E_VGRID_PARTICIPANT_EXISTS: 409,
  MIG_E_VGRID_REQUEST_NOT_FOUND: 404,
  MIG_E_VGRID_REQUEST_EXISTS: 409,
  // share links
  MIG_E_SHARE_LINK_NOT_FOUND: 404,
  MIG_E_SHARE_LINK_EXPIRED: 403,
  MIG_E_SHARE_LINK_REVOKED: 403,
  MIG_E_SHARE_LINK_USED_UP: 403,
  MIG_E_SHARE_LINK_NOT_ALLOWED: 403,
  // certificates
  MIG_E_CERTIFICATE: 500,
  MIG_E_CERTIFICATE_INVALID: 400,
  // anything that is our fault
  MIG_E_INTERNAL: 500,
} as const;

/** A stable error code of the core. */
export type MigErrorCode = keyof typeof MIG_ERROR_CODES;

/** Extra information carried by a {@link MigError}. */
export interface MigErrorOptions {
  /** The lower-level error that caused this one. */
  cause?: unknown;
  /** Machine-readable details (field names, limits); never secrets. */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * The base of every error the core throws on purpose.
 *
 * `code` is stable and meant for programs; `message` is for people; `status` is the HTTP status a
 * web or API adapter should answer with.
 */
export class MigError extends Error {
  /** The stable code, e.g. `MIG_E_PATH_ESCAPE`. */
  readonly code: MigErrorCode;
  /** The HTTP status that corresponds to this error. */
  readonly status: number;
  /** Machine-readable details, if any. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: MigErrorCode, message: string, options: MigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = MIG_ERROR_CODES[code];
    this.details = options.details;
  }

  /** A JSON shape safe to send to clients: `{ code, message }` plus details. */
  toJSON(): { code: MigErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Input that fails validation: a wrong type, a bad character, a value out of range, too long. */
export class InvalidInputError extends MigError {
  constructor(message: string, options: MigErrorOptions & { code?: 'MIG_E_INVALID_INPUT' | 'MIG_E_TOO_LARGE' | 'MIG_E_INVALID_DN' | 'MIG_E_PASSWORD_HASH_FORMAT' | 'MIG_E_RANGE_INVALID' | 'MIG_E_VGRID_NAME' } = {}) {
    super(options.code ?? 'MIG_E_INVALID_INPUT', message, options);
  }
}

/** The configuration file is missing or has problems. `details.problems` lists each one. */
export class ConfigError extends MigError {
  constructor(message: string, options: MigErrorOptions & { code?: 'MIG_E_CONFIG_INVALID' | 'MIG_E_CONFIG_NOT_FOUND' } = {}) {
    super(options.code ?? 'MIG_E_CONFIG_INVALID', message, options);
  }
}

/** The database could not be opened, migrated or queried. */
export class DatabaseError extends MigError {
  constructor(message: string, options: MigErrorOptions & { code?: 'MIG_E_DATABASE' | 'MIG_E_DATABASE_UNSUPPORTED' } = {}) {
    super(options.code ?? 'MIG_E_DATABASE', message, options);
  }
}

/** A named thing (user, request, key, token) does not exist. */
export class NotFoundError extends MigError {
  constructor(code: 'MIG_E_USER_NOT_FOUND' | 'MIG_E_SIGNUP_NOT_FOUND' | 'MIG_E_SSH_KEY_NOT_FOUND' | 'MIG_E_TOKEN_NOT_FOUND' | 'MIG_E_PATH_NOT_FOUND' | 'MIG_E_TRASH_ITEM_NOT_FOUND' | 'MIG_E_UPLOAD_NOT_FOUND' | 'MIG_E_JOB_NOT_FOUND' | 'MIG_E_RESOURCE_NOT_FOUND' | 'MIG_E_RUNTIME_ENV_NOT_FOUND' | 'MIG_E_SHARE_LINK_NOT_FOUND' | 'MIG_E_VGRID_NOT_FOUND' | 'MIG_E_VGRID_PARTICIPANT_NOT_FOUND' | 'MIG_E_VGRID_REQUEST_NOT_FOUND', message: string, options: MigErrorOptions = {}) {
    super(code, message, options);
  }
}

/** The thing to create exists already, or the object is not in a state that allows the action. */
export class ConflictError extends MigError {
  constructor(code: 'MIG_E_SITE_EXISTS' | 'MIG_E_USER_EXISTS' | 'MIG_E_SIGNUP_NOT_PENDING' | 'MIG_E_SIGNUP_EXISTS' | 'MIG_E_ACCOUNT_STATE' | 'MIG_E_SSH_KEY_EXISTS' | 'MIG_E_TOTP_NOT_ENROLLED' | 'MIG_E_TOTP_ENABLED' | 'MIG_E_PATH_EXISTS' | 'MIG_E_NOT_A_DIRECTORY' | 'MIG_E_IS_A_DIRECTORY' | 'MIG_E_DIRECTORY_NOT_EMPTY' | 'MIG_E_UPLOAD_OFFSET' | 'MIG_E_JOB_STATE' | 'MIG_E_RESOURCE_EXISTS' | 'MIG_E_RUNTIME_ENV_EXISTS' | 'MIG_E_RUNTIME_ENV_IN_USE' | 'MIG_E_VGRID_EXISTS' | 'MIG_E_VGRID_LAST_OWNER' | 'MIG_E_VGRID_PARTICIPANT_EXISTS' | 'MIG_E_VGRID_REQUEST_EXISTS', message: string, options: MigErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Authentication failed or is not allowed now (wrong secret, banned address, disabled account). */
export class AuthError extends MigError {
  constructor(code: 'MIG_E_AUTH_FAILED' | 'MIG_E_ACCOUNT_DISABLED' | 'MIG_E_ACCOUNT_EXPIRED' | 'MIG_E_PROTOCOL_DISABLED' | 'MIG_E_BANNED' | 'MIG_E_TOTP_INVALID' | 'MIG_E_TOKEN_SCOPE' | 'MIG_E_SHARE_LINK_EXPIRED' | 'MIG_E_SHARE_LINK_REVOKED' | 'MIG_E_SHARE_LINK_USED_UP', message: string, options: MigErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A secret (password, SSH key) does not meet the site's policy. */
export class PolicyError extends MigError {
  constructor(code: 'MIG_E_PASSWORD_POLICY' | 'MIG_E_SSH_KEY_INVALID' | 'MIG_E_SSH_KEY_WEAK' | 'MIG_E_TOO_MANY_SESSIONS' | 'MIG_E_JOB_LIMIT' | 'MIG_E_SHARE_LINK_NOT_ALLOWED' | 'MIG_E_VGRID_NOT_ALLOWED', message: string, options: MigErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A file-system operation was refused by the view (escape, hidden name, no right, quota). */
export class FileAccessError extends MigError {
  constructor(code: 'MIG_E_PATH_INVALID' | 'MIG_E_PATH_ESCAPE' | 'MIG_E_PATH_HIDDEN' | 'MIG_E_PERMISSION_DENIED' | 'MIG_E_SYMLINK_REFUSED' | 'MIG_E_QUOTA_EXCEEDED' | 'MIG_E_PROTECTED_PATH', message: string, options: MigErrorOptions = {}) {
    super(code, message, options);
  }
}

/**
 * Creating or reading a certificate failed: `MIG_E_CERTIFICATE_INVALID` when a given certificate or key
 * cannot be parsed or does not fit, `MIG_E_CERTIFICATE` otherwise.
 */
export class CertificateError extends MigError {
  constructor(message: string, options: MigErrorOptions & { code?: 'MIG_E_CERTIFICATE' | 'MIG_E_CERTIFICATE_INVALID' } = {}) {
    super(options.code ?? 'MIG_E_CERTIFICATE', message, options);
  }
}

/** True when `err` is a {@link MigError}, optionally with the given code. */
export function isMigError(err: unknown, code?: MigErrorCode): err is MigError {
  return err instanceof MigError && (code === undefined || err.code === code);
}
