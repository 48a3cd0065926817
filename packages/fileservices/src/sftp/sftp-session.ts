/**
 * One SFTP v3 session: translates the requests of an ssh2 SFTP channel into operations on the
 * user's file view, and nothing more (every check is the view's).
 * @packageDocumentation
 */
import type { FileHandleLike, FileInfo, FileView, SiteLogger } from '@migrid/core';
import type { SFTPWrapper } from 'ssh2';
import { longNameOf, sftpAttrsOf, type SftpAttributes } from './sftp-attrs.js';
import { openForSftp } from './sftp-open.js';
import { SFTP_STATUS, sftpStatusOf, type SftpStatusCode } from './sftp-status.js';

/** Limits of one session (protect the server from clients that never close or never wait). */
export interface SftpSessionLimits {
  /** Open file and folder handles (default 1024). */
  readonly maxHandles: number;
  /** Requests being worked on at once; more are answered FAILURE (default 1024; OpenSSH sends 64). */
  readonly maxInFlight: number;
}

/** What {@link serveSftp} needs besides the channel. */
export interface SftpSessionOptions {
  readonly view: FileView;
  readonly logger: SiteLogger;
  readonly limits?: Partial<SftpSessionLimits>;
  /** Called at the start and end of every request (for idle timeouts). */
  readonly onActivity?: (busy: boolean) => void;
}

/** A running session. */
export interface SftpSession {
  /** Requests being worked on now. */
  readonly inFlight: number;
  /** Closes every open handle (done by itself when the channel ends). */
  close(): Promise<void>;
}

interface OpenFile {
  readonly kind: 'file';
  readonly path: string;
  readonly handle: FileHandleLike;
  readonly writable: boolean;
  /**
   * Changes to one handle (write, truncate, close) run in arrival order after everything before
   * them; reads and fstats run in parallel with each other but after the changes before them.
   */
  tail: Promise<void>;
  readonly readers: Set<Promise<void>>;
}

interface OpenDir {
  readonly kind: 'dir';
  readonly path: string;
  readonly entries: readonly FileInfo[];
  next: number;
}

/** Partial attributes as ssh2 parses them from SETSTAT/FSETSTAT/OPEN (only the flagged fields). */
type PartialAttrs = Partial<SftpAttributes>;

/** Largest READ we answer: OpenSSH's own limit (256 KiB packets less headers). */
const MAX_READ = 255 * 1024;
/** Entries per READDIR answer (bounded bytes: names are at most 255 bytes). */
const DIR_BATCH = 128;

class RequestError extends Error {
  constructor(
    readonly code: SftpStatusCode,
    message: string,
  ) {
    super(message);
  }
}

function isOffset(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/**
 * Serves SFTP requests from `sftp` against `view`. Requests run concurrently except those on the
 * same handle, which run in order. The channel is ended when the client sends EOF (else `sftp -b`
 * waits forever), and every handle is closed when the channel ends or closes.
 */
export function serveSftp(sftp: SFTPWrapper, options: SftpSessionOptions): SftpSession {
  const { view, logger } = options;
  const limits: SftpSessionLimits = { maxHandles: 1024, maxInFlight: 1024, ...options.limits };
  const handles = new Map<number, OpenFile | OpenDir>();
  let nextHandle = 1;
  let inFlight = 0;
  let closed = false;

  const send = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      // The channel went away under us (or a reply could not be encoded); the client is gone.
      logger.debug({ err }, 'sftp reply not sent');
    }
  };
  const status = (reqid: number, code: SftpStatusCode, message?: string): void => send(() => sftp.status(reqid, code, message));
  const ok = (reqid: number): void => status(reqid, SFTP_STATUS.OK);

  function fail(reqid: number, op: string, err: unknown): void {
    if (err instanceof RequestError) {
      status(reqid, err.code, err.message);
      return;
    }
    const answer = sftpStatusOf(err);
    if (answer.unexpected) logger.error({ err, op }, 'sftp request failed');
    status(reqid, answer.code, answer.message);
  }

  /** Runs one request, bounded in number, and answers any error it throws. */
  function run(reqid: number, op: string, work: () => Promise<void>): void {
    if (closed) return;
    if (inFlight >= limits.maxInFlight) {
      status(reqid, SFTP_STATUS.FAILURE, 'Too many outstanding requests; wait for answers before sending more.');
      return;
    }
    inFlight++;
    options.onActivity?.(true);
    work()
      .catch((err: unknown) => fail(reqid, op, err))
      .finally(() => {
        inFlight--;
        options.onActivity?.(false);
      });
  }

  function addHandle(entry: OpenFile | OpenDir): Buffer {
    const id = nextHandle++;
    handles.set(id, entry);
    const buf = Buffer.allocUnsafe(4);
    buf.writeUInt32BE(id >>> 0, 0);
    return buf;
  }
  function handleId(buf: Buffer): number | undefined {
    return buf.length === 4 ? buf.readUInt32BE(0) : undefined;
  }
  function fileOf(buf: Buffer): OpenFile {
    const id = handleId(buf);
    const entry = id === undefined ? undefined : handles.get(id);
    if (entry?.kind !== 'file') throw new RequestError(SFTP_STATUS.FAILURE, 'Invalid handle: it is not an open file.');
    return entry;
  }
  function dirOf(buf: Buffer): OpenDir {
    const id = handleId(buf);
    const entry = id === undefined ? undefined : handles.get(id);
    if (entry?.kind !== 'dir') throw new RequestError(SFTP_STATUS.FAILURE, 'Invalid handle: it is not an open folder.');
    return entry;
  }
  function checkRoom(): void {
    if (handles.size >= limits.maxHandles) throw new RequestError(SFTP_STATUS.FAILURE, `Too many open handles (at most ${limits.maxHandles}); close some first.`);
  }
  const settled = (p: Promise<unknown>): Promise<void> =>
    p.then(
      () => undefined,
      () => undefined,
    );
  /** Queues a change behind every earlier operation on the same handle. */
  function onHandle<T>(file: OpenFile, work: () => Promise<T>): Promise<T> {
    const before = file.readers.size === 0 ? file.tail : Promise.all([file.tail, ...file.readers]);
    file.readers.clear();
    const result = before.then(work);
    file.tail = settled(result);
    return result;
  }
  /** Queues a read behind earlier changes only. */
  function readOnHandle<T>(file: OpenFile, work: () => Promise<T>): Promise<T> {
    const result = file.tail.then(work);
    const done = settled(result);
    file.readers.add(done);
    void done.then(() => file.readers.delete(done));
    return result;
  }

  async function applyAttrs(path: string, attrs: PartialAttrs, handle?: OpenFile): Promise<void> {
    // uid/gid are ignored on purpose: files belong to the site, as with MiG's own SFTP server.
    if (attrs.size !== undefined) {
      if (!isOffset(attrs.size)) throw new RequestError(SFTP_STATUS.FAILURE, 'Invalid size.');
      const size = attrs.size;
      if (handle !== undefined) {
        if (!handle.writable) throw new RequestError(SFTP_STATUS.PERMISSION_DENIED, 'The file was not opened for writing.');
        await onHandle(handle, () => handle.handle.truncate(size));
      } else {
        const h = await view.open(path, 'r+');
        try {
          await h.truncate(size);
        } finally {
          await h.close();
        }
      }
    }
    if (attrs.mode !== undefined) await view.chmod(path, attrs.mode & 0o7777);
    if (attrs.atime !== undefined || attrs.mtime !== undefined) {
      const now = Math.floor(Date.now() / 1000);
      const mtime = attrs.mtime ?? attrs.atime ?? now;
      await view.setTimes(path, attrs.atime ?? mtime, mtime);
    }
  }

  const names = (reqid: number, path: string): void =>
    send(() => sftp.name(reqid, [{ filename: path, longname: path, attrs: {} as SftpAttributes }]));

  sftp.on('OPEN', (reqid: number, path: string, pflags: number) =>
    run(reqid, 'open', async () => {
      checkRoom();
      const { handle, writable } = await openForSftp(view, path, pflags);
      if (closed) {
        await handle.close();
        return;
      }
      const buf = addHandle({ kind: 'file', path, handle, writable, tail: Promise.resolve(), readers: new Set() });
      send(() => sftp.handle(reqid, buf));
    }),
  );

  sftp.on('READ', (reqid: number, hbuf: Buffer, offset: number, length: number) =>
    run(reqid, 'read', async () => {
      const file = fileOf(hbuf);
      if (!isOffset(offset) || !isOffset(length)) throw new RequestError(SFTP_STATUS.FAILURE, 'Invalid offset or length.');
      const buf = Buffer.allocUnsafe(Math.min(length, MAX_READ));
      const { bytesRead } = await readOnHandle(file, () => file.handle.read(buf, 0, buf.length, offset));
      if (bytesRead === 0 && length > 0) status(reqid, SFTP_STATUS.EOF);
      else send(() => sftp.data(reqid, bytesRead === buf.length ? buf : buf.subarray(0, bytesRead)));
    }),
  );

  sftp.on('WRITE', (reqid: number, hbuf: Buffer, offset: number, data: Buffer) => {
    // Copy now: the bytes arrived in a buffer ssh2 owns, and the write finishes later.
    const bytes = Buffer.from(data);
    run(reqid, 'write', async () => {
      const file = fileOf(hbuf);
      if (!file.writable) throw new RequestError(SFTP_STATUS.PERMISSION_DENIED, 'The file was not opened for writing.');
      if (!isOffset(offset)) throw new RequestError(SFTP_STATUS.FAILURE, 'Invalid offset.');
      await onHandle(file, () => file.handle.write(bytes, offset));
      ok(reqid);
    });
  });

  sftp.on('FSTAT', (reqid: number, hbuf: Buffer) =>
    run(reqid, 'fstat', async () => {
      const file = fileOf(hbuf);
      const info = await readOnHandle(file, () => file.handle.stat());
      send(() => sftp.attrs(reqid, sftpAttrsOf(info)));
    }),
  );

  sftp.on('FSETSTAT', (reqid: number, hbuf: Buffer, attrs: PartialAttrs) =>
    run(reqid, 'fsetstat', async () => {
      const file = fileOf(hbuf);
      await applyAttrs(file.path, attrs, file);
      ok(reqid);
    }),
  );

  sftp.on('CLOSE', (reqid: number, hbuf: Buffer) =>
    run(reqid, 'close', async () => {
      const id = handleId(hbuf);
      const entry = id === undefined ? undefined : handles.get(id);
      if (id === undefined || entry === undefined) throw new RequestError(SFTP_STATUS.FAILURE, 'Invalid handle.');
      handles.delete(id);
      if (entry.kind === 'file') await onHandle(entry, () => entry.handle.close());
      ok(reqid);
    }),
  );

  sftp.on('OPENDIR', (reqid: number, path: string) =>
    run(reqid, 'opendir', async () => {
      checkRoom();
      const entries = await view.list(path);
      if (closed) return;
      const buf = addHandle({ kind: 'dir', path, entries, next: 0 });
      send(() => sftp.handle(reqid, buf));
    }),
  );

  sftp.on('READDIR', (reqid: number, hbuf: Buffer) =>
    run(reqid, 'readdir', async () => {
      const dir = dirOf(hbuf);
      if (dir.next >= dir.entries.length) {
        status(reqid, SFTP_STATUS.EOF);
        return;
      }
      const batch = dir.entries.slice(dir.next, dir.next + DIR_BATCH);
      dir.next += batch.length;
      const now = Date.now();
      send(() => sftp.name(reqid, batch.map((info) => ({ filename: info.name, longname: longNameOf(info, now), attrs: sftpAttrsOf(info) }))));
    }),
  );

  for (const [event, follow] of [
    ['STAT', true],
    ['LSTAT', false],
  ] as const) {
    sftp.on(event, (reqid: number, path: string) =>
      run(reqid, event.toLowerCase(), async () => {
        const info = follow ? await view.stat(path) : await view.lstat(path);
        send(() => sftp.attrs(reqid, sftpAttrsOf(info)));
      }),
    );
  }

  sftp.on('SETSTAT', (reqid: number, path: string, attrs: PartialAttrs) =>
    run(reqid, 'setstat', async () => {
      await applyAttrs(path, attrs);
      ok(reqid);
    }),
  );

  sftp.on('REMOVE', (reqid: number, path: string) =>
    run(reqid, 'remove', async () => {
      const info = await view.lstat(path);
      if (info.type === 'directory') throw new RequestError(SFTP_STATUS.FAILURE, 'That is a folder; use rmdir to remove it.');
      await view.remove(path);
      ok(reqid);
    }),
  );

  sftp.on('RMDIR', (reqid: number, path: string) =>
    run(reqid, 'rmdir', async () => {
      const info = await view.lstat(path);
      if (info.type !== 'directory') throw new RequestError(SFTP_STATUS.FAILURE, 'That is not a folder; use rm to remove it.');
      await view.remove(path);
      ok(reqid);
    }),
  );

  sftp.on('MKDIR', (reqid: number, path: string) =>
    run(reqid, 'mkdir', async () => {
      await view.mkdir(path);
      ok(reqid);
    }),
  );

  sftp.on('REALPATH', (reqid: number, path: string) =>
    run(reqid, 'realpath', async () => {
      names(reqid, await view.realpath(path === '' ? '/' : path));
    }),
  );

  sftp.on('READLINK', (reqid: number, path: string) =>
    run(reqid, 'readlink', async () => {
      names(reqid, await view.readlink(path));
    }),
  );

  sftp.on('RENAME', (reqid: number, from: string, to: string) =>
    run(reqid, 'rename', async () => {
      // SFTP v3 RENAME never replaces an existing target; posix-rename@openssh.com does.
      await view.rename(from, to);
      ok(reqid);
    }),
  );

  // ssh2 already swaps OpenSSH's reversed SYMLINK arguments: the first is the link, the second its text.
  sftp.on('SYMLINK', (reqid: number, linkPath: string, target: string) =>
    run(reqid, 'symlink', async () => {
      await view.symlink(target, linkPath);
      ok(reqid);
    }),
  );

  sftp.on('EXTENDED', (reqid: number, name: string, data: Buffer | undefined) =>
    run(reqid, 'extended', async () => {
      if (name === 'posix-rename@openssh.com') {
        const [from, to] = readStrings(data, 2);
        if (from === undefined || to === undefined) throw new RequestError(SFTP_STATUS.BAD_MESSAGE, 'Malformed posix-rename request.');
        await view.rename(from, to, { overwrite: true });
        ok(reqid);
        return;
      }
      status(reqid, SFTP_STATUS.OP_UNSUPPORTED, 'This extension is not supported.');
    }),
  );

  async function closeAll(): Promise<void> {
    closed = true;
    const open = [...handles.values()];
    handles.clear();
    await Promise.all(
      open.map(async (entry) => {
        if (entry.kind !== 'file') return;
        await onHandle(entry, () => entry.handle.close()).catch((err: unknown) => logger.warn({ err }, 'closing an sftp file handle failed'));
      }),
    );
  }

  // The client sent EOF: answer with exit status 0 (scp, which runs over SFTP since OpenSSH 9,
  // fails without one) and end our side, or `sftp -b` waits for ever.
  sftp.on('end', () => {
    void closeAll();
    send(() => sendExitStatus(sftp, 0));
    send(() => sftp.end());
  });
  sftp.on('close', () => void closeAll());
  sftp.on('error', (err: Error) => logger.debug({ err }, 'sftp channel error'));

  return {
    get inFlight() {
      return inFlight;
    },
    close: closeAll,
  };
}

/**
 * Sends `exit-status` on the session channel under the SFTP stream. ssh2's SFTP object (unlike its
 * channels) has no `exit()`, so this uses the same internal call its `Channel.exit()` makes.
 */
function sendExitStatus(sftp: SFTPWrapper, status: number): void {
  const internal = sftp as unknown as { _protocol?: { exitStatus?(channel: number, status: number): void }; outgoing?: { id?: number; state?: string } };
  const id = internal.outgoing?.id;
  if (internal.outgoing?.state !== 'open' || typeof id !== 'number' || typeof internal._protocol?.exitStatus !== 'function') return;
  internal._protocol.exitStatus(id, status);
}

/** Reads `count` SSH strings (uint32 length + UTF-8 bytes) from `data`. */
function readStrings(data: Buffer | undefined, count: number): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (data === undefined || p + 4 > data.length) return out;
    const len = data.readUInt32BE(p);
    p += 4;
    if (p + len > data.length) return out;
    out.push(data.toString('utf8', p, p + len));
    p += len;
  }
  return out;
}
