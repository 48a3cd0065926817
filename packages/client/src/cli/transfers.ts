/**
 * Folder transfers for `miguser get -r` and `put -r`: walk the tree, make the folders, then move
 * the files a few at a time, with one progress display for all bytes.
 * @packageDocumentation
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { MigClientError } from '../errors.js';
import type { MigClient } from '../mig-client.js';
import { joinRemotePath } from '../remote-path.js';
import type { FileEntry } from '../types.js';
import type { Progress } from './progress.js';
import { runPool } from './task-pool.js';

/** A file of a local tree to upload. */
export interface LocalFile {
  readonly path: string;
  /** `/`-separated path below the tree's root. */
  readonly relative: string;
  readonly size: number;
}

/** Most entries a single tree walk visits (a guard against runaway trees). */
export const MAX_TREE_ENTRIES = 1_000_000;

/** The folders (parents first) and files of a local tree. Symbolic links to files are followed; links to folders are skipped. */
export async function walkLocalTree(root: string, warn: (message: string) => void): Promise<{ folders: string[]; files: LocalFile[] }> {
  const folders: string[] = [];
  const files: LocalFile[] = [];
  const queue: string[] = [root];
  while (queue.length > 0) {
    const folder = queue.shift() as string;
    let names;
    try {
      names = await readdir(folder, { withFileTypes: true });
    } catch (err) {
      throw new MigClientError('MIG_E_LOCAL_IO', `Cannot read ${folder}: ${(err as Error).message}`, { cause: err });
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of names) {
      const full = join(folder, dirent.name);
      const rel = relative(root, full).split(sep).join('/');
      if (folders.length + files.length >= MAX_TREE_ENTRIES) throw new MigClientError('MIG_E_LOCAL_IO', `${root} has more than ${MAX_TREE_ENTRIES} entries; transfer it in parts.`);
      if (dirent.isDirectory()) {
        folders.push(rel);
        queue.push(full);
      } else if (dirent.isFile()) {
        files.push({ path: full, relative: rel, size: (await stat(full)).size });
      } else if (dirent.isSymbolicLink()) {
        const target = await stat(full).catch(() => undefined);
        if (target?.isFile() === true) files.push({ path: full, relative: rel, size: target.size });
        else warn(`skipping ${full}: a link to a folder or to nothing`);
      } else {
        warn(`skipping ${full}: not a regular file`);
      }
    }
  }
  return { folders, files };
}

/** Options of the folder transfers. */
export interface TreeTransferOptions {
  readonly parallel: number;
  readonly overwrite: boolean;
  readonly progress: Progress;
  readonly warn: (message: string) => void;
}

/** Uploads a local folder to `remote` (made if missing). Returns the uploaded entries. */
export async function putTree(client: MigClient, local: string, remote: string, options: TreeTransferOptions): Promise<FileEntry[]> {
  const { folders, files } = await walkLocalTree(local, options.warn);
  await client.mkdir(remote, { parents: true });
  for (const folder of folders) await client.mkdir(joinRemotePath(remote, folder), { parents: true });
  options.progress.start(files.reduce((sum, f) => sum + f.size, 0), files.length);
  const uploaded: FileEntry[] = [];
  await runPool(files, options.parallel, async (file) => {
    let last = 0;
    const entry = await client.upload(joinRemotePath(remote, file.relative), file.path, {
      overwrite: options.overwrite,
      onProgress: (done) => {
        options.progress.add(done - last);
        last = done;
      },
    });
    options.progress.fileDone();
    uploaded.push(entry);
  });
  return uploaded;
}

/** The folders (parents first, relative) and files of a remote tree. */
export async function walkRemoteTree(client: MigClient, root: string, warn: (message: string) => void): Promise<{ folders: string[]; files: (FileEntry & { relative: string })[] }> {
  const folders: string[] = [];
  const files: (FileEntry & { relative: string })[] = [];
  const queue: string[] = [''];
  while (queue.length > 0) {
    const rel = queue.shift() as string;
    for (const entry of await client.list(joinRemotePath(root, rel))) {
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.name === '' || entry.name === '.' || entry.name === '..' || entry.name.includes('/') || entry.name.includes('\\') || entry.name.includes('\0')) {
        throw new MigClientError('MIG_E_PROTOCOL', `The site listed an entry with an unsafe name (${JSON.stringify(entry.name)}) in ${joinRemotePath(root, rel)}.`);
      }
      if (folders.length + files.length >= MAX_TREE_ENTRIES) throw new MigClientError('MIG_E_TRANSFER', `${root} has more than ${MAX_TREE_ENTRIES} entries; download it in parts.`);
      if (entry.type === 'directory') {
        folders.push(childRel);
        queue.push(childRel);
      } else if (entry.type === 'other') {
        warn(`skipping ${joinRemotePath(root, childRel)}: not a regular file`);
      } else {
        files.push({ ...entry, relative: childRel });
      }
    }
  }
  return { folders, files };
}

/** Downloads a remote folder into the local folder `local` (made if missing). Returns the number of files. */
export async function getTree(client: MigClient, remote: string, local: string, options: TreeTransferOptions): Promise<number> {
  const { folders, files } = await walkRemoteTree(client, remote, options.warn);
  const localOf = (rel: string): string => join(local, ...rel.split('/'));
  try {
    await mkdir(local, { recursive: true });
    for (const folder of folders) await mkdir(localOf(folder), { recursive: true });
  } catch (err) {
    throw new MigClientError('MIG_E_LOCAL_IO', `Cannot make folders under ${local}: ${(err as Error).message}`, { cause: err });
  }
  options.progress.start(files.reduce((sum, f) => sum + f.size, 0), files.length);
  await runPool(files, options.parallel, async (file) => {
    let last = 0;
    await client.downloadTo(joinRemotePath(remote, file.relative), localOf(file.relative), {
      ...(file.type === 'file' && { size: file.size }),
      onProgress: (done) => {
        options.progress.add(done - last);
        last = done;
      },
    });
    options.progress.fileDone();
  });
  return files.length;
}
