/**
 * The JSON shapes of the site's `/api/v1` API, as the client sees them.
 * @packageDocumentation
 */

/** What kind of thing an entry is (`other`: a device, socket or pipe, which cannot be read). */
export type EntryType = 'file' | 'directory' | 'symlink' | 'other';

/** A file, folder or link in the caller's view. */
export interface FileEntry {
  /** The last part of the path. */
  readonly name: string;
  /** The full virtual path, `/`-rooted. */
  readonly path: string;
  readonly type: EntryType;
  /** Bytes (files); folders report what the site reports. */
  readonly size: number;
  /** Last change, ISO 8601. */
  readonly mtime: string;
  /** Unix permission bits, when the site reports them. */
  readonly mode?: number;
}

/** An entry in the trash. */
export interface TrashItem {
  readonly id: string;
  readonly originalPath: string;
  readonly name: string;
  readonly type: EntryType;
  readonly size: number;
  /** ISO 8601. */
  readonly deletedAt: string;
}

/** What {@link MigClient.remove} did: moved to the trash, or deleted for good. */
export interface RemoveResult {
  /** Items moved to the trash (unless permanent). */
  readonly trashed?: readonly TrashItem[];
  /** How many entries were deleted for good (permanent). */
  readonly deleted?: number;
}

/** Checksum algorithms the site computes. */
export type ChecksumAlgorithm = 'sha256' | 'sha512' | 'sha1' | 'md5';

/** A checksum computed by the site. */
export interface ChecksumResult {
  readonly path: string;
  readonly algorithm: ChecksumAlgorithm;
  /** Lower-case hex. */
  readonly digest: string;
}

/** The signed-in account (`GET /api/v1/account`). */
export interface Account {
  readonly email: string;
  readonly fullName: string;
  readonly dn: string;
  readonly organization?: string;
  readonly country?: string;
  readonly status: string;
  /** When the account expires (as the site reports it), or null. */
  readonly expiresAt: string | number | null;
  readonly roles: readonly string[];
  readonly settings?: Readonly<Record<string, unknown>>;
}

/** What API tokens may do. */
export type TokenScope = 'files:read' | 'files:write' | 'jobs:read' | 'jobs:write' | 'account:read' | 'account:write' | 'admin';

/** A new API token (`POST /api/v1/auth/token`); the secret is shown only this once. */
export interface LoginResult {
  /** The secret, `mig_<id>_<secret>`: keep it private. */
  readonly token: string;
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly TokenScope[];
  /** When the token expires (as the site reports it), or null. */
  readonly expiresAt: string | number | null;
}

/** The state of a resumable upload on the site. */
export interface UploadState {
  readonly id: string;
  /** Bytes the site has stored so far. */
  readonly offset: number;
  readonly size: number;
}

/** A job as the site shows it (`GET /api/v1/jobs/{id}`). `status` is MiG's state name. */
export interface JobInfo {
  readonly id: string;
  readonly name: string;
  readonly status: 'PARSE' | 'QUEUED' | 'EXECUTING' | 'FROZEN' | 'RETRY' | 'FINISHED' | 'CANCELED' | 'EXPIRED' | 'FAILED';
  readonly retryCount?: number;
  readonly resource?: string | null;
  readonly receivedAt?: string | null;
  readonly queuedAt?: string | null;
  readonly executingAt?: string | null;
  readonly finishedAt?: string | null;
  readonly failureMessage?: string | null;
  readonly verified?: string | null;
}
