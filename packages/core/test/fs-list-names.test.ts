import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileView, type FileView } from '@migrid/core';

// Listing reads names as UTF-8 and only falls back to bytes when a name decodes with U+FFFD.
let dir: string;
let view: FileView;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-fs-list-names-'));
  view = createFileView({ roots: [{ id: 'home', mountPath: '/', hostPath: dir, access: { read: true, write: true, list: true } }], symlinkPolicy: 'deny' });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileView.list names', () => {
  it('lists valid names in code-unit order and leaves out hidden ones', async () => {
    for (const name of ['b.txt', 'A.txt', 'a.txt', 'æøå.txt', '.htaccess', 'z']) await writeFile(join(dir, name), name);
    await mkdir(join(dir, 'sub'));
    await symlink('b.txt', join(dir, 'link'));
    const infos = await view.list('/');
    expect(infos.map((i) => i.name)).toEqual(['A.txt', 'a.txt', 'b.txt', 'link', 'sub', 'z', 'æøå.txt']);
    expect(infos.find((i) => i.name === 'link')?.type).toBe('symlink');
    expect(infos.find((i) => i.name === 'sub')?.type).toBe('directory');
    expect(infos.find((i) => i.name === 'b.txt')?.size).toBe(5);
  });

  it('leaves out names that are not UTF-8 but keeps a real U+FFFD in a name', async () => {
    await writeFile(Buffer.concat([Buffer.from(`${dir}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]), 'x');
    await writeFile(Buffer.concat([Buffer.from(`${dir}/overlong-`), Buffer.from([0xc0, 0xaf])]), 'x');
    await writeFile(join(dir, 'real-\uFFFD.txt'), 'x');
    await writeFile(join(dir, 'ok.txt'), 'x');
    const names = (await view.list('/')).map((i) => i.name);
    expect(names).toEqual(['ok.txt', 'real-\uFFFD.txt']);
  });

  it('lists a big folder completely', async () => {
    await mkdir(join(dir, 'big'));
    await Promise.all(Array.from({ length: 1500 }, (_, i) => writeFile(join(dir, 'big', `f-${String(i).padStart(4, '0')}`), '')));
    const names = (await view.list('/big')).map((i) => i.name);
    expect(names.length).toBe(1500);
    expect(names[0]).toBe('f-0000');
    expect(names[1499]).toBe('f-1499');
  });
});
