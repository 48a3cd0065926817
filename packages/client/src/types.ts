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

/** What a share link lets its holder do: `ro` read, `wo` upload only (a drop box), `rw` read and write. */
export type ShareLinkMode = 'ro' | 'wo' | 'rw';

/** Whether a share link can be used now. */
export type ShareLinkState = 'active' | 'expired' | 'revoked' | 'used-up';

/** A share link as the site shows it to its owner (`GET /api/v1/share-links/{id}`). */
export interface ShareLinkInfo {
  /** The secret id: the last part of the URL, and the login name over SFTP, FTPS and WebDAVS. */
  readonly id: string;
  /** `<site>/share/<id>`. */
  readonly url: string;
  readonly mode: ShareLinkMode;
  readonly kind: 'file' | 'folder';
  /** The shared file or folder as the owner's view names it. */
  readonly path: string;
  /** The VGrid whose share it lies in, or null for the home. */
  readonly vgrid: string | null;
  readonly state: ShareLinkState;
  /** Logins so far (one per session). */
  readonly uses: number;
  /** Most logins allowed; null = no limit. */
  readonly maxUses: number | null;
  /** ISO 8601, or null for never. */
  readonly expiresAt: string | null;
  /** Whether the link has a password of its own (else the id is the password). */
  readonly hasPassword: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly revokedAt: string | null;
  /** Email addresses invited so far. */
  readonly invites: readonly string[];
  /** The owner's email address. */
  readonly owner: string;
  /** Whether the caller made the link. */
  readonly mine: boolean;
  /** After create with invitations: set when the link was made but the mails could not be sent. */
  readonly inviteProblem?: { readonly code: string; readonly message: string };
}

/** A part in a VGrid (MiG's workgroups); owners can do everything members can. */
export type VgridRole = 'owner' | 'member';

/** Who may see a VGrid's owners, members or resources. */
export type VgridVisibility = 'owners' | 'members' | 'everyone';

/** A VGrid's settings (`PATCH /api/v1/vgrids/{name}` changes some of them). */
export interface VgridSettingsInfo {
  readonly description: string;
  readonly visibleOwners: VgridVisibility;
  readonly visibleMembers: VgridVisibility;
  readonly visibleResources: VgridVisibility;
  /** Left out of listings for people who do not take part. */
  readonly hidden: boolean;
  /** How many owners are told of each request. */
  readonly requestRecipients: number;
  /** Members may read but not change the shared folder. */
  readonly readOnly: boolean;
  /** Who may make share links inside the shared folder. */
  readonly createShareLink: 'owners' | 'members' | 'none';
}

/** A VGrid as the site lists it (`GET /api/v1/vgrids`). */
export interface VgridInfo {
  /** The full name, e.g. `Physics/Optics`. */
  readonly name: string;
  readonly parent: string | null;
  /** Your role (with inheritance), or null. */
  readonly role: VgridRole | null;
  readonly settings: VgridSettingsInfo;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** An owner or member of a VGrid. */
export interface VgridParticipantInfo {
  readonly email: string;
  readonly role: VgridRole;
  /** True when the role comes from a parent VGrid (`via`). */
  readonly inherited: boolean;
  readonly via: string;
  readonly addedAt?: number;
}

/** One VGrid with the lists its visibility settings let you see (null: hidden from you). */
export interface VgridDetails extends VgridInfo {
  readonly owners: readonly VgridParticipantInfo[] | null;
  readonly members: readonly VgridParticipantInfo[] | null;
  readonly resources: readonly { readonly resourceId: string; readonly inherited: boolean }[] | null;
}

/** A VGrid's owners and members as far as its visibility settings show them to you (`GET /api/v1/vgrids/{name}/participants`). */
export interface VgridParticipantsInfo {
  readonly name: string;
  /** Your role (with inheritance), or null. */
  readonly role: VgridRole | null;
  /** Null when the VGrid's settings do not show its owners to you. */
  readonly owners: readonly VgridParticipantInfo[] | null;
  /** Null when the VGrid's settings do not show its members to you. */
  readonly members: readonly VgridParticipantInfo[] | null;
}

/** What a VGrid request asks for. */
export type VgridRequestKind = 'member' | 'owner';

/** Where a VGrid request stands. */
export type VgridRequestStatus = 'pending' | 'accepted' | 'rejected';

/** A request to become member or owner of a VGrid. */
export interface VgridRequestInfo {
  readonly id: string;
  readonly vgrid: string;
  /** The email of who asked. */
  readonly user: string;
  readonly kind: VgridRequestKind;
  readonly message: string;
  readonly status: VgridRequestStatus;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly decidedAt: number | null;
}
