/**
 * How a user's VGrids appear in their file view (every protocol: web, SFTP, FTPS, WebDAVS, API):
 * - the shared folder of VGrid `N` at `/N` (root id `vgrid:N`): owners read and write; members
 *   too, unless the VGrid is `readOnly` (then they read only). A sub-VGrid `A/B` is mounted at
 *   `/A/B` for its own participants (direct or inherited); someone who is only in `A/B` sees `/A`
 *   as a view-only folder holding `B`. Its folder lies inside `A`'s on disk, as in MiG, so members
 *   of `A` reach the same files at `/A/B` (mounted with `A/B`'s own rights, since they inherit
 *   membership of `A/B`).
 * - the private web folder at `/private_base/N` (`vgrid-private:N`) and the public web folder at
 *   `/public_base/N` (`vgrid-public:N`), where MiG users find them: owners write, members read.
 * - A home entry with a VGrid's name is shadowed by the mount while the user takes part (the
 *   mount wins; the entry is hidden, never touched) and is visible again when they leave.
 * @packageDocumentation
 */
import type { ViewRoot } from '../fs/view-spec.js';
import { vgridFolders, type VgridFolderPaths } from './vgrid-folders.js';
import { PRIVATE_WEB_FOLDER, PUBLIC_WEB_FOLDER } from './vgrid-name.js';
import type { VgridMembership } from './vgrid-record.js';

const RW = Object.freeze({ read: true, write: true, list: true });
const RO = Object.freeze({ read: true, write: false, list: true });

/** Options of {@link vgridViewRoots}. */
export interface VgridViewRootOptions {
  /** Quota of each shared folder in bytes (`[quota] vgrid_limit_bytes`; unset or 0: none). */
  readonly shareQuotaBytes?: number;
}

/**
 * The view roots of a user's VGrid memberships (from `VgridStore.vgridsOf`).
 *
 * @example
 * ```ts
 * const roots = vgridViewRoots(await site.vgrids.vgridsOf(userId), folderPaths);
 * ```
 */
export function vgridViewRoots(memberships: readonly VgridMembership[], folders: VgridFolderPaths, options: VgridViewRootOptions = {}): ViewRoot[] {
  const quota = options.shareQuotaBytes !== undefined && options.shareQuotaBytes > 0 ? { quotaBytes: options.shareQuotaBytes } : {};
  const roots: ViewRoot[] = [];
  for (const m of memberships) {
    const owner = m.role === 'owner';
    const dirs = vgridFolders(folders, m.name);
    roots.push({ id: `vgrid:${m.name}`, mountPath: `/${m.name}`, hostPath: dirs.share, access: owner || !m.settings.readOnly ? RW : RO, ...quota });
    roots.push({ id: `vgrid-private:${m.name}`, mountPath: `/${PRIVATE_WEB_FOLDER}/${m.name}`, hostPath: dirs.privateWeb, access: owner ? RW : RO });
    roots.push({ id: `vgrid-public:${m.name}`, mountPath: `/${PUBLIC_WEB_FOLDER}/${m.name}`, hostPath: dirs.publicWeb, access: owner ? RW : RO });
  }
  return roots;
}
