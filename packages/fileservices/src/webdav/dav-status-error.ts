/**
 * A WebDAV answer that ends a request early (412, 423, 415, …). Internal to the WebDAV handler: it
 * is protocol control flow, not a domain error, so it never leaves the package.
 * @packageDocumentation
 */

/** Ends the request with `status`, an optional `<D:error>` condition and a plain-text reason. */
export class DavStatusError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  /** A DAV precondition element name (e.g. `propfind-finite-depth`) for a `<D:error>` body. */
  readonly condition: string | undefined;
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, options: { condition?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'DavStatusError';
    this.status = status;
    this.condition = options.condition;
    this.headers = options.headers ?? {};
  }
}
