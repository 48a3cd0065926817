/**
 * How the core's errors become FTP replies (RFC 959 codes).
 * @packageDocumentation
 */
import { isMigError } from '@migrid/core';

/** An FTP reply for an error: code, one-line text, and whether it deserves an error log. */
export interface FtpErrorReply {
  readonly code: number;
  readonly message: string;
  /** True when the error was not one the core throws on purpose. */
  readonly unexpected: boolean;
}

/**
 * Maps an error from the file view to an FTP reply. Core messages name virtual paths only, so they
 * are safe to send (newlines are flattened); anything else becomes a generic `451`.
 */
export function ftpReplyOf(err: unknown): FtpErrorReply {
  if (!isMigError(err)) return { code: 451, message: 'Internal server error; try again later.', unexpected: true };
  const message = oneLine(err.message);
  switch (err.code) {
    case 'MIG_E_QUOTA_EXCEEDED':
      return { code: 552, message: `Quota exceeded: ${message}`, unexpected: false };
    case 'MIG_E_PATH_INVALID':
    case 'MIG_E_INVALID_INPUT':
      return { code: 553, message, unexpected: false };
    case 'MIG_E_RANGE_INVALID':
      return { code: 554, message, unexpected: false };
    default:
      return { code: 550, message, unexpected: err.status >= 500 };
  }
}

/** Flattens text to one printable line for a reply (no CR/LF injection). */
export function oneLine(text: string): string {
  return text.replace(/[\r\n\0]+/g, ' ').slice(0, 512);
}
