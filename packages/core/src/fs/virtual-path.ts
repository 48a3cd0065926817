import { FileAccessError } from '../errors.js';

/**
 * The prefix of the layer's own temporary names (uploads in progress, copies being built, trees
 * being replaced). Names with this prefix are hidden like {@link DEFAULT_HIDDEN_NAMES}: they are
 * never listed and no virtual path may name them, so nobody can read or hijack a half-written file.
 */
export const UPLOAD_TEMP_PREFIX = '.mig-upload-';

/**
 * The names MiG keeps invisible in every file interface (its `invisible_path` list): web server
 * control files and the internal folders of VGrid components and the trash. Used when a
 * {@link ViewSpec} gives no `hiddenNames`.
 */
export const DEFAULT_HIDDEN_NAMES: readonly string[] = Object.freeze([
  '.htaccess',
  '.vgridscm',
  '.vgridtracker',
  '.vgridwiki',
  '.vgridforum',
  '.trash',
]);

/** Default limit on the bytes (UTF-8) of one path component; Linux's NAME_MAX. */
export const DEFAULT_MAX_NAME_BYTES = 255;
/** Default limit on the bytes (UTF-8) of a whole virtual path; Linux's PATH_MAX. */
export const DEFAULT_MAX_PATH_BYTES = 4096;

/** The limits and hidden names a view applies to every virtual path. */
export interface PathRules {
  readonly maxNameBytes: number;
  readonly maxPathBytes: number;
  readonly hiddenNames: ReadonlySet<string>;
}

// C0 controls (NUL included), DEL and the C1 controls: never part of a sane file name, and some of
// them (newline, ESC) let a name forge log lines or terminal output.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/u;
// A lone UTF-16 surrogate cannot be encoded as UTF-8; Node would turn it into U+FFFD, so two
// different strings would silently name the same file.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when `name` is hidden by `rules`: an exact hidden name or one of the layer's temporary names. */
export function isHiddenName(name: string, rules: Pick<PathRules, 'hiddenNames'>): boolean {
  return rules.hiddenNames.has(name) || name.startsWith(UPLOAD_TEMP_PREFIX);
}

/** Shows a path in a message: bounded, with anything unprintable escaped (it may be hostile). */
export function describePath(path: unknown): string {
  if (typeof path !== 'string') return `(${typeof path})`;
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  return JSON.stringify(shown);
}

/**
 * Checks a virtual path and turns it into its normalised components.
 *
 * Rules, in order:
 * - it must be a string without control characters or lone surrogates (`MIG_E_PATH_INVALID`);
 * - it is NFC-normalised. Clients differ (macOS sends decomposed `é`, most others composed);
 *   normalising every incoming path means one name always reaches one file, whatever the client.
 *   Names already on disk in another form are listed as they are and are reachable only by
 *   clients that send exactly that form after NFC, which for NFD names means not at all: rename
 *   them on the host if that matters;
 * - the whole path may not exceed `maxPathBytes` and no component `maxNameBytes` (UTF-8 bytes);
 * - `/` separates components; empty and `.` components are dropped, `..` removes the previous
 *   component and may never climb above `/` (`MIG_E_PATH_ESCAPE`). This is lexical, as MiG's
 *   `abspath`: `link/..` is the folder holding `link`, never the parent of the link's target;
 * - no component, including ones a later `..` removes, may be a hidden name or start with
 *   {@link UPLOAD_TEMP_PREFIX} (`MIG_E_PATH_HIDDEN`);
 * - nothing is decoded: `%2e%2e` and `\` are ordinary characters of a name.
 *
 * @returns the components of the normalised path (`[]` for `/`).
 * @example
 * ```ts
 * parseVirtualPath('/a/./b/../c', rules); // ['a', 'c']
 * ```
 */
export function parseVirtualPath(path: unknown, rules: PathRules): string[] {
  if (typeof path !== 'string') {
    throw new FileAccessError('MIG_E_PATH_INVALID', `A path must be a string, not ${describePath(path)}.`);
  }
  // Cheap bound before any per-character work: every UTF-16 unit is at least one UTF-8 byte.
  if (path.length > rules.maxPathBytes) throw tooLong(path, rules);
  if (CONTROL_CHARS.test(path)) {
    throw new FileAccessError('MIG_E_PATH_INVALID', `The path ${describePath(path)} contains a control character; remove it and try again.`);
  }
  if (LONE_SURROGATE.test(path)) {
    throw new FileAccessError('MIG_E_PATH_INVALID', `The path ${describePath(path)} is not valid Unicode; use a name that can be written as UTF-8.`);
  }
  const normalised = path.normalize('NFC');
  if (Buffer.byteLength(normalised, 'utf8') > rules.maxPathBytes) throw tooLong(normalised, rules);
  const out: string[] = [];
  for (const component of normalised.split('/')) {
    if (component === '' || component === '.') continue;
    if (component === '..') {
      if (out.length === 0) {
        throw new FileAccessError('MIG_E_PATH_ESCAPE', `The path ${describePath(path)} climbs above the top folder; remove the extra "..".`);
      }
      out.pop();
      continue;
    }
    if (Buffer.byteLength(component, 'utf8') > rules.maxNameBytes) {
      throw new FileAccessError(
        'MIG_E_PATH_INVALID',
        `A name in the path ${describePath(path)} is longer than ${rules.maxNameBytes} bytes; use a shorter name.`,
        { details: { maxNameBytes: rules.maxNameBytes } },
      );
    }
    if (isHiddenName(component, rules)) {
      throw new FileAccessError('MIG_E_PATH_HIDDEN', `The path ${describePath(path)} names a reserved, hidden entry; choose another name.`);
    }
    out.push(component);
  }
  return out;
}

/** Joins components into the normalised virtual path (`/` for none). */
export function formatVirtualPath(components: readonly string[]): string {
  return `/${components.join('/')}`;
}

function tooLong(path: string, rules: PathRules): FileAccessError {
  return new FileAccessError('MIG_E_PATH_INVALID', `The path ${describePath(path.slice(0, 60))} is longer than ${rules.maxPathBytes} bytes; use a shorter path.`, {
    details: { maxPathBytes: rules.maxPathBytes },
  });
}
