/**
 * MiG's mapping between a distinguished name and a folder name (`base.client_id_dir` /
 * `client_dir_id`) and its command-line alias (`client_alias`). Our homes are named by the stable
 * user id, so these are for compatibility: importing a MiG state folder, or showing an admin which
 * MiG folder belongs to a user.
 *
 * The folder mapping replaces every `/` by `+`, and spaces by `_` inside the CN, O and OU parts
 * only (an email may legitimately contain `_`, which must survive). MiG never allows `+` or `_` in
 * names for this reason; an email containing `+` makes the reverse mapping ambiguous, as in MiG.
 * @packageDocumentation
 */
import { InvalidInputError } from '../errors.js';

const REMAPPED_KEYS = new Set(['CN', 'O', 'OU']);
const MAX_LENGTH = 4096;

function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH || value.includes('\u0000')) {
    throw new InvalidInputError(`Invalid ${what}: must be non-empty text of at most ${MAX_LENGTH} characters without NUL.`, {
      code: 'MIG_E_INVALID_DN',
    });
  }
  return value;
}

function remap(parts: string[], from: string, to: string): string[] {
  return parts.map((entry) => {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    return REMAPPED_KEYS.has(key) ? entry.split(from).join(to) : entry;
  });
}

/**
 * The MiG folder name of a DN.
 *
 * @example
 * ```ts
 * clientIdDir('/C=DK/ST=NA/L=NA/O=NBI/OU=NA/CN=Jonas Bardino/emailAddress=bardino@nbi.ku.dk');
 * // '+C=DK+ST=NA+L=NA+O=NBI+OU=NA+CN=Jonas_Bardino+emailAddress=bardino@nbi.ku.dk'
 * ```
 */
export function clientIdDir(dn: string): string {
  return remap(requireText(dn, 'distinguished name').split('/'), ' ', '_').join('+');
}

/** The DN of a MiG folder name (the reverse of {@link clientIdDir}). */
export function clientDirId(dir: string): string {
  return remap(requireText(dir, 'user folder name').split('+'), '_', ' ').join('/');
}

/**
 * MiG's ASCII-only alias of a DN (`client_alias`), for command-line friendly use: URL-safe base64
 * (with padding, as Python writes it) of the DN after every `=` is replaced by `_`.
 */
export function clientAlias(dn: string): string {
  return Buffer.from(requireText(dn, 'distinguished name').replaceAll('=', '_'), 'utf8').toString('base64url')
    + padding(dn);
}

// Python's urlsafe_b64encode keeps '=' padding; base64url in Node drops it. Re-add it to match.
function padding(dn: string): string {
  const bytes = Buffer.byteLength(dn.replaceAll('=', '_'), 'utf8');
  const rest = bytes % 3;
  return rest === 0 ? '' : '='.repeat(3 - rest);
}
