/**
 * `@migrid/client`: a typed client of a MiG site's `/api/v1` JSON API, and the `miguser` tool.
 * It speaks only HTTP(S): no server code is needed to use it.
 * @packageDocumentation
 */
export {
  MigClient,
  DEFAULT_TOKEN_SCOPES,
  RESUMABLE_CHUNK_SIZE,
  tokenIdOf,
  type MigClientOptions,
  type LoginOptions,
  type UploadOptions,
  type DownloadOptions,
  type DownloadToOptions,
  type ProgressListener,
} from './mig-client.js';
export type { CreateShareLinkOptions, ShareLinkExpiry, UpdateShareLinkOptions } from './mig-client.js';
export type { VgridRemovalInfo } from './mig-client.js';
export type { ShareLinkInfo, ShareLinkMode, ShareLinkState } from './types.js';
export type { VgridDetails, VgridInfo, VgridParticipantInfo, VgridParticipantsInfo, VgridRequestInfo, VgridRequestKind, VgridRequestStatus, VgridRole, VgridSettingsInfo, VgridVisibility } from './types.js';
export { MigApiError, MigClientError, type MigClientErrorCode, type MigErrorDetails } from './errors.js';
export type { CaCertificates } from './http-transport.js';
export { normalizeRemotePath, joinRemotePath, remoteBaseName, remoteDirName } from './remote-path.js';
export type { Account, ChecksumAlgorithm, ChecksumResult, EntryType, FileEntry, JobInfo, LoginResult, RemoveResult, TokenScope, TrashItem, UploadState } from './types.js';
