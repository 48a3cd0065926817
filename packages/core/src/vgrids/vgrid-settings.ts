/**
 * A VGrid's settings (MiG's `vgridkeywords.py`, the part a modern site needs). Each VGrid has its
 * own settings; a new sub-VGrid starts from the defaults. Not carried over from MiG: the
 * `restrict_*_adm` limits (every owner may manage; the site's `[vgrids] managers` filter narrows
 * it) and `write_priv_web`/`write_pub_web` (web folders are always written by owners and read by
 * members, MiG's defaults).
 * @packageDocumentation
 */
import { z } from 'zod';
import { parseInput } from '../validation/parse-input.js';

/** Who may see a list (owners, members, resources) of a VGrid. */
export type VgridVisibility = 'owners' | 'members' | 'everyone';

/** Who may make share links into the VGrid's shared folder. */
export type VgridShareLinkRight = 'owners' | 'members' | 'none';

/** The settings of one VGrid. */
export interface VgridSettings {
  /** Free text shown on the VGrid's pages (at most 4096 characters). */
  readonly description: string;
  /** Who may see the owners list (MiG's `visible_owners`). */
  readonly visibleOwners: VgridVisibility;
  /** Who may see the members list. */
  readonly visibleMembers: VgridVisibility;
  /** Who may see the resources list. */
  readonly visibleResources: VgridVisibility;
  /** Whether the VGrid is left out of listings for people who do not participate. */
  readonly hidden: boolean;
  /** How many owners get each membership or ownership request (the first ones, by when they were added; 1-1000). */
  readonly requestRecipients: number;
  /** Members may read but not change the shared folder (MiG's `write_shared_files = owners`); owners always write. */
  readonly readOnly: boolean;
  /** Who may make share links inside the shared folder (MiG's `create_sharelink`). */
  readonly createShareLink: VgridShareLinkRight;
}

/**
 * The settings of a new VGrid (MiG's defaults).
 *
 * @example
 * ```ts
 * DEFAULT_VGRID_SETTINGS.requestRecipients; // 10
 * ```
 */
export const DEFAULT_VGRID_SETTINGS: VgridSettings = Object.freeze({
  description: '',
  visibleOwners: 'owners',
  visibleMembers: 'owners',
  visibleResources: 'owners',
  hidden: false,
  requestRecipients: 10,
  readOnly: false,
  createShareLink: 'owners',
});

const visibility = z.enum(['owners', 'members', 'everyone']);
const description = z.string().max(4096).refine((v) => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(v), 'must not contain control characters other than line breaks and tabs');

const patchSchema = z.strictObject({
  description: description.optional(),
  visibleOwners: visibility.optional(),
  visibleMembers: visibility.optional(),
  visibleResources: visibility.optional(),
  hidden: z.boolean().optional(),
  requestRecipients: z.int().min(1).max(1000).optional(),
  readOnly: z.boolean().optional(),
  createShareLink: z.enum(['owners', 'members', 'none']).optional(),
});

/** A change of some settings; keys left out keep their value. */
export type VgridSettingsPatch = Partial<VgridSettings>;

/**
 * Checks a settings change (unknown keys, wrong types and values out of range are refused).
 *
 * @throws InvalidInputError `MIG_E_INVALID_INPUT`
 * @example
 * ```ts
 * checkVgridSettingsPatch({ readOnly: true }); // { readOnly: true }
 * ```
 */
export function checkVgridSettingsPatch(patch: unknown): VgridSettingsPatch {
  const parsed = parseInput(patchSchema, patch, 'VGrid settings');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) if (v !== undefined) out[k] = v;
  return out as VgridSettingsPatch;
}

/**
 * Applies a checked patch to settings.
 *
 * @example
 * ```ts
 * applyVgridSettings(DEFAULT_VGRID_SETTINGS, { hidden: true }).hidden; // true
 * ```
 */
export function applyVgridSettings(settings: VgridSettings, patch: VgridSettingsPatch): VgridSettings {
  return Object.freeze({ ...settings, ...patch });
}

/**
 * Reads the stored JSON form; keys missing from older rows get their defaults, broken values are
 * replaced by defaults (never trusted).
 *
 * @example
 * ```ts
 * vgridSettingsFromJson('{"readOnly":true}').readOnly; // true
 * ```
 */
export function vgridSettingsFromJson(text: string): VgridSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return DEFAULT_VGRID_SETTINGS;
  }
  if (typeof raw !== 'object' || raw === null) return DEFAULT_VGRID_SETTINGS;
  const out: Record<string, unknown> = { ...DEFAULT_VGRID_SETTINGS };
  for (const [key, schema] of Object.entries(patchSchema.shape)) {
    const value = (raw as Record<string, unknown>)[key];
    if (value !== undefined && schema.safeParse(value).success) out[key] = value;
  }
  return Object.freeze(out) as unknown as VgridSettings;
}
