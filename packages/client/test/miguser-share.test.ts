/**
 * `miguser share …` and the client's share-link calls against a real site over HTTPS; the id that
 * `share create` prints on its last line is then used as a WebDAVS login with curl against a real
 * WebDAVS server of the same site.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateShareId, modeOfShareId } from '@migrid/core';
import { WebdavServer } from '@migrid/fileservices';
import { MigApiError, MigClient, type ShareLinkInfo } from '@migrid/client';
import { createTestUser } from '../../../test/support/test-site.js';
import { openClientTestSite, type ClientTestSite } from './support/client-site.js';
import { runInProcess, runMiguserCli } from './support/miguser-io.js';

const execFileP = promisify(execFile);

let env: ClientTestSite;
let conf: string;
let webdav: WebdavServer;
let davPort: number;
let client: MigClient;

const miguser = (args: string[], stdin?: string) => runMiguserCli(args, { conf, cwd: env.work, ...(stdin !== undefined && { stdin }) });
const quick = (args: string[], options: { stdin?: string; conf?: string } = {}) => runInProcess(args, { conf: options.conf ?? conf, cwd: env.work, ...(options.stdin !== undefined && { stdin: options.stdin }) });
const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';

async function curl(user: string, password: string, args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await execFileP('curl', ['-sS', '--cacert', env.testSite.caCertPath, '-u', `${user}:${password}`, '-w', '\n%{http_code}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}
const dav = (path: string): string => `https://localhost:${davPort}${path}`;

beforeAll(async () => {
  env = await openClientTestSite();
  conf = join(env.work, 'share.conf');
  const login = await quick(['login', env.url, '--username', env.email, '--ca', env.testSite.caCertPath], { stdin: `${env.password}\n` });
  expect(login.code).toBe(0);
  const site = env.testSite.site;
  const user = await site.users.find(env.email);
  if (user === undefined) throw new Error('the test user is missing');
  const home = await site.users.homeDir(user.id);
  await mkdir(join(home, 'results', 'inbox'), { recursive: true });
  await writeFile(join(home, 'results', 'data.csv'), 'a,b\n1,2\n');
  webdav = await WebdavServer.fromSite(site);
  davPort = (await webdav.listen(0, '127.0.0.1')).port;
  const { token } = JSON.parse(await readFile(conf, 'utf8')) as { token: string };
  client = new MigClient({ url: env.url, token, ca: await readFile(env.testSite.caCertPath) });
}, 60_000);
afterAll(async () => {
  await client?.close();
  await webdav?.close();
  await env?.close();
});

describe('miguser share create', () => {
  it('prints the id alone on the last line, and that id is a WebDAVS login (curl -u ID:ID) until revoked', async () => {
    const made = await miguser(['share', 'create', '/results', '--mode', 'ro', '--max-uses', '5']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const id = lastLine(made.stdout);
    expect(id).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(modeOfShareId(id)).toBe('ro');
    expect(made.stdout).toMatch(new RegExp(`^https://\\S+/share/${id}$`, 'm'));

    expect(await curl(id, id, [dav('/data.csv')])).toEqual({ status: 200, body: 'a,b\n1,2\n' });
    const listing = await curl(id, id, ['-X', 'PROPFIND', '-H', 'Depth: 1', dav('/')]);
    expect(listing.status).toBe(207);
    expect(listing.body).toContain('data.csv');
    expect((await curl(id, id, ['-T', join(env.work, 'share.conf'), dav('/stolen.conf')])).status).toBe(403);
    expect((await curl(id, 'wrong-password', [dav('/data.csv')])).status).toBe(401);

    const revoked = await quick(['share', 'revoke', id]);
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked ${id}.\n` });
    // A new login is refused (401); a login the server still holds fails at its next operation (403).
    const after = await curl(id, id, [dav('/data.csv')]);
    expect([401, 403]).toContain(after.status);
    expect(after.body).not.toContain('1,2');
    expect(JSON.parse((await quick(['share', 'show', id, '--json'])).stdout)).toMatchObject({ id, state: 'revoked' });
  });

  it('sets a password from stdin, an expiry, a use limit and invites; the id alone then no longer logs in', async () => {
    const made = await quick(['share', 'create', '/results', '--mode', 'rw', '--password-stdin', '--expires', '2999-01-01', '--max-uses', '3', '--invite', 'a@example.org', 'b@example.org'], { stdin: 'link secret 42\n' });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const id = lastLine(made.stdout);
    expect(modeOfShareId(id)).toBe('rw');
    expect(made.stdout).not.toContain('link secret 42');
    const shown = JSON.parse((await quick(['share', 'show', id, '--json'])).stdout) as ShareLinkInfo;
    expect(shown).toMatchObject({ id, mode: 'rw', kind: 'folder', path: '/results', state: 'active', hasPassword: true, maxUses: 3, uses: 0, expiresAt: '2999-01-01T23:59:59.999Z', invites: ['a@example.org', 'b@example.org'] });
    expect((await curl(id, id, [dav('/data.csv')])).status).toBe(401);
    expect((await curl(id, 'link secret 42', ['-T', join(env.work, 'share.conf'), dav('/inbox/upload.conf')])).status).toBe(201);
    expect((await client.getShareLink(id)).uses).toBeGreaterThanOrEqual(1);
  });

  it('makes a drop box (wo) and prints JSON with --json', async () => {
    const made = await quick(['share', 'create', 'results/inbox', '-m', 'wo', '--json']);
    expect(made.code).toBe(0);
    const link = JSON.parse(made.stdout) as ShareLinkInfo;
    expect(link).toMatchObject({ mode: 'wo', path: '/results/inbox', state: 'active', });
    expect(link.url.endsWith(`/share/${link.id}`)).toBe(true);
    expect((await curl(link.id, link.id, ['-T', join(env.work, 'share.conf'), dav('/dropped.conf')])).status).toBe(201);
  });

  it('refuses bad input with a clear message and makes no link', async () => {
    const before = (await client.listShareLinks()).length;
    const cases: Array<[string[], number, RegExp, string?]> = [
      [['share', 'create', '/results', '--mode', 'xx'], 2, /Allowed choices are ro, wo, rw.*\(MIG_E_USAGE\)/],
      [['share', 'create', '/no/such/folder'], 1, /\(MIG_E_PATH_NOT_FOUND\)\n$/],
      [['share', 'create', '../etc'], 1, /\(MIG_E_(PATH_ESCAPE|PATH_NOT_FOUND)\)\n$/],
      [['share', 'create', '/results', '--expires', '2001-01-01'], 1, /not in the future.*\(MIG_E_INVALID_INPUT\)\n$/],
      [['share', 'create', '/results', '--expires', 'next week'], 1, /Invalid expires.*\(MIG_E_INVALID_INPUT\)\n$/],
      [['share', 'create', '/results', '--max-uses', '0'], 2, /--max-uses must be a whole number.*\(MIG_E_USAGE\)/],
      [['share', 'create', '/results', '--max-uses', '1000000000000'], 2, /--max-uses/],
      [['share', 'create', '/results/data.csv', '--mode', 'rw'], 1, /read-only.*\(MIG_E_INVALID_INPUT\)\n$/],
      [['share', 'create', '/results', '--password-stdin'], 2, /No password given/, ''],
      [['share', 'create', '/results', '--password-stdin'], 1, /password.*\(MIG_E_INVALID_INPUT\)\n$/, 'short\n'],
      [['share', 'create', '/results', '--password-stdin'], 1, /password must NOT have more than 256 characters.*\(MIG_E_INVALID_INPUT\)\n$/, `${'p'.repeat(100 * 1024)}\n`],
      [['share', 'create', '/results', '--password-stdin'], 2, /too long/, 'p'.repeat(100 * 1024)],
      [['share', 'create', '/results', '--invite', 'not-an-address'], 1, /Invalid invite\[0\].*\(MIG_E_INVALID_INPUT\)\n$/],
    ];
    for (const [args, code, message, stdin] of cases) {
      const result = await quick(args, stdin === undefined ? {} : { stdin });
      expect({ args: args.join(' '), code: result.code, stderr: result.stderr }).toEqual({ args: args.join(' '), code, stderr: expect.stringMatching(message) });
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
    expect((await client.listShareLinks()).length).toBe(before);
  });
});

describe('miguser share list, show, update, revoke', () => {
  it('lists the links (text and JSON) and shows one', async () => {
    const id = lastLine((await quick(['share', 'create', '/results/data.csv'])).stdout);
    const text = await quick(['share', 'list']);
    expect(text.code).toBe(0);
    const line = text.stdout.split('\n').find((l) => l.startsWith(id));
    expect(line).toMatch(new RegExp(`^${id}  active    ro      0  never             /results/data\\.csv$`));
    const json = JSON.parse((await quick(['share', 'list', '--json'])).stdout) as ShareLinkInfo[];
    expect(json[0]?.id).toBe(id);
    expect(json.some((l) => l.state === 'revoked')).toBe(true);
    const shown = await quick(['share', 'show', id]);
    expect(shown.stdout).toContain(`id:       ${id}\n`);
    expect(shown.stdout).toContain('path:     /results/data.csv (file)\n');
    expect(shown.stdout).toContain('password: the id itself\n');
    const invited = await quick(['share', 'invite', id, 'c@example.org', '--message', 'see this']);
    expect(invited).toMatchObject({ code: 0, stdout: 'Invited: c@example.org\n' });
    expect(await readFile(env.testSite.site.paths.mailLog, 'utf8')).toContain('see this');
  });

  it('updates expiry, password and use limit, and refuses contradictory or empty updates', async () => {
    const id = lastLine((await quick(['share', 'create', '/results', '--expires', '2999-01-01', '--password-stdin'], { stdin: 'first secret!\n' })).stdout);
    const cleared = await quick(['share', 'update', id, '--no-expiry', '--no-password', '--max-uses', '2', '--json']);
    expect(cleared.code).toBe(0);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ expiresAt: null, hasPassword: false, maxUses: 2 });
    expect((await curl(id, id, [dav('/data.csv')])).status).toBe(200);

    const again = await quick(['share', 'update', id, '--expires', '30d', '--password-stdin', '--no-max-uses', '--json'], { stdin: 'second secret\n' });
    expect(again.code).toBe(0);
    const link = JSON.parse(again.stdout) as ShareLinkInfo;
    expect(link).toMatchObject({ hasPassword: true, maxUses: null });
    const days = (Date.parse(link.expiresAt ?? '') - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThanOrEqual(30);

    for (const args of [['--expires', '2999-01-01', '--no-expiry'], ['--password-stdin', '--no-password'], []]) {
      const bad = await quick(['share', 'update', id, ...args], { stdin: 'whatever12\n' });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/\(MIG_E_USAGE\)\n$/);
    }
    const past = await quick(['share', 'update', id, '--expires', '2000-01-01']);
    expect(past.code).toBe(1);
    expect(past.stderr).toContain('MIG_E_INVALID_INPUT');
    expect((await client.getShareLink(id)).maxUses).toBeNull();
  });

  it("answers someone else's link exactly as a missing one", async () => {
    const site = env.testSite.site;
    const { user } = await createTestUser(site);
    await mkdir(join(await site.users.homeDir(user.id), 'theirs'));
    const theirs = await site.shareLinks.create({ ownerId: user.id, path: '/theirs' });
    const missing = generateShareId('ro');
    for (const cmd of [['show'], ['revoke'], ['update', '--max-uses', '1']]) {
      const [verb, ...rest] = cmd as [string, ...string[]];
      const a = await quick(['share', verb, theirs.id, ...rest]);
      const b = await quick(['share', verb, missing, ...rest]);
      expect(a.code).toBe(1);
      expect(a.stderr).toBe(b.stderr);
      expect(a.stderr).toContain('(MIG_E_SHARE_LINK_NOT_FOUND)');
    }
    expect((await site.shareLinks.get(theirs.id)).revokedAt).toBeNull();
  });

  it('refuses the VGrid listing to someone who does not own the VGrid', async () => {
    const site = env.testSite.site;
    const { user: boss } = await createTestUser(site);
    await site.vgrids.create({ actor: { kind: 'user', userId: boss.id }, name: 'Lab' });
    const refused = await quick(['share', 'list', '--vgrid', 'Lab']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(MIG_E_VGRID_NOT_ALLOWED)');
    await expect(client.listShareLinks({ vgrid: 'Lab' })).rejects.toBeInstanceOf(MigApiError);
  });
});

describe('MigClient share-link calls', () => {
  it('creates with a Date expiry, updates with nulls, revokes idempotently', async () => {
    const expires = new Date(Date.now() + 7 * 86_400_000);
    const link = await client.createShareLink('/results', { expires, maxUses: 4 });
    expect(link).toMatchObject({ mode: 'ro', maxUses: 4, expiresAt: expires.toISOString(), state: 'active', mine: true, owner: env.email });
    expect((await client.updateShareLink(link.id, { expires: null, maxUses: null })).expiresAt).toBeNull();
    expect((await client.revokeShareLink(link.id)).state).toBe('revoked');
    expect((await client.revokeShareLink(link.id)).state).toBe('revoked');
    const err = await client.createShareLink('/results', { mode: 'xx' as 'ro' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigApiError);
    expect((err as MigApiError).code).toBe('MIG_E_INVALID_INPUT');
  });
});
