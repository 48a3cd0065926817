/**
 * Share links: a secret id giving anyone who holds it one file (read-only) or one folder
 * (read-only, upload-only, read-write) of its owner's view, on the web and as a login name over
 * SFTP, FTPS and WebDAVS.
 * @packageDocumentation
 */
export type { ShareLink, ShareLinkKind, ShareLinkMode, ShareLinkState } from './share-link.js';
export { shareLinkState } from './share-link.js';
export { generateShareId, isShareIdShape, modeOfShareId, SHARE_ID_CHARSET, SHARE_ID_LENGTH, SHARE_MODE_CHARS } from './share-link-id.js';
export { createShareLinkStore, shareLinkLogName } from './share-link-store.js';
export type {
  CreateShareLinkInput,
  ShareLinkActor,
  ShareLinkLoginRecord,
  ShareLinkStore,
  ShareLinkStoreOptions,
  ShareLinkVgridRules,
  UpdateShareLinkInput,
} from './share-link-store.js';
export { createShareLinkViewProvider, shareRootId } from './share-link-views.js';
export type { ShareLinkViewProviderOptions } from './share-link-views.js';
