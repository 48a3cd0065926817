/**
 * Stable database keys for WebDAV resources: `<root id>:<path inside the root>`, computed from the
 * view's canonical path, so that two URLs naming one file (through a symlink inside the root)
 * share their properties and locks, and a user's keys do not move when their email changes.
 * @packageDocumentation
 */
import type { FileView } from '@migrid/core';

/**
 * The key of the entry at virtual `path` (which may not exist yet): its folder's canonical path
 * plus its own name, so a symlink has a key of its own and is never followed out of the root.
 */
export async function resourceKeyOf(view: FileView, path: string): Promise<string> {
  const parts = path.split('/').filter((s) => s.length > 0);
  const name = parts.pop();
  if (name === undefined) return keyOfCanonical(view, await view.realpath('/'));
  const dir = await view.realpath(`/${parts.join('/')}`);
  return keyOfCanonical(view, dir === '/' ? `/${name}` : `${dir.replace(/\/+$/, '')}/${name}`);
}

/** The key of an already canonical virtual path. */
export function keyOfCanonical(view: FileView, canonical: string): string {
  const p = canonical.startsWith('/') ? canonical : `/${canonical}`;
  let best: { id: string; mount: string } | undefined;
  for (const r of view.roots) {
    const mount = r.mountPath === '/' ? '' : r.mountPath.replace(/\/+$/, '');
    if ((p === mount || p.startsWith(`${mount}/`) || mount === '') && (best === undefined || mount.length > best.mount.length)) best = { id: r.id, mount };
  }
  const inside = best === undefined ? p : p.slice(best.mount.length) || '/';
  return `${best?.id ?? 'view'}:${inside.length > 1 ? inside.replace(/\/+$/, '') : '/'}`;
}

/** The keys of the folders above `key` in its root, nearest last (`home:1:/a/b` → `home:1:/`, `home:1:/a`). */
export function ancestorKeys(key: string): string[] {
  // Root ids never contain ':/', names inside the root may.
  const split = key.indexOf(':/');
  if (split < 0) return [];
  const root = key.slice(0, split + 1);
  const parts = key.slice(split + 2).split('/').filter((s) => s.length > 0);
  const out: string[] = [];
  for (let n = 0; n < parts.length; n++) out.push(`${root}/${parts.slice(0, n).join('/')}`);
  return out;
}

/** The prefix every descendant key of `key` starts with. */
export function descendantPrefix(key: string): string {
  return key.endsWith('/') ? key : `${key}/`;
}

/** Escapes `\`, `%` and `_` for a SQL `LIKE … escape '\'` pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
