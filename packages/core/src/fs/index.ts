/**
 * The file-system layer: every file access from every protocol (web, SFTP, FTPS, WebDAV, jobs)
 * goes through a {@link FileView}, the view of one principal. See DESIGN.md §3 and §7.
 *
 * @packageDocumentation
 */
export { createFileView } from './file-view.js';
export type { FileView, OpenFlags, ReadRange, ReadStreamOptions, SpaceInfo, ViewRootInfo } from './file-view.js';
export type { FileHandleLike } from './view-file-handle.js';
export type { FileInfo, FileType } from './file-info.js';
export type { FileEvent, FileEventListener, FileEventType } from './file-event.js';
export type { QuotaPolicy, QuotaRoot, QuotaUsage } from './quota-policy.js';
export { createDirectoryQuota } from './directory-quota.js';
export type { RootAccess, SymlinkPolicy, ViewRoot, ViewSpec } from './view-spec.js';
export { createHomeViewProvider, homeRootId } from './view-provider.js';
export type { HomeViewProviderOptions, ViewProvider } from './view-provider.js';
export {
  DEFAULT_HIDDEN_NAMES,
  DEFAULT_MAX_NAME_BYTES,
  DEFAULT_MAX_PATH_BYTES,
  UPLOAD_TEMP_PREFIX,
  parseVirtualPath,
  formatVirtualPath,
} from './virtual-path.js';
export type { PathRules } from './virtual-path.js';
export { createTrash, restoredName, TRASH_DIR_NAME } from './trash.js';
export type { Trash, TrashItem } from './trash.js';
export { createResumableUploads, uploadOwnerOf } from './resumable-uploads.js';
export type { ResumableUploads, ResumableUploadsOptions, UploadState } from './resumable-uploads.js';
export { createLiveFileView } from './live-file-view.js';
export type { LiveViewSource } from './live-file-view.js';
