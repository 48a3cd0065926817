/**
 * One FTP control connection: the command loop, explicit TLS (`AUTH TLS`), login through the
 * core's authenticator and every file command through the user's file view.
 * @packageDocumentation
 */
import type { Socket } from 'node:net';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Duplex, Readable, Writable } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import { isMigError, type FileHandleLike, type FileInfo, type FileView } from '@migrid/core';
import { passwordLogin, type FileServiceContext, type PasswordLogin } from '../shared/file-service-context.js';
import type { SessionLimiter } from '../shared/session-limiter.js';
import { ftpTime, listLine, mlsxLine } from './ftp-listing.js';
import { PassiveListener, plainAddress, type PassivePortRange } from './ftp-passive.js';
import { ftpReplyOf, oneLine } from './ftp-reply.js';

/** What a session needs from its server. Internal. */
export interface FtpSessionSettings {
  readonly context: FileServiceContext;
  readonly secureContext: SecureContext;
  readonly passivePorts: PassivePortRange;
  readonly passiveHost: string | undefined;
  readonly allowPlain: boolean;
  readonly limiter: SessionLimiter;
  readonly idleMs: number;
  readonly protocol: string;
  readonly maxLineBytes: number;
  readonly maxLoginFailures: number;
  readonly dataTimeoutMs: number;
}

const EMPTY = Buffer.alloc(0);
/** Commands allowed before login. */
const BEFORE_LOGIN = new Set(['USER', 'PASS', 'AUTH', 'PBSZ', 'PROT', 'FEAT', 'SYST', 'NOOP', 'QUIT', 'HELP', 'OPTS', 'ABOR']);
const FEATURES = ['UTF8', 'MLST type*;size*;modify*;perm*;', 'PBSZ', 'PROT', 'AUTH TLS', 'EPSV', 'PASV', 'SIZE', 'MDTM', 'REST STREAM'];

/** A failure of the data connection, answered with `426`. */
class TransferAborted extends Error {}

/** One control connection. Internal: created by `FtpsServer`. */
export class FtpSession {
  private readonly raw: Socket;
  private readonly settings: FtpSessionSettings;
  private readonly onEnd: (session: FtpSession) => void;
  private socket: Socket | TLSSocket;
  private buffer: Buffer = EMPTY;
  private busy = false;
  private closed = false;
  private secure = false;
  private prot: 'C' | 'P' = 'C';
  private pendingLogin: string | undefined;
  private loginFailures = 0;
  private userId: string | undefined;
  private view: FileView | undefined;
  private release: (() => void) | undefined;
  private cwd = '/';
  private restOffset = 0;
  private renameFrom: string | undefined;
  private passive: PassiveListener | undefined;
  private transfer: Duplex | undefined;
  private aborted = false;
  private readonly timer: NodeJS.Timeout | undefined;
  /** The client's address (IPv4-mapped addresses unwrapped). */
  readonly address: string;

  constructor(raw: Socket, settings: FtpSessionSettings, onEnd: (session: FtpSession) => void) {
    this.raw = raw;
    this.socket = raw;
    this.settings = settings;
    this.onEnd = onEnd;
    this.address = plainAddress(raw.remoteAddress);
    raw.setNoDelay(true);
    raw.on('error', (err: Error) => {
      settings.context.logger.debug({ err, address: this.address }, 'ftp control connection error');
      this.close();
    });
    raw.on('close', () => this.close());
    raw.on('data', this.onData);
    if (settings.idleMs > 0) {
      this.timer = setTimeout(() => this.onIdle(), settings.idleMs);
      this.timer.unref();
    }
    this.reply(220, 'MiG FTPS server ready. Use AUTH TLS.');
  }

  /** Ends the session: data connection, control connection, session slot. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.passive?.close();
    this.passive = undefined;
    this.transfer?.destroy();
    this.release?.();
    this.release = undefined;
    this.socket.destroy();
    this.raw.destroy();
    this.onEnd(this);
  }

  /** Sends a final reply `421` and closes (server shutdown, idle timeout). */
  shutdown(message: string): void {
    if (this.closed) return;
    this.reply(421, message);
    this.socket.end();
    const t = setTimeout(() => this.close(), 1000);
    t.unref();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.busy && this.transfer !== undefined && /(^|\n)[^\n]*ABOR\r?\n/i.test(this.buffer.toString('latin1'))) {
      this.aborted = true;
      this.transfer.destroy();
    }
    this.pump();
  };

  private pump(): void {
    while (!this.busy && !this.closed) {
      const nl = this.buffer.indexOf(0x0a);
      if (nl < 0 || nl > this.settings.maxLineBytes) {
        if (nl > this.settings.maxLineBytes || this.buffer.length > this.settings.maxLineBytes) this.lineTooLong();
        return;
      }
      const line = decodeLine(this.buffer.subarray(0, nl));
      this.buffer = this.buffer.subarray(nl + 1);
      this.timer?.refresh();
      const space = line.indexOf(' ');
      const cmd = (space < 0 ? line : line.slice(0, space)).toUpperCase();
      const arg = space < 0 ? '' : line.slice(space + 1);
      if (cmd === 'AUTH') {
        // Switched synchronously: nothing after this line may be read in plaintext.
        this.auth(arg);
        continue;
      }
      this.busy = true;
      this.command(cmd, arg)
        .catch((err: unknown) => {
          this.settings.context.logger.error({ err, address: this.address, cmd }, 'ftp command failed unexpectedly');
          this.reply(451, 'Internal server error; try again later.');
        })
        .finally(() => {
          this.busy = false;
          this.timer?.refresh();
          this.pump();
        });
    }
  }

  private lineTooLong(): void {
    this.buffer = EMPTY;
    this.reply(500, 'Command line too long.');
    this.socket.end();
    this.close();
  }

  private onIdle(): void {
    if (this.transfer !== undefined || this.busy) {
      this.timer?.refresh();
      return;
    }
    this.settings.context.logger.info({ address: this.address, userId: this.userId }, 'closing idle ftp connection');
    this.shutdown('Idle timeout; closing control connection.');
  }

  private reply(code: number, message: string): void {
    if (this.closed || this.socket.destroyed) return;
    try {
      this.socket.write(`${code} ${oneLine(message)}\r\n`);
    } catch {
      // gone
    }
  }

  private multi(code: number, lines: readonly string[], last: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(`${code}-${lines.map((l) => oneLine(l)).join('\r\n')}\r\n${code} ${last}\r\n`);
  }

  private auth(arg: string): void {
    const mech = arg.trim().toUpperCase();
    if (this.secure) return this.reply(503, 'TLS is already active.');
    if (mech !== 'TLS' && mech !== 'SSL' && mech !== 'TLS-C' && mech !== 'TLS-P') return this.reply(504, 'Only AUTH TLS is supported.');
    const raw = this.raw;
    raw.off('data', this.onData);
    raw.pause();
    const leftover = this.buffer;
    this.buffer = EMPTY;
    this.reply(234, 'Proceed with TLS negotiation.');
    if (leftover.length > 0) raw.unshift(leftover);
    const tls = new TLSSocket(raw, { isServer: true, secureContext: this.settings.secureContext });
    tls.on('error', (err: Error) => {
      this.settings.context.logger.debug({ err, address: this.address }, 'ftp control tls error');
      this.close();
    });
    tls.on('close', () => this.close());
    tls.on('data', this.onData);
    this.socket = tls;
    this.secure = true;
    if (mech === 'SSL' || mech === 'TLS-P') this.prot = 'P';
  }

  private resolve(arg: string): string {
    const p = arg === '' ? this.cwd : arg;
    if (p.startsWith('/')) return p;
    return this.cwd === '/' ? `/${p}` : `${this.cwd}/${p}`;
  }

  private async command(cmd: string, arg: string): Promise<void> {
    const loggedIn = this.view !== undefined;
    if (!loggedIn && !BEFORE_LOGIN.has(cmd)) {
      if (cmd === 'PORT' || cmd === 'EPRT') return this.reply(502, 'Active mode is not supported; use PASV or EPSV.');
      return this.reply(530, 'Please log in with USER and PASS.');
    }
    if (cmd !== 'RNTO') {
      if (cmd !== 'RNFR') this.renameFrom = undefined;
    }
    if (cmd !== 'REST' && cmd !== 'STOR' && cmd !== 'RETR' && cmd !== 'APPE' && cmd !== 'PASV' && cmd !== 'EPSV' && cmd !== 'TYPE') this.restOffset = 0;
    try {
      await this.dispatch(cmd, arg);
    } catch (err) {
      const r = ftpReplyOf(err);
      if (r.unexpected) this.settings.context.logger.error({ err, address: this.address, cmd }, 'ftp command failed');
      this.reply(r.code, r.message);
    }
  }

  private async dispatch(cmd: string, arg: string): Promise<void> {
    switch (cmd) {
      case 'USER':
        return this.user(arg);
      case 'PASS':
        return this.pass(arg);
      case 'PBSZ':
        if (!this.secure) return this.reply(503, 'PBSZ needs AUTH TLS first.');
        return this.reply(200, 'PBSZ=0');
      case 'PROT': {
        const level = arg.trim().toUpperCase();
        if (!this.secure) return this.reply(503, 'PROT needs AUTH TLS first.');
        if (level === 'P') {
          this.prot = 'P';
          return this.reply(200, 'Data connections are protected.');
        }
        if (level === 'C') {
          if (!this.settings.allowPlain) return this.reply(534, 'Data connections must be protected (PROT P).');
          this.prot = 'C';
          return this.reply(200, 'Data connections are clear.');
        }
        return this.reply(504, 'Only PROT P and PROT C are supported.');
      }
      case 'FEAT':
        return this.multi(211, ['Features:', ...FEATURES.map((f) => ` ${f}`)], 'End');
      case 'OPTS': {
        const o = arg.trim().toUpperCase();
        if (o === 'UTF8 ON' || o === 'UTF8') return this.reply(200, 'UTF8 is always on.');
        if (o.startsWith('MLST')) return this.reply(200, 'MLST OPTS type;size;modify;perm;');
        return this.reply(501, 'Option not understood.');
      }
      case 'SYST':
        return this.reply(215, 'UNIX Type: L8');
      case 'NOOP':
        return this.reply(200, 'NOOP ok.');
      case 'HELP':
        return this.reply(214, 'See RFC 959; this server supports FEAT, MLSD, EPSV and explicit TLS.');
      case 'QUIT':
        this.reply(221, 'Goodbye.');
        this.socket.end();
        setTimeout(() => this.close(), 1000).unref();
        return;
      case 'ABOR':
        return this.reply(226, 'No transfer to abort.');
      case 'PORT':
      case 'EPRT':
        return this.reply(502, 'Active mode is not supported; use PASV or EPSV.');
      case 'ALLO':
        return this.reply(202, 'No storage allocation necessary.');
      case 'TYPE': {
        const t = arg.trim().toUpperCase();
        if (t === 'I' || t === 'L 8' || t === 'A' || t === 'A N') return this.reply(200, `Type set to ${t[0] ?? 'I'}.`);
        return this.reply(504, 'Type not supported.');
      }
      case 'MODE':
        return arg.trim().toUpperCase() === 'S' ? this.reply(200, 'Mode S.') : this.reply(504, 'Only stream mode is supported.');
      case 'STRU':
        return arg.trim().toUpperCase() === 'F' ? this.reply(200, 'Structure F.') : this.reply(504, 'Only file structure is supported.');
      case 'PWD':
      case 'XPWD':
        return this.reply(257, `"${this.cwd.replace(/"/g, '""')}" is the current directory.`);
      case 'CWD':
      case 'XCWD':
        return this.changeDir(arg === '' ? '/' : arg);
      case 'CDUP':
      case 'XCUP':
        return this.changeDir('..');
      case 'PASV':
        return this.openPassive(false);
      case 'EPSV':
        if (arg.trim().toUpperCase() === 'ALL') return this.reply(200, 'EPSV ALL ok.');
        return this.openPassive(true);
      case 'REST': {
        const n = Number(arg.trim());
        if (!/^\d+$/.test(arg.trim()) || !Number.isSafeInteger(n)) return this.reply(501, 'REST needs a byte offset.');
        this.restOffset = n;
        return this.reply(350, `Restarting at ${n}.`);
      }
      case 'SIZE': {
        const info = await this.fileView().stat(this.resolve(arg));
        if (info.type !== 'file') return this.reply(550, 'Not a plain file.');
        return this.reply(213, String(info.size));
      }
      case 'MDTM': {
        const info = await this.fileView().stat(this.resolve(arg));
        return this.reply(213, ftpTime(info.mtime));
      }
      case 'MKD':
      case 'XMKD': {
        const p = this.resolve(arg);
        await this.fileView().mkdir(p);
        return this.reply(257, `"${posix.normalize(p).replace(/"/g, '""')}" created.`);
      }
      case 'RMD':
      case 'XRMD': {
        const p = this.resolve(arg);
        const info = await this.fileView().lstat(p);
        if (info.type !== 'directory') return this.reply(550, 'Not a folder.');
        await this.fileView().remove(p);
        return this.reply(250, 'Folder removed.');
      }
      case 'DELE': {
        const p = this.resolve(arg);
        const info = await this.fileView().lstat(p);
        if (info.type === 'directory') return this.reply(550, 'Is a folder; use RMD.');
        await this.fileView().remove(p);
        return this.reply(250, 'File removed.');
      }
      case 'RNFR': {
        const p = this.resolve(arg);
        await this.fileView().lstat(p);
        this.renameFrom = p;
        return this.reply(350, 'Ready for RNTO.');
      }
      case 'RNTO': {
        const from = this.renameFrom;
        this.renameFrom = undefined;
        if (from === undefined) return this.reply(503, 'RNFR first.');
        await this.fileView().rename(from, this.resolve(arg), { overwrite: true });
        return this.reply(250, 'Renamed.');
      }
      case 'STAT':
        if (arg.trim() === '') return this.multi(211, ['MiG FTPS server status:', ` Logged in: ${this.view !== undefined ? 'yes' : 'no'}`, ` TLS: ${this.secure ? 'yes' : 'no'}, PROT ${this.prot}`], 'End of status');
        return this.mlst(arg, 213);
      case 'MLST':
        return this.mlst(arg, 250);
      case 'LIST':
      case 'NLST':
      case 'MLSD':
        return this.listing(cmd, arg);
      case 'RETR':
        return this.retrieve(arg);
      case 'STOR':
        return this.store(arg, false);
      case 'APPE':
        return this.store(arg, true);
      default:
        return this.reply(502, 'Command not implemented.');
    }
  }

  private fileView(): FileView {
    if (this.view === undefined) throw new Error('not logged in');
    return this.view;
  }

  private user(arg: string): void {
    if (!this.secure && !this.settings.allowPlain) return this.reply(530, 'Log in over TLS: send AUTH TLS first.');
    if (this.view !== undefined) return this.reply(503, 'Already logged in.');
    this.pendingLogin = arg.slice(0, 1024);
    this.reply(331, 'Password required.');
  }

  private async pass(arg: string): Promise<void> {
    if (!this.secure && !this.settings.allowPlain) return this.reply(530, 'Log in over TLS: send AUTH TLS first.');
    if (this.view !== undefined) return this.reply(503, 'Already logged in.');
    const login = this.pendingLogin;
    this.pendingLogin = undefined;
    if (login === undefined) return this.reply(503, 'Send USER first.');
    const { context } = this.settings;
    // A user, or a share link (its id as user name; see passwordLogin).
    let who: PasswordLogin;
    try {
      who = await passwordLogin(context, { login, password: arg, address: this.address || '0.0.0.0', protocol: this.settings.protocol });
    } catch (err) {
      if (!isMigError(err)) throw err;
      context.logger.info({ address: this.address, code: err.code }, 'ftp login refused');
      this.loginFailures++;
      // Said only to someone who gave the right share id and password: why the link is refused.
      this.reply(530, err.code.startsWith('MIG_E_SHARE_LINK_') ? err.message : 'Login incorrect.');
      if (this.loginFailures >= this.settings.maxLoginFailures) this.shutdown('Too many failed logins.');
      return;
    }
    let release: () => void;
    try {
      release = this.settings.limiter.acquire(who.sessionKey);
    } catch (err) {
      if (!isMigError(err)) throw err;
      return this.reply(530, err.message);
    }
    let view: FileView;
    try {
      view = await context.files.viewFor(who.principal);
    } catch (err) {
      release();
      if (who.principal.kind === 'share-link' && isMigError(err)) {
        context.logger.info({ address: this.address, userId: who.logName, code: err.code }, 'ftp share link has no view');
        return this.reply(530, err.message);
      }
      context.logger.error({ err, userId: who.logName }, 'no file view for an ftp user');
      return this.reply(530, 'Login failed; try again later.');
    }
    if (this.closed) {
      release();
      return;
    }
    this.userId = who.logName;
    this.view = view;
    this.release = release;
    this.reply(230, 'Logged in.');
  }

  private async changeDir(arg: string): Promise<void> {
    const p = this.resolve(arg);
    const info = await this.fileView().stat(p);
    if (info.type !== 'directory') return this.reply(550, 'Not a folder.');
    const normal = posix.normalize(p);
    this.cwd = normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
    this.reply(250, `Working directory is now "${this.cwd}".`);
  }

  private async openPassive(extended: boolean): Promise<void> {
    this.passive?.close();
    this.passive = undefined;
    const local = plainAddress(this.raw.localAddress);
    const announce = this.settings.passiveHost ?? local;
    if (!extended && !/^\d+\.\d+\.\d+\.\d+$/.test(announce)) return this.reply(425, 'PASV needs IPv4; use EPSV.');
    const secure = this.prot === 'P' ? this.settings.secureContext : undefined;
    let listener: PassiveListener;
    try {
      listener = await PassiveListener.open(this.settings.passivePorts, local, this.address, secure, this.settings.dataTimeoutMs);
    } catch {
      return this.reply(425, 'No passive port is free; try again later.');
    }
    if (this.closed) {
      listener.close();
      return;
    }
    this.passive = listener;
    const port = listener.port;
    if (extended) return this.reply(229, `Entering Extended Passive Mode (|||${port}|)`);
    this.reply(227, `Entering Passive Mode (${announce.split('.').join(',')},${port >> 8},${port & 255}).`);
  }

  /** Checks that a data connection may be used; answers and returns undefined when not. */
  private takePassive(): PassiveListener | undefined {
    if (!this.settings.allowPlain && this.prot !== 'P') {
      this.reply(521, 'Data connections must be protected: send PROT P.');
      return undefined;
    }
    const listener = this.passive;
    this.passive = undefined;
    if (listener === undefined) this.reply(425, 'Use PASV or EPSV first.');
    return listener;
  }

  /** Waits for the data connection, announces the transfer (150) and runs `work` over it. */
  private async withData(listener: PassiveListener, what: string, work: (data: Duplex, listener: PassiveListener) => Promise<void>): Promise<void> {
    let data: Duplex;
    try {
      data = await listener.connection();
    } catch {
      listener.close();
      return this.reply(425, "Can't open data connection.");
    }
    this.transfer = data;
    this.aborted = false;
    this.reply(150, `Opening data connection for ${what}.`);
    try {
      await work(data, listener);
    } catch (err) {
      listener.close();
      if (this.aborted) return this.reply(426, 'Transfer aborted.');
      if (isMigError(err)) {
        const r = ftpReplyOf(err);
        return this.reply(r.code, r.message);
      }
      if (!(err instanceof TransferAborted)) this.settings.context.logger.debug({ err, address: this.address }, 'ftp transfer failed');
      return this.reply(426, 'Data connection closed; transfer aborted.');
    } finally {
      this.transfer = undefined;
    }
    // Done: let the client close; make sure the socket goes away in any case.
    setTimeout(() => listener.close(), 30_000).unref();
    this.reply(226, 'Transfer complete.');
  }

  private async listing(cmd: 'LIST' | 'NLST' | 'MLSD', rawArg: string): Promise<void> {
    // `LIST -la dir`: clients send ls options; drop them.
    const arg = cmd === 'MLSD' ? rawArg : rawArg.replace(/^(\s*-[A-Za-z]+)+\s*/, '').trim();
    const p = this.resolve(arg);
    const view = this.fileView();
    const info = await view.stat(p);
    let entries: FileInfo[];
    if (info.type === 'directory') entries = await view.list(p);
    else if (cmd === 'MLSD') return this.reply(501, 'Not a folder.');
    else entries = [{ ...info, name: posix.basename(p) }];
    const now = new Date();
    const lines =
      cmd === 'LIST'
        ? entries.map((e) => listLine(e, now))
        : cmd === 'NLST'
          ? entries.map((e) => (arg === '' || info.type !== 'directory' ? e.name : posix.join(arg, e.name)))
          : [mlsxLine(info, '.', 'cdir'), ...entries.map((e) => mlsxLine(e, e.name))];
    const text = lines.length === 0 ? '' : lines.join('\r\n') + '\r\n';
    const listener = this.takePassive();
    if (listener === undefined) return;
    await this.withData(listener, cmd, async (data) => {
      await endWith(data, Buffer.from(text, 'utf8'));
    });
  }

  private async mlst(arg: string, code: number): Promise<void> {
    const p = this.resolve(arg);
    const info = await this.fileView().stat(p);
    const normal = posix.normalize(p);
    this.multi(code, [`Listing ${normal}`, ` ${mlsxLine(info, normal)}`], 'End');
  }

  private async retrieve(arg: string): Promise<void> {
    const p = this.resolve(arg);
    const view = this.fileView();
    const start = this.restOffset;
    this.restOffset = 0;
    const info = await view.stat(p);
    if (info.type !== 'file') return this.reply(550, 'Not a plain file.');
    if (start > info.size) return this.reply(554, 'Restart offset is past the end of the file.');
    const listener = this.takePassive();
    if (listener === undefined) return;
    let source: Readable;
    try {
      source = await view.createReadStream(p, start > 0 ? { start } : undefined, { highWaterMark: 256 * 1024 });
    } catch (err) {
      listener.close();
      throw err;
    }
    await this.withData(listener, `RETR ${posix.basename(p)}`, async (data) => {
      await pipeline(source, data);
    }).finally(() => source.destroy());
  }

  private async store(arg: string, append: boolean): Promise<void> {
    const p = this.resolve(arg);
    const view = this.fileView();
    const offset = this.restOffset;
    this.restOffset = 0;
    if (this.takePassiveCheck() === false) return;
    if (!append && offset === 0) {
      const out: Writable = await view.createWriteStream(p, { overwrite: true });
      const listener = this.takePassive();
      if (listener === undefined) {
        out.destroy();
        return;
      }
      await this.withData(listener, `STOR ${posix.basename(p)}`, async (data, l) => {
        await pipeline(checkedEnd(data, l), out);
      }).finally(() => {
        if (!out.writableFinished) out.destroy();
      });
      return;
    }
    const handle = await view.open(p, append ? 'a' : 'r+');
    try {
      if (!append) {
        const size = (await handle.stat()).size;
        if (offset > size) return this.reply(554, 'Restart offset is past the end of the file.');
        await handle.truncate(offset);
      }
      const listener = this.takePassive();
      if (listener === undefined) return;
      await this.withData(listener, `${append ? 'APPE' : 'STOR'} ${posix.basename(p)}`, (data, l) => writeAll(checkedEnd(data, l), handle, append ? null : offset));
    } finally {
      await handle.close();
    }
  }

  /** The checks of {@link takePassive} without taking the listener (before opening files). */
  private takePassiveCheck(): boolean {
    if (!this.settings.allowPlain && this.prot !== 'P') {
      this.reply(521, 'Data connections must be protected: send PROT P.');
      return false;
    }
    if (this.passive === undefined) {
      this.reply(425, 'Use PASV or EPSV first.');
      return false;
    }
    return true;
  }
}

/** Writes `bytes` and ends the stream; resolves once everything was handed to the socket. */
function endWith(data: Duplex, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    data.once('error', reject);
    data.once('close', () => reject(new TransferAborted('data connection closed early')));
    data.end(bytes, () => resolve());
  });
}

/** The bytes of an upload; throws at the end unless the client ended the data connection properly. */
async function* checkedEnd(data: Duplex, listener: PassiveListener): AsyncGenerator<Buffer> {
  for await (const chunk of data as AsyncIterable<Buffer>) yield chunk;
  if (!listener.cleanEnd) throw new TransferAborted('the data connection ended without a TLS close');
}

/** Copies an upload into `handle` from `position` (`null`: append). */
async function writeAll(data: AsyncIterable<Buffer>, handle: FileHandleLike, position: number | null): Promise<void> {
  let pos = position;
  for await (const chunk of data) {
    await handle.write(chunk, pos);
    if (pos !== null) pos += chunk.length;
  }
}

/** A command line as text: telnet IAC sequences and the line end removed. */
function decodeLine(bytes: Buffer): string {
  let text = bytes.toString('utf8');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  // Telnet "interrupt process"/"synch" (sent before ABOR) and other IAC pairs.
  return text.replace(/\uFFFD/g, '').replace(/^[\x00-\x1f]+/, '').trim();
}
