import { realpath } from 'node:fs/promises';
import { FileAccessError } from '../errors.js';
import { openAnchoredDir } from './anchored-dir.js';
import type { QuotaPolicy, QuotaRoot, QuotaUsage } from './quota-policy.js';
import { treeSize } from './tree-ops.js';

/**
 * The default {@link QuotaPolicy}: measures a root once by walking it (bytes in regular files;
 * symlinks count nothing and are not followed), caches the figure, and keeps it current from the
 * layer's own writes and removals.
 *
 * Limits, stated honestly: changes made outside the layer (jobs writing on the host, an admin) are
 * not seen until {@link QuotaPolicy.invalidate} is called or the process restarts; writes that
 * happen while the first walk runs may be counted twice or not at all; hard links count once per
 * name. A root without `quotaBytes` is never walked for `reserve` (nothing to enforce), only when
 * `usage` is asked for.
 *
 * @example
 * ```ts
 * const quota = createDirectoryQuota();
 * const provider = createHomeViewProvider({ homeDirOf, quota, homeQuotaBytes: 10 * 2 ** 30 });
 * ```
 */
export function createDirectoryQuota(): QuotaPolicy {
  const used = new Map<string, number>();
  const measuring = new Map<string, Promise<number>>();
  const keyOf = (root: QuotaRoot): string => `${root.id}\u0000${root.hostPath}`;

  async function measure(root: QuotaRoot): Promise<number> {
    const key = keyOf(root);
    const known = used.get(key);
    if (known !== undefined) return known;
    let pending = measuring.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const rootReal = await realpath(root.hostPath);
        const dir = await openAnchoredDir(rootReal, [], '/', true);
        try {
          return await treeSize(dir);
        } finally {
          await dir.close();
        }
      })();
      measuring.set(key, pending);
    }
    try {
      const size = await pending;
      // Another caller may have set it (and applied reservations) while we waited.
      if (!used.has(key)) used.set(key, size);
      return used.get(key) as number;
    } finally {
      measuring.delete(key);
    }
  }

  return {
    async reserve(root, bytes) {
      if (!Number.isFinite(bytes) || bytes === 0) return;
      const key = keyOf(root);
      if (root.quotaBytes === undefined && !used.has(key)) return;
      await measure(root);
      // Re-read after the await: other reservations may have run meanwhile; from here to the
      // `set` nothing awaits, so check and record are one step.
      const current = used.get(key) ?? 0;
      if (bytes > 0 && root.quotaBytes !== undefined && current + bytes > root.quotaBytes) {
        throw new FileAccessError(
          'MIG_E_QUOTA_EXCEEDED',
          `Storing ${bytes} more bytes would pass the quota of ${root.quotaBytes} bytes (${current} in use); free some space first.`,
          { details: { rootId: root.id, quotaBytes: root.quotaBytes, usedBytes: current, requestedBytes: bytes } },
        );
      }
      used.set(key, Math.max(0, current + bytes));
    },
    async usage(root): Promise<QuotaUsage> {
      const current = await measure(root);
      const quotaBytes = root.quotaBytes ?? null;
      return {
        rootId: root.id,
        usedBytes: current,
        quotaBytes,
        availableBytes: quotaBytes === null ? null : Math.max(0, quotaBytes - current),
      };
    },
    invalidate(root) {
      used.delete(keyOf(root));
    },
  };
}
