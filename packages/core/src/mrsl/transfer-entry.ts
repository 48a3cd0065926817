/**
 * Reading one `source [destination]` line of INPUTFILES, OUTPUTFILES, EXECUTABLES or VERIFYFILES
 * the way MiG's job parser normalises it.
 * @packageDocumentation
 */
import type { FileTransfer } from './job-spec.js';
import { checkPath } from './value-checks.js';

/** MiG `src_dst_sep`: exactly one space separates source and destination. */
export const TRANSFER_SEPARATOR = ' ';

/** Python's `posixpath.normpath` for a relative path (MiG removes leading slashes first). */
function normalizeRelativePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(part);
  }
  return parts.length === 0 ? '.' : parts.join('/');
}

/** True when a transfer part is a URL (`scheme://…`), which MiG keeps as written. */
export function isTransferUrl(part: string): boolean {
  return part.includes('://');
}

/** One normalised part, or the reason it is refused. */
function normalizePart(raw: string): { value: string } | { problem: string } {
  let part = raw;
  while (part.startsWith('/')) part = part.slice(1);
  if (isTransferUrl(part)) {
    // MiG checks only the URL's last path component; it must name a file.
    const name = part.slice(part.lastIndexOf('/') + 1);
    const reason = checkPath(name);
    if (reason !== undefined) {
      return { problem: `the URL must end in a file name of path characters (its last part ${reason})` };
    }
    return { value: part };
  }
  const normalized = normalizeRelativePath(part);
  const reason = checkPath(normalized);
  if (reason !== undefined) return { problem: `the path ${reason}` };
  // Stricter than MiG, which leaves these to the copy step: a transfer names a file below the
  // home or job folder, never the folder itself or anything above it.
  if (normalized === '.' || normalized === '..' || normalized.startsWith('../')) {
    return { problem: 'the path must name a file inside your home or job folder (no "..", not the folder itself)' };
  }
  return { value: normalized };
}

/**
 * Reads one transfer line (already trimmed): `source` or `source destination`.
 * Returns the entry, or the reason the line is refused (never containing the line itself).
 */
export function parseTransferLine(line: string): { entry: FileTransfer } | { problem: string } {
  const parts = line.split(TRANSFER_SEPARATOR);
  if (parts.length < 1 || parts.length > 2) {
    return {
      problem: `an entry must be 'source' or 'source destination' separated by one space, but this line has ${parts.length} space-separated items (file names with spaces are not supported)`,
    };
  }
  const normalized: string[] = [];
  for (const part of parts) {
    const result = normalizePart(part);
    if ('problem' in result) return result;
    normalized.push(result.value);
  }
  const source = normalized[0] ?? '';
  return { entry: { source, destination: normalized[1] ?? source } };
}

/** Writes a transfer entry back as one mRSL line (`source` when both ends are the same). */
export function formatTransferLine(entry: FileTransfer): string {
  return entry.source === entry.destination ? entry.source : `${entry.source}${TRANSFER_SEPARATOR}${entry.destination}`;
}
