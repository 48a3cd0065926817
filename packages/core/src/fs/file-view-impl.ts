import { constants, lstatSync, type Stats } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { chmod as chmodPath, link, lstat, mkdir, open, readdir, readlink, rename, rmdir, statfs, symlink, unlink, utimes, lutimes, type FileHandle } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import { ConflictError, FileAccessError, MigError, NotFoundError } from '../errors.js';
import { parseInput } from '../validation/parse-input.js';
import { hostJoin, isInside, openAnchoredDir, openChildDir, openPositionOnly, SAFE_FILE_FLAGS, verifyFdInside, type AnchoredDir } from './anchored-dir.js';
import { createDirectoryQuota } from './directory-quota.js';
import { toFileInfo, virtualDirectoryInfo, type FileInfo } from './file-info.js';
import type { FileView, OpenFlags, ReadRange, ReadStreamOptions, SpaceInfo, ViewRootInfo } from './file-view.js';
import { errnoOf, escapeError, mapFsError, rangeError } from './fs-error-map.js';
import { MountTable, type MountedRoot } from './mount-table.js';
import type { QuotaPolicy, QuotaUsage } from './quota-policy.js';
import { applyRelativeTarget, resolveInRoot } from './resolve-in-root.js';
import { RootContext } from './root-context.js';
import { copyFileInto, copyTree, decodeName, removeTree, treeSize, type CopyRules } from './tree-ops.js';
import { tempName, UploadStream } from './upload-stream.js';
import { checkViewSpec, type CheckedSpec, type ViewSpec } from './view-spec.js';
import { ViewFileHandle, type FileHandleLike } from './view-file-handle.js';
import { describePath, formatVirtualPath, isHiddenName, parseVirtualPath } from './virtual-path.js';

/** What an operation needs on the owning root. `meta`: read or list. */
type Need = 'read' | 'write' | 'list' | 'meta';

/** A path that exists only in the view (an ancestor of mount points). */
interface VirtualTarget {
  readonly kind: 'virtual';
  readonly parts: readonly string[];
  readonly viewPath: string;
}

/** A path inside a root, checked and resolved on disk. Internal to `core/src/fs`. */
export interface RootTarget {
  readonly kind: 'root';
  readonly parts: readonly string[];
  readonly viewPath: string;
  readonly ctx: RootContext;
  readonly rootReal: string;
  /** Components below the mount point, as given. */
  readonly rel: readonly string[];
  /** Canonical components below the root's real path. */
  readonly canonical: readonly string[];
  /** lstat of the canonical entry, `null` when (only) the last component is missing. */
  readonly stats: Stats | null;
}

type Target = VirtualTarget | RootTarget;

const offset = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const rangeSchema = z.strictObject({ start: offset.optional(), end: offset.optional() });
const readOptionsSchema = z.strictObject({ highWaterMark: z.number().int().min(1024).max(16 * 1024 * 1024).optional() });
const overwriteSchema = z.strictObject({ overwrite: z.boolean().optional() });
const recursiveSchema = z.strictObject({ recursive: z.boolean().optional() });
const copySchema = z.strictObject({ overwrite: z.boolean().optional(), recursive: z.boolean().optional() });
const flagsSchema = z.enum(['r', 'r+', 'w', 'w+', 'wx', 'wx+', 'a', 'a+', 'ax', 'ax+']);
const timeSchema = z.union([z.date().refine((d) => !Number.isNaN(d.getTime()), 'must be a valid date'), z.number().finite().min(-1e11).max(1e11)]);
const modeSchema = z.number().int().min(0).max(0o7777);
const rootIdSchema = z.string().min(1).max(256);

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND } = constants;

interface FlagPlan {
  readonly os: number;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly append: boolean;
  readonly creates: boolean;
  readonly exclusive: boolean;
  readonly truncates: boolean;
}

function planFlags(flags: OpenFlags): FlagPlan {
  const plus = flags.endsWith('+');
  const base = flags.replace('+', '');
  const readable = base === 'r' || plus;
  const writable = base !== 'r' || plus;
  const access = readable && writable ? O_RDWR : writable ? O_WRONLY : O_RDONLY;
  const creates = base !== 'r';
  const exclusive = base.endsWith('x');
  const append = base.startsWith('a');
  const truncates = base.startsWith('w');
  let os = access;
  if (creates) os |= O_CREAT;
  if (exclusive) os |= O_EXCL;
  if (append) os |= O_APPEND;
  if (truncates) os |= O_TRUNC;
  return { os, readable, writable, append, creates, exclusive, truncates };
}

function lastOf(parts: readonly string[]): string {
  return parts.length === 0 ? '' : (parts[parts.length - 1] as string);
}

function startsWithParts(parts: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= parts.length && prefix.every((p, i) => parts[i] === p);
}

function enoent(): Error {
  return Object.assign(new Error('no such entry'), { code: 'ENOENT' });
}

function isDirStats(stats: Stats | null): boolean {
  return stats !== null && stats.isDirectory();
}

/**
 * Entries stat'ed synchronously between two yields to the event loop when listing. A synchronous
 * lstat costs a few microseconds, a promise-based one several times that in thread-pool and promise
 * overhead; batches keep a huge folder from blocking other requests for more than a few ms.
 */
const LIST_STAT_BATCH = 512;

/**
 * The names in a folder that are valid UTF-8, as strings. Read as UTF-8 first (one string per entry
 * and no buffers); only if a name then holds U+FFFD, which is how an invalid byte sequence decodes
 * (or a name that really contains it), are the names read again as bytes and checked one by one.
 */
async function listedNames(dirPath: string): Promise<string[]> {
  const texts = await readdir(dirPath);
  if (!texts.some((name) => name.includes('\uFFFD'))) return texts;
  const names: string[] = [];
  for (const raw of await readdir(dirPath, { encoding: 'buffer' })) {
    const name = decodeName(raw);
    if (name !== null) names.push(name);
  }
  return names;
}

/** Sort order of listings: by UTF-16 code units (the same as code points for names without surrogates). */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The implementation behind `createFileView`. Internal: protocols see the `FileView` interface. */
export class FileViewImpl implements FileView {
  private rootInfos: readonly ViewRootInfo[] | undefined;
  private readonly spec: CheckedSpec;
  private readonly mounts: MountTable<RootContext>;
  private readonly byId: Map<string, RootContext>;
  private readonly quota: QuotaPolicy;

  /**
   * @param input the view's spec.
   * @param checked the same spec after {@link checkViewSpec}, when the caller already checked it
   *   (internal: the live view), so a large spec is not checked twice.
   */
  constructor(input: ViewSpec, checked?: CheckedSpec) {
    this.spec = checked ?? checkViewSpec(input);
    this.quota = this.spec.quota ?? createDirectoryQuota();
    const contexts = this.spec.roots.map((root) => new RootContext(root, this.quota, this.spec.events));
    this.byId = new Map(contexts.map((ctx) => [ctx.root.id, ctx]));
    this.mounts = new MountTable<RootContext>(contexts.map((ctx): MountedRoot<RootContext> => ({ root: ctx, mountParts: ctx.root.mountParts })));
  }

  /** The roots as protocols may see them; built on first use (most sessions never ask). */
  get roots(): readonly ViewRootInfo[] {
    this.rootInfos ??= Object.freeze(
      this.spec.roots.map((r) => Object.freeze({ id: r.id, mountPath: r.mountPath, access: Object.freeze({ ...r.access }), protected: r.protected, quotaBytes: r.quotaBytes })),
    );
    return this.rootInfos;
  }

  // ---------------------------------------------------------------------------------------------
  // Resolution

  /** Runs `fn`, turning any failure into a MigError about `path`. */
  private async guard<T>(path: unknown, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapFsError(err, typeof path === 'string' ? path : '');
    }
  }

  private checkAccess(ctx: RootContext, need: Need, viewPath: string): void {
    const { access } = ctx.root;
    const ok = need === 'meta' ? access.read || access.list : access[need];
    if (!ok) {
      const what = { read: 'read', write: 'change', list: 'list', meta: 'look at' }[need];
      throw new FileAccessError('MIG_E_PERMISSION_DENIED', `You may not ${what} ${describePath(viewPath)} (the folder ${ctx.root.mountPath} does not allow it).`);
    }
  }

  /** Parses, finds the root, checks access, resolves on disk. */
  private async resolve(path: unknown, followFinal: boolean, needs: readonly Need[]): Promise<Target> {
    const parts = parseVirtualPath(path, this.spec.rules);
    const viewPath = formatVirtualPath(parts);
    const found = this.mounts.lookup(parts);
    if (found.kind === 'virtual') return { kind: 'virtual', parts, viewPath };
    if (found.kind === 'none') throw new NotFoundError('MIG_E_PATH_NOT_FOUND', `${describePath(viewPath)} does not exist; check the path and try again.`);
    const ctx = found.mount.root;
    for (const need of needs) this.checkAccess(ctx, need, viewPath);
    const rootReal = await ctx.rootReal();
    let resolved;
    try {
      resolved = await resolveInRoot(rootReal, found.rel, followFinal, viewPath);
    } catch (err) {
      throw mapFsError(err, viewPath);
    }
    // A link may lead to a hidden entry (say `x -> .htaccess`): where it lands counts, not its name.
    if (resolved.canonical.some((name) => isHiddenName(name, this.spec.rules))) {
      throw new FileAccessError('MIG_E_PATH_HIDDEN', `${describePath(viewPath)} leads to a reserved, hidden entry; access refused.`);
    }
    return { kind: 'root', parts, viewPath, ctx, rootReal, rel: found.rel, canonical: resolved.canonical, stats: resolved.stats };
  }

  /** True when the target is a folder that exists only because mount points lie below it. */
  private isVirtualDir(t: Target): boolean {
    return t.kind === 'virtual' || (t.stats === null && this.mounts.hasMountsBelow(t.parts));
  }

  /** Opens the folder holding the target, checked and anchored. */
  private parentOf(t: RootTarget, forReading = false): Promise<AnchoredDir> {
    return openAnchoredDir(t.rootReal, t.canonical.slice(0, -1), t.viewPath, forReading);
  }

  /** lstat of the target through its anchored folder (what was checked is what is reported). */
  private async anchoredLstat(t: RootTarget): Promise<Stats> {
    if (t.canonical.length === 0) {
      const dir = await openAnchoredDir(t.rootReal, [], t.viewPath);
      try {
        return await dir.stat();
      } finally {
        await dir.close();
      }
    }
    const dir = await this.parentOf(t);
    try {
      return await lstat(dir.child(lastOf(t.canonical)));
    } finally {
      await dir.close();
    }
  }

  /**
   * Opens the target file through its anchored folder without following a symlink or blocking on
   * a FIFO, confirms with the kernel that the open file is inside the root, and requires a regular
   * file. Closes and refuses otherwise.
   */
  private async openFile(t: RootTarget, flags: number, mode = 0o644): Promise<{ handle: FileHandle; stats: Stats }> {
    if (t.canonical.length === 0) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const dir = await this.parentOf(t);
    let handle: FileHandle;
    try {
      handle = await open(dir.child(lastOf(t.canonical)), flags | SAFE_FILE_FLAGS, mode);
    } finally {
      await dir.close();
    }
    try {
      await verifyFdInside(handle.fd, t.rootReal, t.viewPath);
      const stats = await handle.stat();
      if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      if (!stats.isFile()) throw Object.assign(new Error('special file'), { code: 'ENXIO' });
      return { handle, stats };
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  private protectedError(viewPath: string, what: string): FileAccessError {
    return new FileAccessError('MIG_E_PROTECTED_PATH', `${describePath(viewPath)} is ${what} and cannot be removed, renamed or replaced.`);
  }

  /** Refuses operations that would remove, rename or replace `/`, a mount point or a virtual folder. */
  private assertReplaceable(t: Target): asserts t is RootTarget {
    if (t.kind === 'virtual' || this.isVirtualDir(t)) throw this.protectedError(t.viewPath, 'a folder of the view itself');
    if (t.parts.length === 0) throw this.protectedError(t.viewPath, 'the top folder');
    if (t.rel.length === 0) throw this.protectedError(t.viewPath, 'where a shared folder is mounted');
  }

  private writeDenied(viewPath: string): FileAccessError {
    return new FileAccessError('MIG_E_PERMISSION_DENIED', `${describePath(viewPath)} is a folder of the view itself; nothing can be created or changed there.`);
  }

  // ---------------------------------------------------------------------------------------------
  // The sanctioned way in for the layer's own features (trash, resumable uploads) in this folder.
  // Not part of `FileView`: protocols never see these.

  /**
   * Internal to `core/src/fs`: `path` parsed, access-checked (`need`) and resolved like any
   * operation; refuses view-only folders, `/`, and mount points (`MIG_E_PROTECTED_PATH`).
   */
  async internalTarget(path: string, need: 'read' | 'write'): Promise<RootTarget> {
    try {
      const t = await this.resolve(path, false, [need]);
      this.assertReplaceable(t);
      return t;
    } catch (err) {
      throw mapFsError(err, typeof path === 'string' ? path : '');
    }
  }

  /** Internal to `core/src/fs`: the root contexts with `write` access (where the layer may keep its own hidden data). */
  internalWritableRoots(): readonly RootContext[] {
    return [...this.byId.values()].filter((ctx) => ctx.root.access.write);
  }

  /** Internal to `core/src/fs`: whether `name` is hidden in this view. */
  internalHides(name: string): boolean {
    return isHiddenName(name, this.spec.rules);
  }

  // ---------------------------------------------------------------------------------------------
  // Metadata

  stat(path: string): Promise<FileInfo> {
    return this.guard(path, async () => {
      const t = await this.resolve(path, true, ['meta']);
      if (this.isVirtualDir(t)) return virtualDirectoryInfo(lastOf(t.parts));
      const rt = t as RootTarget;
      if (rt.stats === null) throw enoent();
      const stats = await this.anchoredLstat(rt);
      // Followed links were resolved by the walk; a link here now means the tree changed under us.
      if (stats.isSymbolicLink()) throw escapeError(rt.viewPath);
      return toFileInfo(lastOf(t.parts), stats);
    });
  }

  lstat(path: string): Promise<FileInfo> {
    return this.guard(path, async () => {
      const t = await this.resolve(path, false, ['meta']);
      if (this.isVirtualDir(t)) return virtualDirectoryInfo(lastOf(t.parts));
      const rt = t as RootTarget;
      if (rt.stats === null) throw enoent();
      return toFileInfo(lastOf(t.parts), await this.anchoredLstat(rt));
    });
  }

  list(path: string): Promise<FileInfo[]> {
    return this.guard(path, async () => {
      const t = await this.resolve(path, true, ['list']);
      let infos: FileInfo[] = [];
      if (!this.isVirtualDir(t)) {
        const rt = t as RootTarget;
        if (rt.stats === null) throw enoent();
        if (!rt.stats.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
        const dir = await openAnchoredDir(rt.rootReal, rt.canonical, rt.viewPath, true);
        try {
          const names: string[] = [];
          for (const name of await listedNames(dir.base)) {
            if (!isHiddenName(name, this.spec.rules)) names.push(name);
          }
          // Sorted before the stats, so the entries come out in order without a map or a second sort.
          names.sort(byCodeUnits);
          for (let i = 0; i < names.length; i += LIST_STAT_BATCH) {
            if (i > 0) await yieldToEventLoop();
            const stop = Math.min(names.length, i + LIST_STAT_BATCH);
            for (let k = i; k < stop; k++) {
              const name = names[k] as string;
              let s: Stats | undefined;
              try {
                s = lstatSync(dir.child(name), { throwIfNoEntry: false });
              } catch {
                s = undefined; // vanished or unreadable meanwhile: not listed
              }
              if (s !== undefined) infos.push(toFileInfo(name, s));
            }
          }
        } finally {
          await dir.close();
        }
      }
      // Mount points (and their virtual ancestors) appear as folders and shadow real entries.
      const mounts = this.mounts.childrenOf(t.parts);
      if (mounts.size > 0) {
        const entries = new Map(infos.map((info) => [info.name, info]));
        let done = 0;
        for (const [name, mount] of mounts) {
          if (++done % LIST_STAT_BATCH === 0) await yieldToEventLoop();
          entries.set(name, this.mountEntry(name, mount?.root));
        }
        infos = [...entries.values()].sort((a, b) => byCodeUnits(a.name, b.name));
      }
      return infos;
    });
  }

  private mountEntry(name: string, ctx: RootContext | undefined): FileInfo {
    const s = ctx?.mountPointStats();
    return s === undefined ? virtualDirectoryInfo(name) : toFileInfo(name, s);
  }

  realpath(path: string): Promise<string> {
    return this.guard(path, async () => {
      const t = await this.resolve(path, true, ['meta']);
      if (t.kind === 'virtual') return t.viewPath;
      return formatVirtualPath([...t.ctx.root.mountParts, ...t.canonical]);
    });
  }

  readlink(path: string): Promise<string> {
    return this.guard(path, async () => {
      const t = await this.resolve(path, false, ['meta']);
      if (this.isVirtualDir(t)) throw Object.assign(new Error('not a link'), { code: 'EINVAL' });
      const rt = t as RootTarget;
      if (rt.stats === null) throw enoent();
      if (rt.canonical.length === 0) throw Object.assign(new Error('not a link'), { code: 'EINVAL' });
      const dir = await this.parentOf(rt);
      let target: string;
      try {
        target = await readlink(dir.child(lastOf(rt.canonical)));
      } finally {
        await dir.close();
      }
      if (target.startsWith('/')) {
        if (!isInside(rt.rootReal, target)) throw escapeError(rt.viewPath);
        const inside = target.slice(rt.rootReal.length).split('/').filter((p) => p !== '');
        const lexical = applyRelativeTarget([], inside.join('/'));
        if (lexical === null) throw escapeError(rt.viewPath);
        return formatVirtualPath([...rt.ctx.root.mountParts, ...lexical]);
      }
      if (applyRelativeTarget(rt.canonical.slice(0, -1), target) === null) throw escapeError(rt.viewPath);
      return target;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Reading and writing

  createReadStream(path: string, range?: ReadRange, options?: ReadStreamOptions): Promise<Readable> {
    return this.guard(path, async () => {
      const { start, end } = parseInput(rangeSchema.optional(), range, 'read range') ?? {};
      const { highWaterMark } = parseInput(readOptionsSchema.optional(), options, 'read options') ?? {};
      const t = await this.resolve(path, true, ['read']);
      if (this.isVirtualDir(t)) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      const rt = t as RootTarget;
      if (rt.stats === null) throw enoent();
      const { handle, stats } = await this.openFile(rt, O_RDONLY);
      try {
        const size = stats.size;
        const first = start ?? 0;
        if (first > size || (first === size && end !== undefined)) throw rangeError(rt.viewPath, `start ${first} is beyond the end of the ${size}-byte file`);
        if (end !== undefined && end < first) throw rangeError(rt.viewPath, `end ${end} is before start ${first}`);
        if (end !== undefined && end >= size) throw rangeError(rt.viewPath, `end ${end} is beyond the last byte (${size - 1})`);
        return handle.createReadStream({ start: first, ...(end === undefined ? {} : { end }), ...(highWaterMark === undefined ? {} : { highWaterMark }), autoClose: true });
      } catch (err) {
        await handle.close().catch(() => undefined);
        throw err;
      }
    });
  }

  createWriteStream(path: string, options?: { overwrite?: boolean }): Promise<Writable> {
    return this.guard(path, async () => {
      const { overwrite = false } = parseInput(overwriteSchema.optional(), options, 'write options') ?? {};
      const t = await this.resolve(path, true, ['write']);
      if (this.isVirtualDir(t)) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      const rt = t as RootTarget;
      if (rt.canonical.length === 0 || isDirStats(rt.stats)) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      if (rt.stats !== null && !overwrite) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      const dir = await this.parentOf(rt);
      return UploadStream.start({ ctx: rt.ctx, dir, name: lastOf(rt.canonical), canonical: rt.canonical, viewPath: rt.viewPath, overwrite });
    });
  }

  open(path: string, flags: OpenFlags): Promise<FileHandleLike> {
    return this.guard(path, async () => {
      const plan = planFlags(parseInput(flagsSchema, flags, 'open flags'));
      const needs: Need[] = [];
      if (plan.readable) needs.push('read');
      if (plan.writable) needs.push('write');
      const t = await this.resolve(path, true, needs);
      if (this.isVirtualDir(t)) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      const rt = t as RootTarget;
      if (isDirStats(rt.stats) || rt.canonical.length === 0) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      if (rt.stats === null && !plan.creates) throw enoent();
      if (rt.stats !== null && plan.exclusive) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      const oldSize = rt.stats?.isFile() === true ? rt.stats.size : 0;
      const { handle, stats } = await this.openFile(rt, plan.os);
      if (plan.truncates && oldSize > 0) await rt.ctx.release(oldSize);
      return new ViewFileHandle(handle, rt.ctx, rt.viewPath, lastOf(rt.parts), rt.canonical, { readable: plan.readable, writable: plan.writable, append: plan.append, created: rt.stats === null }, stats.size);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Folders

  mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    return this.guard(path, async () => {
      const { recursive = false } = parseInput(recursiveSchema.optional(), options, 'mkdir options') ?? {};
      const parts = parseVirtualPath(path, this.spec.rules);
      if (!recursive) {
        await this.mkdirOne(parts, false, true);
        return;
      }
      for (let i = 1; i <= parts.length; i += 1) await this.mkdirOne(parts.slice(0, i), true, i === parts.length);
      if (parts.length === 0) await this.mkdirOne(parts, true, true);
    });
  }

  /**
   * Creates one folder. `isTarget`: the folder asked for (write access needed even if it exists);
   * folders on the way to it need write access only when they must be created.
   */
  private async mkdirOne(parts: readonly string[], existingOk: boolean, isTarget: boolean): Promise<void> {
    const t = await this.resolve(formatVirtualPath(parts), existingOk, isTarget ? ['write'] : []);
    const exists = (): Error => Object.assign(new Error('exists'), { code: 'EEXIST' });
    if (this.isVirtualDir(t)) {
      if (existingOk) return;
      throw exists();
    }
    const rt = t as RootTarget;
    if (rt.stats !== null || rt.canonical.length === 0) {
      if (existingOk && (rt.canonical.length === 0 || isDirStats(rt.stats))) return;
      throw exists();
    }
    this.checkAccess(rt.ctx, 'write', rt.viewPath);
    const dir = await this.parentOf(rt);
    try {
      await mkdir(dir.child(lastOf(rt.canonical)), 0o755);
    } catch (err) {
      if (!(existingOk && errnoOf(err) === 'EEXIST')) throw err;
      return;
    } finally {
      await dir.close();
    }
    rt.ctx.emit({ type: 'dir-created', path: RootContext.relPath(rt.canonical), viewPath: rt.viewPath });
  }

  remove(path: string, options?: { recursive?: boolean }): Promise<void> {
    return this.guard(path, async () => {
      const { recursive = false } = parseInput(recursiveSchema.optional(), options, 'remove options') ?? {};
      const t = await this.resolve(path, false, ['write']);
      if (t.kind === 'root' && t.rel.length === 0 && t.parts.length > 0 && !t.ctx.root.protected) {
        await this.emptyRoot(t, recursive);
        return;
      }
      this.assertReplaceable(t);
      if (t.stats === null) throw enoent();
      const dir = await this.parentOf(t);
      const name = lastOf(t.canonical);
      let freed = 0;
      try {
        if (!t.stats.isDirectory()) {
          const now = await lstat(dir.child(name));
          if (now.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
          await unlink(dir.child(name));
          freed = now.isFile() ? now.size : 0;
        } else if (recursive) {
          freed = await removeTree(dir, name);
        } else {
          await rmdir(dir.child(name));
        }
      } finally {
        await dir.close();
      }
      await t.ctx.release(freed);
      t.ctx.emit({ type: 'deleted', path: RootContext.relPath(t.canonical), viewPath: t.viewPath });
    });
  }

  /** Removing an unprotected mount point empties its root; the mount point itself stays. */
  private async emptyRoot(t: RootTarget, recursive: boolean): Promise<void> {
    const dir = await openAnchoredDir(t.rootReal, [], t.viewPath, true);
    let freed = 0;
    try {
      const names = await readdir(dir.base, { encoding: 'buffer' });
      if (names.length > 0 && !recursive) throw Object.assign(new Error('not empty'), { code: 'ENOTEMPTY' });
      for (const name of names) freed += await removeTree(dir, name);
    } finally {
      await dir.close();
      await t.ctx.release(freed);
    }
    t.ctx.emit({ type: 'deleted', path: '/', viewPath: t.viewPath });
  }

  // ---------------------------------------------------------------------------------------------
  // Symlinks, times, modes

  symlink(target: string, path: string): Promise<void> {
    return this.guard(path, async () => {
      const t = await this.resolve(path, false, ['write']);
      if (this.spec.symlinkPolicy === 'deny') {
        throw new FileAccessError('MIG_E_SYMLINK_REFUSED', 'Symbolic links cannot be created here.');
      }
      if (this.isVirtualDir(t)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      const rt = t as RootTarget;
      if (rt.stats !== null || rt.canonical.length === 0) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
      const text = this.checkLinkTarget(target, rt.canonical.slice(0, -1));
      const dir = await this.parentOf(rt);
      try {
        await symlink(text, dir.child(lastOf(rt.canonical)));
      } finally {
        await dir.close();
      }
      rt.ctx.emit({ type: 'created', path: RootContext.relPath(rt.canonical), viewPath: rt.viewPath });
    });
  }

  /** Checks a symlink target under the `within-view` policy and returns it normalised (NFC). */
  private checkLinkTarget(target: unknown, parentParts: readonly string[]): string {
    const refuse = (why: string): FileAccessError => new FileAccessError('MIG_E_SYMLINK_REFUSED', `That symbolic link is not allowed: ${why}.`);
    if (typeof target !== 'string' || target.length === 0) throw refuse('the target must be a non-empty string');
    if (target.startsWith('/')) throw refuse('the target must be relative');
    // The same character and length rules as any path; `..` is checked against the root below.
    let text: string;
    try {
      parseVirtualPath(`/${target.split('/').filter((p) => p !== '..').join('/')}`, this.spec.rules);
      text = target.normalize('NFC');
    } catch (err) {
      if (err instanceof MigError && err.code === 'MIG_E_PATH_HIDDEN') throw refuse('the target names a hidden entry');
      throw refuse('the target is not a valid path');
    }
    if (applyRelativeTarget(parentParts, text) === null) throw refuse('the target leads outside its folder tree');
    return text;
  }

  setTimes(path: string, atime: Date | number, mtime: Date | number): Promise<void> {
    return this.guard(path, async () => {
      const at = parseInput(timeSchema, atime, 'atime');
      const mt = parseInput(timeSchema, mtime, 'mtime');
      const t = await this.resolve(path, true, ['write']);
      if (this.isVirtualDir(t)) throw this.writeDenied(t.viewPath);
      const rt = t as RootTarget;
      if (rt.stats === null) throw enoent();
      if (rt.canonical.length === 0) {
        const dir = await openAnchoredDir(rt.rootReal, [], rt.viewPath);
        try {
          await utimes(dir.base, at, mt);
        } finally {
          await dir.close();
        }
        return;
      }
      const dir = await this.parentOf(rt);
      try {
        // lutimes: the walk resolved every link; if one was swapped in since, touch the link itself.
        await lutimes(dir.child(lastOf(rt.canonical)), at, mt);
      } finally {
        await dir.close();
      }
    });
  }

  chmod(path: string, mode: number): Promise<void> {
    return this.guard(path, async () => {
      const wanted = parseInput(modeSchema, mode, 'mode');
      const t = await this.resolve(path, true, ['write']);
      if (this.isVirtualDir(t) || (t as RootTarget).rel.length === 0) throw new FileAccessError('MIG_E_PROTECTED_PATH', `The permissions of ${describePath(t.viewPath)} cannot be changed.`);
      const rt = t as RootTarget;
      if (rt.stats === null) throw enoent();
      if ((wanted & 0o7000) !== 0) throw new FileAccessError('MIG_E_PERMISSION_DENIED', 'The setuid, setgid and sticky bits cannot be set; use a mode of at most 0777.');
      const dir = await this.parentOf(rt);
      const name = lastOf(rt.canonical);
      try {
        const position = await openPositionOnly(dir, name);
        if (position === null) {
          // No O_PATH / /proc: check then change by path (see FileView's limits).
          const now = await lstat(dir.child(name));
          this.assertModeKeepsOwner(now, wanted, rt.viewPath);
          await chmodPath(dir.child(name), wanted);
          return;
        }
        try {
          const now = await position.stat();
          this.assertModeKeepsOwner(now, wanted, rt.viewPath);
          // chmod through /proc/self/fd changes exactly the inode we opened and checked.
          await chmodPath(`/proc/self/fd/${position.fd}`, wanted);
        } finally {
          await position.close();
        }
      } finally {
        await dir.close();
      }
    });
  }

  private assertModeKeepsOwner(stats: Stats, mode: number, viewPath: string): void {
    if (stats.isSymbolicLink()) throw escapeError(viewPath);
    const need = stats.isDirectory() ? 0o700 : 0o600;
    if ((mode & need) !== need) {
      const what = stats.isDirectory() ? 'read, write and execute (search) on folders' : 'read and write on files';
      throw new FileAccessError('MIG_E_PERMISSION_DENIED', `That mode would lock you out of ${describePath(viewPath)}; the owner must keep ${what}.`);
    }
    if (!stats.isDirectory() && !stats.isFile()) throw new FileAccessError('MIG_E_PERMISSION_DENIED', `${describePath(viewPath)} is a special file; its mode cannot be changed.`);
  }

  // ---------------------------------------------------------------------------------------------
  // Rename and copy

  rename(from: string, to: string, options?: { overwrite?: boolean }): Promise<void> {
    return this.guard(from, async () => {
      const { overwrite = false } = parseInput(overwriteSchema.optional(), options, 'rename options') ?? {};
      const src = await this.resolve(from, false, ['write']);
      const dst = await this.resolve(to, false, ['write']);
      this.assertReplaceable(src);
      this.assertReplaceable(dst);
      if (src.stats === null) throw enoent();
      if (src.viewPath === dst.viewPath) return;
      this.assertNotInto(src, dst, 'move');
      if (dst.stats !== null) this.assertCanReplace(src.stats, dst, overwrite);
      if (src.ctx !== dst.ctx) {
        this.checkAccess(src.ctx, 'read', src.viewPath);
        await this.moveAcross(src, dst, overwrite);
        return;
      }
      const fromDir = await this.parentOf(src);
      try {
        const toDir = await this.parentOf(dst);
        try {
          const fromName = lastOf(src.canonical);
          const toName = lastOf(dst.canonical);
          let old: Stats | null = null;
          try {
            old = await lstat(toDir.child(toName));
          } catch (err) {
            if (errnoOf(err) !== 'ENOENT') throw err;
          }
          if (old !== null && !overwrite) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
          if (src.stats.isSymbolicLink() && this.spec.symlinkPolicy === 'within-view') {
            // A relative link that is harmless where it is may lead out of the view from elsewhere:
            // a move must not turn an allowed link into an escaping one.
            const text = await readlink(fromDir.child(fromName));
            if (this.linkAllowed(text, src.canonical.slice(0, -1))) this.checkLinkTarget(text, dst.canonical.slice(0, -1));
          }
          try {
            await rename(fromDir.child(fromName), toDir.child(toName));
          } catch (err) {
            if (errnoOf(err) !== 'EXDEV') throw err;
            await this.moveAcross(src, dst, overwrite);
            return;
          }
          if (old !== null && old.isFile()) await dst.ctx.release(old.size);
        } finally {
          await toDir.close();
        }
      } finally {
        await fromDir.close();
      }
      src.ctx.emit({
        type: 'moved',
        path: RootContext.relPath(src.canonical),
        toPath: RootContext.relPath(dst.canonical),
        viewPath: src.viewPath,
        toViewPath: dst.viewPath,
      });
    });
  }

  /** Refuses putting a folder inside itself. */
  private assertNotInto(src: RootTarget, dst: RootTarget, verb: string): void {
    if (src.ctx === dst.ctx && isDirStats(src.stats) && startsWithParts(dst.canonical, src.canonical)) {
      throw new FileAccessError('MIG_E_PATH_INVALID', `Cannot ${verb} the folder ${describePath(src.viewPath)} into itself (${describePath(dst.viewPath)}).`);
    }
  }

  /** Checks that an existing `dst` may be replaced by an entry like `srcStats`. */
  private assertCanReplace(srcStats: Stats, dst: RootTarget, overwrite: boolean): void {
    if (!overwrite) throw new ConflictError('MIG_E_PATH_EXISTS', `${describePath(dst.viewPath)} already exists; allow overwriting or choose another name.`);
    const dstIsDir = isDirStats(dst.stats);
    if (dstIsDir && !srcStats.isDirectory()) throw new ConflictError('MIG_E_IS_A_DIRECTORY', `${describePath(dst.viewPath)} is a folder and cannot be replaced by a file.`);
    if (!dstIsDir && srcStats.isDirectory()) throw new ConflictError('MIG_E_NOT_A_DIRECTORY', `${describePath(dst.viewPath)} is not a folder and cannot be replaced by one.`);
  }

  /** A move between roots (or file systems): copy, then remove the original. */
  private async moveAcross(src: RootTarget, dst: RootTarget, overwrite: boolean): Promise<void> {
    await this.copyEntry(src, dst, overwrite);
    const dir = await this.parentOf(src);
    let freed = 0;
    try {
      freed = await removeTree(dir, lastOf(src.canonical));
    } finally {
      await dir.close();
    }
    await src.ctx.release(freed);
    src.ctx.emit({ type: 'deleted', path: RootContext.relPath(src.canonical), viewPath: src.viewPath });
  }

  copy(from: string, to: string, options?: { overwrite?: boolean; recursive?: boolean }): Promise<void> {
    return this.guard(from, async () => {
      const { overwrite = false, recursive = false } = parseInput(copySchema.optional(), options, 'copy options') ?? {};
      const src = await this.resolve(from, true, ['read']);
      const dst = await this.resolve(to, false, ['write']);
      if (this.isVirtualDir(src)) throw this.writeDenied(src.viewPath);
      const s = src as RootTarget;
      this.assertReplaceable(dst);
      if (s.stats === null) throw enoent();
      if (s.stats.isDirectory() && !recursive) throw new ConflictError('MIG_E_IS_A_DIRECTORY', `${describePath(s.viewPath)} is a folder; copy it recursively.`);
      if (!s.stats.isDirectory() && !s.stats.isFile()) throw new FileAccessError('MIG_E_PERMISSION_DENIED', `${describePath(s.viewPath)} is a special file and cannot be copied.`);
      if (s.ctx === dst.ctx && startsWithParts(s.canonical, dst.canonical)) {
        throw new FileAccessError('MIG_E_PATH_INVALID', `Cannot copy ${describePath(s.viewPath)} onto ${describePath(dst.viewPath)}, which contains it.`);
      }
      this.assertNotInto(s, dst, 'copy');
      if (dst.stats !== null) this.assertCanReplace(s.stats, dst, overwrite);
      await this.copyEntry(s, dst, overwrite);
    });
  }

  /** Whether a symlink with text `target` may be (re)created in the folder `parentParts` of a root. */
  private linkAllowed(target: string, parentParts: readonly string[]): boolean {
    if (this.spec.symlinkPolicy !== 'within-view') return false;
    try {
      this.checkLinkTarget(target, parentParts);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Copies the entry `src` (a file, a folder, or, for moves, a symlink) to `dst`: built under a
   * hidden temporary name next to the target, quota reserved up front for the measured size (and
   * topped up if the source grows meanwhile), then swapped into place. Any failure removes the
   * temporary entry and releases the reservation.
   */
  private async copyEntry(src: RootTarget, dst: RootTarget, overwrite: boolean): Promise<void> {
    const srcStats = src.stats as Stats;
    const dstDir = await this.parentOf(dst);
    const temp = tempName();
    const name = lastOf(dst.canonical);
    let tempCreated = false;
    let reserved = 0;
    let written = 0;
    const reserve = async (bytes: number): Promise<void> => {
      await dst.ctx.reserve(bytes);
      reserved += bytes;
    };
    const rules: CopyRules = {
      skip: (n) => isHiddenName(n, this.spec.rules),
      keepLink: (target, parentParts) => this.linkAllowed(target, parentParts),
      beforeWrite: async (bytes) => {
        written += bytes;
        if (written > reserved) await reserve(written - reserved);
      },
    };
    let isDir = false;
    try {
      if (srcStats.isSymbolicLink()) {
        const fromDir = await this.parentOf(src);
        let target: string;
        try {
          target = await readlink(fromDir.child(lastOf(src.canonical)));
        } finally {
          await fromDir.close();
        }
        if (!this.linkAllowed(target, dst.canonical.slice(0, -1))) {
          throw new FileAccessError('MIG_E_SYMLINK_REFUSED', `The symbolic link ${describePath(src.viewPath)} cannot be moved to ${describePath(dst.viewPath)}.`);
        }
        await symlink(target, dstDir.child(temp));
        tempCreated = true;
      } else if (srcStats.isDirectory()) {
        isDir = true;
        const from = await openAnchoredDir(src.rootReal, src.canonical, src.viewPath, true);
        try {
          await reserve(await treeSize(from));
          await mkdir(dstDir.child(temp), (srcStats.mode & 0o777) | 0o700);
          tempCreated = true;
          const into = await openChildDir(dstDir, temp);
          try {
            await copyTree(from, into, dst.canonical, rules);
          } finally {
            await into.close();
          }
        } finally {
          await from.close();
        }
      } else {
        const { handle, stats } = await this.openFile(src, O_RDONLY);
        try {
          await reserve(stats.size);
          tempCreated = true;
          await copyFileInto(handle, dstDir, temp, stats.mode, rules);
        } finally {
          await handle.close();
        }
      }
      // Swap into place.
      let old: Stats | null = null;
      try {
        old = await lstat(dstDir.child(name));
      } catch (err) {
        if (errnoOf(err) !== 'ENOENT') throw err;
      }
      let freed = 0;
      if (old === null) {
        if (isDir) await rename(dstDir.child(temp), dstDir.child(name));
        else {
          await link(dstDir.child(temp), dstDir.child(name));
          await unlink(dstDir.child(temp));
        }
      } else {
        if (!overwrite) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
        if (old.isDirectory() !== isDir) throw Object.assign(new Error('kind differs'), { code: isDir ? 'ENOTDIR' : 'EISDIR' });
        if (isDir) {
          const retired = tempName();
          await rename(dstDir.child(name), dstDir.child(retired));
          await rename(dstDir.child(temp), dstDir.child(name));
          freed = await removeTree(dstDir, retired).catch(() => 0);
        } else {
          await rename(dstDir.child(temp), dstDir.child(name));
          freed = old.isFile() ? old.size : 0;
        }
      }
      tempCreated = false;
      reserved = 0;
      await dst.ctx.release(freed);
      const type = isDir ? 'dir-created' : old === null ? 'created' : 'modified';
      dst.ctx.emit({ type, path: RootContext.relPath(dst.canonical), viewPath: dst.viewPath });
    } catch (err) {
      if (tempCreated) await removeTree(dstDir, temp).catch(() => 0);
      await dst.ctx.release(reserved);
      throw mapFsError(err, dst.viewPath);
    } finally {
      await dstDir.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Space

  usage(rootId: string): Promise<QuotaUsage> {
    return this.guard('', async () => {
      const id = parseInput(rootIdSchema, rootId, 'root id');
      const ctx = this.byId.get(id);
      if (ctx === undefined) throw new NotFoundError('MIG_E_PATH_NOT_FOUND', `This view has no root with the id ${JSON.stringify(id)}.`);
      return this.quotaOf(ctx);
    });
  }

  private quotaOf(ctx: RootContext): Promise<QuotaUsage> {
    return this.quota.usage(ctx.quotaRoot);
  }

  statfs(path: string): Promise<SpaceInfo> {
    return this.guard(path, async () => {
      const t = await this.resolve(path, false, ['meta']);
      if (t.kind === 'virtual') throw this.writeDenied(t.viewPath);
      const disk = await statfs(hostJoin(t.rootReal, []));
      const diskTotal = disk.blocks * disk.bsize;
      const diskAvailable = disk.bavail * disk.bsize;
      if (t.ctx.root.quotaBytes === undefined) {
        // No quota: the disk is the limit, and measuring the whole tree would buy nothing.
        return { rootId: t.ctx.root.id, totalBytes: diskTotal, availableBytes: diskAvailable, quotaBytes: null, usedBytes: null };
      }
      const quota = await this.quotaOf(t.ctx);
      const total = quota.quotaBytes === null ? diskTotal : Math.min(diskTotal, quota.quotaBytes);
      const available = quota.availableBytes === null ? diskAvailable : Math.min(diskAvailable, quota.availableBytes);
      return { rootId: t.ctx.root.id, totalBytes: total, availableBytes: available, quotaBytes: quota.quotaBytes, usedBytes: quota.usedBytes };
    });
  }
}
