import type { FileHandle } from 'node:fs/promises';
import { FileAccessError, InvalidInputError } from '../errors.js';
import { toFileInfo, type FileInfo } from './file-info.js';
import { mapFsError } from './fs-error-map.js';
import { RootContext } from './root-context.js';
import { describePath } from './virtual-path.js';

/**
 * An open file for positional I/O (SFTP, FTP REST/APPE), returned by `FileView.open`. Writes go
 * straight to the file (not through a temporary name; that is what `createWriteStream` is for), and
 * each write first reserves the bytes by which it grows the file in the root's quota.
 */
export interface FileHandleLike {
  /** Reads up to `length` bytes into `buffer[offset…]` from `position` (`null`: the current position). */
  read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  /** Writes all of `buffer` at `position` (`null` or omitted: the current position; ignored in append mode). */
  write(buffer: Uint8Array, position?: number | null): Promise<{ bytesWritten: number }>;
  /** The file's metadata now. */
  stat(): Promise<FileInfo>;
  /** Cuts or extends the file to `length` bytes. */
  truncate(length: number): Promise<void>;
  /** Closes the handle (idempotent) and reports the change, if any. */
  close(): Promise<void>;
}

/** How a handle was opened. Internal. */
export interface HandleMode {
  readonly readable: boolean;
  readonly writable: boolean;
  readonly append: boolean;
  /** The file did not exist before this open. */
  readonly created: boolean;
}

function isOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The implementation of {@link FileHandleLike} over a checked node file handle. Internal. */
export class ViewFileHandle implements FileHandleLike {
  private handle: FileHandle | null;
  private readonly ctx: RootContext;
  private readonly viewPath: string;
  private readonly name: string;
  private readonly canonical: readonly string[];
  private readonly mode: HandleMode;
  /** The size our quota reservations account for. */
  private size: number;
  /** The kernel's file position (moved only by reads and writes without a position). */
  private cursor = 0;
  private changed = false;

  constructor(handle: FileHandle, ctx: RootContext, viewPath: string, name: string, canonical: readonly string[], mode: HandleMode, size: number) {
    this.handle = handle;
    this.ctx = ctx;
    this.viewPath = viewPath;
    this.name = name;
    this.canonical = canonical;
    this.mode = mode;
    this.size = size;
  }

  private open(): FileHandle {
    if (this.handle === null) throw new InvalidInputError(`The file ${describePath(this.viewPath)} is already closed; open it again.`);
    return this.handle;
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }> {
    const handle = this.open();
    if (!this.mode.readable) throw new FileAccessError('MIG_E_PERMISSION_DENIED', `The file ${describePath(this.viewPath)} was not opened for reading.`);
    if (!(buffer instanceof Uint8Array) || !isOffset(offset) || !isOffset(length) || offset + length > buffer.byteLength || (position !== null && !isOffset(position))) {
      throw new InvalidInputError('Invalid read: buffer must be a Uint8Array, offset and length non-negative integers within it, position null or a non-negative integer.');
    }
    try {
      const { bytesRead } = await handle.read(buffer, offset, length, position);
      if (position === null) this.cursor += bytesRead;
      return { bytesRead };
    } catch (err) {
      throw mapFsError(err, this.viewPath);
    }
  }

  async write(buffer: Uint8Array, position: number | null = null): Promise<{ bytesWritten: number }> {
    const handle = this.open();
    if (!this.mode.writable) throw new FileAccessError('MIG_E_PERMISSION_DENIED', `The file ${describePath(this.viewPath)} was not opened for writing.`);
    if (!(buffer instanceof Uint8Array) || (position !== null && !isOffset(position))) {
      throw new InvalidInputError('Invalid write: buffer must be a Uint8Array and position null or a non-negative integer.');
    }
    const start = this.mode.append ? this.size : (position ?? this.cursor);
    const end = start + buffer.byteLength;
    const growth = Math.max(0, end - this.size);
    try {
      await this.ctx.reserve(growth);
      this.size += growth;
      let done = 0;
      while (done < buffer.byteLength) {
        const at = this.mode.append || position === null ? null : position + done;
        const { bytesWritten } = await handle.write(buffer, done, buffer.byteLength - done, at);
        done += bytesWritten;
      }
      if (position === null && !this.mode.append) this.cursor += done;
      this.changed = true;
      return { bytesWritten: done };
    } catch (err) {
      throw mapFsError(err, this.viewPath);
    }
  }

  async stat(): Promise<FileInfo> {
    const handle = this.open();
    try {
      return toFileInfo(this.name, await handle.stat());
    } catch (err) {
      throw mapFsError(err, this.viewPath);
    }
  }

  async truncate(length: number): Promise<void> {
    const handle = this.open();
    if (!this.mode.writable) throw new FileAccessError('MIG_E_PERMISSION_DENIED', `The file ${describePath(this.viewPath)} was not opened for writing.`);
    if (!isOffset(length)) throw new InvalidInputError('Invalid truncate: length must be a non-negative integer.');
    try {
      if (length > this.size) await this.ctx.reserve(length - this.size);
      await handle.truncate(length);
      if (length < this.size) await this.ctx.release(this.size - length);
      this.size = length;
      this.changed = true;
    } catch (err) {
      throw mapFsError(err, this.viewPath);
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    if (handle === null) return;
    this.handle = null;
    try {
      if (this.changed) {
        // Settle the books with the real size: a failed write may have reserved more than it wrote.
        const actual = (await handle.stat()).size;
        if (actual < this.size) await this.ctx.release(this.size - actual);
      }
      await handle.close();
    } catch (err) {
      throw mapFsError(err, this.viewPath);
    }
    if (this.changed || this.mode.created) {
      this.ctx.emit({ type: this.mode.created ? 'created' : 'modified', path: RootContext.relPath(this.canonical), viewPath: this.viewPath });
    }
  }
}
