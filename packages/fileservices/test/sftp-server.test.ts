/**
 * The SFTP server with ssh2's own client speaking the protocol: every v3 operation, the
 * posix-rename extension, symlink policies, quota, session caps, idle timeouts and the protocol
 * switch; on SQLite and PostgreSQL.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import ssh2 from 'ssh2';
import type { Client, SFTPWrapper, Stats } from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { SftpServer } from '@migrid/fileservices';
import { databaseKinds, type DatabaseKind } from '../../../test/support/databases.js';
import { createTestUser, openTestSite, type ConfigOverrides } from '../../../test/support/test-site.js';

const STATUS = ssh2.utils.sftp.STATUS_CODE;

interface Session {
  readonly conn: Client;
  readonly sftp: SFTPWrapper;
}

function connect(port: number, login: string, password: string): Promise<Session> {
  return new Promise((resolve, reject) => {
    const conn = new ssh2.Client();
    conn.on('error', reject);
    conn.on('ready', () => {
      conn.sftp((err, sftp) => (err ? reject(err) : resolve({ conn, sftp })));
    });
    conn.connect({ host: '127.0.0.1', port, username: login, password, readyTimeout: 20_000 });
  });
}

/** Calls an ssh2 callback-style SFTP method and resolves with its result. */
function call<T = void>(fn: (cb: (err?: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

/** The SFTP status code of a failed call (ssh2 puts it on `err.code`). */
async function statusOf(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: (err as { code: number }).code, message: (err as Error).message };
  }
  throw new Error('expected the request to fail');
}

const silent = { logger: pino({ level: 'silent' }) };

async function startSite(kind: DatabaseKind, config: ConfigOverrides) {
  const t = await openTestSite({ kind, config, open: silent });
  const server = await SftpServer.fromSite(t.site);
  const { port } = await server.listen(0, '127.0.0.1');
  return { t, server, port };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(kind: DatabaseKind, config: ConfigOverrides = {}) {
  const started = await startSite(kind, config);
  cleanup.push(() => started.t.close(), () => started.server.close());
  const { user, password } = await createTestUser(started.t.site);
  const home = await started.t.site.users.homeDir(user.id);
  const open = async (): Promise<Session> => {
    const s = await connect(started.port, user.email, password);
    cleanup.push(async () => {
      s.conn.end();
    });
    return s;
  };
  return { ...started, user, password, home, open };
}

describe.each(databaseKinds())('SFTP server on %s', (kind) => {
  it('serves every SFTP v3 operation on the user home as /', async () => {
    const { home, open } = await setup(kind, { files: { symlinks: 'within-view' } });
    const { sftp } = await open();

    expect(await call<string>((cb) => sftp.realpath('.', cb))).toBe('/');
    await call((cb) => sftp.mkdir('dir', cb));
    expect(await call<string>((cb) => sftp.realpath('/a/../dir/./new', cb))).toBe('/dir/new');
    expect((await statusOf(call<string>((cb) => sftp.realpath('/..', cb)))).code).toBe(STATUS.PERMISSION_DENIED);

    // Writes at offsets, sent out of order and pipelined; reads at offsets.
    const h = await call<Buffer>((cb) => sftp.open('dir/f.bin', 'w', cb));
    await Promise.all([call((cb) => sftp.write(h, Buffer.from('world'), 0, 5, 6, cb)), call((cb) => sftp.write(h, Buffer.from('hello '), 0, 6, 0, cb))]);
    const fst = await call<Stats>((cb) => sftp.fstat(h, cb));
    expect(fst.size).toBe(11);
    expect(fst.isFile()).toBe(true);
    await call((cb) => sftp.close(h, cb));
    expect(await readFile(join(home, 'dir', 'f.bin'), 'utf8')).toBe('hello world');

    const r = await call<Buffer>((cb) => sftp.open('dir/f.bin', 'r', cb));
    const buf = Buffer.alloc(5);
    const n = await call<number>((cb) => sftp.read(r, buf, 0, 5, 6, (err, bytes) => cb(err, bytes)));
    expect(buf.subarray(0, n).toString()).toBe('world');
    // Reading past the end is EOF; writing through a read handle is refused.
    expect(await call<number>((cb) => sftp.read(r, Buffer.alloc(4), 0, 4, 100, (err, bytes) => cb(err, bytes)))).toBe(0);
    expect((await statusOf(call((cb) => sftp.write(r, Buffer.from('x'), 0, 1, 0, cb))))).toMatchObject({ code: STATUS.PERMISSION_DENIED });
    await call((cb) => sftp.close(r, cb));

    // Open without truncation keeps the content; append adds at the end.
    const rw = await call<Buffer>((cb) => sftp.open('dir/f.bin', 'r+', cb));
    await call((cb) => sftp.write(rw, Buffer.from('J'), 0, 1, 0, cb));
    await call((cb) => sftp.fsetstat(rw, { size: 5 }, cb));
    await call((cb) => sftp.close(rw, cb));
    expect(await readFile(join(home, 'dir', 'f.bin'), 'utf8')).toBe('Jello');
    const ap = await call<Buffer>((cb) => sftp.open('dir/f.bin', 'a', cb));
    await call((cb) => sftp.write(ap, Buffer.from('!'), 0, 1, 0, cb));
    await call((cb) => sftp.close(ap, cb));
    expect(await readFile(join(home, 'dir', 'f.bin'), 'utf8')).toBe('Jello!');
    expect((await statusOf(call<Buffer>((cb) => sftp.open('dir/f.bin', 'wx', cb)))).code).toBe(STATUS.FAILURE);

    // setstat: permissions within policy and times; setuid is refused.
    await call((cb) => sftp.setstat('dir/f.bin', { mode: 0o640, mtime: 1_000_000_000, atime: 1_000_000_000 }, cb));
    const st = await call<Stats>((cb) => sftp.stat('dir/f.bin', cb));
    expect(st.mode & 0o7777).toBe(0o640);
    expect(st.mtime).toBe(1_000_000_000);
    expect((await statusOf(call((cb) => sftp.setstat('dir/f.bin', { mode: 0o4755 }, cb)))).code).toBe(STATUS.PERMISSION_DENIED);

    // Listing, with long names and attributes.
    const list = await call<{ filename: string; longname: string; attrs: Stats }[]>((cb) => sftp.readdir('dir', cb));
    expect(list.map((e) => e.filename)).toEqual(['f.bin']);
    expect(list[0]?.longname).toMatch(/^-rw-r----- .* 6 .* f\.bin$/);

    // Rename never replaces (v3); posix-rename@openssh.com does.
    await writeFile(join(home, 'dir', 'other.txt'), 'other');
    expect((await statusOf(call((cb) => sftp.rename('dir/f.bin', 'dir/other.txt', cb)))).code).toBe(STATUS.FAILURE);
    (sftp as unknown as { _extensions: Record<string, string> })._extensions['posix-rename@openssh.com'] = '1';
    await call((cb) => sftp.ext_openssh_rename('dir/f.bin', 'dir/other.txt', cb));
    expect(await readFile(join(home, 'dir', 'other.txt'), 'utf8')).toBe('Jello!');
    await call((cb) => sftp.rename('dir/other.txt', 'moved.txt', cb));

    // Symlinks under the within-view policy: relative and inside only; lstat sees the link.
    await call((cb) => sftp.symlink('moved.txt', 'link', cb));
    expect(await call<string>((cb) => sftp.readlink('link', cb))).toBe('moved.txt');
    expect((await call<Stats>((cb) => sftp.lstat('link', cb))).isSymbolicLink()).toBe(true);
    expect((await call<Stats>((cb) => sftp.stat('link', cb))).size).toBe(6);
    expect((await statusOf(call((cb) => sftp.symlink('/etc/passwd', 'abs', cb)))).code).toBe(STATUS.PERMISSION_DENIED);
    expect((await statusOf(call((cb) => sftp.symlink('../../../..', 'up', cb)))).code).toBe(STATUS.PERMISSION_DENIED);
    expect(existsSync(join(home, 'abs')) || existsSync(join(home, 'up'))).toBe(false);

    // remove / rmdir keep to their kind; a missing file is NO_SUCH_FILE.
    expect((await statusOf(call((cb) => sftp.unlink('dir', cb)))).code).toBe(STATUS.FAILURE);
    expect((await statusOf(call((cb) => sftp.rmdir('moved.txt', cb)))).code).toBe(STATUS.FAILURE);
    expect((await statusOf(call((cb) => sftp.stat('nope', cb)))).code).toBe(STATUS.NO_SUCH_FILE);
    await call((cb) => sftp.unlink('link', cb));
    expect(existsSync(join(home, 'moved.txt'))).toBe(true);
    await call((cb) => sftp.rmdir('dir', cb));
    expect(existsSync(join(home, 'dir'))).toBe(false);

    // Hidden names stay hidden.
    await writeFile(join(home, '.htaccess'), 'secret');
    expect((await readdir(home)).includes('.htaccess')).toBe(true);
    expect((await call<{ filename: string }[]>((cb) => sftp.readdir('/', cb))).map((e) => e.filename)).not.toContain('.htaccess');
    expect((await statusOf(call<Buffer>((cb) => sftp.open('.htaccess', 'r', cb)))).code).toBe(STATUS.PERMISSION_DENIED);
  });
});

describe('SFTP server limits', () => {
  it('refuses symlinks when the policy is deny, and links that lead out are never followed', async () => {
    const { home, open } = await setup('sqlite');
    const { sftp } = await open();
    expect((await statusOf(call((cb) => sftp.symlink('welcome.txt', 'l', cb)))).code).toBe(STATUS.PERMISSION_DENIED);
    await symlink('/etc/passwd', join(home, 'planted'));
    expect((await statusOf(call<Buffer>((cb) => sftp.open('planted', 'r', cb)))).code).toBe(STATUS.PERMISSION_DENIED);
  });

  it('answers a write over quota with a disk-full failure and keeps nothing beyond it', async () => {
    const { open, home } = await setup('sqlite', { quota: { user_limit_bytes: 256 * 1024 } });
    const { sftp } = await open();
    const h = await call<Buffer>((cb) => sftp.open('big.bin', 'w', cb));
    const chunk = Buffer.alloc(32 * 1024, 1);
    let failure: { code: number; message: string } | undefined;
    for (let i = 0; i < 16 && failure === undefined; i++) {
      try {
        await call((cb) => sftp.write(h, chunk, 0, chunk.length, i * chunk.length, cb));
      } catch (err) {
        failure = { code: (err as { code: number }).code, message: (err as Error).message };
      }
    }
    await call((cb) => sftp.close(h, cb));
    expect(failure?.code).toBe(STATUS.FAILURE);
    expect(failure?.message).toMatch(/^Disk full/);
    expect((await readFile(join(home, 'big.bin'))).length).toBeLessThanOrEqual(256 * 1024);
  });

  it('caps sessions per user and frees the slot when a session ends', async () => {
    const { open } = await setup('sqlite', { sftp: { max_sessions_per_user: 2 } });
    const a = await open();
    await open();
    await expect(open()).rejects.toThrow(/authentication methods failed/);
    a.conn.end();
    // The slot frees when the server sees the close; retry a bounded number of times.
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = await open().then(
        () => true,
        () => false,
      );
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ok).toBe(true);
  });

  it('closes an idle connection', async () => {
    const { open } = await setup('sqlite', { sftp: { idle_timeout_seconds: 1 } });
    const { conn } = await open();
    await new Promise<void>((resolve) => conn.once('close', () => resolve()));
  });

  it('refuses a user who switched SFTP off (MIG_E_PROTOCOL_DISABLED in the auth log)', async () => {
    const { t, user, open } = await setup('sqlite');
    await t.site.users.edit(user.id, { settings: { protocols: { sftp: false } } });
    await expect(open()).rejects.toThrow(/authentication methods failed/);
    expect(await readFile(t.site.paths.authLog, 'utf8')).toMatch(/protocol=sftp method=password .* reason=protocol-disabled/);
  });

  it('serves many concurrent sessions', async () => {
    const { open, home } = await setup('sqlite', { sftp: { max_sessions_per_user: 40 } });
    const sessions = await Promise.all(Array.from({ length: 20 }, () => open()));
    await Promise.all(
      sessions.map(async ({ sftp }, i) => {
        const h = await call<Buffer>((cb) => sftp.open(`f${i}.txt`, 'w', cb));
        await call((cb) => sftp.write(h, Buffer.from(`file ${i}`), 0, `file ${i}`.length, 0, cb));
        await call((cb) => sftp.close(h, cb));
      }),
    );
    for (let i = 0; i < 20; i++) expect(await readFile(join(home, `f${i}.txt`), 'utf8')).toBe(`file ${i}`);
  });
});
