/**
 * VGrids (MiG's collaboration groups): names, settings, the store with its rules, and how a
 * user's VGrids appear in their file view.
 * @packageDocumentation
 */
export {
  checkVgridName, vgridParent, vgridAncestors, flatVgridName, VGRID_NAME_MAX_LENGTH, RESERVED_VGRID_NAMES, HOME_RESERVED_NAMES,
  PRIVATE_WEB_FOLDER, PUBLIC_WEB_FOLDER,
} from './vgrid-name.js';
export type { VgridNameRules } from './vgrid-name.js';
export { DEFAULT_VGRID_SETTINGS, checkVgridSettingsPatch, applyVgridSettings, vgridSettingsFromJson } from './vgrid-settings.js';
export type { VgridSettings, VgridSettingsPatch, VgridVisibility, VgridShareLinkRight } from './vgrid-settings.js';
export type {
  VgridRole, VgridActor, VgridRecord, VgridMembership, VgridParticipant, VgridResource, VgridRequest, VgridRequestKind, VgridRequestStatus, VgridRemoval,
} from './vgrid-record.js';
export { parseIdentityFilters, matchesIdentityFilters } from './identity-filter.js';
export type { IdentityFilter, IdentityFilterField } from './identity-filter.js';
export { vgridFolders } from './vgrid-folders.js';
export type { VgridFolderPaths, VgridFolders } from './vgrid-folders.js';
export { createVgridStore, VGRID_GENERATION_COUNTER } from './vgrid-store.js';
export type { VgridStore, VgridStoreOptions, VgridUserLookup, VgridStoreLogger } from './vgrid-store.js';
export { vgridViewRoots } from './vgrid-view-roots.js';
export type { VgridViewRootOptions } from './vgrid-view-roots.js';
export { requestNotice, decisionNotice } from './vgrid-request-notice.js';
export type { RequesterInfo } from './vgrid-request-notice.js';
export { ANY_VGRID, resolveJobVgrids, vgridsWithResource, vgridsOfAllResources, unitVgrids, vgridsNotAccepted } from './job-vgrids.js';
export type { JobVgridLookup, ResolveJobVgridsOptions } from './job-vgrids.js';
export { mayViewVgridList, mayKnowVgrid, visibleVgridParticipants } from './vgrid-visibility.js';
export type { VgridViewer, VisibleVgridParticipants } from './vgrid-visibility.js';
