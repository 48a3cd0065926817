import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLiveFileView, createResumableUploads, type ViewRoot } from '../src/index.js';
import { forEachDatabase } from '../../../test/support/databases.js';
import { codeOf } from '../../../test/support/errors.js';

const ALL = { read: true, write: true, list: true } as const;

forEachDatabase((db) => {
  let base: string;
  let home: string;
  let shared: string;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'mig-fs-live-upload-'));
    home = join(base, 'home');
    shared = join(base, 'shared');
    await mkdir(home);
    await mkdir(shared);
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  describe('resumable uploads on a live view', () => {
    it('refuses the next chunk into a root that went away; an upload into the home goes on', async () => {
      const homeRoot: ViewRoot = { id: 'home:u1', mountPath: '/', hostPath: home, access: ALL };
      const sharedRoot: ViewRoot = { id: 'vgrid:Shared', mountPath: '/Shared', hostPath: shared, access: ALL };
      let generation = 1;
      let roots = [homeRoot, sharedRoot];
      const view = await createLiveFileView({ generation: async () => String(generation), load: async () => ({ roots }) });
      const uploads = createResumableUploads({ db: db().db });
      const intoShared = await uploads.start(view, 'user:u1', { path: '/Shared/s.bin', size: 6 });
      const intoHome = await uploads.start(view, 'user:u1', { path: '/h.bin', size: 6 });
      await uploads.append(view, 'user:u1', intoShared.id, 0, Readable.from([Buffer.from('abc')]));
      await uploads.append(view, 'user:u1', intoHome.id, 0, Readable.from([Buffer.from('abc')]));

      roots = [homeRoot];
      generation += 1;
      // The upload's path now lies in the home, where there is no such folder.
      expect(await codeOf(uploads.append(view, 'user:u1', intoShared.id, 3, Readable.from([Buffer.from('def')])))).toBe('MIG_E_PATH_NOT_FOUND');
      expect(await codeOf(uploads.complete(view, 'user:u1', intoShared.id))).toBe('MIG_E_PATH_NOT_FOUND');
      expect(await codeOf(uploads.status(view, 'user:u1', intoShared.id))).toBe('MIG_E_PATH_NOT_FOUND');
      expect((await readdir(shared)).filter((n) => !n.startsWith('.mig-upload-'))).toEqual([]);

      await uploads.append(view, 'user:u1', intoHome.id, 3, Readable.from([Buffer.from('def')]));
      expect(await uploads.complete(view, 'user:u1', intoHome.id)).toBe('/h.bin');
      expect(await readFile(join(home, 'h.bin'), 'utf8')).toBe('abcdef');
    });
  });
});
