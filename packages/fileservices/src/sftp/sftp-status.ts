/**
 * How the core's errors become SFTP v3 status codes and messages.
 * @packageDocumentation
 */
import { isMigError } from '@migrid/core';

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02, section 7). */
export const SFTP_STATUS = {
  OK: 0,
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  OP_UNSUPPORTED: 8,
} as const;

/** One of {@link SFTP_STATUS}'s values. */
export type SftpStatusCode = (typeof SFTP_STATUS)[keyof typeof SFTP_STATUS];

/** A status answer: the code and a message for the person at the client. */
export interface SftpStatusAnswer {
  readonly code: SftpStatusCode;
  readonly message: string;
  /** True when the error was not one the core throws on purpose (worth logging as an error). */
  readonly unexpected: boolean;
}

const DENIED = new Set(['MIG_E_PERMISSION_DENIED', 'MIG_E_PATH_ESCAPE', 'MIG_E_PATH_HIDDEN', 'MIG_E_SYMLINK_REFUSED', 'MIG_E_PROTECTED_PATH']);

/**
 * Maps an error from the file view to an SFTP status. Core messages name virtual paths only, so
 * they are safe to send; anything else becomes a generic failure (and is flagged for the log).
 * Quota errors are `FAILURE` with a "disk full" message: v3 has no NO_SPACE code and OpenSSH's
 * sftp-server answers ENOSPC the same way.
 */
export function sftpStatusOf(err: unknown): SftpStatusAnswer {
  if (!isMigError(err)) return { code: SFTP_STATUS.FAILURE, message: 'Internal server error; try again later.', unexpected: true };
  if (err.code === 'MIG_E_PATH_NOT_FOUND') return { code: SFTP_STATUS.NO_SUCH_FILE, message: err.message, unexpected: false };
  if (DENIED.has(err.code)) return { code: SFTP_STATUS.PERMISSION_DENIED, message: err.message, unexpected: false };
  if (err.code === 'MIG_E_QUOTA_EXCEEDED') return { code: SFTP_STATUS.FAILURE, message: `Disk full: ${err.message}`, unexpected: false };
  return { code: SFTP_STATUS.FAILURE, message: err.message, unexpected: err.status >= 500 };
}
