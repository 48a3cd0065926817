/**
 * A pass-through stream between a TCP socket and the TLS layer of an FTP data connection, so that
 * the server can tell a finished upload from a cut one.
 *
 * Node's TLS sockets report the end of the peer's data the same way whether the client closed the
 * TLS session properly (`close_notify`) or the TCP connection just ended or was reset: both are a
 * plain `'end'` event, and a reset is sometimes not reported at all. For FTP that matters, as the
 * end of the data connection *is* the end of the file (RFC 4217 section 12.6 warns of truncation
 * attacks). The tap sees the TCP events itself: a reset becomes an error, and it hands the TCP end
 * to the TLS layer only one turn of the event loop later, so a TLS end that comes first was a
 * `close_notify` and one that comes after is a truncation.
 * @packageDocumentation
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/** See the module comment. Internal. */
export class TcpTap extends Duplex {
  private readonly raw: Socket;
  /** True once the TCP end was handed on (a TLS end after this was not a `close_notify`). */
  eofDelivered = false;

  constructor(raw: Socket) {
    super({ allowHalfOpen: true });
    this.raw = raw;
    raw.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) raw.pause();
    });
    raw.on('end', () => {
      setImmediate(() => {
        this.eofDelivered = true;
        this.push(null);
      });
    });
    raw.on('error', (err: Error) => this.destroy(err));
    raw.on('close', () => {
      if (!this.eofDelivered) this.destroy(new Error('Data connection closed.'));
    });
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.raw.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.raw.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.raw.destroy();
    callback(error);
  }
}
