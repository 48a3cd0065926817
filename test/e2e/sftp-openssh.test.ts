/**
 * The SFTP server against the real OpenSSH `sftp` client: password and key logins, the everyday
 * commands, and a 200 MiB round trip compared by SHA-256.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SftpServer } from '@migrid/fileservices';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';
import { runSftp } from './sftp-client.js';

const exec = promisify(execFile);

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function randomFile(file: string, bytes: number): Promise<void> {
  const chunk = 4 * 1024 * 1024;
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let done = 0; done < bytes; done += chunk) yield randomBytes(Math.min(chunk, bytes - done));
  }
  await pipeline(chunks(), createWriteStream(file));
}

describe('SFTP with OpenSSH sftp', () => {
  let t: TestSite;
  let server: SftpServer;
  let port: number;
  let work: string;

  beforeAll(async () => {
    t = await openTestSite({ config: { sftp: { enabled: true, port: 2222 } }, open: { logger: pino({ level: 'silent' }) } });
    server = await SftpServer.fromSite(t.site);
    ({ port } = await server.listen(0, '127.0.0.1'));
    work = await mkdtemp(join(tmpdir(), 'mig-sftp-client-'));
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('creates its host key in the cert folder on first start, private to the site', async () => {
    const keyFile = join(t.site.paths.certDir, 'ssh_host_ed25519_key');
    expect(((await stat(keyFile)).mode & 0o777).toString(8)).toBe('600');
    const again = await SftpServer.fromSite(t.site);
    expect((await readFile(keyFile, 'utf8')).includes('OPENSSH PRIVATE KEY')).toBe(true);
    await again.close();
  });

  it('logs in with a password and does put, get, rename, mkdir, ls and rm in the home', async () => {
    const { user, password } = await createTestUser(t.site);
    const home = await t.site.users.homeDir(user.id);
    await writeFile(join(work, 'hello.txt'), 'hello grid\n');
    const r = await runSftp(
      port,
      { login: user.email, password },
      ['mkdir docs', 'put hello.txt docs/a.txt', 'rename docs/a.txt docs/b.txt', 'ls -l docs', 'get docs/b.txt back.txt', 'pwd', 'cd docs', 'ls', 'cd ..', 'mkdir gone', 'rmdir gone'],
      work,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/-rw-r--r-- .* 11 .* b\.txt/);
    expect(r.stdout).toContain('Remote working directory: /');
    expect(await readFile(join(home, 'docs', 'b.txt'), 'utf8')).toBe('hello grid\n');
    expect(existsSync(join(home, 'docs', 'a.txt'))).toBe(false);
    expect(existsSync(join(home, 'gone'))).toBe(false);
    expect(await readFile(join(work, 'back.txt'), 'utf8')).toBe('hello grid\n');

    const rm1 = await runSftp(port, { login: user.email, password }, ['rm docs/b.txt', 'rmdir docs'], work);
    expect(rm1.code).toBe(0);
    expect(existsSync(join(home, 'docs'))).toBe(false);
  });

  it('logs in with a key registered in the user settings, and refuses an unregistered key', async () => {
    const { user } = await createTestUser(t.site);
    const key = join(work, `id-${user.id}`);
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const other = join(work, `other-${user.id}`);
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    await t.site.sshKeys.add(user.id, (await readFile(`${key}.pub`, 'utf8')).trim());
    await writeFile(join(work, 'k.txt'), 'by key\n');

    const r = await runSftp(port, { login: user.email, identityFile: key }, ['put k.txt', 'ls'], work);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await readFile(join(await t.site.users.homeDir(user.id), 'k.txt'), 'utf8')).toBe('by key\n');

    const refused = await runSftp(port, { login: user.email, identityFile: other }, ['ls'], work);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Permission denied/);
  });

  it('refuses a wrong password', async () => {
    const { user } = await createTestUser(t.site);
    const r = await runSftp(port, { login: user.email, password: 'Not-The-Password-1' }, ['ls'], work);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Permission denied/);
  });

  it('serves scp too (OpenSSH scp speaks SFTP)', async () => {
    const { user, password } = await createTestUser(t.site);
    await writeFile(join(work, 'scp.txt'), 'copied by scp\n');
    const opts = ['-P', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', `User=${user.email}`, '-o', 'PubkeyAuthentication=no'];
    await exec('sshpass', ['-e', 'scp', ...opts, join(work, 'scp.txt'), '127.0.0.1:scp-remote.txt'], { env: { ...process.env, SSHPASS: password } });
    expect(await readFile(join(await t.site.users.homeDir(user.id), 'scp-remote.txt'), 'utf8')).toBe('copied by scp\n');
    await exec('sshpass', ['-e', 'scp', ...opts, '127.0.0.1:scp-remote.txt', join(work, 'scp-back.txt')], { env: { ...process.env, SSHPASS: password } });
    expect(await readFile(join(work, 'scp-back.txt'), 'utf8')).toBe('copied by scp\n');
  });

  it('uploads and downloads 200 MiB unchanged', async () => {
    const { user, password } = await createTestUser(t.site);
    const home = await t.site.users.homeDir(user.id);
    const before = await readdir(home);
    const big = join(work, 'big.bin');
    await randomFile(big, 200 * 1024 * 1024);
    const r = await runSftp(port, { login: user.email, password }, ['put big.bin', 'get big.bin big-back.bin'], work, { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const expected = await sha256(big);
    expect(await sha256(join(home, 'big.bin'))).toBe(expected);
    expect(await sha256(join(work, 'big-back.bin'))).toBe(expected);
    // Nothing but the file itself is new in the home (no temporary names left behind).
    expect((await readdir(home)).sort()).toEqual([...before, 'big.bin'].sort());
    await rm(big);
    await rm(join(work, 'big-back.bin'));
  }, 180_000);
});
