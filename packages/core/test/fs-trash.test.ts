import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDirectoryQuota, createFileView, createTrash, restoredName, type FileEvent, type FileView } from '../src/index.js';
import { codeOf } from '../../../test/support/errors.js';

let base: string;
let home: string;
let events: FileEvent[];
let view: FileView;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'mig-fs-trash-'));
  home = join(base, 'home');
  await mkdir(home);
  events = [];
  view = createFileView({
    roots: [{ id: 'home:1', mountPath: '/', hostPath: home, access: { read: true, write: true, list: true }, quotaBytes: 1000 }],
    quota: createDirectoryQuota(),
    events: (e) => {
      events.push(e);
    },
  });
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('the trash', () => {
  it('moves files and folders to .trash, lists, restores and empties', async () => {
    await mkdir(join(home, 'd/e'), { recursive: true });
    await writeFile(join(home, 'd/e/f.txt'), '12345');
    await writeFile(join(home, 'g.txt'), 'gg');
    let clock = 1_700_000_000_000;
    const trash = createTrash(view, { now: () => (clock += 1000) });
    const d = await trash.moveToTrash('/d');
    const g = await trash.moveToTrash('/g.txt');
    expect([d.originalPath, d.type, d.size, g.originalPath, g.type, g.size]).toEqual(['/d', 'directory', 5, '/g.txt', 'file', 2]);
    expect(await readdir(home)).toEqual(['.trash']);
    expect(await view.list('/')).toEqual([]);
    expect(events.filter((e) => e.type === 'deleted').map((e) => e.viewPath)).toEqual(['/d', '/g.txt']);
    expect((await trash.list()).map((i) => i.id)).toEqual([g.id, d.id]);
    await writeFile(join(home, 'g.txt'), 'new');
    expect(await trash.restore(g.id)).toBe('/g (restored).txt');
    expect(await trash.restore(d.id)).toBe('/d');
    expect(await readFile(join(home, 'd/e/f.txt'), 'utf8')).toBe('12345');
    expect(await readFile(join(home, 'g (restored).txt'), 'utf8')).toBe('gg');
    expect(await codeOf(trash.restore(g.id))).toBe('MIG_E_TRASH_ITEM_NOT_FOUND');
    expect(await codeOf(trash.restore('../../x'))).toBe('MIG_E_TRASH_ITEM_NOT_FOUND');
    await trash.moveToTrash('/d');
    expect(await trash.empty()).toBe(1);
    expect(await trash.list()).toEqual([]);
    expect(await readdir(join(home, '.trash'))).toEqual([]);
  });

  it('recreates missing parents on restore and refuses protected or hidden paths', async () => {
    await mkdir(join(home, 'p/q'), { recursive: true });
    await writeFile(join(home, 'p/q/r.txt'), 'r');
    const trash = createTrash(view);
    const r = await trash.moveToTrash('/p/q/r.txt');
    await rm(join(home, 'p'), { recursive: true });
    expect(await trash.restore(r.id)).toBe('/p/q/r.txt');
    expect(await codeOf(trash.moveToTrash('/'))).toBe('MIG_E_PROTECTED_PATH');
    expect(await codeOf(trash.moveToTrash('/.trash'))).toBe('MIG_E_PATH_HIDDEN');
    expect(await codeOf(trash.moveToTrash('/../x'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await codeOf(trash.moveToTrash('/missing'))).toBe('MIG_E_PATH_NOT_FOUND');
  });

  it('refuses a .trash that is a symlink out of the root', async () => {
    await mkdir(join(base, 'outside'));
    await symlink(join(base, 'outside'), join(home, '.trash'));
    await writeFile(join(home, 'x.txt'), 'x');
    const trash = createTrash(view);
    await expect(trash.moveToTrash('/x.txt')).rejects.toThrow();
    expect(await readdir(join(base, 'outside'))).toEqual([]);
    expect(await readFile(join(home, 'x.txt'), 'utf8')).toBe('x');
  });

  it('releases quota when emptied', async () => {
    await view.createWriteStream('/a.bin').then((w) => new Promise((res, rej) => w.on('finish', res).on('error', rej).end(Buffer.alloc(600))));
    const trash = createTrash(view);
    await trash.moveToTrash('/a.bin');
    expect(await codeOf(view.createWriteStream('/b.bin').then((w) => new Promise((res, rej) => w.on('finish', res).on('error', rej).end(Buffer.alloc(600)))))).toBe('MIG_E_QUOTA_EXCEEDED');
    await trash.empty();
    await view.createWriteStream('/b.bin').then((w) => new Promise((res, rej) => w.on('finish', res).on('error', rej).end(Buffer.alloc(600))));
    expect((await view.stat('/b.bin')).size).toBe(600);
  });

  it('refuses views that do not hide .trash', () => {
    const open = createFileView({ roots: [{ id: 'h', mountPath: '/', hostPath: home, access: { read: true, write: true, list: true } }], hiddenNames: ['.htaccess'] });
    expect(() => createTrash(open)).toThrow(/trash is unavailable/);
  });

  it('names restored entries before the extension', () => {
    expect(restoredName('a.txt', 1, true)).toBe('a (restored).txt');
    expect(restoredName('a.txt', 2, true)).toBe('a (restored 2).txt');
    expect(restoredName('dir.d', 1, false)).toBe('dir.d (restored)');
    expect(restoredName('.x', 1, true)).toBe('.x (restored)');
  });
});
