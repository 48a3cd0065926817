/**
 * Malformed input never takes the SFTP server down: garbage on the TCP port, truncated and
 * oversized SSH packets, garbage inside an SFTP channel, and a client killed in the middle of a
 * big upload. After each, a normal OpenSSH session still works and no temporary names are left.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pino } from 'pino';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SftpServer } from '@migrid/fileservices';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';
import { runSftp, spawnSftp } from './sftp-client.js';

/** Sends `bytes` to the port (in pieces) and waits until the server closes or `ms` pass. */
async function sendRaw(port: number, pieces: readonly Buffer[], ms = 5_000): Promise<void> {
  const socket = netConnect(port, '127.0.0.1');
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const piece of pieces) socket.write(piece);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve();
    }, ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('SFTP server robustness', () => {
  let t: TestSite;
  let server: SftpServer;
  let port: number;
  let work: string;
  let login: { login: string; password: string };
  let home: string;

  async function stillServes(): Promise<void> {
    const name = `probe-${Date.now()}.txt`;
    await writeFile(join(work, name), 'still here\n');
    const r = await runSftp(port, login, [`put ${name}`, 'ls'], work);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await readFile(join(home, name), 'utf8')).toBe('still here\n');
  }

  beforeAll(async () => {
    t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
    server = await SftpServer.fromSite(t.site);
    ({ port } = await server.listen(0, '127.0.0.1'));
    work = await mkdtemp(join(tmpdir(), 'mig-sftp-robust-'));
    const u = await createTestUser(t.site);
    login = { login: u.user.email, password: u.password };
    home = await t.site.users.homeDir(u.user.id);
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('survives garbage bytes, truncated packets and absurd packet lengths on the TCP port', async () => {
    await sendRaw(port, [randomBytes(64 * 1024)]);
    await sendRaw(port, [Buffer.from('SSH-2.0-evil\r\n'), randomBytes(4096)]);
    // A packet header that promises 1000 bytes, then ten, then the client hangs up.
    const truncated = Buffer.alloc(14);
    truncated.writeUInt32BE(1000, 0);
    truncated[4] = 4;
    truncated[5] = 20; // SSH_MSG_KEXINIT
    await sendRaw(port, [Buffer.from('SSH-2.0-evil\r\n'), truncated], 1_000);
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(0x7fffffff, 0);
    await sendRaw(port, [Buffer.from('SSH-2.0-evil\r\n'), huge]);
    await sendRaw(port, [Buffer.from(`SSH-2.0-${'x'.repeat(10_000)}\r\n`)]);
    await stillServes();
  });

  it('survives garbage inside an authenticated SFTP channel', async () => {
    const conn = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      conn.on('ready', () => resolve());
      conn.on('error', reject);
      conn.connect({ host: '127.0.0.1', port, username: login.login, password: login.password });
    });
    const bad: Buffer[] = [
      Buffer.from([0, 0, 0, 0]), // zero-length SFTP packet
      Buffer.concat([Buffer.from([0, 0, 0, 5, 1, 0, 0, 0, 3]), Buffer.from([0, 0, 0, 9, 3, 0, 0, 0, 1, 0, 0, 0, 200])]), // INIT, then an OPEN whose name runs past the packet
      Buffer.concat([Buffer.from([0, 0, 0, 5, 1, 0, 0, 0, 3]), Buffer.from([0, 0, 0, 2, 250, 1])]), // unknown packet type
      Buffer.concat([Buffer.from([0, 0, 0, 5, 1, 0, 0, 0, 3]), Buffer.from([0, 0, 0, 9, 5, 0, 0, 0, 1, 0, 0, 1, 0])]), // READ with a 256-byte handle that is not there
      Buffer.from([0x7f, 0xff, 0xff, 0xff, 1]), // an SFTP packet length far over the limit
    ];
    for (const bytes of bad) {
      await new Promise<void>((resolve, reject) => {
        conn.subsys('sftp', (err, stream) => {
          if (err) return reject(err);
          stream.on('data', () => undefined);
          stream.on('error', () => undefined);
          const timer = setTimeout(() => {
            stream.close();
            resolve();
          }, 2_000);
          stream.on('close', () => {
            clearTimeout(timer);
            resolve();
          });
          stream.write(bytes);
        });
      });
    }
    conn.end();
    await stillServes();
  });

  it('survives a client killed in the middle of a big upload and leaves no temporary names', async () => {
    const big = join(work, 'big.bin');
    await pipeline(
      (async function* () {
        for (let i = 0; i < 25; i++) yield randomBytes(4 * 1024 * 1024);
      })(),
      createWriteStream(big),
    );
    const batch = join(work, 'put-big.txt');
    await writeFile(batch, 'put big.bin\n');
    const child = spawnSftp(port, login, batch, work);
    child.stdout?.resume();
    child.stderr?.resume();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Kill it once some bytes have arrived (bounded wait).
    for (let i = 0; i < 300; i++) {
      const size = await stat(join(home, 'big.bin')).then(
        (s) => s.size,
        () => 0,
      );
      if (size > 1024 * 1024) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    await stillServes();
    const names = await readdir(home);
    expect(names.filter((n) => n.startsWith('.mig-'))).toEqual([]);
    const listing = await runSftp(port, login, ['ls -la'], work);
    expect(listing.stdout).not.toMatch(/\.mig-upload-/);
    // Every connection is gone once the clients are (bounded wait).
    for (let i = 0; i < 100 && server.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.connectionCount).toBe(0);
  }, 120_000);
});
