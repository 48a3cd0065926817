/**
 * The SFTP server: ssh2 for the transport, the core's authenticator for every login, the user's
 * file view for every file operation.
 * @packageDocumentation
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isMigError, type FileView, type Principal, type SiteConfig, type SitePaths } from '@migrid/core';
import ssh2 from 'ssh2';
import type { Algorithms, AuthContext, ClientInfo, Connection, Server } from 'ssh2';
import { passwordLogin, type FileServiceContext } from '../shared/file-service-context.js';
import { createSessionLimiter, type SessionLimiter } from '../shared/session-limiter.js';
import { SFTP_HOST_KEY_FILE, loadOrCreateHostKey } from './host-key.js';
import { serveSftp, type SftpSession, type SftpSessionLimits } from './sftp-session.js';

/** Options of {@link SftpServer}. */
export interface SftpServerOptions {
  /** Authenticator, view provider and logger (a `Site` will do). */
  readonly context: FileServiceContext;
  /** Private host keys (OpenSSH or PEM text); see {@link loadOrCreateHostKey}. */
  readonly hostKeys: readonly (string | Buffer)[];
  /** Most simultaneous connections per user (`[sftp] max_sessions_per_user`, default 16). */
  readonly maxSessionsPerUser?: number;
  /**
   * Seconds without any request before a connection is closed (`[sftp] idle_timeout_seconds`,
   * default 600; 0 = never). Also bounds how long a client may take to log in.
   */
  readonly idleTimeoutSeconds?: number;
  /** Login attempts (passwords and signed keys) per connection before it is closed (default 10). */
  readonly maxAuthAttempts?: number;
  /** Per-session limits on open handles and outstanding requests. */
  readonly sessionLimits?: Partial<SftpSessionLimits>;
  /** The protocol name given to the authenticator (default `sftp`; per-user switches use it). */
  readonly protocol?: string;
}

/** Login methods offered to clients. */
const METHODS: ('password' | 'publickey')[] = ['publickey', 'password'];

/**
 * Modern algorithms only: AEAD ciphers first (AES-GCM, chacha20-poly1305), CTR with
 * encrypt-then-MAC SHA-2 as the fallback; curve25519/ECDH/large DH groups; no SHA-1, no CBC.
 */
const ALGORITHMS: Algorithms = {
  kex: [
    'curve25519-sha256',
    'curve25519-sha256@libssh.org',
    'ecdh-sha2-nistp256',
    'ecdh-sha2-nistp384',
    'ecdh-sha2-nistp521',
    'diffie-hellman-group16-sha512',
    'diffie-hellman-group18-sha512',
    'diffie-hellman-group14-sha256',
  ],
  cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes256-ctr', 'aes192-ctr', 'aes128-ctr'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'],
  compress: ['none'],
};

/** What {@link SftpServer.fromSite} reads from a site. `openSite()`'s `Site` is one. */
export interface SftpSite extends FileServiceContext {
  readonly config: Pick<SiteConfig, 'sftp'>;
  readonly paths: Pick<SitePaths, 'certDir'>;
}

interface ConnectionState {
  readonly client: Connection;
  readonly address: string;
  userId: string | undefined;
  release: (() => void) | undefined;
  view: FileView | undefined;
  readonly sessions: Set<SftpSession>;
  busy: number;
  authAttempts: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * An SFTP (v3) server over the core: password and public-key logins through the core's
 * authenticator (defender, account status, expiry and per-protocol switches included), the user's
 * file view as `/`, idle timeouts and per-user session caps.
 *
 * @example
 * ```ts
 * const server = await SftpServer.fromSite(site);
 * const { port } = await server.listen(2222, '0.0.0.0');
 * // …
 * await server.close();
 * ```
 */
export class SftpServer {
  private readonly context: FileServiceContext;
  private readonly ssh: Server;
  private readonly limiter: SessionLimiter;
  private readonly idleMs: number;
  private readonly maxAuthAttempts: number;
  private readonly protocol: string;
  private readonly sessionLimits: Partial<SftpSessionLimits> | undefined;
  private readonly connections = new Set<ConnectionState>();
  private listening = false;

  constructor(options: SftpServerOptions) {
    if (options.hostKeys.length === 0) throw new RangeError('An SFTP server needs at least one host key.');
    this.context = options.context;
    this.limiter = createSessionLimiter(options.maxSessionsPerUser ?? 16);
    this.idleMs = (options.idleTimeoutSeconds ?? 600) * 1000;
    this.maxAuthAttempts = options.maxAuthAttempts ?? 10;
    this.protocol = options.protocol ?? 'sftp';
    this.sessionLimits = options.sessionLimits;
    this.ssh = new ssh2.Server({ hostKeys: [...options.hostKeys], algorithms: ALGORITHMS, ident: 'migrid' }, (client, info) => this.accept(client, info));
    this.ssh.on('error', (err: Error) => this.context.logger.error({ err }, 'sftp server error'));
  }

  /**
   * A server configured from a site's `[sftp]` section, with the host key
   * `<cert dir>/ssh_host_ed25519_key` (created on first start, mode 0600).
   */
  static async fromSite(site: SftpSite): Promise<SftpServer> {
    const hostKey = await loadOrCreateHostKey(join(site.paths.certDir, SFTP_HOST_KEY_FILE));
    return new SftpServer({
      context: { auth: site.auth, files: site.files, logger: site.logger },
      hostKeys: [hostKey],
      maxSessionsPerUser: site.config.sftp.max_sessions_per_user,
      idleTimeoutSeconds: site.config.sftp.idle_timeout_seconds,
    });
  }

  /** Starts listening; resolves with the bound address (use port 0 for any free port). */
  listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.ssh.once('error', onError);
      this.ssh.listen(port, host, () => {
        this.ssh.off('error', onError);
        this.listening = true;
        resolve(this.ssh.address() as AddressInfo);
      });
    });
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    return this.listening ? (this.ssh.address() as AddressInfo) : undefined;
  }

  /** Open connections (logged in or not). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops listening and ends every connection (open files are closed). */
  async close(): Promise<void> {
    const closing = this.listening ? new Promise<void>((resolve) => this.ssh.close(() => resolve())) : Promise.resolve();
    this.listening = false;
    await Promise.all([...this.connections].map((c) => this.drop(c)));
    await closing;
  }

  private async drop(state: ConnectionState): Promise<void> {
    await Promise.all([...state.sessions].map((s) => s.close()));
    try {
      state.client.end();
    } catch {
      // already gone
    }
  }

  private accept(client: Connection, info: ClientInfo): void {
    // ssh2 leaves Nagle on; with it uploads crawl (small status replies wait for the next ACK).
    (client as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    const state: ConnectionState = {
      client,
      address: info.ip,
      userId: undefined,
      release: undefined,
      view: undefined,
      sessions: new Set(),
      busy: 0,
      authAttempts: 0,
      timer: undefined,
    };
    this.connections.add(state);
    const log = this.context.logger;
    if (this.idleMs > 0) {
      state.timer = setTimeout(() => this.onIdle(state), this.idleMs);
      state.timer.unref();
    }

    client.on('error', (err: Error) => log.debug({ err, address: state.address }, 'sftp connection error'));
    client.on('close', () => {
      if (state.timer !== undefined) clearTimeout(state.timer);
      state.release?.();
      state.release = undefined;
      this.connections.delete(state);
      for (const s of state.sessions) void s.close();
    });
    client.on('authentication', (ctx: AuthContext) => {
      this.touch(state);
      this.authenticate(state, ctx).catch((err: unknown) => {
        log.error({ err, address: state.address }, 'sftp login failed unexpectedly');
        safely(() => ctx.reject(METHODS));
      });
    });
    client.on('session', (acceptSession, rejectSession) => {
      if (state.userId === undefined) {
        rejectSession();
        return;
      }
      const session = acceptSession();
      session.on('sftp', (acceptSftp, rejectSftp) => {
        const view = state.view;
        if (view === undefined) {
          rejectSftp();
          return;
        }
        // Handlers are attached synchronously: the client pipelines requests right after INIT.
        const sftp = acceptSftp();
        const s = serveSftp(sftp, {
          view,
          logger: log,
          ...(this.sessionLimits === undefined ? {} : { limits: this.sessionLimits }),
          onActivity: (busy) => {
            state.busy += busy ? 1 : -1;
            this.touch(state);
          },
        });
        state.sessions.add(s);
        sftp.on('close', () => state.sessions.delete(s));
      });
    });
  }

  /** Resets the idle timer. */
  private touch(state: ConnectionState): void {
    state.timer?.refresh();
  }

  private onIdle(state: ConnectionState): void {
    if (state.busy > 0) {
      state.timer?.refresh();
      return;
    }
    this.context.logger.info({ address: state.address, userId: state.userId }, 'closing idle sftp connection');
    void this.drop(state);
  }

  private async authenticate(state: ConnectionState, ctx: AuthContext): Promise<void> {
    const { auth, logger } = this.context;
    if (state.userId !== undefined) {
      // Already logged in (a client may try a second method); nothing more to decide.
      ctx.reject(METHODS);
      return;
    }
    const base = { login: ctx.username, address: state.address, protocol: this.protocol };
    // What is logged in: a user (by password or key) or a share link (its id as user name).
    let login: { principal: Principal; sessionKey: string; logName: string };
    try {
      if (ctx.method === 'password') {
        this.countAttempt(state);
        login = await passwordLogin(this.context, { ...base, password: ctx.password });
      } else if (ctx.method === 'publickey') {
        const key = { ...base, keyAlgo: ctx.key.algo, keyData: ctx.key.data };
        if (ctx.signature === undefined || ctx.blob === undefined) {
          // The client asks whether this key would do; the core answers without counting a success.
          await auth.authenticatePublicKey(key);
          safely(() => ctx.accept());
          return;
        }
        this.countAttempt(state);
        const parsed = ssh2.utils.parseKey(ctx.key.data);
        if (parsed instanceof Error || !parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) {
          logger.info({ address: state.address, login: ctx.username.slice(0, 256) }, 'sftp public key signature did not verify');
          safely(() => ctx.reject(METHODS));
          return;
        }
        const { userId } = await auth.authenticatePublicKey({ ...key, signed: true });
        login = { principal: { kind: 'user', userId }, sessionKey: userId, logName: userId };
      } else {
        safely(() => ctx.reject(METHODS));
        return;
      }
    } catch (err) {
      if (!isMigError(err)) throw err;
      logger.info({ address: state.address, code: err.code }, 'sftp login refused');
      safely(() => ctx.reject(METHODS));
      return;
    }
    try {
      state.release = this.limiter.acquire(login.sessionKey);
    } catch (err) {
      if (!isMigError(err)) throw err;
      logger.warn({ address: state.address, userId: login.logName, code: err.code }, 'sftp login refused: too many sessions');
      safely(() => ctx.reject(METHODS));
      return;
    }
    let view: FileView;
    try {
      view = await this.context.files.viewFor(login.principal);
    } catch (err) {
      state.release();
      state.release = undefined;
      if (login.principal.kind === 'share-link' && isMigError(err)) logger.info({ address: state.address, userId: login.logName, code: err.code }, 'sftp share link has no view');
      else logger.error({ err, userId: login.logName }, 'no file view for an sftp user');
      safely(() => ctx.reject(METHODS));
      return;
    }
    if (!this.connections.has(state)) {
      // The client left while we were deciding.
      state.release();
      state.release = undefined;
      return;
    }
    state.userId = login.logName;
    state.view = view;
    safely(() => ctx.accept());
  }

  private countAttempt(state: ConnectionState): void {
    state.authAttempts++;
    if (state.authAttempts > this.maxAuthAttempts) {
      this.context.logger.info({ address: state.address }, 'too many sftp login attempts on one connection');
      void this.drop(state);
    }
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // the connection is gone; nothing to answer
  }
}
