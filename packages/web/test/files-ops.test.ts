import { createHash, randomBytes } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import type { UserRecord } from '@migrid/core';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

let t: TestSite;
let app: FastifyInstance;
let alice: UserRecord;
let s: TestSession;
let home: string;

const q = encodeURIComponent;

beforeAll(async () => {
  t = await openTestSite();
  app = await createWebApp({ site: t.site });
  await app.ready();
  alice = (await createTestUser(t.site)).user;
  s = await sessionFor(t.site, alice.id);
  home = await t.site.users.homeDir(alice.id);
});
afterAll(async () => {
  await app.close();
  await t.close();
});

const headers = (): Record<string, string> => ({ cookie: s.cookie, 'x-csrf-token': s.csrf });
const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, headers: headers(), payload: payload as Record<string, unknown> });
const get = (url: string) => app.inject({ url, headers: headers() });
const put = (path: string, body: string | Buffer, query = '') =>
  app.inject({ method: 'PUT', url: `/api/v1/files/content?path=${q(path)}${query}`, headers: { ...headers(), 'content-type': 'application/octet-stream' }, payload: body });

async function unzipAll(buffer: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))));
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith('/')) {
        out.set(entry.fileName, Buffer.alloc(0));
        zip.readEntry();
        return;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
          out.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        }).on('error', reject);
      });
    });
    zip.on('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
  return out;
}

function makeZip(files: Record<string, string>): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
}

describe('files API: folders, moves, copies', () => {
  it('makes folders, moves, renames and copies files and folders', async () => {
    expect((await post('/api/v1/files/mkdir', { path: '/a/b/c', parents: true })).statusCode).toBe(201);
    const again = await post('/api/v1/files/mkdir', { path: '/a' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'MIG_E_PATH_EXISTS' });
    await put('/a/b/one.txt', 'one');
    const moved = await post('/api/v1/files/move', { from: '/a/b/one.txt', to: '/a/two.txt' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ name: 'two.txt', path: '/a/two.txt', type: 'file', size: 3 });
    await put('/a/three.txt', '333');
    const clash = await post('/api/v1/files/move', { from: '/a/two.txt', to: '/a/three.txt' });
    expect(clash.statusCode).toBe(409);
    expect((await post('/api/v1/files/move', { from: '/a/two.txt', to: '/a/three.txt', overwrite: true })).statusCode).toBe(200);
    expect(await readFile(join(home, 'a/three.txt'), 'utf8')).toBe('one');
    const copy = await post('/api/v1/files/copy', { from: '/a', to: '/a-copy' });
    expect(copy.statusCode).toBe(200);
    expect(copy.json()).toMatchObject({ type: 'directory', path: '/a-copy' });
    expect(await readFile(join(home, 'a-copy/three.txt'), 'utf8')).toBe('one');
    expect((await stat(join(home, 'a-copy/b/c'))).isDirectory()).toBe(true);
    const into = await post('/api/v1/files/move', { from: '/a', to: '/a/b/a' });
    expect([400, 409]).toContain(into.statusCode);
    expect(await readdir(join(home, 'a/b'))).not.toContain('a');
    const top = await post('/api/v1/files/move', { from: '/', to: '/x' });
    expect(top.statusCode).toBe(403);
    const bad = await post('/api/v1/files/mkdir', { parents: true });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'MIG_E_INVALID_INPUT' });
  });

  it('computes checksums like node crypto', async () => {
    const data = randomBytes(300_000);
    await put('/sum.bin', data);
    for (const algorithm of ['sha256', 'sha512', 'sha1', 'md5']) {
      const res = await get(`/api/v1/files/checksum?path=${q('/sum.bin')}&algorithm=${algorithm}`);
      expect(res.json()).toEqual({ path: '/sum.bin', algorithm, digest: createHash(algorithm).update(data).digest('hex') });
    }
    expect((await get(`/api/v1/files/checksum?path=${q('/sum.bin')}&algorithm=crc32`)).statusCode).toBe(400);
    expect((await get(`/api/v1/files/checksum?path=${q('/a')}`)).statusCode).toBe(409);
  });

  it('finds entries by name', async () => {
    await post('/api/v1/files/mkdir', { path: '/find/deep/er', parents: true });
    await put('/find/Report-2024.csv', 'x');
    await put('/find/deep/er/report-old.csv', 'x');
    await put('/find/deep/notes.txt', 'x');
    const res = await get(`/api/v1/files/find?path=${q('/find')}&name=report*.csv`);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { entries: Array<{ path: string }>; truncated: boolean };
    expect(body.entries.map((e) => e.path).sort()).toEqual(['/find/Report-2024.csv', '/find/deep/er/report-old.csv']);
    expect(body.truncated).toBe(false);
    const sub = await get(`/api/v1/files/find?path=${q('/find')}&name=notes`);
    expect((sub.json() as { entries: Array<{ path: string }> }).entries.map((e) => e.path)).toEqual(['/find/deep/notes.txt']);
    const limited = await get(`/api/v1/files/find?path=${q('/find')}&name=*&limit=2`);
    expect(limited.json()).toMatchObject({ truncated: true });
    expect((limited.json() as { entries: unknown[] }).entries).toHaveLength(2);
  });
});

describe('files API: trash', () => {
  it('deletes to the trash, lists, restores (never overwriting) and empties', async () => {
    await post('/api/v1/files/mkdir', { path: '/t/sub', parents: true });
    await put('/t/sub/f.txt', 'data');
    await put('/t/g.txt', 'gg');
    const del = await post('/api/v1/files/delete', { paths: ['/t/sub', '/t/g.txt'] });
    expect(del.statusCode).toBe(200);
    const trashed = (del.json() as { trashed: Array<{ id: string; originalPath: string; type: string; size: number }> }).trashed;
    expect(trashed.map((i) => [i.originalPath, i.type, i.size])).toEqual([['/t/sub', 'directory', 4], ['/t/g.txt', 'file', 2]]);
    expect(await readdir(join(home, 't'))).toEqual([]);
    const listed = await get('/api/v1/files/list?path=%2Ft');
    expect((listed.json() as { entries: unknown[] }).entries).toEqual([]);
    const top = await get('/api/v1/files/list');
    expect((top.json() as { entries: Array<{ name: string }> }).entries.map((e) => e.name)).not.toContain('.trash');
    const items = (await get('/api/v1/trash')).json() as { items: Array<{ id: string; originalPath: string; deletedAt: string }> };
    expect(items.items.map((i) => i.originalPath).sort()).toEqual(['/t/g.txt', '/t/sub']);

    // Something new took the name: the old one comes back beside it.
    await put('/t/g.txt', 'new');
    const sub = trashed[0] as { id: string };
    const g = trashed[1] as { id: string };
    const restored = await post('/api/v1/trash/restore', { ids: [sub.id, g.id] });
    expect(restored.statusCode).toBe(200);
    expect((restored.json() as { restored: Array<{ path: string }> }).restored.map((e) => e.path)).toEqual(['/t/sub', '/t/g (restored).txt']);
    expect(await readFile(join(home, 't/sub/f.txt'), 'utf8')).toBe('data');
    expect(await readFile(join(home, 't/g.txt'), 'utf8')).toBe('new');
    expect(await readFile(join(home, 't/g (restored).txt'), 'utf8')).toBe('gg');
    const gone = await post('/api/v1/trash/restore', { ids: [g.id] });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ code: 'MIG_E_TRASH_ITEM_NOT_FOUND' });
    const hostile = await post('/api/v1/trash/restore', { ids: ['../../etc/passwd'] });
    expect(hostile.statusCode).toBe(404);

    await post('/api/v1/files/delete', { paths: ['/t'] });
    expect(((await get('/api/v1/trash')).json() as { items: unknown[] }).items).toHaveLength(1);
    const emptied = await post('/api/v1/trash/empty', {});
    expect(emptied.json()).toEqual({ removed: 1 });
    expect(((await get('/api/v1/trash')).json() as { items: unknown[] }).items).toEqual([]);
    expect(await readdir(join(home, '.trash'))).toEqual([]);

    await put('/perm.txt', 'x');
    const perm = await post('/api/v1/files/delete', { paths: ['/perm.txt'], permanent: true });
    expect(perm.json()).toEqual({ deleted: 1 });
    expect(((await get('/api/v1/trash')).json() as { items: unknown[] }).items).toEqual([]);
    expect((await post('/api/v1/files/delete', { paths: ['/'] })).statusCode).toBe(403);
    expect((await post('/api/v1/files/delete', { paths: ['/.trash'] })).statusCode).toBe(403);
  });
});

describe('files API: zip', () => {
  it('downloads a folder as a zip stream that unzips to the same bytes', async () => {
    const big = randomBytes(2 * 1024 * 1024);
    await post('/api/v1/files/mkdir', { path: '/z/inner', parents: true });
    await put('/z/big.bin', big);
    await put('/z/inner/ünïcødé.txt', 'text');
    const res = await get(`/api/v1/files/zip?path=${q('/z')}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toContain('z.zip');
    const files = await unzipAll(res.rawPayload);
    expect(files.get('z/big.bin')?.equals(big)).toBe(true);
    expect(files.get('z/inner/ünïcødé.txt')?.toString()).toBe('text');
    const several = await get(`/api/v1/files/zip?paths=${q('/z/big.bin')}&paths=${q('/z/inner')}`);
    expect([...(await unzipAll(several.rawPayload)).keys()].sort()).toEqual(['big.bin', 'inner/', 'inner/ünïcødé.txt']);
    expect((await get(`/api/v1/files/zip?path=${q('/nope')}`)).statusCode).toBe(404);
  });

  it('makes a zip file in the home and extracts it again', async () => {
    const made = await post('/api/v1/files/zip', { paths: ['/z'], to: '/z.zip' });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ path: '/z.zip', type: 'file' });
    const out = await post('/api/v1/files/unzip', { path: '/z.zip', to: '/unz' });
    expect(out.statusCode).toBe(200);
    expect(out.json()).toEqual({ extracted: 4 });
    expect(await readFile(join(home, 'unz/z/inner/ünïcødé.txt'), 'utf8')).toBe('text');
    const twice = await post('/api/v1/files/unzip', { path: '/z.zip', to: '/unz' });
    expect(twice.statusCode).toBe(409);
  });

  it('refuses a zip-slip archive and writes nothing at all', async () => {
    // yazl refuses such names, so write a harmless name of the same length and patch it.
    const zip = await makeZip({ 'ok.txt': 'fine', 'aa/aa/evil': 'evil' });
    const patched = Buffer.from(zip.toString('latin1').split('aa/aa/evil').join('../../evil'), 'latin1');
    await put('/slip.zip', patched);
    const before = await readdir(t.dir);
    const res = await post('/api/v1/files/unzip', { path: '/slip.zip', to: '/dest' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'MIG_E_PATH_ESCAPE' });
    expect(await readdir(t.dir)).toEqual(before);
    expect(await readdir(home)).not.toContain('dest');
    const abs = Buffer.from((await makeZip({ '_aa/evil': 'x' })).toString('latin1').split('_aa/evil').join('/etc/evl'), 'latin1');
    await put('/abs.zip', abs);
    expect((await post('/api/v1/files/unzip', { path: '/abs.zip', to: '/dest' })).statusCode).toBe(403);
    await put('/junk.zip', 'not a zip');
    expect((await post('/api/v1/files/unzip', { path: '/junk.zip', to: '/dest' })).statusCode).toBe(400);
  });
});
