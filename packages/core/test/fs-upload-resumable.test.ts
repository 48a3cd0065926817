import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileView, createResumableUploads, type FileView, type ViewProvider } from '../src/index.js';
import { forEachDatabase } from '../../../test/support/databases.js';
import { codeOf } from '../../../test/support/errors.js';

forEachDatabase((db) => {
  let base: string;
  let home: string;
  let view: FileView;
  let provider: ViewProvider;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'mig-fs-upload-'));
    home = join(base, 'home');
    await mkdir(home);
    view = createFileView({ roots: [{ id: 'home:u1', mountPath: '/', hostPath: home, access: { read: true, write: true, list: true } }] });
    provider = { viewFor: async () => view };
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  describe('resumable uploads', () => {
    it('appends chunks at the right offsets, refuses wrong ones, completes without replacing', async () => {
      const uploads = createResumableUploads({ db: db().db });
      const s = await uploads.start(view, 'user:u1', { path: '/x/f.bin', size: 6, parents: true });
      expect(s.offset).toBe(0);
      expect(await view.list('/x')).toEqual([]);
      expect((await uploads.append(view, 'user:u1', s.id, 0, Readable.from([Buffer.from('abc')]))).offset).toBe(3);
      const wrong = uploads.append(view, 'user:u1', s.id, 0, Readable.from([Buffer.from('abc')]));
      await expect(wrong).rejects.toMatchObject({ code: 'MIG_E_UPLOAD_OFFSET', details: { offset: 3 } });
      expect(await codeOf(uploads.append(view, 'user:u2', s.id, 3, Readable.from([Buffer.from('def')])))).toBe('MIG_E_UPLOAD_NOT_FOUND');
      expect(await codeOf(uploads.complete(view, 'user:u1', s.id))).toBe('MIG_E_UPLOAD_OFFSET');
      expect((await uploads.status(view, 'user:u1', s.id)).offset).toBe(3);
      await uploads.append(view, 'user:u1', s.id, 3, Readable.from([Buffer.from('def')]));
      expect(await uploads.complete(view, 'user:u1', s.id)).toBe('/x/f.bin');
      expect(await readFile(join(home, 'x/f.bin'), 'utf8')).toBe('abcdef');
      expect((await readdir(join(home, 'x'))).filter((n) => n.startsWith('.mig-upload-'))).toEqual([]);
      expect(await codeOf(uploads.start(view, 'user:u1', { path: '/x/f.bin', size: 1 }))).toBe('MIG_E_PATH_EXISTS');
      expect(await codeOf(uploads.start(view, 'user:u1', { path: '/../f', size: 1 }))).toBe('MIG_E_PATH_ESCAPE');
    });

    it('sweeps expired sessions with their bytes', async () => {
      let now = 1_000_000;
      const uploads = createResumableUploads({ db: db().db, now: () => now, ttlMs: 1000 });
      const s = await uploads.start(view, 'user:u1', { path: '/y.bin', size: 10 });
      await uploads.append(view, 'user:u1', s.id, 0, Readable.from([Buffer.from('12')]));
      expect(await uploads.sweep(provider)).toBe(0);
      now += 5000;
      expect(await uploads.sweep(provider)).toBe(1);
      expect((await readdir(home)).filter((n) => n.startsWith('.mig-upload-'))).toEqual([]);
      expect(await codeOf(uploads.status(view, 'user:u1', s.id))).toBe('MIG_E_UPLOAD_NOT_FOUND');
    });
  });
});
