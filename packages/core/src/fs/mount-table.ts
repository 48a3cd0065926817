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
 *
 * Mounts are indexed by their first path component, so a lookup costs the same with 3 roots as with
 * 3,000 (a user in a thousand VGrids, each with a share and two web folders).
 */
export class MountTable<R> {
  readonly mounts: readonly MountedRoot<R>[];
  /** The mount at `/`, if any. */
  private readonly top: MountedRoot<R> | undefined;
  /** Mounts below `/` by their first component, longest mount path first. */
  private readonly byFirst = new Map<string, MountedRoot<R>[]>();

  constructor(mounts: readonly MountedRoot<R>[]) {
    // Longest first, so the first match is the right one.
    this.mounts = [...mounts].sort((a, b) => b.mountParts.length - a.mountParts.length);
    let top: MountedRoot<R> | undefined;
    for (const mount of this.mounts) {
      const first = mount.mountParts[0];
      if (first === undefined) {
        top ??= mount;
        continue;
      }
      const list = this.byFirst.get(first);
      if (list === undefined) this.byFirst.set(first, [mount]);
      else list.push(mount);
    }
    this.top = top;
  }

  /** The mounts that could contain or lie below `parts` (all of them for `/`). */
  private candidates(parts: readonly string[]): readonly MountedRoot<R>[] {
    const first = parts[0];
    if (first === undefined) return this.mounts;
    return this.byFirst.get(first) ?? [];
  }

  /** Which root (and which path below it) `parts` belongs to. */
  lookup(parts: readonly string[]): MountLookup<R> {
    if (parts.length > 0) {
      for (const mount of this.candidates(parts)) {
        if (startsWith(parts, mount.mountParts)) return { kind: 'root', mount, rel: parts.slice(mount.mountParts.length) };
      }
    }
    if (this.top !== undefined) return { kind: 'root', mount: this.top, rel: parts.slice() };
    return this.hasMountsBelow(parts) ? { kind: 'virtual' } : { kind: 'none' };
  }

  /** True when some mount point lies strictly below `parts`. */
  hasMountsBelow(parts: readonly string[]): boolean {
    return this.candidates(parts).some((m) => m.mountParts.length > parts.length && startsWith(m.mountParts, parts));
  }

  /** True when `parts` is exactly a mount point. */
  isMountPoint(parts: readonly string[]): boolean {
    if (parts.length === 0) return this.top !== undefined;
    return this.candidates(parts).some((m) => m.mountParts.length === parts.length && startsWith(m.mountParts, parts));
  }

  /**
   * The names that mount points add to the listing of folder `parts`: each child that is a mount
   * point (with its root) or the ancestor of one (`null`: a virtual folder).
   */
  childrenOf(parts: readonly string[]): Map<string, MountedRoot<R> | null> {
    const out = new Map<string, MountedRoot<R> | null>();
    for (const mount of this.candidates(parts)) {
      if (mount.mountParts.length <= parts.length || !startsWith(mount.mountParts, parts)) continue;
      const name = mount.mountParts[parts.length] as string;
      if (mount.mountParts.length === parts.length + 1) out.set(name, mount);
      else if (!out.has(name)) out.set(name, null);
    }
    return out;
  }
}
