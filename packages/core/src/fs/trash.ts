import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { link, lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { z } from 'zod';
import { FileAccessError, InvalidInputError, NotFoundError } from '../errors.js';
import { openAnchoredDir, openChildDir, SAFE_FILE_FLAGS, type AnchoredDir } from './anchored-dir.js';
import { fileTypeOf, type FileType } from './file-info.js';
import type { FileView } from './file-view.js';
import type { FileViewImpl, RootTarget } from './file-view-impl.js';
import { errnoOf, mapFsError } from './fs-error-map.js';
import { currentViewImpl, lastViewImpl } from './live-file-view.js';
import { RootContext } from './root-context.js';
import { removeTree, treeSize } from './tree-ops.js';
import { describePath, formatVirtualPath } from './virtual-path.js';

/** The hidden folder at the top of a root that holds its trash (MiG's name). */
export const TRASH_DIR_NAME = '.trash';

/** One entry in the trash. */
export interface TrashItem {
  /** Stable id (letters, digits, `-`). */
  readonly id: string;
  /** The virtual path it had when it was deleted. */
  readonly originalPath: string;
  readonly name: string;
  readonly type: FileType;
  /** Bytes in regular files (for a folder: all of them below it). */
  readonly size: number;
  readonly deletedAt: Date;
  /** The id of the root whose trash holds it. */
  readonly rootId: string;
}

/**
 * Deleting to a trash, restoring and emptying, for one {@link FileView}. Each root the view may
 * write keeps its own trash in its hidden `.trash` folder: the entry itself (renamed there, so a
 * delete is one `rename` whatever its size) and a small JSON record `<id>.json` with its original
 * path and time. Trashed bytes still count in the root's quota until the trash is emptied.
 *
 * Restoring never overwrites: when the original path is taken, the entry comes back next to it as
 * `name (restored)`, `name (restored 2)`, … (before the extension for files: `a (restored).txt`);
 * missing folders on the way are created again.
 */
export interface Trash {
  /** The items of every trash the view can write, newest first. */
  list(): Promise<TrashItem[]>;
  /** Moves the entry at `path` (file, folder or symlink) to its root's trash. */
  moveToTrash(path: string): Promise<TrashItem>;
  /** Puts an item back; returns the virtual path it was restored to. */
  restore(id: string): Promise<string>;
  /** Removes one item for good; returns the bytes freed. */
  purge(id: string): Promise<number>;
  /** Removes every item of every trash the view can write; returns how many. */
  empty(): Promise<number>;
}

const ID_PATTERN = /^[a-z0-9]{6,12}-[0-9a-f]{16}$/;
const MAX_RECORD_BYTES = 64 * 1024;
const MAX_RESTORE_NAMES = 100;

const recordSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN),
  originalPath: z.string().min(1).max(4096),
  name: z.string().max(1024),
  type: z.enum(['file', 'directory', 'symlink', 'other']),
  size: z.number().int().nonnegative(),
  deletedAt: z.number().int().nonnegative(),
  rootId: z.string().min(1).max(256),
});
type TrashRecord = z.infer<typeof recordSchema>;

function itemOf(r: TrashRecord): TrashItem {
  return { id: r.id, originalPath: r.originalPath, name: r.name, type: r.type, size: r.size, deletedAt: new Date(r.deletedAt), rootId: r.rootId };
}

function implOf(view: FileViewImpl | null): FileViewImpl {
  if (view === null) throw new InvalidInputError('The trash works on views made by createFileView (or a ViewProvider) only.');
  if (!view.internalHides(TRASH_DIR_NAME)) {
    throw new FileAccessError('MIG_E_PERMISSION_DENIED', `The trash is unavailable: the site does not hide "${TRASH_DIR_NAME}" (add it to [files] hidden_names).`);
  }
  return view;
}

/** The name for a restored entry when `name` is taken: `a (restored).txt`, `a (restored 2).txt`, … */
export function restoredName(name: string, attempt: number, isFile: boolean): string {
  const tag = attempt <= 1 ? ' (restored)' : ` (restored ${attempt})`;
  const dot = isFile ? name.lastIndexOf('.') : -1;
  return dot > 0 ? `${name.slice(0, dot)}${tag}${name.slice(dot)}` : `${name}${tag}`;
}

async function openTrash(ctx: RootContext, create: boolean): Promise<AnchoredDir | null> {
  const rootReal = await ctx.rootReal();
  const top = await openAnchoredDir(rootReal, [], ctx.root.mountPath, true);
  try {
    try {
      return await openChildDir(top, TRASH_DIR_NAME, true);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
      if (!create) return null;
    }
    try {
      await mkdir(top.child(TRASH_DIR_NAME), 0o700);
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
    }
    return await openChildDir(top, TRASH_DIR_NAME, true);
  } finally {
    await top.close();
  }
}

async function readRecord(trash: AnchoredDir, id: string): Promise<TrashRecord | null> {
  let handle;
  try {
    handle = await open(trash.child(`${id}.json`), constants.O_RDONLY | SAFE_FILE_FLAGS);
  } catch {
    return null;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > MAX_RECORD_BYTES) return null;
    const parsed = recordSchema.safeParse(JSON.parse(await handle.readFile('utf8')));
    return parsed.success && parsed.data.id === id ? parsed.data : null;
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

async function writeRecord(trash: AnchoredDir, record: TrashRecord): Promise<void> {
  const handle = await open(trash.child(`${record.id}.json`), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | SAFE_FILE_FLAGS, 0o600);
  try {
    await handle.writeFile(JSON.stringify(record));
  } finally {
    await handle.close();
  }
}

async function sizeOf(t: RootTarget, stats: Stats): Promise<number> {
  if (stats.isFile()) return stats.size;
  if (!stats.isDirectory()) return 0;
  const dir = await openAnchoredDir(t.rootReal, t.canonical, t.viewPath, true);
  try {
    return await treeSize(dir);
  } finally {
    await dir.close();
  }
}

function newId(now: number): string {
  return `${now.toString(36).padStart(9, '0')}-${randomBytes(8).toString('hex')}`;
}

/**
 * The {@link Trash} of a view. The view must come from `createFileView` or `createLiveFileView`
 * (as every `ViewProvider` view does) and hide `.trash` (the default hidden names do). On a live
 * view each call works on the current roots (a root that went away takes its trash with it).
 *
 * @example
 * ```ts
 * const view = await site.files.viewFor({ kind: 'user', userId });
 * const trash = createTrash(view);
 * const item = await trash.moveToTrash('/old/results');
 * const back = await trash.restore(item.id); // '/old/results', or '/old/results (restored)'
 * ```
 */
export function createTrash(view: FileView, options: { now?: () => number } = {}): Trash {
  implOf(lastViewImpl(view));
  const now = options.now ?? Date.now;
  /** The view serving this call (a live view's current one). */
  const current = async (): Promise<FileViewImpl> => implOf(await currentViewImpl(view));

  async function findItem(impl: FileViewImpl, id: unknown): Promise<{ ctx: RootContext; trash: AnchoredDir; record: TrashRecord }> {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new NotFoundError('MIG_E_TRASH_ITEM_NOT_FOUND', 'No such item in the trash; reload the trash and try again.');
    for (const ctx of impl.internalWritableRoots()) {
      const trash = await openTrash(ctx, false);
      if (trash === null) continue;
      const record = await readRecord(trash, id);
      if (record !== null && record.rootId === ctx.root.id) return { ctx, trash, record };
      await trash.close();
    }
    throw new NotFoundError('MIG_E_TRASH_ITEM_NOT_FOUND', 'No such item in the trash; it may have been restored or emptied already.');
  }

  return {
    async list() {
      const impl = await current();
      const items: TrashItem[] = [];
      for (const ctx of impl.internalWritableRoots()) {
        const trash = await openTrash(ctx, false);
        if (trash === null) continue;
        try {
          const names = await readdir(trash.base);
          for (const name of names) {
            if (!name.endsWith('.json')) continue;
            const id = name.slice(0, -5);
            if (!ID_PATTERN.test(id)) continue;
            const record = await readRecord(trash, id);
            if (record !== null && record.rootId === ctx.root.id) items.push(itemOf(record));
          }
        } finally {
          await trash.close();
        }
      }
      return items.sort((a, b) => b.deletedAt.getTime() - a.deletedAt.getTime() || (a.id < b.id ? 1 : -1));
    },

    async moveToTrash(path) {
      const impl = await current();
      const t = await impl.internalTarget(path, 'write');
      try {
        if (t.stats === null) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        const size = await sizeOf(t, t.stats);
        const at = now();
        const record: TrashRecord = {
          id: newId(at),
          originalPath: t.viewPath,
          name: t.parts[t.parts.length - 1] ?? '',
          type: fileTypeOf(t.stats),
          size,
          deletedAt: at,
          rootId: t.ctx.root.id,
        };
        const trash = await openTrash(t.ctx, true);
        if (trash === null) throw new Error('trash missing');
        try {
          const dir = await openAnchoredDir(t.rootReal, t.canonical.slice(0, -1), t.viewPath);
          try {
            await rename(dir.child(t.canonical[t.canonical.length - 1] ?? ''), trash.child(record.id));
          } finally {
            await dir.close();
          }
          try {
            await writeRecord(trash, record);
          } catch (err) {
            // Without its record the item could not be listed: put it back.
            const dir2 = await openAnchoredDir(t.rootReal, t.canonical.slice(0, -1), t.viewPath);
            try {
              await rename(trash.child(record.id), dir2.child(t.canonical[t.canonical.length - 1] ?? ''));
            } finally {
              await dir2.close();
            }
            throw err;
          }
        } finally {
          await trash.close();
        }
        t.ctx.emit({ type: 'deleted', path: RootContext.relPath(t.canonical), viewPath: t.viewPath });
        return itemOf(record);
      } catch (err) {
        throw mapFsError(err, t.viewPath);
      }
    },

    async restore(id) {
      const impl = await current();
      const { ctx, trash, record } = await findItem(impl, id);
      try {
        let payload: Stats;
        try {
          payload = await lstat(trash.child(record.id));
        } catch {
          throw new NotFoundError('MIG_E_TRASH_ITEM_NOT_FOUND', 'That trash item has lost its contents; empty the trash to remove it.');
        }
        const parts = record.originalPath.split('/').filter((p) => p !== '');
        const parent = formatVirtualPath(parts.slice(0, -1));
        const name = parts[parts.length - 1] ?? record.name;
        if (parent !== '/') await impl.mkdir(parent, { recursive: true });
        for (let attempt = 0; attempt <= MAX_RESTORE_NAMES; attempt += 1) {
          const candidate = attempt === 0 ? name : restoredName(name, attempt, payload.isFile());
          const viewPath = formatVirtualPath([...parts.slice(0, -1), candidate]);
          const t = await impl.internalTarget(viewPath, 'write');
          if (t.ctx !== ctx) throw new FileAccessError('MIG_E_PERMISSION_DENIED', `${describePath(record.originalPath)} is now in another folder tree; restore it elsewhere by hand.`);
          if (t.stats !== null) continue;
          const dir = await openAnchoredDir(t.rootReal, t.canonical.slice(0, -1), t.viewPath);
          try {
            const target = dir.child(t.canonical[t.canonical.length - 1] ?? '');
            if (payload.isDirectory()) {
              // rename() would replace an empty folder made in the instant since the check (see FileView's limits).
              await rename(trash.child(record.id), target);
            } else {
              try {
                await link(trash.child(record.id), target); // never replaces
              } catch (err) {
                if (errnoOf(err) === 'EEXIST') continue;
                throw err;
              }
              await unlink(trash.child(record.id));
            }
          } finally {
            await dir.close();
          }
          await unlink(trash.child(`${record.id}.json`)).catch(() => undefined);
          ctx.emit({ type: payload.isDirectory() ? 'dir-created' : 'created', path: RootContext.relPath(t.canonical), viewPath: t.viewPath });
          return t.viewPath;
        }
        throw new FileAccessError('MIG_E_PATH_INVALID', `Too many entries named like ${describePath(record.originalPath)}; rename some and try again.`);
      } catch (err) {
        throw mapFsError(err, record.originalPath);
      } finally {
        await trash.close();
      }
    },

    async purge(id) {
      const { ctx, trash, record } = await findItem(await current(), id);
      try {
        const freed = await removeTree(trash, record.id).catch((err: unknown) => (errnoOf(err) === 'ENOENT' ? 0 : Promise.reject(err)));
        await unlink(trash.child(`${record.id}.json`)).catch(() => undefined);
        await ctx.release(freed);
        return freed;
      } finally {
        await trash.close();
      }
    },

    async empty() {
      const impl = await current();
      let removed = 0;
      for (const ctx of impl.internalWritableRoots()) {
        const trash = await openTrash(ctx, false);
        if (trash === null) continue;
        let freed = 0;
        try {
          const names = await readdir(trash.base, { encoding: 'buffer' });
          for (const raw of names) {
            const name = raw.toString('utf8');
            if (name.endsWith('.json') && ID_PATTERN.test(name.slice(0, -5))) removed += 1;
            freed += await removeTree(trash, raw).catch(() => 0);
          }
        } finally {
          await trash.close();
          await ctx.release(freed);
        }
      }
      return removed;
    },
  };
}
