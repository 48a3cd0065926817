import { FileAccessError, NotFoundError, PolicyError, type FileInfo } from '@migrid/core';
import { describe, expect, it } from 'vitest';
import { ftpTime, listLine, mlsxLine } from '../src/ftp/ftp-listing.js';
import { ftpReplyOf, oneLine } from '../src/ftp/ftp-reply.js';

const t = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
const file: FileInfo = { name: 'a b.txt', type: 'file', size: 42, mtime: t, atime: t, ctime: t, mode: 0o644 };
const dir: FileInfo = { ...file, name: 'sub', type: 'directory', size: 4096, mode: 0o755 };

describe('FTP listing formats', () => {
  it('formats ls -l lines with recent and old dates', () => {
    expect(listLine(file, new Date(Date.UTC(2026, 0, 10)))).toBe('-rw-r--r-- 1 owner group           42 Jan  2 03:04 a b.txt');
    expect(listLine(dir, new Date(Date.UTC(2027, 6, 1)))).toBe('drwxr-xr-x 1 owner group         4096 Jan  2  2026 sub');
  });
  it('formats MLSD facts and MDTM times', () => {
    expect(ftpTime(t)).toBe('20260102030405');
    expect(mlsxLine(file, file.name)).toBe('type=file;size=42;modify=20260102030405;perm=radfw;UNIX.mode=0644; a b.txt');
    expect(mlsxLine(dir, '.', 'cdir')).toMatch(/^type=cdir;/);
  });
});

describe('FTP replies for core errors', () => {
  it('maps quota to 552, not found to 550 and unknown errors to 451', () => {
    expect(ftpReplyOf(new FileAccessError('MIG_E_QUOTA_EXCEEDED', 'full')).code).toBe(552);
    expect(ftpReplyOf(new NotFoundError('MIG_E_PATH_NOT_FOUND', 'no /x')).code).toBe(550);
    expect(ftpReplyOf(new PolicyError('MIG_E_TOO_MANY_SESSIONS', 'busy')).code).toBe(550);
    const odd = ftpReplyOf(new Error('/srv/secret/host/path'));
    expect(odd.code).toBe(451);
    expect(odd.message).not.toContain('/srv');
  });
  it('never lets a reply span lines', () => {
    expect(oneLine('a\r\n230 fake\nb')).toBe('a 230 fake b');
  });
});
