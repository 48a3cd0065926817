/**
 * Finding entries by name below a folder of a view: a bounded breadth-first walk (symlinks are not
 * followed into), matching a glob on names.
 * @packageDocumentation
 */
import type { FileView } from '@migrid/core';
import { childPath, displayPath, entryJson, type EntryJson } from './file-json.js';

/** Most folders one search visits, so a search cannot keep the server busy without end. */
const MAX_FOLDERS = 20_000;

/** A case-insensitive matcher for a glob (`*`, `?`); a pattern without wildcards matches names containing it. */
export function nameMatcher(pattern: string): (name: string) => boolean {
  const p = pattern.normalize('NFC').toLowerCase();
  if (!/[*?]/.test(p)) return (name) => name.toLowerCase().includes(p);
  const source = p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const re = new RegExp(`^${source}$`, 's');
  return (name) => re.test(name.toLowerCase());
}

/** Entries below `path` whose names match `pattern`, at most `limit`. */
export async function findInView(view: FileView, path: string, pattern: string, limit: number): Promise<{ entries: EntryJson[]; truncated: boolean }> {
  const matches = nameMatcher(pattern);
  const entries: EntryJson[] = [];
  const queue: string[] = [displayPath(path)];
  await view.list(path); // the start must exist and be a folder
  let visited = 0;
  while (queue.length > 0 && visited < MAX_FOLDERS) {
    const dir = queue.shift() as string;
    visited += 1;
    let infos;
    try {
      infos = await view.list(dir);
    } catch {
      continue; // vanished or unreadable meanwhile
    }
    for (const info of infos) {
      const p = childPath(dir, info.name);
      if (matches(info.name)) {
        if (entries.length >= limit) return { entries, truncated: true };
        entries.push(entryJson(p, info));
      }
      if (info.type === 'directory') queue.push(p);
    }
  }
  return { entries, truncated: queue.length > 0 };
}
