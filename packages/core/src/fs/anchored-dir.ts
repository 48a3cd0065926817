import { constants, existsSync, type Stats } from 'node:fs';
import { open, readlink, type FileHandle } from 'node:fs/promises';
import { escapeError } from './fs-error-map.js';

/**
 * Linux's `O_PATH` (open a directory as a position in the tree without needing read permission).
 * Node does not export it; its value is the same on every architecture we run on. Elsewhere the
 * layer opens directories for reading instead, which needs read permission on them.
 */
const O_PATH: number | null =
  process.platform === 'linux' && ['x64', 'arm64', 'arm', 'ia32', 'riscv64', 'ppc64', 's390x', 'loong64'].includes(process.arch)
    ? 0o10000000
    : null;

/**
 * Whether `/proc/self/fd/<fd>` works here (Linux with /proc mounted). When it does, every operation
 * on a name goes through the already opened and checked parent directory (`/proc/self/fd/<fd>/name`
 * is resolved by the kernel from the open directory, like `openat`), so swapping a folder on the
 * way for a symlink after the check cannot redirect it. Without it the layer falls back to checked
 * host paths, and the check-then-use gap stays open to anyone who can change the tree outside the
 * layer; that is a documented limitation of non-Linux hosts.
 */
export const PROC_FD_AVAILABLE: boolean = process.platform === 'linux' && existsSync('/proc/self/fd');

/** True when host path `path` is `rootReal` or below it (never a sibling sharing a prefix). */
export function isInside(rootReal: string, path: string): boolean {
  if (path === rootReal) return true;
  const prefix = rootReal.endsWith('/') ? rootReal : `${rootReal}/`;
  return path.startsWith(prefix);
}

/** Joins a canonical real root with canonical components (no `.`/`..`/empty components in `parts`). */
export function hostJoin(rootReal: string, parts: readonly string[]): string {
  if (parts.length === 0) return rootReal;
  return rootReal.endsWith('/') ? `${rootReal}${parts.join('/')}` : `${rootReal}/${parts.join('/')}`;
}

/**
 * An opened, checked directory. `child(name)` gives the path through which to reach one of its
 * entries; with `/proc` that path is anchored to the open directory, not re-resolved from `/`.
 */
export interface AnchoredDir {
  readonly fd: number;
  /** The path of the directory itself (through `/proc/self/fd` when available). */
  readonly base: string;
  /** The path of the entry `name` inside the directory. */
  child(name: string): string;
  /** `fstat` of the open directory itself. */
  stat(): Promise<Stats>;
  close(): Promise<void>;
}

function makeAnchored(handle: FileHandle, hostPath: string): AnchoredDir {
  const base = PROC_FD_AVAILABLE ? `/proc/self/fd/${handle.fd}` : hostPath;
  let closed = false;
  return {
    fd: handle.fd,
    base,
    child: (name) => `${base}/${name}`,
    stat: () => handle.stat(),
    close: async () => {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

const DIR_FLAGS = constants.O_DIRECTORY | constants.O_NOFOLLOW;

function dirOpenFlags(forReading: boolean): number {
  return (forReading || O_PATH === null ? constants.O_RDONLY : O_PATH) | DIR_FLAGS;
}

/**
 * Confirms that an open descriptor refers to something inside `rootReal` by asking the kernel
 * where it is (`readlink /proc/self/fd/<fd>`). `readlink` rather than `realpath`: the kernel's
 * answer is already the real location, and re-walking it as a string would reopen the race.
 * Without /proc this is a no-op (see {@link PROC_FD_AVAILABLE}).
 */
export async function verifyFdInside(fd: number, rootReal: string, virtualPath: string): Promise<void> {
  if (!PROC_FD_AVAILABLE) return;
  const where = await readlink(`/proc/self/fd/${fd}`);
  if (!isInside(rootReal, where)) throw escapeError(virtualPath);
}

/**
 * Opens the directory `rootReal/parts` (canonical parts: no symlinks expected on the way), checks
 * that the opened directory really is inside `rootReal`, and returns it anchored. A symlink
 * swapped in at the last component fails (`O_NOFOLLOW`); one swapped in earlier is caught by the
 * check.
 *
 * @param forReading - open for `readdir` (needs read permission) rather than as a position only.
 */
export async function openAnchoredDir(rootReal: string, parts: readonly string[], virtualPath: string, forReading = false): Promise<AnchoredDir> {
  const hostPath = hostJoin(rootReal, parts);
  const handle = await open(hostPath, dirOpenFlags(forReading));
  try {
    await verifyFdInside(handle.fd, rootReal, virtualPath);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return makeAnchored(handle, hostPath);
}

/**
 * Opens the sub-directory `name` of an anchored directory, never following a symlink. Used by tree
 * walks (copy, recursive remove, measuring): a child of a checked directory opened with
 * `O_NOFOLLOW` through the anchor is inside it, so no second check is needed.
 */
export async function openChildDir(parent: AnchoredDir, name: string | Buffer, forReading = false): Promise<AnchoredDir> {
  if (typeof name !== 'string' && !PROC_FD_AVAILABLE) {
    // Without /proc a directory is addressed by its host path as a string, which cannot hold a
    // name that is not UTF-8.
    throw Object.assign(new Error('raw directory names need /proc'), { code: 'EINVAL' });
  }
  const path = typeof name === 'string' ? parent.child(name) : Buffer.concat([Buffer.from(`${parent.base}/`), name]);
  const handle = await open(path, dirOpenFlags(forReading));
  return makeAnchored(handle, typeof path === 'string' ? path : '');
}

/**
 * Opens the entry `name` of an anchored directory as a position only (`O_PATH | O_NOFOLLOW`), for
 * metadata changes through `/proc/self/fd/<fd>`; returns `null` where that is not available.
 */
export async function openPositionOnly(dir: AnchoredDir, name: string): Promise<FileHandle | null> {
  if (O_PATH === null || !PROC_FD_AVAILABLE) return null;
  return open(dir.child(name), O_PATH | constants.O_NOFOLLOW);
}

/** Flags to open a regular file without following a final symlink and without blocking on a FIFO. */
export const SAFE_FILE_FLAGS = constants.O_NOFOLLOW | constants.O_NONBLOCK;
