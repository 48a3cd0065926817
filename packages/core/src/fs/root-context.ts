import { statSync, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { NotFoundError } from '../errors.js';
import type { FileEvent, FileEventListener } from './file-event.js';
import type { QuotaPolicy, QuotaRoot } from './quota-policy.js';
import type { CheckedRoot } from './view-spec.js';

/** What the view's operations need to know about one root at run time. Internal. */
export class RootContext {
  readonly root: CheckedRoot;
  readonly quotaRoot: QuotaRoot;
  private readonly quota: QuotaPolicy;
  private readonly listener: FileEventListener | undefined;
  private realPath: string | undefined;

  constructor(root: CheckedRoot, quota: QuotaPolicy, listener: FileEventListener | undefined) {
    this.root = root;
    this.quota = quota;
    this.listener = listener;
    this.quotaRoot = { id: root.id, hostPath: root.hostPath, quotaBytes: root.quotaBytes };
  }

  /**
   * The root's real path (its host path with symlinks resolved), the boundary every check uses.
   * Resolved once per view: a root that moves on the host needs a new view.
   */
  async rootReal(): Promise<string> {
    if (this.realPath !== undefined) return this.realPath;
    try {
      const real = await realpath(this.root.hostPath);
      if (!(await stat(real)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      this.realPath = real;
      return real;
    } catch {
      throw new NotFoundError('MIG_E_PATH_NOT_FOUND', `The folder ${this.root.mountPath} is not available right now; contact the site's support if this lasts.`);
    }
  }

  /**
   * The root folder's metadata for a listing of its parent (a mount point shown as an entry), or
   * `undefined` when it is not available. Synchronous, so a folder with thousands of mount points
   * (a user in many VGrids) lists in milliseconds; it only reads metadata, never grants access.
   */
  mountPointStats(): Stats | undefined {
    try {
      const s = statSync(this.realPath ?? this.root.hostPath, { throwIfNoEntry: false });
      return s?.isDirectory() === true ? s : undefined;
    } catch {
      return undefined;
    }
  }

  /** Reserves (or with a negative count, releases) bytes in the root's quota. */
  reserve(bytes: number): Promise<void> {
    if (bytes === 0) return Promise.resolve();
    return this.quota.reserve(this.quotaRoot, bytes);
  }

  /** Releases bytes, never failing the operation that freed them. */
  async release(bytes: number): Promise<void> {
    if (bytes <= 0) return;
    try {
      await this.quota.reserve(this.quotaRoot, -bytes);
    } catch {
      // A policy that cannot record a release must not turn a done removal into an error.
    }
  }

  /** Sends an event for this root; listener failures are swallowed (see FileEventListener). */
  emit(event: Omit<FileEvent, 'rootId'>): void {
    if (this.listener === undefined) return;
    try {
      const result = this.listener({ rootId: this.root.id, ...event });
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // see FileEventListener
    }
  }

  /** Root-relative path of canonical components, for events. */
  static relPath(canonical: readonly string[]): string {
    return `/${canonical.join('/')}`;
  }
}
