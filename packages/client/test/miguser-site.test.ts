/**
 * `miguser` as a child process against a real running site over HTTPS: login (password on
 * stdin, the site CA), the file commands, and the errors a user meets (bad token, wrong CA,
 * wrong password, a folder without -r).
 */
import { createHash } from 'node:crypto';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as OTPAuth from 'otpauth';
import { createCertificateAuthority } from '@migrid/core';
import { createTestUser } from '../../../test/support/test-site.js';
import { MigApiError, MigClient } from '@migrid/client';
import { openClientTestSite, type ClientTestSite } from './support/client-site.js';
import { runInProcess, runMiguserCli } from './support/miguser-io.js';

let env: ClientTestSite;
let conf: string;

/** miguser as a child process, the way a user runs it. */
const miguser = (args: string[], options: { stdin?: string; conf?: string } = {}) =>
  runMiguserCli(args, { conf: options.conf ?? conf, cwd: env.work, ...(options.stdin !== undefined && { stdin: options.stdin }) });
/** The same program in this process: the same code without a process start (~1 s each on a busy machine). */
const quick = (args: string[], options: { conf?: string; stdin?: string } = {}) =>
  runInProcess(args, { conf: options.conf ?? conf, cwd: env.work, ...(options.stdin !== undefined && { stdin: options.stdin }) });

beforeAll(async () => {
  env = await openClientTestSite();
  conf = join(env.work, 'home', '.mig', 'miguser.conf');
});
afterAll(async () => {
  await env?.close();
});

describe('miguser login', () => {
  it('refuses a site certificate it cannot verify, with a TLS error and a hint', async () => {
    const noCa = await miguser(['login', env.url, '--username', env.email], { stdin: `${env.password}\n`, conf: join(env.work, 'no-ca.conf') });
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toMatch(/^miguser: The TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted .*--ca FILE.* \(MIG_E_TLS\)\n$/);

    const other = await createCertificateAuthority({ commonName: 'Some Other CA', validDays: 30 });
    await writeFile(join(env.work, 'other-ca.pem'), other.certPem);
    const wrongCa = await miguser(['login', env.url, '--username', env.email, '--ca', 'other-ca.pem'], { stdin: `${env.password}\n`, conf: join(env.work, 'wrong-ca.conf') });
    expect(wrongCa.code).toBe(1);
    expect(wrongCa.stderr).toContain('(MIG_E_TLS)');
    expect(wrongCa.stderr).not.toContain(env.password);
    await expect(stat(join(env.work, 'wrong-ca.conf'))).rejects.toThrow();
  });

  it('refuses a wrong password with the site code and exit 1', async () => {
    const result = await miguser(['login', env.url, '--username', env.email, '--ca', env.testSite.caCertPath], { stdin: 'Wrong-Pass-123!\n', conf: join(env.work, 'bad-pw.conf') });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^miguser: .+ \(MIG_E_AUTH_FAILED\)\n$/);
    await expect(stat(join(env.work, 'bad-pw.conf'))).rejects.toThrow();
  });

  it('logs in with the password from stdin, stores url, token and CA privately and never prints the token', async () => {
    const result = await miguser(['login', env.url, '--username', env.email, '--ca', env.testSite.caCertPath], { stdin: `${env.password}\n` });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`as ${env.email}`);
    const stored = JSON.parse(await readFile(conf, 'utf8')) as { url: string; token: string; tokenId: string; ca: string };
    expect(stored).toMatchObject({ url: env.url, ca: env.testSite.caCertPath });
    expect(stored.token).toMatch(/^mig_[0-9a-f]{16}_[0-9a-f]{64}$/);
    expect(result.stdout).not.toContain(stored.token);
    expect((await stat(conf)).mode & 0o777).toBe(0o600);
    expect((await stat(join(env.work, 'home', '.mig'))).mode & 0o777).toBe(0o700);

    const who = await miguser(['whoami', '--json']);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ email: env.email, status: 'active' });
    expect(who.stdout).not.toContain(stored.token);
  });

  it('sends the two-factor code with --totp when the account has 2FA', async () => {
    const { user, password } = await createTestUser(env.testSite.site);
    const { secret } = await env.testSite.site.totp.beginEnrollment(user.id, { issuer: 'Test', label: user.email });
    const totp = new OTPAuth.TOTP({ secret });
    await env.testSite.site.totp.confirmEnrollment(user.id, totp.generate());
    const totpConf = join(env.work, 'totp.conf');
    const args = ['login', env.url, '--username', user.email, '--ca', env.testSite.caCertPath];
    const without = await quick(args, { conf: totpConf, stdin: `${password}\n` });
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/\(MIG_E_TOTP_INVALID\)\n$/);
    const withCode = await miguser([...args, '--totp', totp.generate({ timestamp: Date.now() + 30_000 })], { conf: totpConf, stdin: `${password}\n` });
    expect(withCode.stderr).toBe('');
    expect(withCode.code).toBe(0);
    const who = await quick(['whoami', '--json'], { conf: totpConf });
    expect(JSON.parse(who.stdout)).toMatchObject({ email: user.email });
  });

  it('answers a bad token with a clear error and exit 1', async () => {
    const bogus = join(env.work, 'bogus.conf');
    await writeFile(bogus, JSON.stringify({ url: env.url, token: `mig_${'0'.repeat(16)}_${'1'.repeat(64)}`, ca: env.testSite.caCertPath }), { mode: 0o600 });
    const result = await miguser(['whoami'], { conf: bogus });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^miguser: .*miguser login.* \(MIG_E_AUTH_FAILED\)\n$/);
  });
});

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('miguser file commands', () => {
  const text = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

  it('puts a file and lists it with --json (name, type, size)', async () => {
    await writeFile(join(env.work, 'notes.txt'), text);
    // A missing parent folder is an error (like scp); make it first.
    const orphan = await quick(['put', 'notes.txt', '/docs/notes.txt']);
    expect(orphan.code).toBe(1);
    expect(orphan.stderr).toMatch(/^miguser: .+ \(MIG_E_[A-Z_]+\)\n$/);
    expect((await quick(['mkdir', '-p', '/docs'])).code).toBe(0);
    const put = await miguser(['put', 'notes.txt', '/docs/notes.txt']);
    expect(put).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const ls = await miguser(['ls', '/docs', '--json']);
    expect(ls.code).toBe(0);
    const entries = JSON.parse(ls.stdout) as { name: string; type: string; size: number }[];
    expect(entries).toEqual([expect.objectContaining({ name: 'notes.txt', type: 'file', size: Buffer.byteLength(text) })]);
    const one = await quick(['ls', '/docs/notes.txt', '--json']);
    expect(JSON.parse(one.stdout)).toEqual([expect.objectContaining({ name: 'notes.txt', path: '/docs/notes.txt', type: 'file' })]);
    const long = await quick(['ls', '-l', '/docs']);
    expect(long.stdout).toMatch(new RegExp(`^- +${Buffer.byteLength(text)}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d  notes\\.txt\\n$`));
    const plain = await quick(['ls']);
    expect(plain.stdout).toContain('docs/\n');
  });

  it('refuses to overwrite without --overwrite, and overwrites with it', async () => {
    const again = await quick(['put', 'notes.txt', '/docs/notes.txt']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/\(MIG_E_PATH_EXISTS\)\n$/);
    await writeFile(join(env.work, 'notes2.txt'), `${text}extra\n`);
    expect((await quick(['put', '--overwrite', 'notes2.txt', '/docs/notes.txt'])).code).toBe(0);
    expect((await quick(['put', '--overwrite', 'notes.txt', '/docs/'])).code).toBe(0);
  });

  it('shows files with cat, head, tail, stat and checksum', async () => {
    const client = await loggedInClient();
    try {
      const cat = await miguser(['cat', '/docs/notes.txt']);
      expect(cat).toMatchObject({ code: 0, stdout: text });
      const head = await quick(['head', '-n', '3', '/docs/notes.txt']);
      expect(head.stdout).toBe('line 1\nline 2\nline 3\n');
      const tail = await miguser(['tail', '-n', '2', 'docs/notes.txt']);
      expect(tail.stdout).toBe('line 49\nline 50\n');
      const st = await quick(['stat', '/docs/notes.txt', '--json']);
      expect(JSON.parse(st.stdout)).toMatchObject({ name: 'notes.txt', path: '/docs/notes.txt', type: 'file', size: Buffer.byteLength(text) });
      const sum = await quick(['checksum', '/docs/notes.txt']);
      expect(sum.stdout).toBe(`${sha256(text)}  /docs/notes.txt\n`);
      const md5 = await quick(['checksum', '--algorithm', 'md5', '/docs/notes.txt', '--json']);
      expect(JSON.parse(md5.stdout)).toMatchObject({ algorithm: 'md5', digest: createHash('md5').update(text).digest('hex') });
      // tail across several range requests, without a final newline, and in bytes
      const long = Array.from({ length: 30_000 }, (_, i) => `row ${i}`).join('\n');
      await client.upload('/docs/long.txt', Readable.from([Buffer.from(long)]), { size: Buffer.byteLength(long) });
      const tail3 = await quick(['tail', '-n', '3', '/docs/long.txt']);
      expect(tail3.stdout).toBe('row 29997\nrow 29998\nrow 29999');
      const tailMany = await quick(['tail', '-n', '20000', '/docs/long.txt']);
      expect(tailMany.stdout).toBe(long.split('\n').slice(-20000).join('\n'));
      const headBytes = await quick(['head', '-c', '9', '/docs/long.txt']);
      expect(headBytes.stdout).toBe('row 0\nrow');
    } finally {
      await client.close();
    }
  });

  it('makes folders, moves, copies and removes (to the trash, or for good)', async () => {
    expect((await quick(['mkdir', '/a'])).code).toBe(0);
    const again = await quick(['mkdir', '/a']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/\(MIG_E_PATH_EXISTS\)\n$/);
    expect((await quick(['mkdir', '-p', '/a', '/a/b/c'])).code).toBe(0);
    expect((await quick(['cp', '/docs/notes.txt', '/a/b'])).code).toBe(0);
    expect((await quick(['mv', '/a/b/notes.txt', '/a/b/renamed.txt'])).code).toBe(0);
    expect((await quick(['cp', '/a', '/a-copy'])).code).toBe(0);
    const copied = await quick(['ls', '/a-copy/b', '--json']);
    expect((JSON.parse(copied.stdout) as { name: string }[]).map((e) => e.name).sort()).toEqual(['c', 'renamed.txt']);

    const noR = await quick(['rm', '/a-copy']);
    expect(noR.code).toBe(2);
    expect(noR.stderr).toContain('use rm -r');
    const trashed = await miguser(['rm', '-r', '/a-copy', '--json']);
    expect(trashed.code).toBe(0);
    expect(JSON.parse(trashed.stdout)).toMatchObject({ trashed: [expect.objectContaining({ originalPath: '/a-copy' })] });
    const gone = await quick(['stat', '/a-copy']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/\(MIG_E_PATH_NOT_FOUND\)\n$/);
    const permanent = await quick(['rm', '--permanent', '/a/b/renamed.txt', '--json']);
    expect(JSON.parse(permanent.stdout)).toMatchObject({ deleted: 1 });
  });

  it('gets a file to a local name and into a local folder', async () => {
    expect((await quick(['get', '/docs/notes.txt'])).code).toBe(0);
    expect(await readFile(join(env.work, 'notes.txt'), 'utf8')).toBe(text);
    expect((await quick(['get', '/docs/notes.txt', 'copy.txt'])).code).toBe(0);
    expect(await readFile(join(env.work, 'copy.txt'), 'utf8')).toBe(text);
    const folder = await quick(['get', '/docs']);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain('use get -r');
  });

  it('passes the site\'s refusals through: paths outside the view, missing files', async () => {
    for (const path of ['/../../etc/passwd', '../x', '/%2e%2e/x']) {
      const result = await quick(['cat', path]);
      expect(result.code, path).toBe(1);
      expect(result.stderr, path).toMatch(/^miguser: .+ \(MIG_E_PATH_[A-Z_]+\)\n$/);
      expect(result.stdout).toBe('');
    }
  });
});

/** A client with the token `miguser login` stored. */
async function loggedInClient(): Promise<MigClient> {
  const stored = JSON.parse(await readFile(conf, 'utf8')) as { url: string; token: string; ca: string };
  return new MigClient({ url: stored.url, token: stored.token, ca: await readFile(stored.ca) });
}

describe('miguser logout', () => {
  it('revokes the token and removes the config', async () => {
    const saved = join(env.work, 'saved.conf');
    await copyFile(conf, saved);
    const result = await miguser(['logout']);
    expect(result.code).toBe(0);
    await expect(stat(conf)).rejects.toThrow();
    const old = await miguser(['ls'], { conf: saved });
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('(MIG_E_AUTH_FAILED)');
    const client = await (async () => {
      const stored = JSON.parse(await readFile(saved, 'utf8')) as { url: string; token: string; ca: string };
      return new MigClient({ url: stored.url, token: stored.token, ca: await readFile(stored.ca) });
    })();
    await expect(client.account()).rejects.toBeInstanceOf(MigApiError);
    await client.close();
    const notIn = await miguser(['logout']);
    expect(notIn.code).toBe(1);
    expect(notIn.stderr).toContain('(MIG_E_NOT_LOGGED_IN)');
  });
});
