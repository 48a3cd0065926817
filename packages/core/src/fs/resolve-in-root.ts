import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { FileAccessError } from '../errors.js';
import { hostJoin, isInside } from './anchored-dir.js';
import { escapeError } from './fs-error-map.js';
import { describePath } from './virtual-path.js';

/** Linux's limit on symlinks followed in one lookup; more means a loop. */
const MAX_LINK_HOPS = 40;

/** Where a path inside a root really is. */
export interface ResolvedEntry {
  /**
   * The canonical components below the root's real path: every symlink on the way resolved (and
   * the final one too when following), so none of them is a symlink at the time of the walk.
   */
  readonly canonical: string[];
  /** `lstat` of the canonical entry, or `null` when only the final component is missing. */
  readonly stats: Stats | null;
}

/**
 * Walks `parts` (checked virtual components below a root) on disk one component at a time, the
 * way the kernel would, but in user space so that every step can be checked: each symlink met is
 * read and its target spliced in, an absolute target must lie inside `rootReal`, and a `..` may
 * never leave it. Any route out, however many links it takes, throws `MIG_E_PATH_ESCAPE`; loops
 * throw `MIG_E_PATH_INVALID`. A missing intermediate folder throws node's `ENOENT` (the caller maps
 * it); a missing final component is returned with `stats: null`, already resolved through a
 * dangling final symlink when following, so writers create the link's target inside the root.
 *
 * This is the *check*; the *use* that follows must open the canonical path anchored (see
 * `openAnchoredDir`), because the tree may change between the two.
 *
 * @param followFinal - follow a symlink in the last component (stat, read, write) or not
 *   (lstat, remove, rename, readlink).
 */
export async function resolveInRoot(rootReal: string, parts: readonly string[], followFinal: boolean, virtualPath: string): Promise<ResolvedEntry> {
  let canonical: string[] = [];
  const pending = [...parts];
  let hops = 0;
  let stats: Stats | null | undefined;
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === '' || name === '.') {
      stats = undefined;
      continue;
    }
    if (name === '..') {
      if (canonical.length === 0) throw escapeError(virtualPath);
      canonical.pop();
      stats = undefined;
      continue;
    }
    const isFinal = pending.length === 0;
    const host = hostJoin(rootReal, [...canonical, name]);
    let entry: Stats;
    try {
      entry = await lstat(host);
    } catch (err) {
      if (isFinal && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        canonical.push(name);
        return { canonical, stats: null };
      }
      throw err;
    }
    if (entry.isSymbolicLink() && (!isFinal || followFinal)) {
      hops += 1;
      if (hops > MAX_LINK_HOPS) {
        throw new FileAccessError('MIG_E_PATH_INVALID', `${describePath(virtualPath)} leads through too many symbolic links (a loop?).`);
      }
      const target = await readlink(host);
      if (target.startsWith('/')) {
        if (!isInside(rootReal, target)) throw escapeError(virtualPath);
        canonical = [];
        pending.unshift(...target.slice(rootReal.length).split('/'));
      } else {
        pending.unshift(...target.split('/'));
      }
      stats = undefined;
      continue;
    }
    if (!isFinal && !entry.isDirectory()) {
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    }
    canonical.push(name);
    stats = entry;
  }
  // The walk ended on `.`/`..` or a link target that did: stat where we stand now.
  if (stats === undefined) stats = await lstat(hostJoin(rootReal, canonical));
  return { canonical, stats };
}

/**
 * Applies a relative symlink `target` lexically to the folder `parentParts` (canonical, below the
 * root) and says whether it stays inside the root: no `..` may climb above it at any point.
 * Returns the resulting components, or `null` when the target leaves the root.
 */
export function applyRelativeTarget(parentParts: readonly string[], target: string): string[] | null {
  const stack = [...parentParts];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (stack.length === 0) return null;
      stack.pop();
      continue;
    }
    stack.push(part);
  }
  return stack;
}
