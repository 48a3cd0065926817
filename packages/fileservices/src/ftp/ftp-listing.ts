/**
 * Directory listing formats of the FTP server: `LIST` (`ls -l` style), `NLST` and `MLSD`/`MLST`
 * facts (RFC 3659).
 * @packageDocumentation
 */
import type { FileInfo } from '@migrid/core';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HALF_YEAR_MS = 182 * 24 * 3600 * 1000;

function modeString(info: FileInfo): string {
  const kind = info.type === 'directory' ? 'd' : info.type === 'symlink' ? 'l' : '-';
  let bits = '';
  for (let shift = 6; shift >= 0; shift -= 3) {
    const m = (info.mode >> shift) & 7;
    bits += (m & 4 ? 'r' : '-') + (m & 2 ? 'w' : '-') + (m & 1 ? 'x' : '-');
  }
  return kind + bits;
}

/** One `ls -l` style line (without line end), as FTP clients parse `LIST` output. */
export function listLine(info: FileInfo, now: Date = new Date()): string {
  const t = info.mtime;
  const day = String(t.getUTCDate()).padStart(2, ' ');
  const recent = Math.abs(now.getTime() - t.getTime()) < HALF_YEAR_MS;
  const when = recent
    ? `${String(t.getUTCHours()).padStart(2, '0')}:${String(t.getUTCMinutes()).padStart(2, '0')}`
    : String(t.getUTCFullYear()).padStart(5, ' ');
  return `${modeString(info)} 1 owner group ${String(info.size).padStart(12, ' ')} ${MONTHS[t.getUTCMonth()] ?? 'Jan'} ${day} ${when} ${info.name}`;
}

/** `YYYYMMDDHHMMSS` in UTC (MDTM, MLSD `modify`). */
export function ftpTime(date: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(date.getUTCFullYear(), 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}

/**
 * MLSD/MLST facts for an entry followed by a space and `name` (RFC 3659 section 7). `dirType`
 * overrides the type of a folder (`cdir`/`pdir`).
 */
export function mlsxLine(info: FileInfo, name: string, dirType?: 'cdir'): string {
  const type = info.type === 'directory' ? (dirType ?? 'dir') : info.type === 'file' ? 'file' : 'OS.unix=' + (info.type === 'symlink' ? 'symlink' : 'other');
  const perm = info.type === 'directory' ? 'elcmfd' : 'radfw';
  return `type=${type};size=${info.size};modify=${ftpTime(info.mtime)};perm=${perm};UNIX.mode=0${(info.mode & 0o777).toString(8)}; ${name}`;
}
