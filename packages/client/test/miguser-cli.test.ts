/**
 * `miguser` without a site: argument checking (exit 2), the config file (mode 0600 in a 0700
 * folder, refusing broken configs), error lines, and the client's path and stream helpers.
 */
import { mkdtemp, mkdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigApiError, MigClientError, normalizeRemotePath, joinRemotePath, remoteBaseName, remoteDirName, tokenIdOf } from '@migrid/client';
import { configPathOf, readConfig, writeConfig } from '../src/cli/config-file.js';
import { errorLine } from '../src/cli/program.js';
import { readFirstLine } from '../src/cli/password-input.js';
import { streamChunkSource } from '../src/upload-source.js';
import { runInProcess } from './support/miguser-io.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'miguser-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(body: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString();
}

describe('miguser command line', () => {
  it('prints help and its version with exit 0', async () => {
    const help = await runInProcess(['--help'], { conf: join(dir, 'none.conf'), cwd: dir });
    expect(help.code).toBe(0);
    for (const command of ['login', 'logout', 'whoami', 'ls', 'get', 'put', 'mkdir', 'mv', 'cp', 'rm', 'cat', 'head', 'tail', 'stat', 'checksum']) {
      expect(help.stdout).toContain(`  ${command} `);
    }
    const version = await runInProcess(['--version'], { conf: join(dir, 'none.conf'), cwd: dir });
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it('answers usage errors with one line and exit 2', async () => {
    const conf = join(dir, 'none.conf');
    const cases: string[][] = [
      ['bogus'],
      ['ls', '--bogus'],
      ['login'],
      ['login', 'https://mig.example.org'],
      ['head', '-n', 'ten', '/x'],
      ['head', '-n', '-3', '/x'],
      ['put', 'only-one'],
      ['mv', '/only-one'],
      ['checksum', '--algorithm', 'crc32', '/x'],
      ['get', '-P', '1000', '/x'],
    ];
    for (const args of cases) {
      const result = await runInProcess(args, { conf, cwd: dir });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/^miguser: [^\n]+ \(MIG_E_USAGE\)\n$/);
      expect(result.stdout).toBe('');
    }
  });

  it('says to log in first when there is no config, with exit 1', async () => {
    const result = await runInProcess(['ls'], { conf: join(dir, 'missing', 'miguser.conf'), cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^miguser: Not logged in .*miguser login.* \(MIG_E_NOT_LOGGED_IN\)\n$/);
  });

  it('refuses a config that is not JSON or lacks the token', async () => {
    const bad = join(dir, 'bad.conf');
    await writeFile(bad, 'url = https://x\n', { mode: 0o600 });
    expect((await runInProcess(['ls'], { conf: bad, cwd: dir })).stderr).toContain('(MIG_E_NOT_LOGGED_IN)');
    await writeFile(bad, JSON.stringify({ url: 'https://mig.example.org' }), { mode: 0o600 });
    const result = await runInProcess(['whoami'], { conf: bad, cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('lacks the site URL or token');
  });

  it('refuses a login URL that is not http(s) and a CA file that is not a certificate', async () => {
    const conf = join(dir, 'login.conf');
    const ftp = await runInProcess(['login', 'ftp://mig.example.org', '--username', 'a@b.org'], { conf, cwd: dir, stdin: 'pw\n' });
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toContain('must start with https://');
    await writeFile(join(dir, 'not-a-ca.pem'), 'hello');
    const ca = await runInProcess(['login', 'https://127.0.0.1:1', '--username', 'a@b.org', '--ca', 'not-a-ca.pem'], { conf, cwd: dir, stdin: 'pw\n' });
    expect(ca.code).toBe(1);
    expect(ca.stderr).toMatch(/Cannot use the CA certificate .*not-a-ca\.pem.*\(MIG_E_LOCAL_IO\)/);
    const empty = await runInProcess(['login', 'https://127.0.0.1:1', '--username', 'a@b.org'], { conf, cwd: dir, stdin: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('No password given');
    await expect(stat(conf)).rejects.toThrow();
  });

  it('reports an unreachable site as a connection error', async () => {
    const conf = join(dir, 'unreachable.conf');
    const result = await runInProcess(['login', 'https://127.0.0.1:1', '--username', 'a@b.org'], { conf, cwd: dir, stdin: 'secret\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^miguser: Could not talk to https:\/\/127\.0\.0\.1:1: .*\(MIG_E_CONNECTION\)\n$/);
    expect(result.stderr).not.toContain('secret');
  });
});

describe('miguser config file', () => {
  it('defaults to ~/.mig/miguser.conf and follows MIGUSER_CONF', () => {
    expect(configPathOf({})).toMatch(/\.mig[/\\]miguser\.conf$/);
    expect(configPathOf({ MIGUSER_CONF: '/x/y.conf' })).toBe('/x/y.conf');
    expect(configPathOf({ MIGUSER_CONF: '' })).toMatch(/miguser\.conf$/);
  });

  it('is written with mode 0600 in a new folder with mode 0700, and read back', async () => {
    const path = join(dir, 'fresh', 'nested', 'miguser.conf');
    const config = { url: 'https://mig.example.org', token: `mig_${'a'.repeat(16)}_${'b'.repeat(64)}`, tokenId: 'a'.repeat(16), ca: '/etc/ca.pem', username: 'me@example.org' };
    await writeConfig(path, config);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'fresh', 'nested'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'fresh'))).mode & 0o777).toBe(0o700);
    expect(await readConfig(path)).toEqual({ config });
    // Rewriting replaces it atomically and keeps the mode.
    await writeConfig(path, { ...config, url: 'https://other.example.org' });
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ url: 'https://other.example.org' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('leaves an existing folder alone and warns when the file is readable by others', async () => {
    const folder = join(dir, 'shared');
    await mkdir(folder, { mode: 0o755 });
    await chmod(folder, 0o755);
    const path = join(folder, 'miguser.conf');
    await writeConfig(path, { url: 'https://mig.example.org', token: 't' });
    expect((await stat(folder)).mode & 0o777).toBe(0o755);
    await chmod(path, 0o644);
    const { warning } = await readConfig(path);
    expect(warning).toContain('chmod 600');
    const result = await runInProcess(['ls'], { conf: path, cwd: dir });
    expect(result.stderr).toContain('miguser: warning:');
  });
});

describe('client helpers', () => {
  it('normalizes remote paths without resolving them', () => {
    expect(normalizeRemotePath('')).toBe('/');
    expect(normalizeRemotePath('a//b/./c/')).toBe('/a/b/c');
    expect(normalizeRemotePath('/../x')).toBe('/../x');
    expect(joinRemotePath('/a/', 'b', 'c/d')).toBe('/a/b/c/d');
    expect(remoteBaseName('/a/b.txt')).toBe('b.txt');
    expect(remoteBaseName('/')).toBe('');
    expect(remoteDirName('/a/b.txt')).toBe('/a');
    expect(remoteDirName('/a')).toBe('/');
  });

  it('finds the id in a token', () => {
    expect(tokenIdOf(`mig_${'0123456789abcdef'}_${'f'.repeat(64)}`)).toBe('0123456789abcdef');
    expect(tokenIdOf('nope')).toBeUndefined();
  });

  it('formats error lines with the code and no raw newlines', () => {
    expect(errorLine(new MigApiError(404, 'MIG_E_PATH_NOT_FOUND', 'No such file:\n/x'))).toBe('miguser: No such file: /x (MIG_E_PATH_NOT_FOUND)');
    expect(errorLine(new MigClientError('MIG_E_TLS', 'bad cert'))).toBe('miguser: bad cert (MIG_E_TLS)');
    expect(errorLine(new MigApiError(401, 'MIG_E_AUTH_FAILED', 'Wrong token.'))).toMatch(/miguser login.*\(MIG_E_AUTH_FAILED\)$/);
  });

  it('reads the first line of a piped password', async () => {
    expect(await readFirstLine(Readable.from(['pass', 'word\r\nnext line\n']))).toBe('password');
    expect(await readFirstLine(Readable.from(['no newline']))).toBe('no newline');
  });

  it('resends stream chunks from the kept buffer and refuses to go back further', async () => {
    const source = streamChunkSource(Readable.from([Buffer.from('abcdefghij')]), 10);
    expect(await collect(await source.range(0, 4))).toBe('abcd');
    expect(await collect(await source.range(2, 4))).toBe('cd');
    expect(await collect(await source.range(3, 8))).toBe('defgh');
    await expect(source.range(0, 2)).rejects.toMatchObject({ code: 'MIG_E_TRANSFER' });
    await expect(source.range(8, 12)).rejects.toMatchObject({ code: 'MIG_E_TRANSFER' });
  });
});
