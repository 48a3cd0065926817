/** The part of a root a quota policy needs: which root, where it lives, and its limit. */
export interface QuotaRoot {
  /** The root's stable id. */
  readonly id: string;
  /** The root's absolute host directory (for policies that measure it). */
  readonly hostPath: string;
  /** The limit in bytes; `undefined` for none. */
  readonly quotaBytes: number | undefined;
}

/** How full a root is. */
export interface QuotaUsage {
  readonly rootId: string;
  /** Bytes in regular files under the root. */
  readonly usedBytes: number;
  /** The limit, or `null` when the root has none. */
  readonly quotaBytes: number | null;
  /** `quotaBytes - usedBytes` (never below 0), or `null` when unlimited. */
  readonly availableBytes: number | null;
}

/**
 * The quota seam. The file view calls `reserve` before it stores bytes (positive) and after it
 * frees them (negative); a reservation that would pass the root's limit throws a
 * `FileAccessError` `MIG_E_QUOTA_EXCEEDED` and records nothing. One policy object should be shared
 * by every view of a site so that two sessions of one user see one count.
 *
 * @example
 * ```ts
 * const quota = createDirectoryQuota();
 * const view = createFileView({ roots: [home], quota });
 * ```
 */
export interface QuotaPolicy {
  /** Records `bytes` more (or, when negative, fewer) in `root`; throws when the limit would be passed. */
  reserve(root: QuotaRoot, bytes: number): Promise<void>;
  /** The current usage of `root`. */
  usage(root: QuotaRoot): Promise<QuotaUsage>;
  /** Forgets what is known about `root`, so it is measured again (after changes made outside the layer). */
  invalidate?(root: QuotaRoot): void;
}
