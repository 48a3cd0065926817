/**
 * File metadata as SFTP v3 attributes and `ls -l`-style long names.
 * @packageDocumentation
 */
import type { FileInfo } from '@migrid/core';

/** SFTP attributes as ssh2 writes them (times in seconds since the epoch). */
export interface SftpAttributes {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  atime: number;
  mtime: number;
}

const TYPE_BITS = { file: 0o100000, directory: 0o040000, symlink: 0o120000, other: 0 } as const;

/** The attributes of an entry: type bits plus permissions (no owner ids are revealed: 0/0). */
export function sftpAttrsOf(info: FileInfo): SftpAttributes {
  return {
    mode: TYPE_BITS[info.type] | (info.mode & 0o7777),
    uid: 0,
    gid: 0,
    size: info.size,
    atime: Math.floor(info.atime.getTime() / 1000),
    mtime: Math.floor(info.mtime.getTime() / 1000),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SIX_MONTHS_MS = 182 * 24 * 3600 * 1000;

function permissionString(info: FileInfo): string {
  const typeChar = info.type === 'directory' ? 'd' : info.type === 'symlink' ? 'l' : info.type === 'other' ? '?' : '-';
  let out = typeChar;
  for (const shift of [6, 3, 0]) {
    const bits = (info.mode >> shift) & 7;
    out += (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-');
  }
  return out;
}

/** The `ls -l` line OpenSSH clients show for `ls -l` (owner and group are shown as the user). */
export function longNameOf(info: FileInfo, now = Date.now()): string {
  const m = info.mtime;
  const month = MONTHS[m.getUTCMonth()] ?? '???';
  const day = String(m.getUTCDate()).padStart(2, ' ');
  const recent = Math.abs(now - m.getTime()) < SIX_MONTHS_MS;
  const tail = recent ? `${String(m.getUTCHours()).padStart(2, '0')}:${String(m.getUTCMinutes()).padStart(2, '0')}` : ` ${m.getUTCFullYear()}`;
  const links = info.type === 'directory' ? 2 : 1;
  return `${permissionString(info)} ${String(links).padStart(4)} ${'user'.padEnd(8)} ${'user'.padEnd(8)} ${String(info.size).padStart(12)} ${month} ${day} ${tail.padStart(5)} ${info.name}`;
}
