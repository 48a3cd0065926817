import type { Readable, Writable } from 'node:stream';
import type { FileInfo } from './file-info.js';
import { FileViewImpl } from './file-view-impl.js';
import type { QuotaUsage } from './quota-policy.js';
import type { RootAccess, ViewSpec } from './view-spec.js';
import type { FileHandleLike } from './view-file-handle.js';

/** A root as protocols may see it: no host path. */
export interface ViewRootInfo {
  readonly id: string;
  readonly mountPath: string;
  readonly access: RootAccess;
  readonly protected: boolean;
  readonly quotaBytes: number | undefined;
}

/** An inclusive byte range, as node's streams take it. */
export interface ReadRange {
  /** First byte (default 0). May equal the size only without `end` (an empty read at the end). */
  readonly start?: number;
  /** Last byte, inclusive (default: the last byte of the file). Must be below the size. */
  readonly end?: number;
}

/** Tuning of {@link FileView.createReadStream}. */
export interface ReadStreamOptions {
  /** Bytes per read (1 KiB … 16 MiB; default 64 KiB). */
  readonly highWaterMark?: number;
}

/**
 * How `open` opens a file, as node's flag strings: `r` read; `r+` read and write; `w` write,
 * create or truncate; `wx` like `w` but fail if it exists; `a` append, create; `ax` append, fail if
 * it exists; the `+` forms also read.
 */
export type OpenFlags = 'r' | 'r+' | 'w' | 'w+' | 'wx' | 'wx+' | 'a' | 'a+' | 'ax' | 'ax+';

/** Disk space as far as the view is concerned. */
export interface SpaceInfo {
  readonly rootId: string;
  /** Size of the file system holding the root, or the quota when that is smaller. */
  readonly totalBytes: number;
  /** Bytes the principal can still store: the smaller of free disk space and remaining quota. */
  readonly availableBytes: number;
  readonly quotaBytes: number | null;
  readonly usedBytes: number | null;
}

/**
 * The file-system layer every protocol goes through: one principal's view of its roots (its home,
 * VGrid shares, a share link's folder) and the operations on them.
 *
 * Paths are *virtual*: POSIX strings relative to the view, leading `/` optional, already decoded by
 * the protocol (this layer never decodes `%2e` or anything else again). Every operation checks the
 * path (see `parseVirtualPath`), finds the root with the longest matching mount path, checks the
 * root's access (`read` for contents and metadata, `list` for listings and metadata, `write` for
 * changes; `MIG_E_PERMISSION_DENIED`), resolves symlinks on disk without ever leaving the root
 * (`MIG_E_PATH_ESCAPE`), and only then touches the file, through the checked parent directory.
 * Errors are always {@link MigError}s whose messages name virtual paths, never host paths.
 *
 * Security properties and their limits:
 * - Escapes by `..`, absolute paths, encodings and symlinks (existing ones, absolute or relative,
 *   chains of them) are refused for every operation that would follow a link; operations on the
 *   link itself (lstat, list, remove, rename, readlink) are allowed, and removing a link never
 *   touches its target.
 * - Races (Linux): after the check, the parent folder is opened with `O_NOFOLLOW` and the kernel is
 *   asked where it really is (`/proc/self/fd`); the final name is then used *through that open
 *   folder* with no-follow semantics, and every opened file is checked the same way before a byte
 *   is read or written. Swapping a folder for a symlink after the check therefore cannot redirect
 *   an operation outside the root.
 * - Remaining limits: without `/proc` (non-Linux) the use re-resolves the checked host path, so
 *   someone who can change the tree *outside* this layer could race it. The root's own real path
 *   is resolved once per view. Creating without replacing is atomic for files (`link`), but for
 *   folders (`rename` and `copy` of a folder without overwrite) an empty folder created by someone
 *   else in the instant between the check and the rename can be replaced. Metadata calls (`stat`,
 *   `list`) return what was true when they ran.
 * - Names are NFC-normalised; names on disk that are not valid UTF-8 are not listed (they cannot
 *   be named by a virtual path) but are removed and copied with their folder.
 */
export interface FileView {
  /** The view's roots, without host paths. */
  readonly roots: readonly ViewRootInfo[];
  /** Metadata, following a final symlink (inside the root only). */
  stat(path: string): Promise<FileInfo>;
  /** Metadata of the entry itself (a symlink is reported as one). */
  lstat(path: string): Promise<FileInfo>;
  /** The folder's entries sorted by name (code-point order), hidden names left out, mount points added. */
  list(path: string): Promise<FileInfo[]>;
  /**
   * A stream of the file's bytes (or of `range`); `MIG_E_RANGE_INVALID` when it does not fit.
   * `options.highWaterMark` sets the read size (default 64 KiB; bulk transfers want ~1 MiB).
   */
  createReadStream(path: string, range?: ReadRange, options?: ReadStreamOptions): Promise<Readable>;
  /**
   * A whole-file upload through a hidden temporary file, renamed into place on finish (see
   * `UploadStream`). Without `overwrite` (default `false`) an existing file is `MIG_E_PATH_EXISTS`.
   */
  createWriteStream(path: string, options?: { overwrite?: boolean }): Promise<Writable>;
  /** Opens a file for positional I/O. */
  open(path: string, flags: OpenFlags): Promise<FileHandleLike>;
  /** Creates a folder (and with `recursive` its missing parents; an existing folder is then fine). */
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  /**
   * Renames or moves an entry (a symlink is moved as a link). Across roots the entry is copied and
   * the original removed (needs read on the source root). Mount points and `/` cannot be renamed or
   * replaced (`MIG_E_PROTECTED_PATH`). Without `overwrite` (default) an existing target is an error;
   * with it a file replaces a file and a folder an empty folder.
   */
  rename(from: string, to: string, options?: { overwrite?: boolean }): Promise<void>;
  /**
   * Copies a file, or with `recursive` a folder, following a symlink given as `from`. The copy is
   * built under a hidden temporary name and put in place at the end; on any error (quota included)
   * nothing of it remains. With `overwrite` the target (file or whole folder) is replaced. Inside a
   * copied folder, symlinks are re-created only under the `within-view` policy and only when they
   * stay inside the target root; hidden entries, FIFOs, sockets and devices are left out.
   */
  copy(from: string, to: string, options?: { overwrite?: boolean; recursive?: boolean }): Promise<void>;
  /** Removes a file, a symlink (never its target) or a folder (non-empty only with `recursive`). */
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  /**
   * Creates a symlink at `path` with text `target`. Policy `deny`: `MIG_E_SYMLINK_REFUSED`.
   * Policy `within-view`: only a relative target that, applied to the link's folder, stays inside the
   * link's root and names no hidden entry.
   */
  symlink(target: string, path: string): Promise<void>;
  /**
   * The text of a symlink: a relative target as stored, an absolute one inside the root as its
   * virtual path; a link that leads out of the root is `MIG_E_PATH_ESCAPE` (host paths stay hidden).
   */
  readlink(path: string): Promise<string>;
  /** Sets access and modification times (`Date` or seconds since the epoch), following a final symlink. */
  setTimes(path: string, atime: Date | number, mtime: Date | number): Promise<void>;
  /**
   * Changes permission bits the way MiG's IO daemons allow: no setuid, setgid or sticky bits, and
   * the owner keeps read+write on files and read+write+execute on folders (`MIG_E_PERMISSION_DENIED`
   * otherwise). Mount points and `/` are `MIG_E_PROTECTED_PATH`; symlinks have no mode of their own.
   */
  chmod(path: string, mode: number): Promise<void>;
  /** The canonical virtual path (symlinks inside the root resolved); the last component may be missing. */
  realpath(path: string): Promise<string>;
  /** Quota usage of one of the view's roots (by id). */
  usage(rootId: string): Promise<QuotaUsage>;
  /** `statfs`-like space information for the root holding `path`, quota included. */
  statfs(path: string): Promise<SpaceInfo>;
}

/**
 * Creates the {@link FileView} described by `spec` (checked: `MIG_E_INVALID_INPUT` on a malformed
 * spec). Nothing on disk is touched until the first operation.
 *
 * @example
 * ```ts
 * const view = createFileView({
 *   roots: [
 *     { id: 'home:42', mountPath: '/', hostPath: '/srv/mig/state/user_home/42', access: { read: true, write: true, list: true } },
 *     { id: 'vgrid:Physics', mountPath: '/Physics', hostPath: '/srv/mig/state/vgrid_files_home/Physics', access: { read: true, write: false, list: true } },
 *   ],
 *   symlinkPolicy: 'deny',
 * });
 * const out = await view.createWriteStream('/results/run1.csv', { overwrite: true });
 * await pipeline(source, out);
 * ```
 */
export function createFileView(spec: ViewSpec): FileView {
  return new FileViewImpl(spec);
}
