/**
 * Views for share-link principals: the link's folder (or file) at `/`, with the link's rights,
 * live, so that a revoked or expired link fails the session's next operation.
 * @packageDocumentation
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { z } from 'zod';
import type { FileEventListener } from '../fs/file-event.js';
import type { FileView } from '../fs/file-view.js';
import { createLiveFileView } from '../fs/live-file-view.js';
import type { QuotaPolicy, QuotaRoot } from '../fs/quota-policy.js';
import type { ViewProvider } from '../fs/view-provider.js';
import type { RootAccess, SymlinkPolicy, ViewSpec } from '../fs/view-spec.js';
import type { Principal } from '../principal.js';
import { parseInput } from '../validation/parse-input.js';
import type { ShareLinkMode } from './share-link.js';
import { isShareIdShape } from './share-link-id.js';
import { DropBoxView, SingleFileView } from './share-link-restricted-views.js';
import { shareLinkUnavailable, type ShareLinkStore, type ShareLinkVgridRules } from './share-link-store.js';

/** How {@link createShareLinkViewProvider} builds views. */
export interface ShareLinkViewProviderOptions {
  readonly store: ShareLinkStore;
  /**
   * The quota root of an owner's root (`home:<id>`, `vgrid:<name>`): its host folder and limit.
   * Undefined when the root is not one links may point into.
   */
  quotaRootOf(rootId: string): Promise<QuotaRoot | undefined>;
  /**
   * The site's quota policy, shared with users' views: bytes uploaded through a link count
   * against the owner's root (default: a private count per view, without limit).
   */
  readonly quota?: QuotaPolicy;
  /** VGrid roles: a link into a VGrid share stops working when its owner leaves the VGrid. */
  readonly vgrids?: ShareLinkVgridRules | (() => ShareLinkVgridRules | undefined);
  readonly hiddenNames?: readonly string[];
  readonly symlinkPolicy?: SymlinkPolicy;
  readonly maxNameBytes?: number;
  readonly maxPathBytes?: number;
  readonly events?: FileEventListener;
}

const principalSchema = z.object({ kind: z.literal('share-link'), shareId: z.string().max(256) });

/** The root id of a share link's root in its holder's view. */
export function shareRootId(shareId: string): string {
  return `share:${shareId}`;
}

/** What each mode gives on the (folder) root. `wo` keeps `list` for the drop box's own checks. */
function accessOf(mode: ShareLinkMode): RootAccess {
  if (mode === 'ro') return { read: true, write: false, list: true };
  if (mode === 'wo') return { read: false, write: true, list: true };
  return { read: true, write: true, list: true };
}

function inside(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/**
 * A {@link ViewProvider} for `{ kind: 'share-link', shareId }`. Every load (the first, and each
 * time the link's generation changes: revoked, expired, updated, owner status, owner's VGrid
 * roles) re-reads the link and checks that its target still is what it was: the owner's root's
 * host folder plus the stored relative path, whose real path must still lie inside the root's
 * real path (a symlink swapped in after creation cannot lead out), and still a folder (or for a
 * file link, a regular file). Otherwise, or for an unknown, revoked or expired link, the view
 * (or the operation) is refused with `MIG_E_PERMISSION_DENIED`.
 *
 * Other principals are refused with `MIG_E_PERMISSION_DENIED`; open-site dispatches by kind.
 */
export function createShareLinkViewProvider(options: ShareLinkViewProviderOptions): ViewProvider {
  const { store } = options;
  const vgridRules = (): ShareLinkVgridRules | undefined => (typeof options.vgrids === 'function' ? options.vgrids() : options.vgrids);

  async function specOf(shareId: string, quota: QuotaPolicy | undefined): Promise<{ spec: ViewSpec; fileName: string | undefined; mode: ShareLinkMode; root: QuotaRoot }> {
    const found = await store.findForLogin(shareId);
    if (found === undefined || !found.ownerActive || store.stateOf(found.link) === 'revoked' || store.stateOf(found.link) === 'expired') throw shareLinkUnavailable();
    const { link } = found;
    if (link.rootId.startsWith('vgrid:')) {
      const rules = vgridRules();
      const name = link.rootId.slice('vgrid:'.length);
      const role = rules === undefined ? null : await rules.roleOf(link.ownerId, name);
      if (role === null) throw shareLinkUnavailable();
      // A link never gives more than its owner has now: a member of a read-only share keeps only `ro` links.
      if (link.mode !== 'ro' && role === 'member' && (await rules?.membersReadOnly?.(name)) === true) throw shareLinkUnavailable();
    }
    const root = await options.quotaRootOf(link.rootId).catch(() => undefined);
    if (root === undefined) throw shareLinkUnavailable();
    let target: string;
    try {
      const rootReal = await realpath(root.hostPath);
      target = await realpath(link.relPath === '' ? root.hostPath : join(root.hostPath, ...link.relPath.split('/')));
      if (!inside(target, rootReal)) throw new Error('share target left its root');
      const info = await stat(target);
      if (link.kind === 'folder' ? !info.isDirectory() : !info.isFile()) throw new Error('share target changed type');
    } catch {
      throw shareLinkUnavailable();
    }
    const common = {
      ...(quota === undefined ? {} : { quota }),
      ...(options.hiddenNames === undefined ? {} : { hiddenNames: options.hiddenNames }),
      ...(options.symlinkPolicy === undefined ? {} : { symlinkPolicy: options.symlinkPolicy }),
      ...(options.maxNameBytes === undefined ? {} : { maxNameBytes: options.maxNameBytes }),
      ...(options.maxPathBytes === undefined ? {} : { maxPathBytes: options.maxPathBytes }),
      ...(options.events === undefined ? {} : { events: options.events }),
    };
    if (link.kind === 'file') {
      const spec: ViewSpec = { ...common, roots: [{ id: shareRootId(link.id), mountPath: '/', hostPath: dirname(target), access: { read: true, write: false, list: true }, protected: true }] };
      return { spec, fileName: basename(target), mode: 'ro', root };
    }
    const spec: ViewSpec = { ...common, roots: [{ id: shareRootId(link.id), mountPath: '/', hostPath: target, access: accessOf(link.mode), protected: true }] };
    return { spec, fileName: undefined, mode: link.mode, root };
  }

  /** Bytes stored through the link count in the owner's root, whatever root id the view uses. */
  function ownerQuota(shared: QuotaPolicy, current: () => QuotaRoot | undefined): QuotaPolicy {
    const owner = (root: QuotaRoot): QuotaRoot => current() ?? root;
    return {
      reserve: (root, bytes) => shared.reserve(owner(root), bytes),
      usage: async (root) => ({ ...(await shared.usage(owner(root))), rootId: root.id }),
      invalidate: (root) => shared.invalidate?.(owner(root)),
    };
  }

  return {
    async viewFor(principal: Principal): Promise<FileView> {
      const kind = typeof principal === 'object' && principal !== null ? (principal as { kind?: unknown }).kind : undefined;
      if (kind !== 'share-link') throw shareLinkUnavailable();
      const { shareId } = parseInput(principalSchema, principal, 'principal');
      if (!isShareIdShape(shareId)) throw shareLinkUnavailable();
      let ownerRoot: QuotaRoot | undefined;
      const quota = options.quota === undefined ? undefined : ownerQuota(options.quota, () => ownerRoot);
      let first: { fileName: string | undefined; mode: ShareLinkMode } | undefined;
      const inner = await createLiveFileView({
        generation: () => store.generation(shareId),
        load: async () => {
          const loaded = await specOf(shareId, quota);
          ownerRoot = loaded.root;
          first ??= { fileName: loaded.fileName, mode: loaded.mode };
          return loaded.spec;
        },
      });
      if (first === undefined) throw shareLinkUnavailable();
      if (first.fileName !== undefined) return new SingleFileView(inner, first.fileName);
      if (first.mode === 'wo') return new DropBoxView(inner);
      return inner;
    },
  };
}
