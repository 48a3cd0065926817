import { ConflictError, FileAccessError, InvalidInputError, MigError, NotFoundError } from '../errors.js';
import { describePath } from './virtual-path.js';

/** The `code` of a node system error (`ENOENT`, …), if it is one. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * Turns any error raised while working on `virtualPath` into a {@link MigError}.
 *
 * MigErrors pass through unchanged. Node's system errors become the catalogue codes, with a message
 * that names the *virtual* path only: node's own messages contain host paths, so they are never
 * reused and the node error is not kept as `cause` (the errno code goes into `details`). Unknown
 * errors become `MIG_E_INTERNAL` and keep their cause for the server log.
 */
export function mapFsError(err: unknown, virtualPath: string): MigError {
  if (err instanceof MigError) return err;
  const shown = describePath(virtualPath);
  const errno = errnoOf(err);
  const details = errno === undefined ? undefined : { errno };
  switch (errno) {
    case 'ENOENT':
      return new NotFoundError('MIG_E_PATH_NOT_FOUND', `${shown} does not exist; check the path (and its folders) and try again.`, { details });
    case 'EEXIST':
      return new ConflictError('MIG_E_PATH_EXISTS', `${shown} already exists; choose another name or allow overwriting.`, { details });
    case 'ENOTDIR':
      return new ConflictError('MIG_E_NOT_A_DIRECTORY', `${shown} (or a folder on its way) is not a folder.`, { details });
    case 'EISDIR':
      return new ConflictError('MIG_E_IS_A_DIRECTORY', `${shown} is a folder; this operation needs a file.`, { details });
    case 'ENOTEMPTY':
      return new ConflictError('MIG_E_DIRECTORY_NOT_EMPTY', `The folder ${shown} is not empty; remove its contents first or remove it recursively.`, { details });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'ETXTBSY':
      return new FileAccessError('MIG_E_PERMISSION_DENIED', `Permission denied on ${shown}.`, { details });
    case 'ENOSPC':
    case 'EDQUOT':
      return new FileAccessError('MIG_E_QUOTA_EXCEEDED', `There is no space left to store ${shown}; free some space and try again.`, { details });
    case 'ELOOP':
      return new FileAccessError('MIG_E_PATH_ESCAPE', `${shown} leads through a symbolic link that cannot be followed safely.`, { details });
    case 'ENAMETOOLONG':
      return new FileAccessError('MIG_E_PATH_INVALID', `${shown} is too long; use a shorter path.`, { details });
    case 'EINVAL':
      return new FileAccessError('MIG_E_PATH_INVALID', `The operation is not possible on ${shown} (for example a folder into itself, or an entry of the wrong kind).`, { details });
    case 'ENXIO':
    case 'ENODEV':
      return new FileAccessError('MIG_E_PERMISSION_DENIED', `${shown} is a special file and cannot be opened.`, { details });
    case 'EBADF':
      return new FileAccessError('MIG_E_PERMISSION_DENIED', `The file ${shown} is not open for this kind of access.`, { details });
    default:
      return new MigError('MIG_E_INTERNAL', `The file operation on ${shown} failed unexpectedly; try again or contact the site's support.`, {
        cause: err,
        ...(details === undefined ? {} : { details }),
      });
  }
}

/** `MIG_E_PATH_ESCAPE` for `virtualPath`. */
export function escapeError(virtualPath: string): FileAccessError {
  return new FileAccessError('MIG_E_PATH_ESCAPE', `${describePath(virtualPath)} leads outside its top folder (through a symbolic link); access refused.`);
}

/** `MIG_E_RANGE_INVALID` for a byte range that does not fit the file. */
export function rangeError(virtualPath: string, message: string): InvalidInputError {
  return new InvalidInputError(`Invalid byte range for ${describePath(virtualPath)}: ${message}.`, { code: 'MIG_E_RANGE_INVALID' });
}
