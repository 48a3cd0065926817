/**
 * Malformed input never takes the FTPS server down: garbage bytes, an endless command line,
 * commands before login, garbage instead of a TLS handshake, plaintext pipelined after AUTH TLS,
 * a data connection reset in the middle of an upload, idle sessions and the per-user session cap.
 * After each, a normal lftp session still works.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpsServer } from '@migrid/fileservices';
import { freePortRange } from '../support/free-port.js';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';
import { RawFtp, runLftp } from './ftp-client.js';

/** Sends `pieces` to the port and collects what comes back until the server closes or `ms` pass. */
async function sendRaw(port: number, pieces: readonly Buffer[], ms = 5_000): Promise<{ text: string; closed: boolean }> {
  const socket = netConnect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const piece of pieces) socket.write(piece);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  return { text, closed };
}

describe('FTPS server robustness', () => {
  let t: TestSite;
  let server: FtpsServer;
  let port: number;
  let work: string;
  let home: string;
  let login: { login: string; password: string };

  async function stillServes(): Promise<void> {
    const name = `probe-${Date.now()}.txt`;
    await writeFile(join(work, name), 'still here\n');
    const r = await runLftp(port, login, t.caCertPath, [`put ${name}`, `get ${name} -o back-${name}`], work);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await readFile(join(home, name), 'utf8')).toBe('still here\n');
    expect(await readFile(join(work, `back-${name}`), 'utf8')).toBe('still here\n');
  }

  beforeAll(async () => {
    const { first, last } = await freePortRange(20);
    t = await openTestSite({ config: { ftps: { passive_ports: `${first}-${last}` } }, open: { logger: pino({ level: 'silent' }) } });
    server = await FtpsServer.fromSite(t.site);
    ({ port } = await server.listen(0, '127.0.0.1'));
    work = await mkdtemp(join(tmpdir(), 'mig-ftp-robust-'));
    const u = await createTestUser(t.site);
    login = { login: u.user.email, password: u.password };
    home = await t.site.users.homeDir(u.user.id);
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('survives garbage bytes and answers them as unknown commands', async () => {
    const r = await sendRaw(port, [randomBytes(3000), Buffer.from('\r\n\0\xff\xf4\xff\xf2\r\n'), randomBytes(2000), Buffer.from('\r\nQUIT\r\n')]);
    expect(r.text).toMatch(/^220 /);
    expect(r.text).toMatch(/221 /);
    expect(r.closed).toBe(true);
    await stillServes();
  });

  it('closes a connection that sends a 1 MB line without a newline', async () => {
    const r = await sendRaw(port, [Buffer.alloc(1024 * 1024, 0x41)]);
    expect(r.text).toMatch(/500 Command line too long/);
    expect(r.closed).toBe(true);
    await stillServes();
  });

  it('answers commands before login with 530', async () => {
    const { ftp } = await RawFtp.connect(port);
    try {
      for (const c of ['PWD', 'LIST', 'RETR x', 'STOR y', 'CWD /', 'DELE x', 'MKD z', 'PASV', 'EPSV', 'SIZE x']) expect(await ftp.cmd(c), c).toMatch(/^530/);
      expect(await ftp.cmd('SYST')).toBe('215 UNIX Type: L8\r\n');
      expect(await ftp.cmd('FEAT')).toMatch(/AUTH TLS[\s\S]*211 End/);
      expect(await ftp.cmd('PASS nothing')).toMatch(/^530/);
      expect(await ftp.cmd('XYZZY')).toMatch(/^530|^502/);
    } finally {
      ftp.close();
    }
  });

  it('drops garbage instead of a TLS handshake, and never reads plaintext after AUTH TLS', async () => {
    const garbage = await sendRaw(port, [Buffer.from('AUTH TLS\r\n'), randomBytes(4000)]);
    expect(garbage.text).toMatch(/234 /);
    expect(garbage.closed).toBe(true);
    const pipelined = await sendRaw(port, [Buffer.from(`AUTH TLS\r\nUSER ${login.login}\r\nPASS ${login.password}\r\nPWD\r\n`)]);
    expect(pipelined.text).toMatch(/234 /);
    expect(pipelined.text).not.toMatch(/331|230|257/);
    expect(pipelined.closed).toBe(true);
    await stillServes();
  });

  it('leaves nothing under the target name when the data connection is reset mid-STOR', async () => {
    const { ftp } = await RawFtp.connect(port);
    try {
      expect(await ftp.login(t.caCertPath, login.login, login.password)).toMatch(/^230/);
      const data = await ftp.openData(t.caCertPath);
      expect(await ftp.cmd('STOR cut.bin')).toMatch(/^150/);
      await new Promise<void>((resolve) => data.write(randomBytes(512 * 1024), () => resolve()));
      // A TCP reset, as when the client machine drops the connection.
      ftp.lastDataSocket?.resetAndDestroy();
      expect(await ftp.read()).toMatch(/^426/);
      expect(await ftp.cmd('NOOP')).toMatch(/^200/);
      // A TCP end without the TLS close (a truncation) is refused the same way.
      const d2 = await ftp.openData(t.caCertPath);
      expect(await ftp.cmd('STOR cut2.bin')).toMatch(/^150/);
      await new Promise<void>((resolve) => d2.write(randomBytes(256 * 1024), () => resolve()));
      ftp.lastDataSocket?.end();
      expect(await ftp.read()).toMatch(/^426/);
    } finally {
      ftp.close();
    }
    const names = await readdir(home);
    expect(names).not.toContain('cut.bin');
    expect(names).not.toContain('cut2.bin');
    expect(names.filter((n) => n.startsWith('.') && n !== '.trash')).toEqual([]);
    await stillServes();
  });

  it('closes idle sessions with 421 and caps sessions per user', async () => {
    const range = await freePortRange(5);
    const strict = new FtpsServer({
      context: { auth: t.site.auth, files: t.site.files, logger: t.site.logger },
      tls: { cert: await readFile(t.site.config.ftps.cert_file), key: await readFile(t.site.config.ftps.key_file) },
      passivePorts: range,
      idleTimeoutSeconds: 1,
      maxSessionsPerUser: 1,
    });
    const { port: p2 } = await strict.listen(0, '127.0.0.1');
    try {
      const { ftp: a } = await RawFtp.connect(p2);
      expect(await a.login(t.caCertPath, login.login, login.password)).toMatch(/^230/);
      const { ftp: b } = await RawFtp.connect(p2);
      expect(await b.login(t.caCertPath, login.login, login.password)).toMatch(/^530 .*sessions/i);
      b.close();
      expect(await a.read(5_000)).toMatch(/^421/);
      a.close();
    } finally {
      await strict.close();
    }
  });
});
