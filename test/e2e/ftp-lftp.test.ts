/**
 * The FTPS server with real clients: lftp mirrors a tree of 500 small files up and down over
 * explicit TLS with protected data, curl uploads, downloads and lists, and plain FTP logins are
 * refused by default.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpsServer } from '@migrid/fileservices';
import { freePortRange } from '../support/free-port.js';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';
import { run, runLftp } from './ftp-client.js';

async function walk(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      const full = join(e.parentPath, e.name);
      out.set(relative(dir, full), await readFile(full));
    }
  }
  return out;
}

describe('FTPS with lftp and curl', () => {
  let t: TestSite;
  let server: FtpsServer;
  let port: number;
  let work: string;
  let home: string;
  let login: { login: string; password: string };

  beforeAll(async () => {
    t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
    const range = await freePortRange(20);
    const site = t.site;
    const base = await FtpsServer.fromSite(site);
    await base.close();
    server = new FtpsServer({
      context: { auth: site.auth, files: site.files, logger: site.logger },
      tls: { cert: await readFile(site.config.ftps.cert_file), key: await readFile(site.config.ftps.key_file) },
      passivePorts: range,
    });
    ({ port } = await server.listen(0, '127.0.0.1'));
    work = await mkdtemp(join(tmpdir(), 'mig-ftp-lftp-'));
    const u = await createTestUser(site);
    login = { login: u.user.email, password: u.password };
    home = await site.users.homeDir(u.user.id);
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('mirrors 500 small files in nested folders up and down with lftp', async () => {
    const up = join(work, 'tree');
    for (let i = 0; i < 500; i++) {
      const dir = join(up, `d${i % 5}`, `s${i % 7}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `f${i}.bin`), randomBytes(i % 50 === 0 ? 70_000 : 1 + (i % 300)));
    }
    await writeFile(join(up, 'empty.txt'), '');
    const r1 = await runLftp(port, login, t.caCertPath, ['mirror -R --parallel=2 tree /tree'], work);
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    const sent = await walk(up);
    expect(sent.size).toBe(501);
    const stored = await walk(join(home, 'tree'));
    expect([...stored.keys()].sort()).toEqual([...sent.keys()].sort());
    for (const [k, v] of sent) expect(stored.get(k)?.equals(v), k).toBe(true);

    const r2 = await runLftp(port, login, t.caCertPath, ['mirror --parallel=2 /tree down'], work);
    expect(r2.stderr).toBe('');
    expect(r2.code).toBe(0);
    const got = await walk(join(work, 'down'));
    expect([...got.keys()].sort()).toEqual([...sent.keys()].sort());
    for (const [k, v] of sent) expect(got.get(k)?.equals(v), k).toBe(true);
  });

  it('uploads, downloads and lists with curl --ssl-reqd', async () => {
    const payload = randomBytes(300_000);
    await writeFile(join(work, 'curl-up.bin'), payload);
    const base = ['-sS', '--ssl-reqd', '--cacert', t.caCertPath, '--resolve', `localhost:${port}:127.0.0.1`, '--user', `${login.login}:${login.password}`, '--max-time', '30'];
    const upr = await run('curl', [...base, '-T', 'curl-up.bin', `ftp://localhost:${port}/curl/`, '--ftp-create-dirs'], { cwd: work });
    expect(upr.stderr).toBe('');
    expect(upr.code).toBe(0);
    expect((await readFile(join(home, 'curl', 'curl-up.bin'))).equals(payload)).toBe(true);

    const down = await run('curl', [...base, '-o', 'curl-down.bin', `ftp://localhost:${port}/curl/curl-up.bin`], { cwd: work });
    expect(down.code).toBe(0);
    expect((await readFile(join(work, 'curl-down.bin'))).equals(payload)).toBe(true);

    // To a file: stdout is collected as text, which would mangle random bytes.
    const ranged = await run('curl', [...base, '-r', '299990-', '-o', 'curl-range.bin', `ftp://localhost:${port}/curl/curl-up.bin`], { cwd: work });
    expect(ranged.code).toBe(0);
    expect((await readFile(join(work, 'curl-range.bin'))).equals(payload.subarray(299_990))).toBe(true);

    const list = await run('curl', [...base, `ftp://localhost:${port}/curl/`], { cwd: work });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^-rw.* 300000 .* curl-up\.bin\r?$/m);
    const names = await run('curl', [...base, '--list-only', `ftp://localhost:${port}/curl/`], { cwd: work });
    expect(names.stdout.trim()).toBe('curl-up.bin');
  });

  it('refuses plain FTP logins by default', async () => {
    const r = await run('curl', ['-sS', '--user', `${login.login}:${login.password}`, '--max-time', '20', `ftp://127.0.0.1:${port}/`], { cwd: work });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/530|Access denied/);
  });
});
