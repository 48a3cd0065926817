import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, rmdir, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { openChildDir, SAFE_FILE_FLAGS, type AnchoredDir } from './anchored-dir.js';

/*
 * Tree walks below an anchored directory. Every step goes through the open parent directory with
 * O_NOFOLLOW, so a walk can never leave the tree it started in, whatever is swapped in meanwhile.
 * Names are handled as raw bytes: a name on disk that is not valid UTF-8 must still be removable
 * and copyable.
 */

const COPY_CHUNK = 64 * 1024;

function childPath(dir: AnchoredDir, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${dir.base}/`), name]);
}

/** The name as a string when it is valid UTF-8, else `null`. */
export function decodeName(name: Buffer): string | null {
  const text = name.toString('utf8');
  return Buffer.from(text, 'utf8').equals(name) ? text : null;
}

function childDir(dir: AnchoredDir, name: Buffer, forReading: boolean): Promise<AnchoredDir> {
  return openChildDir(dir, decodeName(name) ?? name, forReading);
}

/** Stands in for a name that is not UTF-8 in lexical symlink checks (only the depth matters there). */
const RAW_NAME_PLACEHOLDER = '\u0000';

/** Bytes in regular files below `dir` (symlinks are not followed and count nothing). */
export async function treeSize(dir: AnchoredDir): Promise<number> {
  let total = 0;
  const names = await readdir(dir.base, { encoding: 'buffer' });
  for (const name of names) {
    let stats: Stats;
    try {
      stats = await lstat(childPath(dir, name));
    } catch {
      continue; // removed meanwhile
    }
    if (stats.isFile()) total += stats.size;
    else if (stats.isDirectory()) {
      let sub: AnchoredDir;
      try {
        sub = await childDir(dir, name, true);
      } catch {
        continue;
      }
      try {
        total += await treeSize(sub);
      } finally {
        await sub.close();
      }
    }
  }
  return total;
}

/**
 * Removes the entry `name` of `parent`, recursively for a folder (never following a symlink: a
 * link is removed, its target untouched). Returns the bytes of regular files removed.
 */
export async function removeTree(parent: AnchoredDir, name: string | Buffer): Promise<number> {
  const raw = typeof name === 'string' ? Buffer.from(name) : name;
  const path = childPath(parent, raw);
  const stats = await lstat(path);
  if (!stats.isDirectory()) {
    await unlink(path);
    return stats.isFile() ? stats.size : 0;
  }
  let freed = 0;
  const dir = await childDir(parent, raw, true);
  try {
    for (const child of await readdir(dir.base, { encoding: 'buffer' })) {
      try {
        freed += await removeTree(dir, child);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  } finally {
    await dir.close();
  }
  await rmdir(path);
  return freed;
}

/** Decides per entry what a tree copy does. */
export interface CopyRules {
  /** True to leave the entry out (hidden names, the layer's temporary names). */
  skip(name: string): boolean;
  /**
   * For a symlink with text `target` whose folder will be `parentParts` (canonical components
   * below the destination root, at the final place): true to re-create it, false to leave it out.
   */
  keepLink(target: string, parentParts: readonly string[]): boolean;
  /** Called before `bytes` more are written; throws to stop the copy (quota). */
  beforeWrite(bytes: number): Promise<void>;
}

/**
 * Copies an open regular file into a new entry `name` of `dest` (created exclusively, never
 * through a symlink), streaming in 64 KiB chunks. Returns the bytes written.
 */
export async function copyFileInto(source: FileHandle, dest: AnchoredDir, name: string | Buffer, mode: number, rules: Pick<CopyRules, 'beforeWrite'>): Promise<number> {
  const path = typeof name === 'string' ? dest.child(name) : childPath(dest, name);
  const out = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | SAFE_FILE_FLAGS, mode & 0o777);
  let written = 0;
  try {
    const buffer = Buffer.allocUnsafe(COPY_CHUNK);
    let position = 0;
    for (;;) {
      const { bytesRead } = await source.read(buffer, 0, COPY_CHUNK, position);
      if (bytesRead === 0) break;
      await rules.beforeWrite(bytesRead);
      let offset = 0;
      while (offset < bytesRead) {
        const { bytesWritten } = await out.write(buffer, offset, bytesRead - offset, position + offset);
        offset += bytesWritten;
      }
      position += bytesRead;
      written += bytesRead;
    }
    await out.sync();
  } finally {
    await out.close();
  }
  return written;
}

/**
 * Copies the contents of folder `source` into the (empty) folder `dest`. Regular files and folders
 * are copied; symlinks only when `rules.keepLink` says so; FIFOs, sockets and devices never.
 *
 * @param destParts - canonical components of `dest` below its root at its final place.
 */
export async function copyTree(source: AnchoredDir, dest: AnchoredDir, destParts: readonly string[], rules: CopyRules): Promise<void> {
  for (const raw of await readdir(source.base, { encoding: 'buffer' })) {
    const name = decodeName(raw);
    if (name !== null && rules.skip(name)) continue;
    const from = childPath(source, raw);
    let stats: Stats;
    try {
      stats = await lstat(from);
    } catch {
      continue;
    }
    if (stats.isSymbolicLink()) {
      const target = await readlink(from);
      if (rules.keepLink(target, destParts)) await symlink(target, childPath(dest, raw));
    } else if (stats.isFile()) {
      const input = await open(from, constants.O_RDONLY | SAFE_FILE_FLAGS);
      try {
        if ((await input.stat()).isFile()) await copyFileInto(input, dest, raw, stats.mode, rules);
      } finally {
        await input.close();
      }
    } else if (stats.isDirectory()) {
      await mkdir(childPath(dest, raw), (stats.mode & 0o777) | 0o700);
      const sub = await childDir(source, raw, true);
      try {
        const target = await childDir(dest, raw, false);
        try {
          await copyTree(sub, target, [...destParts, name ?? RAW_NAME_PLACEHOLDER], rules);
        } finally {
          await target.close();
        }
      } finally {
        await sub.close();
      }
    }
  }
}
