/**
 * A tiny WebDAV-over-TLS client for the WebDAVS tests: one request per call (node's `https`,
 * verifying the site CA), and raw TLS sockets for hostile input.
 */
import { request } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';

export interface DavTarget {
  readonly port: number;
  /** The site CA (PEM) to verify the server with. */
  readonly ca: string | Buffer;
  readonly login?: string;
  readonly password?: string;
}

export interface DavResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly text: string;
}

/** Sends one request and collects the answer. */
export function dav(
  t: DavTarget,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; login?: string; password?: string } = {},
): Promise<DavResponse> {
  const login = options.login ?? t.login;
  const password = options.password ?? t.password;
  const headers: Record<string, string> = { ...options.headers };
  if (login !== undefined && password !== undefined && headers.Authorization === undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
  }
  headers.Host ??= `localhost:${t.port}`;
  if (options.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', servername: 'localhost', port: t.port, ca: t.ca, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Opens a verified TLS connection to the server. */
export function rawTls(t: DavTarget): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', servername: 'localhost', port: t.port, ca: t.ca }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `data` on a raw connection and collects what comes back until the server closes or `ms` pass. */
export function rawExchange(t: DavTarget, data: string | Buffer, options: { ms?: number; endAfterWrite?: boolean } = {}): Promise<string> {
  return rawTls(t).then(
    (s) =>
      new Promise((resolve) => {
        const chunks: Buffer[] = [];
        const done = (): void => {
          clearTimeout(timer);
          s.destroy();
          resolve(Buffer.concat(chunks).toString('latin1'));
        };
        const timer = setTimeout(done, options.ms ?? 3000);
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', done);
        s.on('close', done);
        s.on('error', done);
        s.write(data);
        if (options.endAfterWrite === true) s.end();
      }),
  );
}

/** The `Authorization` header value for Basic auth. */
export function basic(login: string, password: string): string {
  return `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
}
