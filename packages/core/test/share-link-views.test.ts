import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initSite, loadConfig, openSite, type FileView, type Site } from '@migrid/core';
import { codeOf } from '../../../test/support/errors.js';

let dir: string;
let site: Site;
let owner: string;
let home: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-share-views-'));
  const made = await initSite({ dir, fqdn: 'mig.example.org' });
  site = await openSite(await loadConfig(made.configPath), { service: 'test' });
  owner = (await site.users.create({ fullName: 'Jane Doe', organization: 'NBI', country: 'DK', email: 'jane@example.org' })).id;
  home = await site.users.homeDir(owner);
  await mkdir(join(home, 'shared', 'inner'), { recursive: true });
  await writeFile(join(home, 'shared', 'a.txt'), 'alpha\n');
  await writeFile(join(home, 'shared', 'inner', 'b.txt'), 'beta\n');
  await writeFile(join(home, 'secret.txt'), 'top secret\n');
  // Links the owner made inside the folder: one inside, one leading out of it (still in the home).
  await symlink('a.txt', join(home, 'shared', 'ok-link'));
  await symlink('../secret.txt', join(home, 'shared', 'out-link'));
});
afterAll(async () => {
  await site.close();
  await rm(dir, { recursive: true, force: true });
});

async function viewOf(path: string, mode: 'ro' | 'wo' | 'rw'): Promise<{ id: string; view: FileView }> {
  const link = await site.shareLinks.create({ ownerId: owner, path, mode });
  return { id: link.id, view: await site.files.viewFor({ kind: 'share-link', shareId: link.id }) };
}

const text = async (view: FileView, path: string): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of await view.createReadStream(path)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};
const put = async (view: FileView, path: string, body: string, overwrite = false): Promise<void> => {
  await pipeline(Readable.from([body]), await view.createWriteStream(path, { overwrite }));
};

describe('share link views', () => {
  it('ro: the folder at /, read and list only; no way out by .., absolute paths or symlinks', async () => {
    const { view } = await viewOf('/shared', 'ro');
    expect(view.roots.map((r) => [r.mountPath, r.access])).toEqual([['/', { read: true, write: false, list: true }]]);
    expect((await view.list('/')).map((e) => e.name)).toEqual(['a.txt', 'inner', 'ok-link', 'out-link']);
    expect(await text(view, '/inner/b.txt')).toBe('beta\n');
    expect(await text(view, 'ok-link')).toBe('alpha\n');
    expect(await codeOf(text(view, '/out-link'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await codeOf(view.stat('/../secret.txt'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await codeOf(view.stat('/inner/../../secret.txt'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await codeOf(put(view, '/new.txt', 'x'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(view.remove('/a.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(view.rename('/a.txt', '/z.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(view.mkdir('/d'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(view.open('/a.txt', 'r+'))).toBe('MIG_E_PERMISSION_DENIED');
  });

  it('rw: everything inside the folder, nothing outside', async () => {
    await mkdir(join(home, 'rw'), { recursive: true });
    const { view } = await viewOf('/rw', 'rw');
    await put(view, '/x.txt', 'one');
    await view.mkdir('/d');
    await view.rename('/x.txt', '/d/y.txt');
    expect(await text(view, '/d/y.txt')).toBe('one');
    expect((await view.list('/d')).map((e) => e.name)).toEqual(['y.txt']);
    expect(await readFile(join(home, 'rw', 'd', 'y.txt'), 'utf8')).toBe('one');
    expect(await codeOf(view.rename('/d/y.txt', '/../moved.txt'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await codeOf(view.symlink('../../secret.txt', '/evil'))).toMatch(/MIG_E_SYMLINK_REFUSED|MIG_E_PATH_ESCAPE/);
    expect(await codeOf(view.remove('/'))).toBe('MIG_E_PROTECTED_PATH');
    await view.remove('/d', { recursive: true });
    expect(await view.list('/')).toEqual([]);
  });

  it('wo: a drop box: uploads and own folders work, nothing can be listed, read or replaced', async () => {
    await mkdir(join(home, 'drop'), { recursive: true });
    await writeFile(join(home, 'drop', 'earlier.txt'), 'from someone else\n');
    const { view } = await viewOf('/drop', 'wo');
    await put(view, '/mine.txt', 'my upload');
    expect(await readFile(join(home, 'drop', 'mine.txt'), 'utf8')).toBe('my upload');
    // What a client checks after an upload: the file's metadata, and the folder it is in.
    expect((await view.stat('/mine.txt')).size).toBe(9);
    expect((await view.stat('/')).type).toBe('directory');
    expect(await view.realpath('/sub/../mine.txt')).toBe('/mine.txt');
    await put(view, '/mine.txt', 'my second try', true);
    const h = await view.open('/mine2.txt', 'w');
    await h.write(Buffer.from('via handle'));
    await h.close();
    await view.mkdir('/folder');
    await put(view, '/folder/f.txt', 'in my folder');
    await view.rename('/mine2.txt', '/folder/renamed.txt');
    expect((await view.stat('/folder/renamed.txt')).size).toBe(10);

    expect(await codeOf(view.list('/'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(text(view, '/mine.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(view.open('/mine.txt', 'r'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(view.open('/mine.txt', 'w+'))).toBe('MIG_E_PERMISSION_DENIED');
    // Someone else's file: invisible, and never replaced, appended to, renamed or removed.
    expect(await codeOf(view.stat('/earlier.txt'))).toBe('MIG_E_PATH_NOT_FOUND');
    expect(await codeOf(view.stat('/does-not-exist.txt'))).toBe('MIG_E_PATH_NOT_FOUND');
    expect(await codeOf(put(view, '/earlier.txt', 'overwrite!', true))).toBe('MIG_E_PATH_EXISTS');
    expect(await codeOf(view.open('/earlier.txt', 'w'))).toBe('MIG_E_PATH_EXISTS');
    expect(await codeOf(view.open('/earlier.txt', 'a'))).toBe('MIG_E_PATH_EXISTS');
    expect(await codeOf(view.remove('/earlier.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(view.rename('/earlier.txt', '/mine3.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(view.rename('/mine.txt', '/earlier.txt'))).toBe('MIG_E_PATH_EXISTS');
    expect(await codeOf(view.copy('/earlier.txt', '/copy.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await readFile(join(home, 'drop', 'earlier.txt'), 'utf8')).toBe('from someone else\n');
    expect(await codeOf(put(view, '/../escape.txt', 'x'))).toBe('MIG_E_PATH_ESCAPE');
    await view.remove('/mine.txt');
    expect(await codeOf(view.stat('/mine.txt'))).toBe('MIG_E_PATH_NOT_FOUND');
  });

  it('file: a folder holding just that file, read-only', async () => {
    const { view } = await viewOf('/shared/a.txt', 'ro');
    expect((await view.list('/')).map((e) => [e.name, e.type])).toEqual([['a.txt', 'file']]);
    expect(await text(view, '/a.txt')).toBe('alpha\n');
    expect((await view.stat('/a.txt')).size).toBe(6);
    for (const p of ['/inner/b.txt', '/ok-link', '/../secret.txt', '/inner']) expect(await codeOf(view.stat(p))).toMatch(/MIG_E_PATH_NOT_FOUND|MIG_E_PATH_ESCAPE/);
    expect(await codeOf(view.open('/a.txt', 'r+'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(put(view, '/a.txt', 'x', true))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(view.remove('/a.txt'))).toBe('MIG_E_PERMISSION_DENIED');
  });

  it('is live: revoking, expiring or limiting the link ends open sessions at their next operation', async () => {
    const { id, view } = await viewOf('/shared', 'ro');
    const handle = await view.open('/a.txt', 'r');
    expect((await view.list('/')).length).toBe(4);
    await site.shareLinks.revoke(id, { userId: owner });
    expect(await codeOf(view.list('/'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(handle.read(Buffer.alloc(4), 0, 4, 0))).toBe('MIG_E_PERMISSION_DENIED');
    await handle.close();
    expect(await codeOf(site.files.viewFor({ kind: 'share-link', shareId: id }))).toBe('MIG_E_PERMISSION_DENIED');

    const second = await viewOf('/shared', 'rw');
    await site.shareLinks.update(second.id, { expiresAt: Date.now() + 400 }, { userId: owner });
    expect((await second.view.list('/')).length).toBeGreaterThan(0);
    for (let i = 0; i < 100 && (await codeOf(second.view.list('/'))) === undefined; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await codeOf(second.view.list('/'))).toBe('MIG_E_PERMISSION_DENIED');
  });

  it('links into a VGrid share follow its setting and the owner role, and end with the membership', async () => {
    const admin = { kind: 'admin', userId: null } as const;
    const member = (await site.users.create({ fullName: 'Max Member', organization: 'NBI', country: 'DK', email: 'max@example.org' })).id;
    await site.vgrids.create({ actor: admin, name: 'Physics' });
    await site.vgrids.addOwner('Physics', owner, { actor: admin });
    await site.vgrids.addMember('Physics', member, { actor: admin });
    const byOwner = await site.shareLinks.create({ ownerId: owner, path: '/Physics', mode: 'rw' });
    expect(byOwner).toMatchObject({ rootId: 'vgrid:Physics', relPath: '', viewPath: '/Physics' });
    expect(await codeOf(site.shareLinks.create({ ownerId: member, path: '/Physics', mode: 'ro' }))).toBe('MIG_E_SHARE_LINK_NOT_ALLOWED');
    await site.vgrids.updateSettings('Physics', { createShareLink: 'members' }, { actor: admin });
    const byMember = await site.shareLinks.create({ ownerId: member, path: '/Physics', mode: 'wo' });
    expect((await site.shareLinks.listForVgrid('Physics')).map((l) => l.id).sort()).toEqual([byOwner.id, byMember.id].sort());

    const ownerView = await site.files.viewFor({ kind: 'share-link', shareId: byOwner.id });
    await put(ownerView, '/from-link.txt', 'into the share');
    expect(await readFile(join(site.paths.vgridFilesHome, 'Physics', 'from-link.txt'), 'utf8')).toBe('into the share');
    const memberView = await site.files.viewFor({ kind: 'share-link', shareId: byMember.id });
    await put(memberView, '/dropped.txt', 'x');
    await site.vgrids.removeMember('Physics', member, { actor: admin });
    expect(await codeOf(put(memberView, '/dropped2.txt', 'x'))).toBe('MIG_E_PERMISSION_DENIED');
    expect((await ownerView.list('/')).map((e) => e.name)).toContain('dropped.txt');
  });

  it('refuses unknown, malformed and other principals', async () => {
    expect(await codeOf(site.files.viewFor({ kind: 'share-link', shareId: 'aBCDEFGHIJKLMNOP' }))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(site.files.viewFor({ kind: 'share-link', shareId: '../../etc' }))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(site.files.viewFor({ kind: 'job-session', sessionId: 'x' }))).toBe('MIG_E_PERMISSION_DENIED');
    expect((await site.files.viewFor({ kind: 'user', userId: owner })).roots[0]?.mountPath).toBe('/');
  });
});
