import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { link, lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { ConflictError, FileAccessError, InvalidInputError, MigError, NotFoundError } from '../errors.js';
import type { Principal } from '../principal.js';
import { parseInput } from '../validation/parse-input.js';
import { openAnchoredDir, SAFE_FILE_FLAGS, verifyFdInside, type AnchoredDir } from './anchored-dir.js';
import type { FileView } from './file-view.js';
import type { FileViewImpl, RootTarget } from './file-view-impl.js';
import { errnoOf, mapFsError } from './fs-error-map.js';
import { currentViewImpl } from './live-file-view.js';
import { RootContext } from './root-context.js';
import { tempName } from './upload-stream.js';
import type { ViewProvider } from './view-provider.js';
import { UPLOAD_TEMP_PREFIX } from './virtual-path.js';

/** Where a resumable upload stands. */
export interface UploadState {
  readonly id: string;
  /** The target's virtual path. */
  readonly path: string;
  /** Bytes received so far (the offset the next chunk must start at). */
  readonly offset: number;
  /** The file's announced size. */
  readonly size: number;
  readonly overwrite: boolean;
  /** When it is swept if nothing more arrives. */
  readonly expiresAt: Date;
}

/**
 * Resumable uploads of big files in chunks (the browser's uploader, `miguser`): the bytes go to a
 * hidden temporary file (`.mig-upload-…`) in the target's folder, written through the owner's
 * view (quota counted chunk by chunk); the session (target, size, bytes received, expiry) is a row
 * of `upload_sessions`, so any process of the site can continue it. `complete` renames the file
 * into place like a whole-file upload (never replacing without `overwrite`, events emitted).
 * Abandoned sessions expire (`ttlMs` after the last chunk) and {@link ResumableUploads.sweep}
 * removes them with their bytes.
 *
 * The owner string (`user:<id>`) ties a session to its principal: another principal's id answers
 * `MIG_E_UPLOAD_NOT_FOUND`.
 */
export interface ResumableUploads {
  /** Starts an upload of `size` bytes to `path` (the folder must exist; with `parents` it is created). */
  start(view: FileView, owner: string, input: { path: string; size: number; overwrite?: boolean; parents?: boolean }): Promise<UploadState>;
  /** The session's state; the offset is what is really on disk (after an interrupted chunk, resume from there). */
  status(view: FileView, owner: string, id: string): Promise<UploadState>;
  /**
   * Appends the bytes of `source` at `offset`, which must equal the bytes received
   * (`MIG_E_UPLOAD_OFFSET` with `details.offset` otherwise). Bytes beyond the announced size are
   * `MIG_E_TOO_LARGE` (the chunk is dropped). Bytes written before a broken connection are kept.
   */
  append(view: FileView, owner: string, id: string, offset: number, source: Readable): Promise<UploadState>;
  /** Puts the finished file in place (offset must equal size); returns its virtual path. */
  complete(view: FileView, owner: string, id: string): Promise<string>;
  /** Abandons an upload: its bytes are removed. */
  abort(view: FileView, owner: string, id: string): Promise<void>;
  /** Removes every expired session and its bytes; returns how many. `views` opens each owner's view. */
  sweep(views: ViewProvider): Promise<number>;
}

/** Options of {@link createResumableUploads}. */
export interface ResumableUploadsOptions {
  readonly db: Kysely<Database>;
  /** How long a session lives after its last activity (default 24 h). */
  readonly ttlMs?: number;
  /** Most sessions one owner may have open at once (default 100). */
  readonly maxPerOwner?: number;
  readonly now?: () => number;
}

/** The owner string of a user's uploads. */
export function uploadOwnerOf(userId: string): string {
  return `user:${userId}`;
}

function principalOf(owner: string): Principal | null {
  return owner.startsWith('user:') && owner.length > 5 ? { kind: 'user', userId: owner.slice(5) } : null;
}

const DAY = 24 * 3600_000;
const TEMP_PATTERN = new RegExp(`^${UPLOAD_TEMP_PREFIX.replace(/[.-]/g, '\\$&')}[0-9a-f]{24}$`);
const ID_PATTERN = /^[A-Za-z0-9_-]{20,64}$/;
const startSchema = z.strictObject({
  path: z.string().min(1).max(4096),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  overwrite: z.boolean().optional(),
  parents: z.boolean().optional(),
});
const offsetSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

type Row = Database['upload_sessions'];

/** The view serving this call (a live view's current one, after its generation check). */
async function implOf(view: FileView): Promise<FileViewImpl> {
  const impl = await currentViewImpl(view);
  if (impl === null) throw new InvalidInputError('Resumable uploads work on views made by createFileView (or a ViewProvider) only.');
  return impl;
}

function notFound(): NotFoundError {
  return new NotFoundError('MIG_E_UPLOAD_NOT_FOUND', 'No such upload (it may have finished, been cancelled or expired); start it again.');
}

function stateOf(row: Row, offset: number): UploadState {
  return { id: row.id, path: row.path, offset, size: Number(row.size), overwrite: Number(row.overwrite) === 1, expiresAt: new Date(Number(row.expires_at)) };
}

/** Opens the folder holding the target of `row` and checks the temporary name. */
async function placeOf(impl: FileViewImpl, row: Row): Promise<{ t: RootTarget; dir: AnchoredDir; name: string }> {
  if (!TEMP_PATTERN.test(row.temp_name)) throw notFound();
  const t = await impl.internalTarget(row.path, 'write');
  const dir = await openAnchoredDir(t.rootReal, t.canonical.slice(0, -1), t.viewPath);
  return { t, dir, name: t.canonical[t.canonical.length - 1] ?? '' };
}

/** Opens the temporary file of an upload (never through a symlink, checked inside the root). */
async function openTemp(dir: AnchoredDir, t: RootTarget, temp: string, flags: number): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(dir.child(temp), flags | SAFE_FILE_FLAGS);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') throw notFound();
    throw err;
  }
  try {
    await verifyFdInside(handle.fd, t.rootReal, t.viewPath);
    if (!(await handle.stat()).isFile()) throw notFound();
    return handle;
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** Writes a stream at a position of a file, reserving quota as it goes, batching queued chunks. */
class PositionalWriter extends Writable {
  position: number;
  constructor(private readonly handle: FileHandle, start: number, private readonly limit: number, private readonly ctx: RootContext, private readonly onWritten: (bytes: number) => void) {
    super({ highWaterMark: 1024 * 1024 });
    this.position = start;
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => callback(), (err: unknown) => callback(err as Error));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => callback(), (err: unknown) => callback(err as Error));
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    let bytes = 0;
    for (const b of buffers) bytes += b.length;
    if (this.position + bytes > this.limit) {
      throw new InvalidInputError(`The chunk goes beyond the announced size of ${this.limit} bytes.`, { code: 'MIG_E_TOO_LARGE', details: { size: this.limit } });
    }
    await this.ctx.reserve(bytes);
    let pending = buffers;
    let left = bytes;
    try {
      while (left > 0) {
        const { bytesWritten } = await this.handle.writev(pending, this.position);
        this.position += bytesWritten;
        left -= bytesWritten;
        this.onWritten(bytesWritten);
        if (left > 0) pending = [Buffer.concat(pending).subarray(bytesWritten)];
      }
    } catch (err) {
      await this.ctx.release(left);
      throw err;
    }
  }
}

/**
 * Creates the resumable-upload service over the site database.
 *
 * @example
 * ```ts
 * const uploads = createResumableUploads({ db: site.db });
 * const view = await site.files.viewFor({ kind: 'user', userId });
 * const owner = uploadOwnerOf(userId);
 * const { id } = await uploads.start(view, owner, { path: '/data/big.tar', size });
 * await uploads.append(view, owner, id, 0, chunkStream);
 * await uploads.complete(view, owner, id);
 * ```
 */
export function createResumableUploads(options: ResumableUploadsOptions): ResumableUploads {
  const { db } = options;
  const ttl = options.ttlMs ?? DAY;
  const maxPerOwner = options.maxPerOwner ?? 100;
  const now = options.now ?? Date.now;
  /** Sessions with a chunk being written in this process. */
  const busy = new Set<string>();

  async function rowOf(owner: string, id: unknown): Promise<Row> {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw notFound();
    const row = await db.selectFrom('upload_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined || row.owner !== owner) throw notFound();
    if (Number(row.expires_at) < now()) throw notFound();
    return row;
  }

  async function removeTemp(impl: FileViewImpl, row: Row): Promise<void> {
    const { t, dir } = await placeOf(impl, row);
    try {
      let stats: Stats | null = null;
      try {
        stats = await lstat(dir.child(row.temp_name));
      } catch {
        return;
      }
      if (!stats.isFile()) return;
      await unlink(dir.child(row.temp_name));
      await t.ctx.release(stats.size);
    } finally {
      await dir.close();
    }
  }

  return {
    async start(view, owner, input) {
      const impl = await implOf(view);
      const { path, size, overwrite = false, parents = false } = parseInput(startSchema, input, 'upload');
      const open_ = await db.selectFrom('upload_sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('owner', '=', owner).where('expires_at', '>=', now()).executeTakeFirst();
      if (Number(open_?.n ?? 0) >= maxPerOwner) {
        throw new MigError('MIG_E_TOO_LARGE', `You have ${maxPerOwner} unfinished uploads; finish or cancel some first.`);
      }
      if (parents) {
        const parts = path.split('/').filter((p) => p !== '' && p !== '.');
        if (parts.length > 1) await impl.mkdir(`/${parts.slice(0, -1).join('/')}`, { recursive: true });
      }
      const t = await impl.internalTarget(path, 'write');
      try {
        if (t.stats !== null && t.stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
        if (t.stats !== null && !overwrite) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      } catch (err) {
        throw mapFsError(err, t.viewPath);
      }
      const space = await impl.statfs(t.viewPath.split('/').slice(0, -1).join('/') || '/');
      if (space.availableBytes < size) {
        throw new FileAccessError('MIG_E_QUOTA_EXCEEDED', `There is room for ${space.availableBytes} more bytes, not ${size}; free some space first.`, { details: { availableBytes: space.availableBytes, size } });
      }
      const temp = tempName();
      const dir = await openAnchoredDir(t.rootReal, t.canonical.slice(0, -1), t.viewPath);
      try {
        const handle = await open(dir.child(temp), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | SAFE_FILE_FLAGS, 0o600);
        try {
          await verifyFdInside(handle.fd, t.rootReal, t.viewPath);
        } finally {
          await handle.close();
        }
      } catch (err) {
        await unlink(dir.child(temp)).catch(() => undefined);
        throw mapFsError(err, t.viewPath);
      } finally {
        await dir.close();
      }
      const at = now();
      const row: Row = {
        id: randomBytes(24).toString('base64url'),
        owner,
        path: t.viewPath,
        size,
        received: 0,
        overwrite: overwrite ? 1 : 0,
        temp_name: temp,
        created_at: at,
        updated_at: at,
        expires_at: at + ttl,
      };
      await db.insertInto('upload_sessions').values(row).execute();
      return stateOf(row, 0);
    },

    async status(view, owner, id) {
      const impl = await implOf(view);
      const row = await rowOf(owner, id);
      const { t, dir } = await placeOf(impl, row);
      try {
        const handle = await openTemp(dir, t, row.temp_name, constants.O_RDONLY);
        try {
          const size = (await handle.stat()).size;
          return stateOf(row, size);
        } finally {
          await handle.close();
        }
      } finally {
        await dir.close();
      }
    },

    async append(view, owner, id, offsetInput, source) {
      const impl = await implOf(view);
      const offset = parseInput(offsetSchema, offsetInput, 'offset');
      const row = await rowOf(owner, id);
      if (busy.has(row.id)) throw new ConflictError('MIG_E_UPLOAD_OFFSET', 'Another chunk of this upload is being written; ask for the offset and resume after it.', { details: { offset: Number(row.received) } });
      busy.add(row.id);
      try {
        const { t, dir } = await placeOf(impl, row);
        let handle: FileHandle;
        try {
          handle = await openTemp(dir, t, row.temp_name, constants.O_WRONLY);
        } finally {
          await dir.close();
        }
        let onDisk = 0;
        try {
          onDisk = (await handle.stat()).size;
          if (onDisk !== offset) {
            source.resume(); // drain what the client sends; the answer tells it where to resume
            throw new ConflictError('MIG_E_UPLOAD_OFFSET', `The upload has ${onDisk} bytes; send the chunk that starts there (not at ${offset}).`, { details: { offset: onDisk, size: Number(row.size) } });
          }
          const writer = new PositionalWriter(handle, offset, Number(row.size), t.ctx, (n) => {
            onDisk += n;
          });
          try {
            await pipeline(source, writer);
          } catch (err) {
            if (err instanceof MigError && err.code === 'MIG_E_TOO_LARGE') {
              // Drop the whole chunk: the file goes back to where it started.
              await handle.truncate(offset);
              await t.ctx.release(onDisk - offset);
              onDisk = offset;
            }
            throw err;
          }
        } finally {
          await handle.close().catch(() => undefined);
          const at = now();
          await db.updateTable('upload_sessions').set({ received: onDisk, updated_at: at, expires_at: at + ttl }).where('id', '=', row.id).execute().catch(() => undefined);
        }
        return { ...stateOf(row, onDisk), expiresAt: new Date(now() + ttl) };
      } catch (err) {
        throw mapFsError(err, row.path);
      } finally {
        busy.delete(row.id);
      }
    },

    async complete(view, owner, id) {
      const impl = await implOf(view);
      const row = await rowOf(owner, id);
      if (busy.has(row.id)) throw new ConflictError('MIG_E_UPLOAD_OFFSET', 'A chunk of this upload is still being written.', { details: { offset: Number(row.received) } });
      busy.add(row.id);
      try {
        const { t, dir, name } = await placeOf(impl, row);
        const overwrite = Number(row.overwrite) === 1;
        try {
          const handle = await openTemp(dir, t, row.temp_name, constants.O_RDONLY);
          let old: Stats | null = null;
          try {
            const size = (await handle.stat()).size;
            if (size !== Number(row.size)) {
              throw new ConflictError('MIG_E_UPLOAD_OFFSET', `The upload has ${size} of ${Number(row.size)} bytes; send the rest first.`, { details: { offset: size, size: Number(row.size) } });
            }
            await handle.sync();
            try {
              old = await lstat(dir.child(name));
            } catch (err) {
              if (errnoOf(err) !== 'ENOENT') throw err;
            }
            if (old !== null && old.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
            if (old !== null && !overwrite) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
            await handle.chmod(old !== null && old.isFile() ? old.mode & 0o777 : 0o644);
          } finally {
            await handle.close();
          }
          if (overwrite) await rename(dir.child(row.temp_name), dir.child(name));
          else {
            await link(dir.child(row.temp_name), dir.child(name)); // never replaces
            await unlink(dir.child(row.temp_name));
          }
          if (old !== null && old.isFile()) await t.ctx.release(old.size);
          t.ctx.emit({ type: old === null ? 'created' : 'modified', path: RootContext.relPath(t.canonical), viewPath: t.viewPath });
        } catch (err) {
          throw mapFsError(err, t.viewPath);
        } finally {
          await dir.close();
        }
        await db.deleteFrom('upload_sessions').where('id', '=', row.id).execute();
        return t.viewPath;
      } finally {
        busy.delete(row.id);
      }
    },

    async abort(view, owner, id) {
      const impl = await implOf(view);
      const row = await rowOf(owner, id);
      try {
        await removeTemp(impl, row);
      } finally {
        await db.deleteFrom('upload_sessions').where('id', '=', row.id).execute();
      }
    },

    async sweep(views) {
      const expired = await db.selectFrom('upload_sessions').selectAll().where('expires_at', '<', now()).limit(10_000).execute();
      let removed = 0;
      for (const row of expired) {
        if (busy.has(row.id)) continue;
        const principal = principalOf(row.owner);
        if (principal !== null) {
          try {
            await removeTemp(await implOf(await views.viewFor(principal)), row);
          } catch {
            // The folder or the account may be gone; the row goes anyway.
          }
        }
        await db.deleteFrom('upload_sessions').where('id', '=', row.id).execute();
        removed += 1;
      }
      return removed;
    },
  };
}

