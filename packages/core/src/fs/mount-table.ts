/** A root as the mount table knows it: where it appears in the view. */
export interface MountedRoot<R> {
  readonly root: R;
  /** The normalised components of the mount path (`[]` for `/`). */
  readonly mountParts: readonly string[];
}

/** What a virtual path refers to in the view's structure (before looking at the disk). */
export type MountLookup<R> =
  | { readonly kind: 'root'; readonly mount: MountedRoot<R>; readonly rel: readonly string[] }
  | { readonly kind: 'virtual' }
  | { readonly kind: 'none' };

function startsWith(parts: readonly string[], prefix: readonly string[]): boolean {
  if (prefix.length > parts.length) return false;
  for (let i = 0; i < prefix.length; i += 1) if (parts[i] !== prefix[i]) return false;
  return true;
}

/**
 * The view's mount points. A path belongs to the root with the longest mount path that is a prefix
 * of it (component-wise, so `/Phys` never matches `/Physics`). Ancestors of mount points that no
 * root covers are *virtual* folders: they exist only in the view and are read-only.
 */
export class MountTable<R> {
  readonly mounts: readonly MountedRoot<R>[];

  constructor(mounts: readonly MountedRoot<R>[]) {
    // Longest first, so the first match is the right one.
    this.mounts = [...mounts].sort((a, b) => b.mountParts.length - a.mountParts.length);
  }

  /** Which root (and which path below it) `parts` belongs to. */
  lookup(parts: readonly string[]): MountLookup<R> {
    for (const mount of this.mounts) {
      if (startsWith(parts, mount.mountParts)) return { kind: 'root', mount, rel: parts.slice(mount.mountParts.length) };
    }
    return this.hasMountsBelow(parts) ? { kind: 'virtual' } : { kind: 'none' };
  }

  /** True when some mount point lies strictly below `parts`. */
  hasMountsBelow(parts: readonly string[]): boolean {
    return this.mounts.some((m) => m.mountParts.length > parts.length && startsWith(m.mountParts, parts));
  }

  /** True when `parts` is exactly a mount point. */
  isMountPoint(parts: readonly string[]): boolean {
    return this.mounts.some((m) => m.mountParts.length === parts.length && startsWith(m.mountParts, parts));
  }

  /**
   * The names that mount points add to the listing of folder `parts`: each child that is a mount
   * point (with its root) or the ancestor of one (`null`: a virtual folder).
   */
  childrenOf(parts: readonly string[]): Map<string, MountedRoot<R> | null> {
    const out = new Map<string, MountedRoot<R> | null>();
    for (const mount of this.mounts) {
      if (mount.mountParts.length <= parts.length || !startsWith(mount.mountParts, parts)) continue;
      const name = mount.mountParts[parts.length] as string;
      if (mount.mountParts.length === parts.length + 1) out.set(name, mount);
      else if (!out.has(name)) out.set(name, null);
    }
    return out;
  }
}
