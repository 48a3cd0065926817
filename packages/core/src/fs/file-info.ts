import type { Stats } from 'node:fs';

/** What kind of entry a path names. `other` covers FIFOs, sockets and devices (never opened). */
export type FileType = 'file' | 'directory' | 'symlink' | 'other';

/** The metadata of one entry as protocols see it: no host path, no owner ids. */
export interface FileInfo {
  /** The entry's name (the last component of its virtual path; `''` for `/`). */
  readonly name: string;
  readonly type: FileType;
  /** Size in bytes (for a symlink: the length of its target text). */
  readonly size: number;
  /** Last modification. */
  readonly mtime: Date;
  /** Last access (as the file system records it). */
  readonly atime: Date;
  /** Last status change. */
  readonly ctime: Date;
  /** Permission bits (`mode & 0o7777`). */
  readonly mode: number;
}

/** The {@link FileType} of node stats. */
export function fileTypeOf(stats: Stats): FileType {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** Turns node stats into a {@link FileInfo} named `name`. */
export function toFileInfo(name: string, stats: Stats): FileInfo {
  return {
    name,
    type: fileTypeOf(stats),
    size: stats.size,
    mtime: stats.mtime,
    atime: stats.atime,
    ctime: stats.ctime,
    mode: stats.mode & 0o7777,
  };
}

/**
 * The metadata of a folder that exists only in the view: an ancestor of a mount point that has no
 * directory on disk (for example `/` of a view that only mounts `/Physics`). Read-only.
 */
export function virtualDirectoryInfo(name: string): FileInfo {
  const epoch = new Date(0);
  return { name, type: 'directory', size: 0, mtime: epoch, atime: epoch, ctime: epoch, mode: 0o555 };
}
