/**
 * Zip archives of entries of a view, streamed (yazl): nothing is buffered whole, files are opened
 * one at a time as the archive reaches them. Symlinks inside folders are left out.
 * @packageDocumentation
 */
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { InvalidInputError, type FileView } from '@migrid/core';
import { baseName, childPath, displayPath } from './file-json.js';

/** Most entries one archive may hold. */
export const MAX_ZIP_ENTRIES = 100_000;

interface ZipItem {
  readonly path: string;
  readonly name: string;
  readonly type: 'file' | 'directory';
  readonly mtime: Date;
  readonly mode: number;
}

async function collect(view: FileView, paths: readonly string[]): Promise<ZipItem[]> {
  const items: ZipItem[] = [];
  const add = (item: ZipItem): void => {
    if (items.length >= MAX_ZIP_ENTRIES) throw new InvalidInputError(`Too many entries for one archive (more than ${MAX_ZIP_ENTRIES}); zip smaller folders.`, { code: 'MIG_E_TOO_LARGE' });
    items.push(item);
  };
  for (const p of paths) {
    const shown = displayPath(p);
    const info = await view.stat(p);
    const top = baseName(shown) || 'home';
    if (info.type === 'file') {
      add({ path: shown, name: top, type: 'file', mtime: info.mtime, mode: info.mode });
      continue;
    }
    if (info.type !== 'directory') continue;
    const queue: Array<{ path: string; name: string }> = [{ path: shown, name: top }];
    while (queue.length > 0) {
      const dir = queue.shift() as { path: string; name: string };
      const entries = await view.list(dir.path);
      add({ path: dir.path, name: `${dir.name}/`, type: 'directory', mtime: info.mtime, mode: 0o755 });
      for (const e of entries) {
        const path = childPath(dir.path, e.name);
        const name = `${dir.name}/${e.name}`;
        if (e.type === 'file') add({ path, name, type: 'file', mtime: e.mtime, mode: e.mode });
        else if (e.type === 'directory') queue.push({ path, name });
      }
    }
  }
  return items;
}

/**
 * A zip stream of `paths` (files and folders of `view`); folders keep their own name as the top
 * folder in the archive. Checks every path first, so errors come before the first byte.
 */
export async function zipStream(view: FileView, paths: readonly string[]): Promise<Readable> {
  const items = await collect(view, paths);
  const zip = new ZipFile();
  for (const item of items) {
    if (item.type === 'directory') {
      zip.addEmptyDirectory(item.name, { mtime: item.mtime });
      continue;
    }
    zip.addReadStreamLazy(item.name, { mtime: item.mtime, mode: item.mode | 0o100000, compress: false }, (cb) => {
      view.createReadStream(item.path, undefined, { highWaterMark: 1024 * 1024 }).then((s) => cb(null, s), (err: unknown) => cb(err, undefined as unknown as Readable));
    });
  }
  zip.end();
  const out = zip.outputStream as Readable;
  zip.on('error', (err: Error) => out.destroy(err));
  return out;
}
