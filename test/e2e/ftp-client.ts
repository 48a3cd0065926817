/**
 * Test clients for the FTPS server: `lftp` and `curl` runners, and a small raw FTP client over
 * `node:net`/`node:tls` for cases real clients cannot express.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** Output of a client run. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with a bounded run time. */
export function run(cmd: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: options.cwd ?? process.env.HOME } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs lftp commands against the server over explicit TLS with protected data. */
export function runLftp(port: number, login: { login: string; password: string }, caFile: string, commands: readonly string[], cwd: string): Promise<RunResult> {
  const script = [
    'set ftp:ssl-force true',
    'set ftp:ssl-protect-data true',
    'set ftp:passive-mode true',
    `set ssl:ca-file ${caFile}`,
    'set ssl:check-hostname no',
    'set net:max-retries 1',
    'set net:timeout 20',
    'set net:reconnect-interval-base 1',
    'set dns:order inet',
    'set cmd:fail-exit true',
    `open -u "${login.login}","${login.password}" ftp://127.0.0.1:${port}`,
    ...commands,
  ].join('\n');
  return run('lftp', ['-c', script], { cwd });
}

/** A raw FTP control connection that reads replies line by line. */
export class RawFtp {
  socket: Socket | TLSSocket;
  private buffer = '';
  private waiting: (() => void) | undefined;
  closed = false;
  /** The TCP socket under the last data connection (to reset it). */
  lastDataSocket: Socket | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      this.waiting?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  /** Connects and reads the greeting. */
  static async connect(port: number): Promise<{ ftp: RawFtp; greeting: string }> {
    const socket = netConnect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const ftp = new RawFtp(socket);
    return { ftp, greeting: await ftp.read() };
  }

  /** Reads one complete (possibly multi-line) reply; '' when the connection closed first. */
  async read(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(\d{3})(?: [^\r\n]*|)\r\n/m.exec(this.buffer);
      if (m !== null) {
        const end = m.index + m[0].length;
        const reply = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end);
        return reply;
      }
      if (this.closed || Date.now() > deadline) return '';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiting = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }

  /** Sends a command line and reads the reply. */
  async cmd(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.read();
  }

  /** `AUTH TLS` and the handshake (trusting `caFile`). */
  async startTls(caFile: string): Promise<string> {
    const r = await this.cmd('AUTH TLS');
    if (!r.startsWith('234')) return r;
    const plain = this.socket as Socket;
    plain.removeAllListeners('data');
    const tls = tlsConnect({ socket: plain, ca: readFileSync(caFile), servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', () => resolve());
      tls.once('error', reject);
    });
    this.socket = tls;
    this.attach(tls);
    return r;
  }

  /** TLS, PBSZ/PROT P and login; returns the PASS reply. */
  async login(caFile: string, login: string, password: string): Promise<string> {
    await this.startTls(caFile);
    await this.cmd('PBSZ 0');
    await this.cmd('PROT P');
    await this.cmd(`USER ${login}`);
    return this.cmd(`PASS ${password}`);
  }

  /** Opens an EPSV data connection (TLS) and returns it once connected. */
  async openData(caFile: string): Promise<TLSSocket> {
    const r = await this.cmd('EPSV');
    const m = /\(\|\|\|(\d+)\|\)/.exec(r);
    if (m === null) throw new Error(`EPSV failed: ${r}`);
    const raw = netConnect(Number(m[1]), '127.0.0.1');
    raw.on('error', () => undefined);
    this.lastDataSocket = raw;
    await new Promise<void>((resolve, reject) => {
      raw.once('connect', () => resolve());
      raw.once('error', reject);
    });
    const tls = tlsConnect({ socket: raw, ca: readFileSync(caFile), servername: 'localhost', session: (this.socket as TLSSocket).getSession?.() });
    tls.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', () => resolve());
      tls.once('error', reject);
    });
    return tls;
  }

  /** Downloads `path` (RETR); returns the final reply and the bytes received. */
  async retr(caFile: string, path: string): Promise<{ first: string; last: string; data: Buffer }> {
    const data = await this.openData(caFile);
    const chunks: Buffer[] = [];
    data.on('data', (c: Buffer) => chunks.push(c));
    const closed = new Promise<void>((resolve) => data.once('close', () => resolve()));
    const first = await this.cmd(`RETR ${path}`);
    if (!first.startsWith('150')) {
      data.destroy();
      return { first, last: first, data: Buffer.alloc(0) };
    }
    await closed;
    return { first, last: await this.read(), data: Buffer.concat(chunks) };
  }

  /** Closes the connection. */
  close(): void {
    this.socket.destroy();
  }
}
