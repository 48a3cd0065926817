/**
 * How `miguser` shows things to people: sizes, listings, entries.
 * @packageDocumentation
 */
import type { FileEntry } from '../types.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A byte count for people: `1.5 MiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

const TYPE_LETTER: Record<FileEntry['type'], string> = { file: '-', directory: 'd', symlink: 'l', other: '?' };

/** `ls` output: names (folders with a trailing `/`), or with `long` a line per entry. */
export function formatListing(entries: readonly FileEntry[], long: boolean): string {
  if (!long) return entries.map((e) => `${e.name}${e.type === 'directory' ? '/' : ''}\n`).join('');
  const sizes = entries.map((e) => String(e.size));
  const width = Math.max(1, ...sizes.map((s) => s.length));
  return entries
    .map((e, i) => {
      const when = e.mtime.replace('T', ' ').replace(/\.\d+Z$|Z$/, '').slice(0, 16);
      return `${TYPE_LETTER[e.type] ?? '?'} ${(sizes[i] ?? '').padStart(width)}  ${when}  ${e.name}${e.type === 'directory' ? '/' : ''}\n`;
    })
    .join('');
}

/** `stat` output for people. */
export function formatEntry(entry: FileEntry): string {
  const lines = [
    `path:  ${entry.path}`,
    `type:  ${entry.type}`,
    `size:  ${entry.size} (${formatBytes(entry.size)})`,
    `mtime: ${entry.mtime}`,
    ...(entry.mode !== undefined ? [`mode:  ${entry.mode.toString(8).padStart(4, '0')}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
