import { randomBytes } from 'node:crypto';
import { constants, unlinkSync, type Stats } from 'node:fs';
import { link, lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { ConflictError } from '../errors.js';
import { SAFE_FILE_FLAGS, verifyFdInside, type AnchoredDir } from './anchored-dir.js';
import { mapFsError } from './fs-error-map.js';
import { RootContext } from './root-context.js';
import { describePath, UPLOAD_TEMP_PREFIX } from './virtual-path.js';

/** How many bytes an upload writes between background flushes to disk. */
const FLUSH_EVERY_BYTES = 16 * 1024 * 1024;

/** The buffers `chunks` without their first `bytes` bytes (after a partial vectored write). */
function dropBytes(chunks: readonly Buffer[], bytes: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = bytes;
  for (const c of chunks) {
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    out.push(skip > 0 ? c.subarray(skip) : c);
    skip = 0;
  }
  return out;
}

/** A fresh temporary name for the layer's own in-progress entries. */
export function tempName(): string {
  return `${UPLOAD_TEMP_PREFIX}${randomBytes(12).toString('hex')}`;
}

/** Where an upload goes. Internal. */
export interface UploadPlan {
  readonly ctx: RootContext;
  /** The target's folder, opened and checked; the stream owns it from now on and closes it. */
  readonly dir: AnchoredDir;
  /** The target's name in `dir`. */
  readonly name: string;
  /** The target's canonical components below the root (for events). */
  readonly canonical: readonly string[];
  readonly viewPath: string;
  readonly overwrite: boolean;
}

/**
 * A whole-file upload: bytes go to a hidden temporary file next to the target, which replaces the
 * target only when the stream finishes without error (after `fsync`). Until then readers see the
 * old content. On error, `destroy()` or abort the temporary file is removed, its quota released,
 * and the old file is untouched. `'finish'` means the file is in place; `'close'` comes after all
 * clean-up. Quota is reserved chunk by chunk, so an upload that passes the limit fails with
 * `MIG_E_QUOTA_EXCEEDED` and leaves nothing behind.
 */
export class UploadStream extends Writable {
  private readonly plan: UploadPlan;
  private readonly temp: string;
  private handle: FileHandle | null;
  private tempExists = true;
  private position = 0;
  private reserved = 0;
  /** Bytes written since the last background flush started. */
  private unflushed = 0;
  /** The background `fdatasync` in flight, if any (see {@link FLUSH_EVERY_BYTES}). */
  private flushing: Promise<void> | null = null;
  private flushError: unknown = null;

  private constructor(plan: UploadPlan, temp: string, handle: FileHandle) {
    // A large buffer lets chunks that arrive while a write is in flight go to disk together (_writev).
    super({ highWaterMark: 1024 * 1024 });
    this.plan = plan;
    this.temp = temp;
    this.handle = handle;
  }

  /** Creates the temporary file and returns the stream; on failure closes `plan.dir`. */
  static async start(plan: UploadPlan): Promise<UploadStream> {
    const temp = tempName();
    let handle: FileHandle | undefined;
    try {
      handle = await open(plan.dir.child(temp), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | SAFE_FILE_FLAGS, 0o600);
      await verifyFdInside(handle.fd, await plan.ctx.rootReal(), plan.viewPath);
      return new UploadStream(plan, temp, handle);
    } catch (err) {
      if (handle !== undefined) {
        await handle.close().catch(() => undefined);
        await unlink(plan.dir.child(temp)).catch(() => undefined);
      }
      await plan.dir.close().catch(() => undefined);
      throw mapFsError(err, plan.viewPath);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeChunks([chunk]).then(
      () => callback(),
      (err: unknown) => callback(mapFsError(err, this.plan.viewPath)),
    );
  }

  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, callback: (error?: Error | null) => void): void {
    // One quota reservation and one vectored write for everything buffered, without copying it.
    this.writeChunks(chunks.map((c) => c.chunk)).then(
      () => callback(),
      (err: unknown) => callback(mapFsError(err, this.plan.viewPath)),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.commit().then(
      () => callback(),
      (err: unknown) => callback(mapFsError(err, this.plan.viewPath)),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Remove the temporary name at once (one quick unlink through the open folder), so that when
    // `destroy()` returns, or a pipeline rejects, no half-written file is visible any more; closing
    // and releasing the quota follow asynchronously, before 'close'.
    if (this.tempExists) {
      try {
        unlinkSync(this.plan.dir.child(this.temp));
      } catch {
        // already gone
      }
      this.tempExists = false;
    }
    this.cleanUp().then(
      () => callback(error),
      () => callback(error),
    );
  }

  private async writeChunks(chunks: Buffer[]): Promise<void> {
    const handle = this.handle;
    if (handle === null) throw new Error('upload already closed');
    let total = 0;
    for (const c of chunks) total += c.length;
    await this.plan.ctx.reserve(total);
    this.reserved += total;
    let pending = chunks;
    let left = total;
    while (left > 0) {
      const { bytesWritten } = await handle.writev(pending, this.position);
      this.position += bytesWritten;
      left -= bytesWritten;
      if (left > 0) pending = dropBytes(pending, bytesWritten);
    }
    this.unflushed += total;
    if (this.unflushed >= FLUSH_EVERY_BYTES && this.flushing === null) this.startFlush(handle);
  }

  /**
   * Starts an `fdatasync` of what is written so far, without waiting for it: the disk works while
   * more bytes arrive, so the `fsync` before the rename has little left to do.
   */
  private startFlush(handle: FileHandle): void {
    this.unflushed = 0;
    this.flushing = handle.datasync().then(
      () => {
        this.flushing = null;
      },
      (err: unknown) => {
        this.flushError ??= err;
        this.flushing = null;
      },
    );
  }

  /** Waits for a background flush; rethrows its failure. */
  private async settleFlush(): Promise<void> {
    if (this.flushing !== null) await this.flushing;
    if (this.flushError !== null) throw this.flushError;
  }

  private async commit(): Promise<void> {
    const { dir, name, overwrite, ctx } = this.plan;
    const handle = this.handle;
    if (handle === null) throw new Error('upload already closed');
    await this.settleFlush();
    await handle.sync();
    let old: Stats | null = null;
    try {
      old = await lstat(dir.child(name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (old !== null && old.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (old !== null && !overwrite) throw exists(this.plan.viewPath);
    // Keep an overwritten file's permissions (an executable stays executable).
    await handle.chmod(old !== null && old.isFile() ? old.mode & 0o777 : 0o644);
    this.handle = null;
    await handle.close();
    if (overwrite) {
      await rename(dir.child(this.temp), dir.child(name));
      this.tempExists = false;
    } else {
      // link() fails if the name appeared meanwhile: an atomic "create, never replace".
      try {
        await link(dir.child(this.temp), dir.child(name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists(this.plan.viewPath);
        throw err;
      }
      this.reserved = 0; // the bytes now belong to the target
      await unlink(dir.child(this.temp));
      this.tempExists = false;
    }
    this.reserved = 0;
    if (old !== null && old.isFile()) await ctx.release(old.size);
    ctx.emit({ type: old === null ? 'created' : 'modified', path: RootContext.relPath(this.plan.canonical), viewPath: this.plan.viewPath });
  }

  private async cleanUp(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    // Never close the descriptor under a flush still running on it.
    if (this.flushing !== null) await this.flushing;
    if (handle !== null) await handle.close().catch(() => undefined);
    if (this.tempExists) {
      await unlink(this.plan.dir.child(this.temp)).catch(() => undefined);
      this.tempExists = false;
    }
    if (this.reserved > 0) {
      const bytes = this.reserved;
      this.reserved = 0;
      await this.plan.ctx.release(bytes);
    }
    await this.plan.dir.close().catch(() => undefined);
  }
}

function exists(viewPath: string): ConflictError {
  return new ConflictError('MIG_E_PATH_EXISTS', `${describePath(viewPath)} already exists; allow overwriting or choose another name.`);
}
