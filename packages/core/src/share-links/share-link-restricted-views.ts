/**
 * The two share-link views that the file view's root access alone cannot express: the write-only
 * drop box and the single-file link. Both wrap a view of the link's folder and only narrow it.
 * @packageDocumentation
 */
import type { Readable, Writable } from 'node:stream';
import { ConflictError, FileAccessError, NotFoundError } from '../errors.js';
import type { FileInfo } from '../fs/file-info.js';
import type { FileView, OpenFlags, ReadRange, ReadStreamOptions, SpaceInfo, ViewRootInfo } from '../fs/file-view.js';
import type { QuotaUsage } from '../fs/quota-policy.js';
import type { FileHandleLike } from '../fs/view-file-handle.js';
import { DEFAULT_MAX_NAME_BYTES, DEFAULT_MAX_PATH_BYTES, formatVirtualPath, parseVirtualPath, type PathRules } from '../fs/virtual-path.js';

/** Path rules for the wrappers' own parsing: only the shape matters (the inner view checks names). */
const SHAPE_RULES: PathRules = { maxNameBytes: DEFAULT_MAX_NAME_BYTES, maxPathBytes: DEFAULT_MAX_PATH_BYTES, hiddenNames: new Set<string>() };

function canonical(path: string): string {
  return formatVirtualPath(parseVirtualPath(path, SHAPE_RULES));
}

function denied(what: string): FileAccessError {
  return new FileAccessError('MIG_E_PERMISSION_DENIED', what);
}

/** Forwards everything to `inner`; subclasses narrow. */
abstract class NarrowedView implements FileView {
  protected readonly inner: FileView;
  constructor(inner: FileView) {
    this.inner = inner;
  }
  get roots(): readonly ViewRootInfo[] {
    return this.inner.roots;
  }
  stat(path: string): Promise<FileInfo> {
    return this.inner.stat(path);
  }
  lstat(path: string): Promise<FileInfo> {
    return this.inner.lstat(path);
  }
  list(path: string): Promise<FileInfo[]> {
    return this.inner.list(path);
  }
  createReadStream(path: string, range?: ReadRange, options?: ReadStreamOptions): Promise<Readable> {
    return this.inner.createReadStream(path, range, options);
  }
  createWriteStream(path: string, options?: { overwrite?: boolean }): Promise<Writable> {
    return this.inner.createWriteStream(path, options);
  }
  open(path: string, flags: OpenFlags): Promise<FileHandleLike> {
    return this.inner.open(path, flags);
  }
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    return this.inner.mkdir(path, options);
  }
  rename(from: string, to: string, options?: { overwrite?: boolean }): Promise<void> {
    return this.inner.rename(from, to, options);
  }
  copy(from: string, to: string, options?: { overwrite?: boolean; recursive?: boolean }): Promise<void> {
    return this.inner.copy(from, to, options);
  }
  remove(path: string, options?: { recursive?: boolean }): Promise<void> {
    return this.inner.remove(path, options);
  }
  symlink(target: string, path: string): Promise<void> {
    return this.inner.symlink(target, path);
  }
  readlink(path: string): Promise<string> {
    return this.inner.readlink(path);
  }
  setTimes(path: string, atime: Date | number, mtime: Date | number): Promise<void> {
    return this.inner.setTimes(path, atime, mtime);
  }
  chmod(path: string, mode: number): Promise<void> {
    return this.inner.chmod(path, mode);
  }
  realpath(path: string): Promise<string> {
    return this.inner.realpath(path);
  }
  usage(rootId: string): Promise<QuotaUsage> {
    return this.inner.usage(rootId);
  }
  statfs(path: string): Promise<SpaceInfo> {
    return this.inner.statfs(path);
  }
}

/**
 * A write-only "drop box": uploads and new folders, nothing else to see.
 *
 * `inner` must allow write and list (list only so that metadata of this session's own uploads can
 * be read; listings themselves are refused here) and must not allow read. What a holder can do:
 * - create files (`createWriteStream`, `open` with `w`/`wx`/`a`/`ax` without `+`) and folders;
 *   an entry that existed before this session is never replaced or appended to
 *   (`MIG_E_PATH_EXISTS`), so a drop box cannot destroy what is already there;
 * - stat `/` and what this session created (clients stat an upload to confirm it); any other
 *   name answers `MIG_E_PATH_NOT_FOUND`, whether it exists or not (no listing by guessing);
 * - rename, remove, set times and modes of what this session created;
 * - `realpath` works lexically (it must not reveal symlinks or existence).
 * Refused (`MIG_E_PERMISSION_DENIED`): list, read, readlink, copy, symlink.
 */
export class DropBoxView extends NarrowedView {
  /** Canonical paths this session created (a created folder covers what lies below it). */
  private readonly own = new Set<string>();

  private isOwn(path: string): boolean {
    if (this.own.has(path)) return true;
    for (const p of this.own) if (path.startsWith(`${p}/`)) return true;
    return false;
  }

  private hidden(path: string): NotFoundError {
    return new NotFoundError('MIG_E_PATH_NOT_FOUND', `${path} is not visible in an upload-only share.`);
  }

  private requireOwn(path: string, what: string): string {
    const p = canonical(path);
    if (!this.isOwn(p)) throw denied(`An upload-only share can ${what} only what you uploaded in this session.`);
    return p;
  }

  override async stat(path: string): Promise<FileInfo> {
    const p = canonical(path);
    if (p !== '/' && !this.isOwn(p)) throw this.hidden(p);
    return this.inner.stat(p);
  }

  override async lstat(path: string): Promise<FileInfo> {
    const p = canonical(path);
    if (p !== '/' && !this.isOwn(p)) throw this.hidden(p);
    return this.inner.lstat(p);
  }

  override list(): Promise<FileInfo[]> {
    return Promise.reject(denied('This share is upload-only: its contents cannot be listed.'));
  }

  override createReadStream(): Promise<Readable> {
    return Promise.reject(denied('This share is upload-only: files cannot be read.'));
  }

  override readlink(): Promise<string> {
    return Promise.reject(denied('This share is upload-only: links cannot be read.'));
  }

  override copy(): Promise<void> {
    return Promise.reject(denied('This share is upload-only: files cannot be copied.'));
  }

  override symlink(): Promise<void> {
    return Promise.reject(denied('This share is upload-only: links cannot be made.'));
  }

  override async realpath(path: string): Promise<string> {
    return canonical(path);
  }

  override async createWriteStream(path: string, options?: { overwrite?: boolean }): Promise<Writable> {
    const p = canonical(path);
    const overwrite = options?.overwrite === true && this.isOwn(p);
    const out = await this.inner.createWriteStream(p, { overwrite });
    // Counted as ours from the start: a client may stat its upload before the stream finished.
    this.own.add(p);
    return out;
  }

  override async open(path: string, flags: OpenFlags): Promise<FileHandleLike> {
    const p = canonical(path);
    if (flags === 'r' || flags.endsWith('+')) throw denied('This share is upload-only: files cannot be read.');
    let effective: OpenFlags = flags;
    if (!this.isOwn(p)) {
      // Never replace or extend what was there before this session.
      if (flags === 'w') effective = 'wx';
      else if (flags === 'a') effective = 'ax';
    }
    let handle: FileHandleLike;
    try {
      handle = await this.inner.open(p, effective);
    } catch (err) {
      if (err instanceof ConflictError && err.code === 'MIG_E_PATH_EXISTS' && effective !== flags) {
        throw new ConflictError('MIG_E_PATH_EXISTS', `${p} already exists; an upload-only share does not replace files. Upload under another name.`, { cause: err });
      }
      throw err;
    }
    this.own.add(p);
    return handle;
  }

  override async mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    const p = canonical(path);
    await this.inner.mkdir(p, options);
    this.own.add(p);
  }

  override async rename(from: string, to: string): Promise<void> {
    const src = this.requireOwn(from, 'rename');
    const dst = canonical(to);
    // Without overwrite: a rename never replaces something this session did not make.
    await this.inner.rename(src, dst, { overwrite: false });
    for (const p of [...this.own]) {
      if (p === src) this.own.delete(p);
      else if (p.startsWith(`${src}/`)) {
        this.own.delete(p);
        this.own.add(dst + p.slice(src.length));
      }
    }
    this.own.add(dst);
  }

  override async remove(path: string, options?: { recursive?: boolean }): Promise<void> {
    const p = this.requireOwn(path, 'remove');
    await this.inner.remove(p, options);
    for (const q of [...this.own]) if (q === p || q.startsWith(`${p}/`)) this.own.delete(q);
  }

  override setTimes(path: string, atime: Date | number, mtime: Date | number): Promise<void> {
    return this.inner.setTimes(this.requireOwn(path, 'change'), atime, mtime);
  }

  override chmod(path: string, mode: number): Promise<void> {
    return this.inner.chmod(this.requireOwn(path, 'change'), mode);
  }
}

/**
 * A single-file link: `/` is a folder holding exactly one entry, the shared file, read-only.
 * Protocols can serve that (a client logs in to a folder, lists it, downloads the file), which a
 * root that is itself a file could not give them.
 *
 * `inner` is a read-only view of the file's folder; every other name in it answers
 * `MIG_E_PATH_NOT_FOUND`, and the shared name must still be a regular file (not a symlink that
 * the owner might later point at a sibling).
 */
export class SingleFileView extends NarrowedView {
  private readonly name: string;
  private readonly path: string;

  constructor(inner: FileView, name: string) {
    super(inner);
    this.name = name;
    this.path = `/${name}`;
  }

  private notFound(p: string): NotFoundError {
    return new NotFoundError('MIG_E_PATH_NOT_FOUND', `${p} does not exist; this share holds only ${this.name}.`);
  }

  /** The canonical path if it is the shared file (checked to be a regular file now). */
  private async theFile(path: string): Promise<string> {
    const p = canonical(path);
    if (p !== this.path) throw this.notFound(p);
    const info = await this.inner.lstat(p);
    if (info.type !== 'file') throw this.notFound(p);
    return p;
  }

  override async stat(path: string): Promise<FileInfo> {
    const p = canonical(path);
    if (p === '/') return this.inner.stat('/');
    return this.inner.stat(await this.theFile(p));
  }

  override lstat(path: string): Promise<FileInfo> {
    return this.stat(path);
  }

  override async list(path: string): Promise<FileInfo[]> {
    const p = canonical(path);
    if (p === this.path) throw new ConflictError('MIG_E_NOT_A_DIRECTORY', `${p} is a file, not a folder.`);
    if (p !== '/') throw this.notFound(p);
    try {
      return [await this.stat(this.path)];
    } catch (err) {
      if (err instanceof NotFoundError) return [];
      throw err;
    }
  }

  override async createReadStream(path: string, range?: ReadRange, options?: ReadStreamOptions): Promise<Readable> {
    return this.inner.createReadStream(await this.theFile(path), range, options);
  }

  override async open(path: string, flags: OpenFlags): Promise<FileHandleLike> {
    if (flags !== 'r') throw denied('This share is read-only.');
    return this.inner.open(await this.theFile(path), 'r');
  }

  override async realpath(path: string): Promise<string> {
    const p = canonical(path);
    if (p === '/' || p === this.path) return p;
    throw this.notFound(p);
  }

  override readlink(path: string): Promise<string> {
    return Promise.reject(this.notFound(canonical(path)));
  }

  override async statfs(path: string): Promise<SpaceInfo> {
    const p = canonical(path);
    if (p !== '/' && p !== this.path) throw this.notFound(p);
    return this.inner.statfs('/');
  }

  private readOnly(): Promise<never> {
    return Promise.reject(denied('This share is read-only.'));
  }
  override createWriteStream(): Promise<Writable> {
    return this.readOnly();
  }
  override mkdir(): Promise<void> {
    return this.readOnly();
  }
  override rename(): Promise<void> {
    return this.readOnly();
  }
  override copy(): Promise<void> {
    return this.readOnly();
  }
  override remove(): Promise<void> {
    return this.readOnly();
  }
  override symlink(): Promise<void> {
    return this.readOnly();
  }
  override setTimes(): Promise<void> {
    return this.readOnly();
  }
  override chmod(): Promise<void> {
    return this.readOnly();
  }
}
