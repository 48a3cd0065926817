/**
 * The WebDAVS server: our own compact WebDAV (class 1 and 2) handler on `node:https`, over the
 * core's authenticator (Basic auth) and the user's file view, with dead properties and locks in
 * the site database.
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ensureSiteCertificates, isMigError, type Database, type FileView, type SiteConfig } from '@migrid/core';
import type { Kysely } from 'kysely';
import { passwordLogin, type FileServiceContext, type PasswordLogin } from '../shared/file-service-context.js';
import { createSessionLimiter, type SessionLimiter } from '../shared/session-limiter.js';
import { ALLOWED_METHODS, handleCopyMove, handleDelete, handleGet, handleMkcol, handleOptions, handlePut } from './dav-file-methods.js';
import { handleLock, handleUnlock } from './dav-lock-methods.js';
import { DavLockStore } from './dav-lock-store.js';
import { handlePropfind, handleProppatch } from './dav-properties.js';
import { DavPropertyStore } from './dav-property-store.js';
import { viewPathOf } from './dav-request-path.js';
import { sendStatusError, sendText, type DavRequest } from './dav-request.js';
import { DavStatusError } from './dav-status-error.js';
import { closeServer, listenOn } from '../shared/listening-server.js';

/** Options of {@link WebdavServer}. */
export interface WebdavServerOptions {
  /** Authenticator, view provider and logger (a `Site` will do). */
  readonly context: FileServiceContext;
  /** The site database: dead properties (`dav_properties`) and locks (`dav_locks`). */
  readonly db: Kysely<Database>;
  /**
   * TLS certificate and key (PEM). `false` serves plain HTTP: only for tests and for running
   * behind a TLS-terminating proxy on a private address.
   */
  readonly tls: { readonly cert: string | Buffer; readonly key: string | Buffer } | false;
  /** Most simultaneous connections per user (`[webdavs] max_sessions_per_user`, default 16). */
  readonly maxSessionsPerUser?: number;
  /** Seconds a connection may sit idle, between or within requests (`[webdavs] idle_timeout_seconds`, default 300; 0 = never). */
  readonly idleTimeoutSeconds?: number;
  /** Largest request header block, in bytes (default 16 KiB; larger is `431`). */
  readonly maxHeaderBytes?: number;
  /** Largest XML request body (PROPFIND, PROPPATCH, LOCK), in bytes (default 1 MiB; larger is `413`). */
  readonly maxXmlBytes?: number;
  /** Seconds a client may take to send the request headers (default 30). */
  readonly headersTimeoutSeconds?: number;
  /** Lock timeouts: default and longest granted, in seconds (default 3600 and 86400). */
  readonly lockTimeouts?: { readonly defaultSeconds: number; readonly maxSeconds: number };
  /** Seconds a connection keeps its verified login before checking it again (default 60). */
  readonly reauthSeconds?: number;
  /** The realm in `WWW-Authenticate` (default `MiG WebDAVS`). */
  readonly realm?: string;
  /** The protocol name given to the authenticator (default `webdavs`; per-user switches use it). */
  readonly protocol?: string;
}

/** What {@link WebdavServer.fromSite} reads from a site. `openSite()`'s `Site` is one. */
export interface WebdavSite extends FileServiceContext {
  readonly config: Pick<SiteConfig, 'webdavs' | 'site'>;
  readonly db: Kysely<Database>;
}

/** The login a connection carries, checked once and reused for its later requests. */
interface ConnectionLogin {
  readonly authorization: string;
  /** What the session limiter counts: a user id, or `share-link:<id>`. */
  readonly userId: string;
  /** Who, for lock ownership and logs: `user:<id>` or `share-link:<hash>`. */
  readonly principalName: string;
  readonly view: FileView;
  readonly release: () => void;
  readonly checkedAt: number;
}

const DAV_METHODS = new Set(['OPTIONS', 'GET', 'HEAD', 'PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK']);

/** Maps a core error to a WebDAV status. */
function statusOfMigError(code: string): number {
  switch (code) {
    case 'MIG_E_PATH_NOT_FOUND':
      return 404;
    case 'MIG_E_PATH_EXISTS':
      return 412;
    case 'MIG_E_NOT_A_DIRECTORY':
    case 'MIG_E_IS_A_DIRECTORY':
    case 'MIG_E_DIRECTORY_NOT_EMPTY':
      return 409;
    case 'MIG_E_PATH_INVALID':
    case 'MIG_E_INVALID_INPUT':
      return 400;
    case 'MIG_E_PATH_ESCAPE':
    case 'MIG_E_PATH_HIDDEN':
    case 'MIG_E_PERMISSION_DENIED':
    case 'MIG_E_SYMLINK_REFUSED':
    case 'MIG_E_PROTECTED_PATH':
      return 403;
    case 'MIG_E_QUOTA_EXCEEDED':
      return 507;
    case 'MIG_E_RANGE_INVALID':
      return 416;
    case 'MIG_E_TOO_LARGE':
      return 413;
    default:
      return 500;
  }
}

/**
 * A WebDAV server (RFC 4918 class 1 and 2) over the core: Basic auth over TLS through the core's
 * authenticator (defender, account status, expiry, per-protocol switch), the user's file view as
 * `/`, dead properties and locks in the site database, per-user connection caps, idle timeouts
 * and bounded headers and XML bodies. It passes the `litmus` suites basic, copymove, props, locks
 * and http.
 *
 * @example
 * ```ts
 * const server = await WebdavServer.fromSite(site);
 * const { port } = await server.listen(8443, '0.0.0.0');
 * // …
 * await server.close();
 * ```
 */
export class WebdavServer {
  private readonly context: FileServiceContext;
  private readonly server: HttpServer;
  private readonly limiter: SessionLimiter;
  private readonly locks: DavLockStore;
  private readonly props: DavPropertyStore;
  private readonly logins = new WeakMap<Socket, ConnectionLogin>();
  /** Logins being checked, by `Authorization` header: the same credentials wait for each other. */
  private readonly pendingLogins = new Map<string, Promise<unknown>>();
  private readonly sockets = new Set<Socket>();
  private readonly maxXmlBytes: number;
  private readonly lockTimeouts: { readonly defaultSeconds: number; readonly maxSeconds: number };
  private readonly reauthMs: number;
  private readonly realm: string;
  private readonly protocol: string;
  private lockChain: Promise<unknown> = Promise.resolve();
  private listening = false;

  constructor(options: WebdavServerOptions) {
    this.context = options.context;
    this.limiter = createSessionLimiter(options.maxSessionsPerUser ?? 16);
    this.locks = new DavLockStore(options.db);
    this.props = new DavPropertyStore(options.db);
    this.maxXmlBytes = options.maxXmlBytes ?? 1024 * 1024;
    this.lockTimeouts = options.lockTimeouts ?? { defaultSeconds: 3600, maxSeconds: 86_400 };
    this.reauthMs = (options.reauthSeconds ?? 60) * 1000;
    this.realm = (options.realm ?? 'MiG WebDAVS').replace(/["\\\r\n]/g, '');
    this.protocol = options.protocol ?? 'webdavs';
    const idleMs = (options.idleTimeoutSeconds ?? 300) * 1000;
    const common = {
      maxHeaderSize: options.maxHeaderBytes ?? 16 * 1024,
      // Whole-request timeouts would cut off long uploads; idle sockets are closed instead.
      requestTimeout: 0,
      headersTimeout: (options.headersTimeoutSeconds ?? 30) * 1000,
      keepAliveTimeout: idleMs,
    };
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.serve(req, res).catch((err: unknown) => this.context.logger.error({ err }, 'webdav request failed unexpectedly'));
    };
    this.server =
      options.tls === false
        ? createHttpServer(common, handler)
        : createHttpsServer({ ...common, cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, handler);
    // Answer `Expect: 100-continue` only after the login and checks (see continueIfExpected).
    this.server.on('checkContinue', handler);
    this.server.setTimeout(idleMs, (socket: Socket) => socket.destroy());
    this.server.on('clientError', (err: Error, socket: Socket) => {
      const code = (err as { code?: string }).code;
      if (socket.writable && code !== 'ECONNRESET') {
        const status = code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      } else {
        socket.destroy();
      }
    });
    this.server.on('tlsClientError', (err: Error) => this.context.logger.debug({ err }, 'webdavs TLS handshake failed'));
    this.server.on('connection', (socket: Socket) => this.track(socket));
    this.server.on('secureConnection', (socket: Socket) => this.track(socket));
    this.server.on('error', (err: Error) => this.context.logger.error({ err }, 'webdavs server error'));
  }

  /**
   * A server configured from a site's `[webdavs]` section, with its `cert_file`/`key_file` (by
   * default the site host certificate, created if missing).
   */
  static async fromSite(site: WebdavSite): Promise<WebdavServer> {
    await ensureSiteCertificates(site.config.site.cert_dir, { fqdn: site.config.site.fqdn });
    const [cert, key] = await Promise.all([readFile(site.config.webdavs.cert_file), readFile(site.config.webdavs.key_file)]);
    return new WebdavServer({
      context: { auth: site.auth, files: site.files, logger: site.logger },
      db: site.db,
      tls: { cert, key },
      maxSessionsPerUser: site.config.webdavs.max_sessions_per_user,
      idleTimeoutSeconds: site.config.webdavs.idle_timeout_seconds,
    });
  }

  /** Starts listening; resolves with the bound address (use port 0 for any free port). */
  async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    const address = await listenOn(this.server, port, host);
    this.listening = true;
    return address;
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    return this.listening ? (this.server.address() as AddressInfo) : undefined;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Stops listening and ends every connection. */
  async close(): Promise<void> {
    const wasListening = this.listening;
    this.listening = false;
    await closeServer(this.server, wasListening, () => {
      for (const s of this.sockets) s.destroy();
    });
  }

  private track(socket: Socket): void {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.logins.get(socket)?.release();
      this.logins.delete(socket);
    });
  }

  private lockMutex<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lockChain.then(fn, fn);
    this.lockChain = run.catch(() => undefined);
    return run;
  }

  /** Checks the Basic login of a request (reusing the connection's recent one); answers and returns `undefined` on failure. */
  private async login(req: IncomingMessage, res: ServerResponse): Promise<ConnectionLogin | undefined> {
    const socket = req.socket;
    const authorization = req.headers.authorization ?? '';
    const known = this.logins.get(socket);
    if (known !== undefined && known.authorization === authorization && Date.now() - known.checkedAt < this.reauthMs) return known;
    const challenge = { 'WWW-Authenticate': `Basic realm="${this.realm}", charset="UTF-8"` };
    const m = /^Basic\s+([A-Za-z0-9+/=]{1,8192})\s*$/i.exec(authorization);
    const decoded = m === null ? '' : Buffer.from(m[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      this.refuse(req, res, 401, 'Log in with your MiG user name and password.', challenge);
      return undefined;
    }
    const address = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    try {
      // A re-check of this connection's own login does not count another use of a share link.
      const same = known !== undefined && known.authorization === authorization;
      const who = await this.checkPassword(authorization, { login: decoded.slice(0, colon), password: decoded.slice(colon + 1), address, protocol: this.protocol, countUse: !same });
      const userId = who.sessionKey;
      const view = known?.userId === userId ? known.view : await this.context.files.viewFor(who.principal);
      const release = known?.userId === userId ? known.release : this.limiter.acquire(userId);
      if (known !== undefined && known.userId !== userId) known.release();
      const principalName = who.principal.kind === 'user' ? `user:${userId}` : who.logName;
      const login: ConnectionLogin = { authorization, userId, principalName, view, release, checkedAt: Date.now() };
      if (socket.destroyed) release();
      else this.logins.set(socket, login);
      return login;
    } catch (err) {
      if (known !== undefined) {
        known.release();
        this.logins.delete(socket);
      }
      if (isMigError(err)) {
        if (err.code === 'MIG_E_AUTH_FAILED') this.refuse(req, res, 401, 'Wrong user name or password.', challenge);
        else if (err.code === 'MIG_E_TOO_MANY_SESSIONS') this.refuse(req, res, 503, err.message, { 'Retry-After': '30' });
        else if (err.code === 'MIG_E_INVALID_INPUT') this.refuse(req, res, 400, 'The login request was malformed.', {});
        else this.refuse(req, res, 403, err.message, {});
        return undefined;
      }
      throw err;
    }
  }

  /**
   * Asks the authenticator, one check at a time per `Authorization` header: a client that opens
   * several connections at once sends the same credentials on each, and only the first should pay
   * the slow password hash; the others then hit the authenticator's verified-password cache. Each
   * connection still makes its own login (defender, account status and audit as usual).
   */
  private async checkPassword(authorization: string, attempt: { login: string; password: string; address: string; protocol: string; countUse: boolean }): Promise<PasswordLogin> {
    const before = this.pendingLogins.get(authorization);
    if (before !== undefined) await before.catch(() => undefined);
    const mine = passwordLogin(this.context, attempt);
    this.pendingLogins.set(authorization, mine);
    try {
      return await mine;
    } finally {
      if (this.pendingLogins.get(authorization) === mine) this.pendingLogins.delete(authorization);
    }
  }

  /** Answers an error before the body was read: the connection is closed so no body is drained. */
  private refuse(req: IncomingMessage, res: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
    sendText(res, status, text, { ...headers, ...(req.complete ? {} : { Connection: 'close' }) });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const method = req.method ?? '';
    try {
      if (!DAV_METHODS.has(method)) {
        this.refuse(req, res, 405, `Method ${method.slice(0, 32)} is not supported.`, { Allow: ALLOWED_METHODS });
        return;
      }
      const login = await this.login(req, res);
      if (login === undefined) return;
      const r: DavRequest = {
        req,
        res,
        view: login.view,
        principal: login.principalName,
        path: viewPathOf(req.url ?? '/'),
        locks: this.locks,
        props: this.props,
        maxXmlBytes: this.maxXmlBytes,
        lockMutex: (fn) => this.lockMutex(fn),
        lockTimeouts: this.lockTimeouts,
      };
      await this.dispatch(method, r);
    } catch (err) {
      this.answerError(req, res, err);
    }
  }

  private dispatch(method: string, r: DavRequest): Promise<void> {
    switch (method) {
      case 'OPTIONS':
        return handleOptions(r);
      case 'GET':
        return handleGet(r, false);
      case 'HEAD':
        return handleGet(r, true);
      case 'PUT':
        return handlePut(r);
      case 'DELETE':
        return handleDelete(r);
      case 'MKCOL':
        return handleMkcol(r);
      case 'COPY':
        return handleCopyMove(r, false);
      case 'MOVE':
        return handleCopyMove(r, true);
      case 'PROPFIND':
        return handlePropfind(r);
      case 'PROPPATCH':
        return handleProppatch(r);
      case 'LOCK':
        return handleLock(r);
      default:
        return handleUnlock(r);
    }
  }

  private answerError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    if (res.headersSent || res.destroyed || req.socket.destroyed) {
      // Mid-stream: the only honest answer is a cut connection.
      if (!(isMigError(err) || err instanceof DavStatusError)) this.context.logger.debug({ err }, 'webdav transfer ended early');
      req.socket.destroy();
      return;
    }
    const close: Record<string, string> = req.complete ? {} : { Connection: 'close' };
    if (err instanceof DavStatusError) {
      sendStatusError(res, new DavStatusError(err.status, err.message, { ...(err.condition === undefined ? {} : { condition: err.condition }), headers: { ...err.headers, ...close } }));
      return;
    }
    if (isMigError(err)) {
      const status = statusOfMigError(err.code);
      if (status === 500) this.context.logger.error({ err }, 'webdav request failed');
      sendText(res, status, status === 500 ? 'Internal error; the site administrators can find it in the log.' : err.message, close);
      return;
    }
    this.context.logger.error({ err }, 'webdav request failed');
    sendText(res, 500, 'Internal error; the site administrators can find it in the log.', close);
  }
}

/** Same as {@link WebdavServer.fromSite}. */
export function createWebdavServer(site: WebdavSite): Promise<WebdavServer> {
  return WebdavServer.fromSite(site);
}
