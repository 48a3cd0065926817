import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { parseInput } from '../validation/parse-input.js';
import type { FileEventListener } from './file-event.js';
import type { QuotaPolicy } from './quota-policy.js';
import { DEFAULT_HIDDEN_NAMES, DEFAULT_MAX_NAME_BYTES, DEFAULT_MAX_PATH_BYTES, parseVirtualPath, type PathRules } from './virtual-path.js';

/** What a principal may do in one root. */
export interface RootAccess {
  /** Open files for reading, stat, readlink, realpath. */
  readonly read: boolean;
  /** Create, change, rename, remove. */
  readonly write: boolean;
  /** List folders (and stat, readlink, realpath). */
  readonly list: boolean;
}

/** One directory tree that appears in a view. */
export interface ViewRoot {
  /** A stable id (e.g. `home:<user id>`, `vgrid:Physics`); events and quota use it. */
  readonly id: string;
  /** Where it appears in the view: `/` for a home, `/Physics` or `/Physics/Sub` for shares. */
  readonly mountPath: string;
  /** The absolute host directory (may be a symlink; its real path is the boundary). */
  readonly hostPath: string;
  readonly access: RootAccess;
  /**
   * Whether the mount point itself may not be removed (default `true`). Renaming a mount point is
   * never possible (where a root appears is the view's decision, not the disk's); the view's `/` is
   * always protected. Set `false` only for scratch roots whose folder may be deleted as a whole.
   */
  readonly protected?: boolean;
  /** The root's quota in bytes, enforced through the view's {@link QuotaPolicy}. */
  readonly quotaBytes?: number;
}

/** How symlinks created through the layer are treated. */
export type SymlinkPolicy = 'deny' | 'within-view';

/** Everything a view is made of. */
export interface ViewSpec {
  readonly roots: readonly ViewRoot[];
  /** Names hidden in every folder (default {@link DEFAULT_HIDDEN_NAMES}). */
  readonly hiddenNames?: readonly string[];
  /**
   * `deny` (default): no symlinks can be created. `within-view`: only relative targets that stay
   * inside the link's own root. Existing links that lead out are refused either way.
   */
  readonly symlinkPolicy?: SymlinkPolicy;
  /** Limit per path component in UTF-8 bytes (default 255, at most 255). */
  readonly maxNameBytes?: number;
  /** Limit per path in UTF-8 bytes (default 4096, at most 4096). */
  readonly maxPathBytes?: number;
  /** The quota seam; default: a {@link createDirectoryQuota} private to this view. */
  readonly quota?: QuotaPolicy;
  /** Receives change events. */
  readonly events?: FileEventListener;
}

const nameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !n.includes('/') && n !== '.' && n !== '..' && !/[\u0000-\u001f\u007f]/.test(n), 'must be a plain file name');

const rootSchema = z.strictObject({
  id: z.string().min(1).max(256).refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters'),
  mountPath: z.string().min(1).max(4096),
  hostPath: z.string().min(1).max(4096).refine((p) => isAbsolute(p) && !p.includes('\u0000'), 'must be an absolute path'),
  access: z.strictObject({ read: z.boolean(), write: z.boolean(), list: z.boolean() }),
  protected: z.boolean().optional(),
  quotaBytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
});

const specSchema = z.strictObject({
  roots: z.array(rootSchema).min(1).max(10_000),
  hiddenNames: z.array(nameSchema).max(1000).optional(),
  symlinkPolicy: z.enum(['deny', 'within-view']).optional(),
  maxNameBytes: z.number().int().min(1).max(DEFAULT_MAX_NAME_BYTES).optional(),
  maxPathBytes: z.number().int().min(1).max(DEFAULT_MAX_PATH_BYTES).optional(),
  quota: z
    .custom<QuotaPolicy>((q) => typeof q === 'object' && q !== null && typeof (q as QuotaPolicy).reserve === 'function' && typeof (q as QuotaPolicy).usage === 'function', 'must be a QuotaPolicy')
    .optional(),
  events: z.custom<FileEventListener>((f) => typeof f === 'function', 'must be a function').optional(),
});

/** A root after checking: normalised mount path, protection resolved. */
export interface CheckedRoot {
  readonly id: string;
  readonly mountParts: readonly string[];
  readonly mountPath: string;
  readonly hostPath: string;
  readonly access: RootAccess;
  readonly protected: boolean;
  readonly quotaBytes: number | undefined;
}

/** A spec after checking. */
export interface CheckedSpec {
  readonly roots: readonly CheckedRoot[];
  readonly rules: PathRules;
  readonly symlinkPolicy: SymlinkPolicy;
  readonly quota: QuotaPolicy | undefined;
  readonly events: FileEventListener | undefined;
}

/**
 * Validates a {@link ViewSpec}: shapes and limits (`MIG_E_INVALID_INPUT`), unique root ids and mount
 * paths, mount paths that are valid virtual paths free of hidden names.
 */
export function checkViewSpec(input: unknown): CheckedSpec {
  const spec = parseInput(specSchema, input, 'view spec');
  const rules: PathRules = {
    maxNameBytes: spec.maxNameBytes ?? DEFAULT_MAX_NAME_BYTES,
    maxPathBytes: spec.maxPathBytes ?? DEFAULT_MAX_PATH_BYTES,
    hiddenNames: new Set((spec.hiddenNames ?? DEFAULT_HIDDEN_NAMES).map((n) => n.normalize('NFC'))),
  };
  const ids = new Set<string>();
  const mounts = new Set<string>();
  const roots = spec.roots.map((root, index): CheckedRoot => {
    if (ids.has(root.id)) throw new InvalidInputError(`Invalid view spec: roots.${index}.id: the id ${JSON.stringify(root.id)} is used twice.`);
    ids.add(root.id);
    let mountParts: string[];
    try {
      mountParts = parseVirtualPath(root.mountPath, rules);
    } catch (err) {
      throw new InvalidInputError(`Invalid view spec: roots.${index}.mountPath: ${(err as Error).message}`);
    }
    const mountPath = `/${mountParts.join('/')}`;
    if (mounts.has(mountPath)) throw new InvalidInputError(`Invalid view spec: roots.${index}.mountPath: ${mountPath} is used twice.`);
    mounts.add(mountPath);
    return {
      id: root.id,
      mountParts,
      mountPath,
      hostPath: root.hostPath,
      access: { ...root.access },
      protected: root.protected ?? true,
      quotaBytes: root.quotaBytes,
    };
  });
  return { roots, rules, symlinkPolicy: spec.symlinkPolicy ?? 'deny', quota: spec.quota, events: spec.events };
}
