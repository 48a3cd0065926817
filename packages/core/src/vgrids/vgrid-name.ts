/**
 * VGrid names, as MiG allows them (`safeinput.valid_vgrid_name`): ASCII letters, digits, `.`, `-`,
 * `_`, space, and `/` between the levels of a hierarchy (`Physics/Optics`), at most 255
 * characters. Stricter than MiG, on purpose: no empty levels (`A//B`), no level that is `.`/`..`
 * or starts with a dot (dot names are hidden by file clients), no level that starts or ends with
 * a space, no level that is one of the site's hidden names.
 *
 * Reserved top-level names: MiG's `Generic` (its default VGrid; MiG treats any letter case of it
 * as the default, so every case is refused), `ANY` and `ALL` (exact case, as MiG), and the names
 * a home uses for itself, which a VGrid mounted at `/<name>` would shadow in every participant's
 * home: `private_base` and `public_base` (where the VGrids' web folders are mounted),
 * `job_output`, `transfer_output`, `cron_output` and `welcome.txt`.
 * @packageDocumentation
 */
import { InvalidInputError } from '../errors.js';

/** Longest VGrid name, in characters (MiG's limit). */
export const VGRID_NAME_MAX_LENGTH = 255;

/**
 * MiG's reserved VGrid names: the default VGrid and the two job keywords.
 *
 * @example
 * ```ts
 * RESERVED_VGRID_NAMES.includes('ANY'); // true
 * ```
 */
export const RESERVED_VGRID_NAMES: readonly string[] = Object.freeze(['Generic', 'ANY', 'ALL']);

/** Top-level names a home uses itself (a VGrid of that name would shadow them). */
export const HOME_RESERVED_NAMES: readonly string[] = Object.freeze(['private_base', 'public_base', 'job_output', 'transfer_output', 'cron_output', 'welcome.txt']);

/** Where a VGrid's private web folder appears in a participant's home (MiG's `private_base/<name>`). */
export const PRIVATE_WEB_FOLDER = 'private_base';
/** Where a VGrid's public web folder appears in a participant's home (MiG's `public_base/<name>`). */
export const PUBLIC_WEB_FOLDER = 'public_base';

const CHARS = /^[A-Za-z0-9._ /-]+$/;

/** Options of {@link checkVgridName}. */
export interface VgridNameRules {
  /** Names no level may have (the site's `[files] hidden_names`). */
  readonly hiddenNames?: readonly string[];
}

function nameError(reason: string): InvalidInputError {
  return new InvalidInputError(`Invalid VGrid name: ${reason}`, { code: 'MIG_E_VGRID_NAME', details: { field: 'name' } });
}

/**
 * Checks a VGrid name and returns it. Messages never repeat the name (they may end up in HTML).
 *
 * @throws InvalidInputError `MIG_E_VGRID_NAME`
 * @example
 * ```ts
 * checkVgridName('Physics/Optics'); // 'Physics/Optics'
 * checkVgridName('../x'); // throws MIG_E_VGRID_NAME
 * ```
 */
export function checkVgridName(name: unknown, rules: VgridNameRules = {}): string {
  if (typeof name !== 'string' || name.length === 0) throw nameError('give a name such as "Physics" or "Physics/Optics".');
  if (name.length > VGRID_NAME_MAX_LENGTH) throw nameError(`it must be at most ${VGRID_NAME_MAX_LENGTH} characters.`);
  if (!CHARS.test(name)) throw nameError('use only letters A-Z and a-z, digits, ".", "-", "_", space, and "/" between levels.');
  const levels = name.split('/');
  const hidden = new Set(rules.hiddenNames ?? []);
  for (const level of levels) {
    if (level.length === 0) throw nameError('a level is empty (a leading, trailing or doubled "/").');
    if (level.startsWith('.')) throw nameError('no level may start with "." (such names are hidden).');
    if (level !== level.trim()) throw nameError('no level may start or end with a space.');
    if (hidden.has(level)) throw nameError('a level is one of the site\'s hidden names.');
  }
  const top = levels[0] as string;
  if (top.toUpperCase() === 'GENERIC' || RESERVED_VGRID_NAMES.includes(top)) throw nameError('Generic, ANY and ALL are reserved.');
  if (HOME_RESERVED_NAMES.includes(top)) throw nameError(`${HOME_RESERVED_NAMES.join(', ')} are reserved for the folders of a home.`);
  return name;
}

/**
 * The parent of a VGrid, or `null` for a top-level one.
 *
 * @example
 * ```ts
 * vgridParent('A/B/C'); // 'A/B'
 * ```
 */
export function vgridParent(name: string): string | null {
  const at = name.lastIndexOf('/');
  return at === -1 ? null : name.slice(0, at);
}

/**
 * The ancestors of a VGrid, nearest first (not including itself).
 *
 * @example
 * ```ts
 * vgridAncestors('A/B/C'); // ['A/B', 'A']
 * ```
 */
export function vgridAncestors(name: string): string[] {
  const out: string[] = [];
  for (let p = vgridParent(name); p !== null; p = vgridParent(p)) out.push(p);
  return out;
}

/**
 * A VGrid name as one file name (`/` becomes `:`, which names never hold), for the folder its
 * data is moved to on removal.
 *
 * @example
 * ```ts
 * flatVgridName('A/B'); // 'A:B'
 * ```
 */
export function flatVgridName(name: string): string {
  return name.replaceAll('/', ':');
}
