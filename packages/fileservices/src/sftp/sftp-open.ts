/**
 * SFTP v3 open flags (`pflags`) turned into the view's node-style open flags.
 * @packageDocumentation
 */
import { isMigError, type FileHandleLike, type FileView, type OpenFlags } from '@migrid/core';

/** SFTP v3 `pflags` bits. */
export const SFTP_OPEN = { READ: 0x01, WRITE: 0x02, APPEND: 0x04, CREAT: 0x08, TRUNC: 0x10, EXCL: 0x20 } as const;

/** An open handle and whether it may be written through. */
export interface SftpOpened {
  readonly handle: FileHandleLike;
  readonly writable: boolean;
}

/**
 * Opens `path` in `view` the way SFTP's `pflags` ask. Node's flag strings cannot say "create
 * without truncating" or "append to an existing file only", so those are done in two steps; the
 * view still checks every step (a race can at worst create an empty file the caller may create).
 */
export async function openForSftp(view: FileView, path: string, pflags: number): Promise<SftpOpened> {
  const has = (bit: number): boolean => (pflags & bit) !== 0;
  const append = has(SFTP_OPEN.APPEND);
  const write = has(SFTP_OPEN.WRITE) || append;
  if (!write) return { handle: await view.open(path, 'r'), writable: false };
  const plus = has(SFTP_OPEN.READ);
  const create = has(SFTP_OPEN.CREAT);
  const exclusive = create && has(SFTP_OPEN.EXCL);
  const truncate = has(SFTP_OPEN.TRUNC);
  const opened = (handle: FileHandleLike): SftpOpened => ({ handle, writable: true });

  if (append) {
    if (exclusive) return opened(await view.open(path, plus ? 'ax+' : 'ax'));
    if (!create) await view.stat(path); // must exist (PATH_NOT_FOUND otherwise)
    const handle = await view.open(path, plus ? 'a+' : 'a');
    if (truncate) await truncateOrClose(handle);
    return opened(handle);
  }
  if (exclusive) return opened(await view.open(path, plus ? 'wx+' : 'wx'));
  if (create && truncate) return opened(await view.open(path, plus ? 'w+' : 'w'));
  if (create) return opened(await openOrCreate(view, path));
  const handle = await view.open(path, 'r+');
  if (truncate) await truncateOrClose(handle);
  return opened(handle);
}

async function truncateOrClose(handle: FileHandleLike): Promise<void> {
  try {
    await handle.truncate(0);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** Opens an existing file for writing without truncating it, or creates it. */
async function openOrCreate(view: FileView, path: string): Promise<FileHandleLike> {
  const flags: OpenFlags[] = ['r+', 'wx', 'r+'];
  let last: unknown;
  for (const flag of flags) {
    try {
      return await view.open(path, flag);
    } catch (err) {
      last = err;
      const retry = flag === 'r+' ? isMigError(err, 'MIG_E_PATH_NOT_FOUND') : isMigError(err, 'MIG_E_PATH_EXISTS');
      if (!retry) throw err;
    }
  }
  throw last;
}
