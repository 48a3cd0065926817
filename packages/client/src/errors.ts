/**
 * The client's two errors: {@link MigApiError} when the site answered with an error, and
 * {@link MigClientError} when the request never got an answer (TLS, network) or something on this
 * side went wrong (a local file, the config).
 * @packageDocumentation
 */

/** Details a site may attach to an error answer (e.g. the expected offset of an upload). */
export type MigErrorDetails = Readonly<Record<string, unknown>>;

/**
 * The site answered with an error: its stable `code` (e.g. `MIG_E_PATH_NOT_FOUND`), its
 * `message` and the HTTP `status`.
 * @example
 * ```ts
 * try { await client.stat('/missing'); }
 * catch (err) { if (err instanceof MigApiError && err.code === 'MIG_E_PATH_NOT_FOUND') console.log('no such file'); }
 * ```
 */
export class MigApiError extends Error {
  override readonly name = 'MigApiError';
  /** The site's stable error code. */
  readonly code: string;
  /** The HTTP status of the answer. */
  readonly status: number;
  /** Extra fields of the answer, when the site sent any. */
  readonly details: MigErrorDetails | undefined;

  constructor(status: number, code: string, message: string, details?: MigErrorDetails) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Codes of {@link MigClientError}. */
export type MigClientErrorCode =
  /** The site's TLS certificate is not trusted (pass the site CA) or does not name the host. */
  | 'MIG_E_TLS'
  /** The site could not be reached or the connection broke. */
  | 'MIG_E_CONNECTION'
  /** The site answered something that is not the documented API (wrong URL?). */
  | 'MIG_E_PROTOCOL'
  /** A local file or folder could not be read or written. */
  | 'MIG_E_LOCAL_IO'
  /** The command line was wrong. */
  | 'MIG_E_USAGE'
  /** The miguser config is missing, unreadable or incomplete (log in first). */
  | 'MIG_E_NOT_LOGGED_IN'
  /** A transfer ended with other bytes than announced. */
  | 'MIG_E_TRANSFER';

/** Something went wrong on the client side, before or instead of an answer from the site. */
export class MigClientError extends Error {
  override readonly name = 'MigClientError';
  /** A stable code, see {@link MigClientErrorCode}. */
  readonly code: MigClientErrorCode;

  constructor(code: MigClientErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

function errorCodeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
  }
  return undefined;
}

/**
 * Turns a low-level failure of a request (TLS, socket, DNS) into a {@link MigClientError}; errors
 * that already are client or API errors pass through.
 */
export function toClientError(err: unknown, url: string): Error {
  if (err instanceof MigApiError || err instanceof MigClientError) return err;
  const code = errorCodeOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  let origin = url;
  try {
    origin = new URL(url).origin;
  } catch {
    // keep the text as given
  }
  if (code !== undefined && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))) {
    const hint = code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? 'use the host name the certificate was made for'
      : "pass --ca FILE with the site's CA certificate (a site made by `mig init` keeps it in state/certs/ca.pem)";
    return new MigClientError('MIG_E_TLS', `The TLS certificate of ${origin} is not trusted (${detail}); ${hint}.`, { cause: err });
  }
  if (code === 'ABORT_ERR' || (err instanceof Error && err.name === 'AbortError')) return err instanceof Error ? err : new Error(detail);
  return new MigClientError('MIG_E_CONNECTION', `Could not talk to ${origin}: ${detail}${code !== undefined && !detail.includes(code) ? ` [${code}]` : ''}.`, { cause: err });
}
