/**
 * The FTPS server: FTP with explicit TLS (`AUTH TLS`, RFC 4217) on `node:net` and `node:tls`, the
 * core's authenticator for every login, the user's file view for every file operation.
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { ensureSiteCertificates, type SiteConfig } from '@migrid/core';
import type { FileServiceContext } from '../shared/file-service-context.js';
import { createSessionLimiter, type SessionLimiter } from '../shared/session-limiter.js';
import type { PassivePortRange } from './ftp-passive.js';
import { FtpSession } from './ftp-session.js';
import { closeServer, listenOn } from '../shared/listening-server.js';

/** Options of {@link FtpsServer}. */
export interface FtpsServerOptions {
  /** Authenticator, view provider and logger (a `Site` will do). */
  readonly context: FileServiceContext;
  /** Certificate chain and private key (PEM) for the control and data connections. */
  readonly tls: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Ports for passive data connections (inclusive). */
  readonly passivePorts: PassivePortRange;
  /** IPv4 address announced in `PASV` replies (default: the control connection's local address). */
  readonly passiveHost?: string;
  /** Whether logins and data without TLS are allowed (default `false`; not recommended). */
  readonly allowPlain?: boolean;
  /** Most simultaneous sessions per user (default 16). */
  readonly maxSessionsPerUser?: number;
  /** Seconds without a command before a session is closed with `421` (default 600; 0 = never). */
  readonly idleTimeoutSeconds?: number;
  /** Longest command line in bytes (default 4096); a longer one is answered `500` and the connection closed. */
  readonly maxLineBytes?: number;
  /** Failed logins on one connection before it is closed (default 5). */
  readonly maxLoginFailures?: number;
  /** Seconds to wait for the client's passive data connection (default 30). */
  readonly dataTimeoutSeconds?: number;
  /** The protocol name given to the authenticator (default `ftps`; per-user switches use it). */
  readonly protocol?: string;
}

/** What {@link FtpsServer.fromSite} reads from a site. `openSite()`'s `Site` is one. */
export interface FtpsSite extends FileServiceContext {
  readonly config: Pick<SiteConfig, 'ftps' | 'site'>;
}

/**
 * An FTP server with explicit TLS over the core: logins through the core's authenticator (defender,
 * account status, expiry and per-protocol switches included), the user's file view as `/`, passive
 * data connections only (no `PORT`: no FTP bounce), TLS required for logins and data unless
 * `allowPlain`, idle timeouts and per-user session caps.
 *
 * @example
 * ```ts
 * const server = await FtpsServer.fromSite(site);
 * const { port } = await server.listen(8021, '0.0.0.0');
 * // …
 * await server.close();
 * ```
 */
export class FtpsServer {
  private readonly server: Server;
  private readonly sessions = new Set<FtpSession>();
  private readonly context: FileServiceContext;
  private readonly limiter: SessionLimiter;
  private readonly secureContext: SecureContext;
  private readonly options: FtpsServerOptions;
  private listening = false;

  constructor(options: FtpsServerOptions) {
    const { first, last } = options.passivePorts;
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last > 65535 || first > last) {
      throw new RangeError('The passive port range must be 1-65535 with first <= last.');
    }
    this.options = options;
    this.context = options.context;
    this.limiter = createSessionLimiter(options.maxSessionsPerUser ?? 16);
    this.secureContext = createSecureContext({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' });
    this.server = createServer((socket) => this.accept(socket));
    this.server.on('error', (err: Error) => this.context.logger.error({ err }, 'ftps server error'));
  }

  /**
   * A server configured from a site's `[ftps]` section; the certificate and key are `[ftps]
   * cert_file`/`key_file` (by default the site's host certificate, created if missing).
   */
  static async fromSite(site: FtpsSite): Promise<FtpsServer> {
    await ensureSiteCertificates(site.config.site.cert_dir, { fqdn: site.config.site.fqdn });
    const ftps = site.config.ftps;
    const [cert, key] = await Promise.all([readFile(ftps.cert_file), readFile(ftps.key_file)]);
    return new FtpsServer({
      context: { auth: site.auth, files: site.files, logger: site.logger },
      tls: { cert, key },
      passivePorts: ftps.passive_port_range,
      allowPlain: ftps.allow_plain,
      maxSessionsPerUser: ftps.max_sessions_per_user,
      idleTimeoutSeconds: ftps.idle_timeout_seconds,
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

  /** Open control connections (logged in or not). */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Stops listening and ends every session (transfers are cut). */
  async close(): Promise<void> {
    const wasListening = this.listening;
    this.listening = false;
    await closeServer(this.server, wasListening, () => {
      for (const s of [...this.sessions]) s.close();
    });
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    try {
      const o = this.options;
      const session = new FtpSession(
        socket,
        {
          context: this.context,
          secureContext: this.secureContext,
          passivePorts: o.passivePorts,
          passiveHost: o.passiveHost,
          allowPlain: o.allowPlain ?? false,
          limiter: this.limiter,
          idleMs: (o.idleTimeoutSeconds ?? 600) * 1000,
          protocol: o.protocol ?? 'ftps',
          maxLineBytes: o.maxLineBytes ?? 4096,
          maxLoginFailures: o.maxLoginFailures ?? 5,
          dataTimeoutMs: (o.dataTimeoutSeconds ?? 30) * 1000,
        },
        (s) => this.sessions.delete(s),
      );
      this.sessions.add(session);
    } catch (err) {
      this.context.logger.error({ err }, 'ftps connection setup failed');
      socket.destroy();
    }
  }
}
