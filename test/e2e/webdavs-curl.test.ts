/**
 * The WebDAVS server with curl over verified TLS (`--cacert` the site CA): PUT, GET, byte ranges,
 * MKCOL, PROPFIND, COPY, MOVE, DELETE, with the result checked on disk.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebdavServer } from '@migrid/fileservices';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';

const run = promisify(execFile);

describe('WebDAVS with curl over TLS', () => {
  let t: TestSite;
  let server: WebdavServer;
  let base: string;
  let home: string;
  let work: string;
  let auth: string;

  /** Runs curl with the site CA; returns the status code and the body. */
  async function curl(args: string[]): Promise<{ status: number; body: string }> {
    const { stdout } = await run('curl', ['-sS', '--cacert', t.caCertPath, '-u', auth, '-w', '\n%{http_code}', ...args], { maxBuffer: 64 * 1024 * 1024 });
    const cut = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  }

  beforeAll(async () => {
    t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
    server = await WebdavServer.fromSite(t.site);
    const { port } = await server.listen(0, '127.0.0.1');
    base = `https://localhost:${port}`;
    const { user, password } = await createTestUser(t.site);
    auth = `${user.email}:${password}`;
    home = await t.site.users.homeDir(user.id);
    work = await mkdtemp(join(tmpdir(), 'mig-webdavs-curl-'));
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('uploads, downloads whole and in ranges, and lists', async () => {
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
    await writeFile(join(work, 'up.bin'), data);
    expect((await curl(['-T', join(work, 'up.bin'), `${base}/data.bin`])).status).toBe(201);
    expect(await readFile(join(home, 'data.bin'))).toEqual(data);
    expect((await curl(['-T', join(work, 'up.bin'), `${base}/data.bin`])).status).toBe(204);

    expect((await curl(['-o', join(work, 'down.bin'), `${base}/data.bin`])).status).toBe(200);
    expect(await readFile(join(work, 'down.bin'))).toEqual(data);

    expect((await curl(['-r', '1000-1999', '-o', join(work, 'part.bin'), `${base}/data.bin`])).status).toBe(206);
    expect(await readFile(join(work, 'part.bin'))).toEqual(data.subarray(1000, 2000));
    expect((await curl(['-r', '-10', '-o', join(work, 'tail.bin'), `${base}/data.bin`])).status).toBe(206);
    expect(await readFile(join(work, 'tail.bin'))).toEqual(data.subarray(data.length - 10));
    expect((await curl(['-r', '999999-', '-o', '/dev/null', `${base}/data.bin`])).status).toBe(416);

    expect((await curl(['-X', 'MKCOL', `${base}/dir`])).status).toBe(201);
    expect((await curl(['-X', 'MKCOL', `${base}/dir`])).status).toBe(405);
    const list = await curl(['-X', 'PROPFIND', '-H', 'Depth: 1', `${base}/`]);
    expect(list.status).toBe(207);
    expect(list.body).toContain('<D:href>/data.bin</D:href>');
    expect(list.body).toContain('<D:href>/dir/</D:href>');
    expect(list.body).toContain('<D:getcontentlength>300000</D:getcontentlength>');
    expect((await curl(['-X', 'PROPFIND', '-H', 'Depth: infinity', `${base}/`])).body).toContain('propfind-finite-depth');
  });

  it('copies, moves and deletes', async () => {
    await writeFile(join(home, 'a.txt'), 'alpha\n');
    expect((await curl(['-X', 'COPY', '-H', `Destination: ${base}/dir/b.txt`, `${base}/a.txt`])).status).toBe(201);
    expect(await readFile(join(home, 'dir', 'b.txt'), 'utf8')).toBe('alpha\n');
    expect((await curl(['-X', 'COPY', '-H', 'Overwrite: F', '-H', `Destination: ${base}/dir/b.txt`, `${base}/a.txt`])).status).toBe(412);
    expect((await curl(['-X', 'MOVE', '-H', `Destination: ${base}/moved`, `${base}/dir`])).status).toBe(201);
    expect(existsSync(join(home, 'dir'))).toBe(false);
    expect(await readFile(join(home, 'moved', 'b.txt'), 'utf8')).toBe('alpha\n');
    expect((await curl(['-X', 'DELETE', `${base}/moved`])).status).toBe(204);
    expect(existsSync(join(home, 'moved'))).toBe(false);
    expect((await curl([`${base}/moved/b.txt`])).status).toBe(404);
  });

  it('asks for a login without one, and refuses a wrong password', async () => {
    const { stdout } = await run('curl', ['-sS', '--cacert', t.caCertPath, '-i', `${base}/`]);
    expect(stdout).toMatch(/^HTTP\/1\.1 401/);
    expect(stdout).toMatch(/WWW-Authenticate: Basic realm=/i);
    const wrong = await run('curl', ['-sS', '--cacert', t.caCertPath, '-u', `${auth.split(':')[0]}:nope`, '-o', '/dev/null', '-w', '%{http_code}', `${base}/`]);
    expect(wrong.stdout).toBe('401');
  });
});
