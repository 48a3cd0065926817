import { Readable, Writable } from 'node:stream';
import { FileAccessError, MigError } from '../errors.js';
import { createDirectoryQuota } from './directory-quota.js';
import type { FileInfo } from './file-info.js';
import type { FileView, OpenFlags, ReadRange, ReadStreamOptions, SpaceInfo, ViewRootInfo } from './file-view.js';
import { FileViewImpl } from './file-view-impl.js';
import { MountTable, type MountedRoot } from './mount-table.js';
import type { QuotaPolicy, QuotaUsage } from './quota-policy.js';
import { checkViewSpec, type CheckedRoot, type ViewSpec } from './view-spec.js';
import type { FileHandleLike } from './view-file-handle.js';
import { describePath, parseVirtualPath, type PathRules } from './virtual-path.js';

/**
 * Where a live view gets its spec from. See {@link createLiveFileView}.
 *
 * @example
 * ```ts
 * const source: LiveViewSource = {
 *   generation: () => site.vgrids.changeGeneration(userId),
 *   load: async () => ({ roots: [home, ...(await vgridRootsOf(userId))], quota }),
 * };
 * ```
 */
export interface LiveViewSource {
  /**
   * A short token that changes whenever what {@link LiveViewSource.load} returns may have changed
   * (e.g. a counter in the database). Awaited before every operation of the view, so it must be
   * cheap. A rejection fails the operation (fail closed).
   */
  generation(): Promise<string>;
  /**
   * The view's current spec. Called once at creation and again when the generation changed.
   * It may throw a `MigError` (say `MIG_E_SHARE_LINK_REVOKED`), which then becomes the error of
   * the operation; a spec with no roots is an empty view where everything is
   * `MIG_E_PERMISSION_DENIED`. Pass the same `quota` object every time (one count across reloads;
   * when none is given, the live view keeps one {@link createDirectoryQuota} for all its reloads).
   */
  load(): Promise<ViewSpec>;
}

/** What a handle operation needs on its root. `meta`: read or list. */
type Need = 'read' | 'write' | 'meta';

/** One loaded generation of a live view. */
interface LiveState {
  readonly generation: string;
  /** Order of the loads (a later load never gets replaced by an earlier one that finished late). */
  readonly seq: number;
  /** `null`: the view has no roots (everything is refused). */
  readonly view: FileViewImpl | null;
  readonly byId: ReadonlyMap<string, CheckedRoot>;
  readonly mounts: MountTable<CheckedRoot>;
  readonly rules: PathRules | null;
}

function startsWith(parts: readonly string[], prefix: readonly string[]): boolean {
  if (prefix.length > parts.length) return false;
  for (let i = 0; i < prefix.length; i += 1) if (parts[i] !== prefix[i]) return false;
  return true;
}

/** A load or generation failure as the error of the operation: MigErrors as they are, others wrapped. */
function failClosed(err: unknown): MigError {
  if (err instanceof MigError) return err;
  return new MigError('MIG_E_INTERNAL', 'Your access to these files could not be checked right now, so nothing was done; try again in a moment.', { cause: err });
}

function emptyError(): FileAccessError {
  return new FileAccessError('MIG_E_PERMISSION_DENIED', 'Nothing is shared with you here any more.');
}

/** Whether `access` allows `need`. */
function allows(root: CheckedRoot, need: Need): boolean {
  const { access } = root;
  return need === 'meta' ? access.read || access.list : access[need];
}

/**
 * A {@link FileView} whose roots follow a {@link LiveViewSource}: before every operation it awaits
 * `generation()`; when that differs from the generation the current spec was loaded at, it calls
 * `load()` (once, however many operations are waiting) and serves the operation, and all later
 * ones, from a view made of the new spec. Handles and streams opened earlier check their root
 * again before each read or write. Internal: made by {@link createLiveFileView}.
 */
class LiveFileView implements FileView {
  private readonly source: LiveViewSource;
  private readonly fallbackQuota: QuotaPolicy;
  private state: LiveState;
  private pending: { readonly generation: string; readonly promise: Promise<LiveState> } | null = null;
  private seq = 0;
  /** Mount points of earlier generations that are gone now (to explain "not found" as lost access). */
  private readonly gone = new Map<string, readonly string[]>();

  private constructor(source: LiveViewSource, fallbackQuota: QuotaPolicy, state: LiveState) {
    this.source = source;
    this.fallbackQuota = fallbackQuota;
    this.state = state;
    this.seq = state.seq;
  }

  /** Reads the generation, loads the first spec. */
  static async create(source: LiveViewSource): Promise<LiveFileView> {
    const quota = createDirectoryQuota();
    const generation = await LiveFileView.generationOf(source);
    const state = LiveFileView.build(generation, 0, await LiveFileView.loadFrom(source), quota);
    return new LiveFileView(source, quota, state);
  }

  private static async generationOf(source: LiveViewSource): Promise<string> {
    let generation: unknown;
    try {
      generation = await source.generation();
    } catch (err) {
      throw failClosed(err);
    }
    if (typeof generation !== 'string') throw failClosed(new TypeError('generation() must resolve to a string'));
    return generation;
  }

  private static async loadFrom(source: LiveViewSource): Promise<ViewSpec> {
    try {
      return await source.load();
    } catch (err) {
      throw failClosed(err);
    }
  }

  private static build(generation: string, seq: number, input: ViewSpec, fallbackQuota: QuotaPolicy): LiveState {
    try {
      if (typeof input === 'object' && input !== null && Array.isArray(input.roots) && input.roots.length === 0) {
        return { generation, seq, view: null, byId: new Map(), mounts: new MountTable<CheckedRoot>([]), rules: null };
      }
      const spec: ViewSpec = { ...input, quota: input.quota ?? fallbackQuota };
      const checked = checkViewSpec(spec);
      // The view reuses the checked spec: a view of thousands of roots (a user in many VGrids) is
      // checked once per reload, not twice.
      const view = new FileViewImpl(spec, checked);
      return {
        generation,
        seq,
        view,
        byId: new Map(checked.roots.map((r) => [r.id, r])),
        mounts: new MountTable<CheckedRoot>(checked.roots.map((r): MountedRoot<CheckedRoot> => ({ root: r, mountParts: r.mountParts }))),
        rules: checked.rules,
      };
    } catch (err) {
      throw failClosed(err);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Generations

  /** The state to serve an operation from: one awaited `generation()` and a compare when nothing changed. */
  private async current(): Promise<LiveState> {
    let generation: unknown;
    try {
      generation = await this.source.generation();
    } catch (err) {
      throw failClosed(err);
    }
    const state = this.state;
    if (generation === state.generation) return state;
    if (typeof generation !== 'string') throw failClosed(new TypeError('generation() must resolve to a string'));
    return this.reload(generation);
  }

  /** Loads the spec of `generation`, sharing a load already running for it. */
  private reload(generation: string): Promise<LiveState> {
    const pending = this.pending;
    if (pending !== null && pending.generation === generation) return pending.promise;
    this.seq += 1;
    const seq = this.seq;
    const promise = this.loadState(generation, seq);
    const entry = { generation, promise };
    this.pending = entry;
    const clear = (): void => {
      if (this.pending === entry) this.pending = null;
    };
    promise.then(clear, clear);
    return promise;
  }

  private async loadState(generation: string, seq: number): Promise<LiveState> {
    const spec = await LiveFileView.loadFrom(this.source);
    const next = LiveFileView.build(generation, seq, spec, this.fallbackQuota);
    if (next.seq > this.state.seq) this.install(next);
    return next;
  }

  private install(next: LiveState): void {
    for (const mount of this.state.mounts.mounts) {
      if (mount.mountParts.length > 0) this.gone.set(mount.root.mountPath, mount.mountParts);
    }
    for (const mount of next.mounts.mounts) this.gone.delete(mount.root.mountPath);
    this.state = next;
  }

  /**
   * Turns "not found" on a path below a mount point that an earlier generation had (and this one
   * does not) into `MIG_E_PERMISSION_DENIED`: the folder is gone because access ended.
   */
  private explain(err: unknown, state: LiveState, paths: readonly unknown[]): unknown {
    if (!(err instanceof MigError) || err.code !== 'MIG_E_PATH_NOT_FOUND' || state.rules === null) return err;
    for (const path of paths) {
      let parts: string[];
      try {
        parts = parseVirtualPath(path, state.rules);
      } catch {
        continue;
      }
      for (const [mountPath, mountParts] of this.gone) {
        if (!startsWith(parts, mountParts)) continue;
        const now = state.mounts.lookup(parts);
        if (now.kind === 'root' && now.mount.mountParts.length >= mountParts.length) continue;
        return new FileAccessError('MIG_E_PERMISSION_DENIED', `You no longer have access to ${mountPath}; it was removed from your files.`, { cause: err });
      }
    }
    return err;
  }

  /** Runs `op` on the current generation's view. */
  private async run<T>(paths: readonly unknown[], op: (view: FileViewImpl) => Promise<T>): Promise<T> {
    const state = await this.current();
    if (state.view === null) throw emptyError();
    if (this.gone.size === 0) return op(state.view);
    try {
      return await op(state.view);
    } catch (err) {
      throw this.explain(err, state, paths);
    }
  }

  /** Opens something that outlives the call (a handle or stream) and returns it with its root. */
  private async opened<T>(path: string, op: (view: FileViewImpl) => Promise<T>, close: (thing: T) => Promise<unknown> | undefined): Promise<{ thing: T; root: CheckedRoot }> {
    const state = await this.current();
    if (state.view === null) throw emptyError();
    let thing: T;
    try {
      thing = await op(state.view);
    } catch (err) {
      throw this.gone.size === 0 ? err : this.explain(err, state, [path]);
    }
    const found = state.mounts.lookup(parseVirtualPath(path, state.rules as PathRules));
    if (found.kind !== 'root') {
      await Promise.resolve(close(thing)).catch(() => undefined);
      throw new FileAccessError('MIG_E_PERMISSION_DENIED', `${describePath(path)} is not in a folder of this view.`);
    }
    return { thing, root: found.mount.root };
  }

  /**
   * Checks, for a handle or stream opened on `root`, that the current generation still has that
   * root (same id, same host folder) with an access that allows `need`.
   */
  async recheck(root: CheckedRoot, need: Need, viewPath: string): Promise<void> {
    const state = await this.current();
    const now = state.byId.get(root.id);
    if (now === undefined || now.hostPath !== root.hostPath) {
      throw new FileAccessError('MIG_E_PERMISSION_DENIED', `You no longer have access to ${describePath(viewPath)}: the folder ${root.mountPath} was removed from your files.`);
    }
    if (!allows(now, need)) {
      const what = { read: 'read', write: 'change', meta: 'look at' }[need];
      throw new FileAccessError('MIG_E_PERMISSION_DENIED', `You may no longer ${what} ${describePath(viewPath)} (the folder ${now.mountPath} does not allow it any more).`);
    }
  }

  /** Internal: the view serving operations now (after the generation check). */
  async currentImpl(): Promise<FileViewImpl> {
    const state = await this.current();
    if (state.view === null) throw emptyError();
    return state.view;
  }

  /** Internal: the view of the last loaded generation, without a check (`null` when empty). */
  lastImpl(): FileViewImpl | null {
    return this.state.view;
  }

  // ---------------------------------------------------------------------------------------------
  // FileView

  get roots(): readonly ViewRootInfo[] {
    return this.state.view?.roots ?? [];
  }

  stat(path: string): Promise<FileInfo> {
    return this.run([path], (v) => v.stat(path));
  }

  lstat(path: string): Promise<FileInfo> {
    return this.run([path], (v) => v.lstat(path));
  }

  list(path: string): Promise<FileInfo[]> {
    return this.run([path], (v) => v.list(path));
  }

  async createReadStream(path: string, range?: ReadRange, options?: ReadStreamOptions): Promise<Readable> {
    const { thing, root } = await this.opened(
      path,
      (v) => v.createReadStream(path, range, options),
      (s) => {
        s.destroy();
        return undefined;
      },
    );
    return gatedReadable(thing, () => this.recheck(root, 'read', path));
  }

  async createWriteStream(path: string, options?: { overwrite?: boolean }): Promise<Writable> {
    const { thing, root } = await this.opened(
      path,
      (v) => v.createWriteStream(path, options),
      (s) => {
        s.destroy();
        return undefined;
      },
    );
    return new GatedWritable(thing, () => this.recheck(root, 'write', path));
  }

  async open(path: string, flags: OpenFlags): Promise<FileHandleLike> {
    const { thing, root } = await this.opened(
      path,
      (v) => v.open(path, flags),
      (h) => h.close(),
    );
    return new LiveFileHandle(thing, (need) => this.recheck(root, need, path));
  }

  mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    return this.run([path], (v) => v.mkdir(path, options));
  }

  rename(from: string, to: string, options?: { overwrite?: boolean }): Promise<void> {
    return this.run([from, to], (v) => v.rename(from, to, options));
  }

  copy(from: string, to: string, options?: { overwrite?: boolean; recursive?: boolean }): Promise<void> {
    return this.run([from, to], (v) => v.copy(from, to, options));
  }

  remove(path: string, options?: { recursive?: boolean }): Promise<void> {
    return this.run([path], (v) => v.remove(path, options));
  }

  symlink(target: string, path: string): Promise<void> {
    return this.run([path], (v) => v.symlink(target, path));
  }

  readlink(path: string): Promise<string> {
    return this.run([path], (v) => v.readlink(path));
  }

  setTimes(path: string, atime: Date | number, mtime: Date | number): Promise<void> {
    return this.run([path], (v) => v.setTimes(path, atime, mtime));
  }

  chmod(path: string, mode: number): Promise<void> {
    return this.run([path], (v) => v.chmod(path, mode));
  }

  realpath(path: string): Promise<string> {
    return this.run([path], (v) => v.realpath(path));
  }

  usage(rootId: string): Promise<QuotaUsage> {
    return this.run([], (v) => v.usage(rootId));
  }

  statfs(path: string): Promise<SpaceInfo> {
    return this.run([path], (v) => v.statfs(path));
  }
}

/** A positional handle that checks its root again before every read, write, stat and truncate. */
class LiveFileHandle implements FileHandleLike {
  private readonly inner: FileHandleLike;
  private readonly check: (need: Need) => Promise<void>;

  constructor(inner: FileHandleLike, check: (need: Need) => Promise<void>) {
    this.inner = inner;
    this.check = check;
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }> {
    await this.check('read');
    return this.inner.read(buffer, offset, length, position);
  }

  async write(buffer: Uint8Array, position?: number | null): Promise<{ bytesWritten: number }> {
    await this.check('write');
    return this.inner.write(buffer, position);
  }

  async stat(): Promise<FileInfo> {
    await this.check('meta');
    return this.inner.stat();
  }

  async truncate(length: number): Promise<void> {
    await this.check('write');
    return this.inner.truncate(length);
  }

  /** Never refused: closing only gives resources back (and settles the quota). */
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * A stream of `inner`'s bytes that checks before each chunk. Lazy like a file stream: nothing is
 * read (so no error can be emitted) before the consumer starts reading.
 */
function gatedReadable(inner: Readable, check: () => Promise<void>): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const chunk of inner) {
      await check();
      yield chunk as Buffer;
    }
  }
  const out = Readable.from(chunks(), { objectMode: false, highWaterMark: inner.readableHighWaterMark });
  // Destroyed before it was read (the generator never ran): the file must be closed all the same.
  out.once('close', () => inner.destroy());
  return out;
}

/**
 * A write stream that checks before each batch of chunks and before finishing (an upload whose
 * root went away is never put in place). Errors, `finish` (the file is in place) and `close`
 * (clean-up done) follow `inner`'s.
 */
class GatedWritable extends Writable {
  private readonly inner: Writable;
  private readonly check: () => Promise<void>;

  constructor(inner: Writable, check: () => Promise<void>) {
    super({ highWaterMark: inner.writableHighWaterMark });
    this.inner = inner;
    this.check = check;
    inner.on('error', (err: Error) => this.destroy(err));
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk, encoding }], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, callback: (error?: Error | null) => void): void {
    this.check().then(
      () => {
        const inner = this.inner;
        inner.cork();
        const last = chunks.length - 1;
        for (let i = 0; i < last; i += 1) inner.write((chunks[i] as { chunk: Buffer }).chunk);
        inner.write((chunks[last] as { chunk: Buffer }).chunk, (err) => callback(err ?? null));
        inner.uncork();
      },
      (err: unknown) => callback(err as Error),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.check().then(
      () => {
        this.inner.end((err?: Error | null) => callback(err ?? null));
      },
      (err: unknown) => callback(err as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const inner = this.inner;
    if (inner.closed) {
      callback(error);
      return;
    }
    inner.once('close', () => callback(error));
    inner.destroy(error ?? undefined);
  }
}

/**
 * Creates a live {@link FileView}: it reads `source.generation()` and loads the first spec now
 * (so a revoked share link or a failing store is an error here already), then, before every
 * operation, awaits `generation()` again; when it changed, `load()` is called once (operations
 * arriving meanwhile wait for that same load) and the view is rebuilt from the new spec.
 *
 * What this guarantees:
 * - An operation that starts after the generation changed runs on the new spec: a root that is
 *   gone is gone (a path below its old mount point is `MIG_E_PERMISSION_DENIED`), an access that
 *   was narrowed is narrowed.
 * - Handles from `open`, read streams and write streams opened under an older generation check
 *   their root again before each read, write, stat, truncate, chunk and before an upload is put
 *   in place: `MIG_E_PERMISSION_DENIED` when the root (same id and host folder) is gone or no
 *   longer allows it. A root that is still there with the same rights keeps working (a change to
 *   another root does not break an upload into the home). `close` is never refused.
 * - Fail closed: when `generation()` or `load()` fails (or `load()` returns an invalid spec), the
 *   operation fails with that `MigError` (other errors become `MIG_E_INTERNAL`); nothing runs on
 *   the stale spec. The next operation tries again.
 * - With nothing changed, the cost is one awaited `generation()` and a string compare.
 *
 * Limits: an operation already running when the generation changes finishes on the spec it
 * started with (as it would have finished just before the change); a chunk of a stream is one
 * operation. The trash and resumable uploads work on live views (they use the current spec per
 * call). `generation()` and `load()` are not given a timeout here: a source that can hang should
 * bound its own calls.
 *
 * @example
 * ```ts
 * const view = await createLiveFileView({
 *   generation: () => site.vgrids.changeGeneration(userId),
 *   load: async () => ({ roots: [homeRoot, ...(await vgridRoots(userId))], quota, symlinkPolicy: 'deny' }),
 * });
 * await view.list('/'); // re-reads the roots only if the user's VGrids changed
 * ```
 */
export function createLiveFileView(source: LiveViewSource): Promise<FileView> {
  return LiveFileView.create(source);
}

/**
 * Internal to `core/src/fs` (the trash, resumable uploads): the {@link FileViewImpl} serving
 * `view` right now: the view itself, or for a live view its current inner view after the
 * generation check (`MIG_E_PERMISSION_DENIED` when it is empty). `null` for other views.
 */
export async function currentViewImpl(view: FileView): Promise<FileViewImpl | null> {
  if (view instanceof FileViewImpl) return view;
  if (view instanceof LiveFileView) return view.currentImpl();
  return null;
}

/**
 * Internal to `core/src/fs`: like {@link currentViewImpl} but synchronous and without the
 * generation check (the last loaded spec); for checks of a view's fixed settings only.
 */
export function lastViewImpl(view: FileView): FileViewImpl | null {
  if (view instanceof FileViewImpl) return view;
  if (view instanceof LiveFileView) return view.lastImpl();
  return null;
}
