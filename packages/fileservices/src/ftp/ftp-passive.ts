/**
 * Passive data connections of the FTP server: a listener on a port from the passive range that
 * accepts exactly one connection, from the control connection's client address only, within a
 * timeout, and wraps it in TLS when the session asked for protected data (`PROT P`).
 * @packageDocumentation
 */
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import { TcpTap } from './ftp-tcp-tap.js';

/** The range of passive ports (inclusive). */
export interface PassivePortRange {
  readonly first: number;
  readonly last: number;
}

/** Normalises `::ffff:1.2.3.4` to `1.2.3.4`. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** One passive listener waiting for (or holding) the data connection. */
export class PassiveListener {
  /** The port the listener is bound to. */
  readonly port: number;
  private readonly server: Server;
  private socket: Duplex | undefined;
  private failure: Error | undefined;
  private waiters: { resolve: (s: Duplex) => void; reject: (e: Error) => void }[] = [];
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /**
   * Whether the client ended its data properly: the TLS session with `close_notify` (not just the
   * TCP connection), or a clear-text connection with a TCP end. Meaningful after the data's end.
   */
  cleanEnd = false;

  private constructor(server: Server, port: number, clientAddress: string, secureContext: SecureContext | undefined, timeoutMs: number) {
    this.server = server;
    this.port = port;
    this.timer = setTimeout(() => {
      this.fail(new Error('No data connection arrived in time.'));
      this.close();
    }, timeoutMs);
    this.timer.unref();
    server.on('connection', (raw: Socket) => {
      raw.on('error', () => undefined);
      if (this.socket !== undefined || this.closed || plainAddress(raw.remoteAddress) !== clientAddress) {
        // Only the client of the control connection, and only once (no data connection theft).
        raw.destroy();
        return;
      }
      raw.setNoDelay(true);
      let socket: Duplex = raw;
      if (secureContext !== undefined) {
        const tap = new TcpTap(raw);
        const tls = new TLSSocket(tap as unknown as Socket, { isServer: true, secureContext });
        tls.on('error', () => undefined);
        // A reset is not always reported by the TLS layer: pass it on ourselves.
        tap.on('error', (err: Error) => tls.destroy(err));
        tls.on('end', () => {
          this.cleanEnd = !tap.eofDelivered;
        });
        socket = tls;
      } else {
        raw.on('end', () => {
          this.cleanEnd = true;
        });
      }
      this.socket = socket;
      clearTimeout(this.timer);
      if (server.listening) server.close();
      for (const w of this.waiters.splice(0)) w.resolve(socket);
    });
    server.on('error', () => undefined);
  }

  /**
   * Listens on the first free port of `range` (starting at a random one) on `host`.
   * @throws Error when every port of the range is taken.
   */
  static async open(range: PassivePortRange, host: string, clientAddress: string, secureContext: SecureContext | undefined, timeoutMs: number): Promise<PassiveListener> {
    const count = range.last - range.first + 1;
    const start = Math.floor(Math.random() * count);
    for (let i = 0; i < count; i++) {
      const port = range.first + ((start + i) % count);
      const server = createServer({ pauseOnConnect: false });
      const ok = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen({ port, host, exclusive: true }, () => resolve(true));
      });
      if (ok) return new PassiveListener(server, port, clientAddress, secureContext, timeoutMs);
      server.close();
    }
    throw new Error('No passive port is free.');
  }

  /** Resolves with the data connection once the client has connected. */
  connection(): Promise<Duplex> {
    if (this.socket !== undefined) return Promise.resolve(this.socket);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private fail(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  /** Stops listening and destroys the data connection, if any. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.server.listening) this.server.close();
    this.fail(new Error('Data connection closed.'));
    this.socket?.destroy();
  }
}
