import { z } from 'zod';
import { FileAccessError, InvalidInputError } from '../errors.js';
import type { Principal, UserPrincipal } from '../principal.js';
import { parseInput } from '../validation/parse-input.js';
import { createDirectoryQuota } from './directory-quota.js';
import type { FileEventListener } from './file-event.js';
import { createFileView, type FileView } from './file-view.js';
import { createLiveFileView } from './live-file-view.js';
import type { QuotaPolicy } from './quota-policy.js';
import type { SymlinkPolicy, ViewRoot, ViewSpec } from './view-spec.js';

/**
 * The seam where a site turns a principal into a {@link FileView}. Protocol adapters hold a
 * provider and ask it for a view per session; they never build views (or decide access) themselves.
 */
export interface ViewProvider {
  /** The view of `principal`; `MIG_E_PERMISSION_DENIED` when this provider serves no such principal. */
  viewFor(principal: Principal): Promise<FileView>;
}

/** How {@link createHomeViewProvider} builds views. */
export interface HomeViewProviderOptions {
  /** The absolute host directory of a user's home (by stable user id). */
  homeDirOf(userId: string): Promise<string>;
  /** The user's home quota in bytes, if any (default: none). */
  homeQuotaBytesOf?(userId: string): Promise<number | undefined>;
  /** More roots for a user (VGrid shares, …), mounted inside the home. */
  extraRoots?(principal: UserPrincipal): Promise<readonly ViewRoot[]>;
  /**
   * A cheap token that changes whenever the user's `extraRoots` (or home) may have changed (e.g.
   * `site.vgrids.changeGeneration(userId)`). When given, views are live (see `createLiveFileView`):
   * every operation awaits it first and the roots are read again when it changed, so open
   * sessions lose a root at their next operation. Without it, a view's roots are fixed.
   */
  generationOf?(principal: UserPrincipal): Promise<string>;
  /** As {@link ViewSpec.hiddenNames}. */
  hiddenNames?: readonly string[];
  /** As {@link ViewSpec.symlinkPolicy} (default `deny`). */
  symlinkPolicy?: SymlinkPolicy;
  /** As {@link ViewSpec.maxNameBytes}. */
  maxNameBytes?: number;
  /** As {@link ViewSpec.maxPathBytes}. */
  maxPathBytes?: number;
  /** Shared by every view this provider makes (default: one {@link createDirectoryQuota} for all). */
  quota?: QuotaPolicy;
  /** Receives the change events of every view this provider makes. */
  events?: FileEventListener;
}

const principalSchema = z.object({ kind: z.string() });
const userSchema = z.object({ kind: z.literal('user'), userId: z.string().min(1).max(256) });

/** The root id of a user's home (stable across renames of the user's email or DN). */
export function homeRootId(userId: string): string {
  return `home:${userId}`;
}

/**
 * A {@link ViewProvider} that gives a user principal their home as `/` (read, write, list;
 * protected), plus whatever `extraRoots` adds; with `generationOf`, the views are live (the roots
 * follow membership changes at the next operation). Other principal kinds (share links, job sessions,
 * resources, admins) are refused with `MIG_E_PERMISSION_DENIED` until their views are designed.
 * One quota policy is shared by all views, so parallel sessions of a user see one count.
 *
 * @example
 * ```ts
 * const views = createHomeViewProvider({
 *   homeDirOf: async (id) => path.join(stateDir, 'user_home', id),
 *   symlinkPolicy: 'deny',
 * });
 * const view = await views.viewFor({ kind: 'user', userId: user.id });
 * ```
 */
export function createHomeViewProvider(options: HomeViewProviderOptions): ViewProvider {
  if (typeof options !== 'object' || options === null || typeof options.homeDirOf !== 'function') {
    throw new InvalidInputError('Invalid home view provider options: homeDirOf must be a function.');
  }
  if (options.generationOf !== undefined && typeof options.generationOf !== 'function') {
    throw new InvalidInputError('Invalid home view provider options: generationOf must be a function.');
  }
  const quota = options.quota ?? createDirectoryQuota();
  const generationOf = options.generationOf;
  async function specOf(user: UserPrincipal): Promise<ViewSpec> {
    const hostPath = await options.homeDirOf(user.userId);
    const quotaBytes = await options.homeQuotaBytesOf?.(user.userId);
    const home: ViewRoot = {
      id: homeRootId(user.userId),
      mountPath: '/',
      hostPath,
      access: { read: true, write: true, list: true },
      protected: true,
      ...(quotaBytes === undefined ? {} : { quotaBytes }),
    };
    const extra = (await options.extraRoots?.(user)) ?? [];
    return {
      roots: [home, ...extra],
      quota,
      ...(options.hiddenNames === undefined ? {} : { hiddenNames: options.hiddenNames }),
      ...(options.symlinkPolicy === undefined ? {} : { symlinkPolicy: options.symlinkPolicy }),
      ...(options.maxNameBytes === undefined ? {} : { maxNameBytes: options.maxNameBytes }),
      ...(options.maxPathBytes === undefined ? {} : { maxPathBytes: options.maxPathBytes }),
      ...(options.events === undefined ? {} : { events: options.events }),
    };
  }
  return {
    async viewFor(principal: Principal): Promise<FileView> {
      const { kind } = parseInput(principalSchema, principal, 'principal');
      if (kind !== 'user') {
        throw new FileAccessError('MIG_E_PERMISSION_DENIED', `No files are available to a ${kind} principal here.`);
      }
      const user = parseInput(userSchema, principal, 'principal') as UserPrincipal;
      if (generationOf === undefined) return createFileView(await specOf(user));
      // A user principal of our own: callers may pass objects with more fields (or reuse them).
      const frozen: UserPrincipal = Object.freeze({ kind: 'user', userId: user.userId });
      return createLiveFileView({ generation: () => generationOf(frozen), load: () => specOf(frozen) });
    },
  };
}
