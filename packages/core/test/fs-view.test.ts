import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMigError, MigError } from '../src/errors.js';
import {
  createDirectoryQuota,
  createFileView,
  createHomeViewProvider,
  homeRootId,
  UPLOAD_TEMP_PREFIX,
  type FileEvent,
  type FileView,
  type ViewRoot,
  type ViewSpec,
} from '../src/fs/index.js';
import { mapFsError } from '../src/fs/fs-error-map.js';

const ALL = { read: true, write: true, list: true } as const;
const READ_ONLY = { read: true, write: false, list: true } as const;

let base: string;
let home: string;
let shared: string;
let outside: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'mig-fs-view-'));
  home = join(base, 'home');
  shared = join(base, 'shared');
  outside = join(base, 'outside');
  for (const dir of [home, shared, outside]) mkdirSync(dir);
  writeFileSync(join(outside, 'secret.txt'), 'SECRET');
  mkdirSync(join(outside, 'secretdir'));
  writeFileSync(join(outside, 'secretdir', 'inner.txt'), 'SECRET-INNER');
  writeFileSync(join(home, 'hello.txt'), 'hello world');
  mkdirSync(join(home, 'docs'));
  writeFileSync(join(home, 'docs', 'a.txt'), 'A');
  writeFileSync(join(home, '.htaccess'), 'deny from all');
  writeFileSync(join(shared, 'paper.txt'), 'shared paper');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function homeRoot(extra: Partial<ViewRoot> = {}): ViewRoot {
  return { id: 'home', mountPath: '/', hostPath: home, access: ALL, ...extra };
}

function sharedRoot(extra: Partial<ViewRoot> = {}): ViewRoot {
  return { id: 'vgrid:Shared', mountPath: '/Shared', hostPath: shared, access: READ_ONLY, ...extra };
}

function view(extra: Partial<ViewSpec> = {}, roots: ViewRoot[] = [homeRoot(), sharedRoot()]): FileView {
  return createFileView({ roots, ...extra });
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(MigError);
    const e = err as MigError;
    // Messages show virtual paths only.
    expect(e.message).not.toContain(base);
    return e.code;
  }
  return 'no error';
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function put(v: FileView, path: string, data: string, overwrite = false): Promise<void> {
  const out = await v.createWriteStream(path, { overwrite });
  await pipeline(Readable.from([Buffer.from(data)]), out);
}

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith(UPLOAD_TEMP_PREFIX));
}

describe('metadata and listing', () => {
  it('stats files and folders, and follows links only inside the root', async () => {
    symlinkSync('hello.txt', join(home, 'link.txt'));
    const v = view();
    const file = await v.stat('hello.txt');
    expect(file).toMatchObject({ name: 'hello.txt', type: 'file', size: 11 });
    expect(file.mtime).toBeInstanceOf(Date);
    expect((await v.stat('/docs')).type).toBe('directory');
    expect((await v.stat('/link.txt')).type).toBe('file');
    expect((await v.lstat('/link.txt')).type).toBe('symlink');
    expect((await v.stat('/')).type).toBe('directory');
    expect(await code(v.stat('/missing'))).toBe('MIG_E_PATH_NOT_FOUND');
    expect(await code(v.stat('/hello.txt/x'))).toBe('MIG_E_NOT_A_DIRECTORY');
  });

  it('lists sorted entries without hidden names, with mount points as folders that shadow real entries', async () => {
    mkdirSync(join(home, 'Shared'));
    writeFileSync(join(home, 'Shared', 'shadowed.txt'), 'x');
    writeFileSync(join(home, 'b.txt'), 'b');
    writeFileSync(join(home, `${UPLOAD_TEMP_PREFIX}abc`), 'partial');
    const v = view();
    const names = (await v.list('/')).map((e) => `${e.name}:${e.type}`);
    expect(names).toEqual(['Shared:directory', 'b.txt:file', 'docs:directory', 'hello.txt:file']);
    expect((await v.list('/Shared')).map((e) => e.name)).toEqual(['paper.txt']);
    expect(await code(v.list('/hello.txt'))).toBe('MIG_E_NOT_A_DIRECTORY');
  });

  it('shows ancestors of nested mount points as virtual folders', async () => {
    const v = view({}, [homeRoot(), sharedRoot({ mountPath: '/Projects/Physics' })]);
    expect((await v.list('/')).map((e) => e.name)).toContain('Projects');
    expect((await v.stat('/Projects')).type).toBe('directory');
    expect((await v.list('/Projects')).map((e) => e.name)).toEqual(['Physics']);
    expect((await v.list('/Projects/Physics')).map((e) => e.name)).toEqual(['paper.txt']);
    expect(await v.realpath('/Projects/Physics/../Physics/paper.txt')).toBe('/Projects/Physics/paper.txt');
  });

  it('serves a view without a root at / through a virtual top folder', async () => {
    const v = view({}, [sharedRoot({ mountPath: '/Physics', access: ALL })]);
    expect((await v.list('/')).map((e) => e.name)).toEqual(['Physics']);
    expect((await v.stat('/')).type).toBe('directory');
    expect(await code(v.createWriteStream('/x.txt'))).toBe('MIG_E_PATH_NOT_FOUND');
    expect(await code(v.mkdir('/new'))).toBe('MIG_E_PATH_NOT_FOUND');
    expect(await code(v.remove('/', { recursive: true }))).toBe('MIG_E_PROTECTED_PATH');
    await put(v, '/Physics/new.txt', 'n');
    expect(readFileSync(join(shared, 'new.txt'), 'utf8')).toBe('n');
  });

  it('resolves realpath through links inside the root', async () => {
    mkdirSync(join(home, 'docs', 'deep'));
    symlinkSync('docs/deep', join(home, 'shortcut'));
    symlinkSync(join(home, 'docs'), join(home, 'abs-docs'));
    const v = view();
    expect(await v.realpath('shortcut')).toBe('/docs/deep');
    expect(await v.realpath('/abs-docs/a.txt')).toBe('/docs/a.txt');
    expect(await v.realpath('/shortcut/not-yet.txt')).toBe('/docs/deep/not-yet.txt');
    expect(await v.realpath('/Shared/./paper.txt')).toBe('/Shared/paper.txt');
    expect(await code(v.realpath('/nope/x'))).toBe('MIG_E_PATH_NOT_FOUND');
  });
});

describe('path validation', () => {
  it('refuses malformed, oversized, hidden and escaping paths with stable codes', async () => {
    const v = view();
    expect(await code(v.stat('a\u0000b'))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.stat('a\nb'))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.stat('a\u0085b'))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.stat('a\ud800b'))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.stat(42 as unknown as string))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.stat(undefined as unknown as string))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.stat('x'.repeat(256)))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.stat('é'.repeat(128)))).toBe('MIG_E_PATH_INVALID'); // 256 bytes
    expect(await code(v.stat(`${'a/'.repeat(2100)}`))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.stat('/..'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await code(v.stat('docs/../../home'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await code(v.stat('/.htaccess'))).toBe('MIG_E_PATH_HIDDEN');
    expect(await code(v.stat('/.htaccess/../hello.txt'))).toBe('MIG_E_PATH_HIDDEN');
    expect(await code(v.createWriteStream(`/${UPLOAD_TEMP_PREFIX}x`))).toBe('MIG_E_PATH_HIDDEN');
    expect((await v.stat('x'.repeat(255)).catch((e: MigError) => e.code))).toBe('MIG_E_PATH_NOT_FOUND');
  });

  it('honours custom limits and hidden names', async () => {
    const v = view({ maxNameBytes: 5, maxPathBytes: 12, hiddenNames: ['sec'] }, [homeRoot()]);
    expect(await code(v.stat('abcdef'))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.stat('/abc/abc/abc/abc'))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.stat('/sec'))).toBe('MIG_E_PATH_HIDDEN');
    // .htaccess is no longer hidden with a custom list, but is too long here.
    expect(await code(v.stat('/docs'))).toBe('no error');
  });

  it('treats encoded and look-alike names as literal names inside the root', async () => {
    const v = view();
    for (const name of ['%2e%2e', '..%2f', '\u2025', '\uff0e\uff0e', 'a\\..\\b']) {
      await v.mkdir(name);
      expect(existsSync(join(home, name))).toBe(true);
      expect(await v.realpath(`/${name}`)).toBe(`/${name}`);
    }
  });

  it('normalises names to NFC', async () => {
    const v = view();
    await put(v, '/cafe\u0301.txt', 'nfd'); // decomposed é
    expect(readdirSync(home)).toContain('caf\u00e9.txt'); // stored composed
    expect(await readAll(await v.createReadStream('/caf\u00e9.txt'))).toBe('nfd');
    expect((await v.stat('/cafe\u0301.txt')).name).toBe('caf\u00e9.txt');
  });
});

describe('reading', () => {
  it('streams whole files and validated ranges', async () => {
    const v = view();
    expect(await readAll(await v.createReadStream('/hello.txt'))).toBe('hello world');
    expect(await readAll(await v.createReadStream('/hello.txt', { start: 6 }))).toBe('world');
    expect(await readAll(await v.createReadStream('/hello.txt', { start: 0, end: 4 }))).toBe('hello');
    expect(await readAll(await v.createReadStream('/hello.txt', { end: 0 }))).toBe('h');
    expect(await readAll(await v.createReadStream('/hello.txt', { start: 11 }))).toBe('');
    expect(await code(v.createReadStream('/hello.txt', { start: 12 }))).toBe('MIG_E_RANGE_INVALID');
    expect(await code(v.createReadStream('/hello.txt', { start: 11, end: 11 }))).toBe('MIG_E_RANGE_INVALID');
    expect(await code(v.createReadStream('/hello.txt', { end: 11 }))).toBe('MIG_E_RANGE_INVALID');
    expect(await code(v.createReadStream('/hello.txt', { start: 5, end: 4 }))).toBe('MIG_E_RANGE_INVALID');
    expect(await code(v.createReadStream('/hello.txt', { start: -1 }))).toBe('MIG_E_INVALID_INPUT');
    expect(await code(v.createReadStream('/hello.txt', { start: 1.5 }))).toBe('MIG_E_INVALID_INPUT');
    expect(await code(v.createReadStream('/docs'))).toBe('MIG_E_IS_A_DIRECTORY');
    expect(await code(v.createReadStream('/nope'))).toBe('MIG_E_PATH_NOT_FOUND');
  });

  it('reads large files as a stream', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    writeFileSync(join(home, 'big.bin'), big);
    const stream = await view().createReadStream('/big.bin');
    let total = 0;
    let chunks = 0;
    for await (const chunk of stream) {
      total += (chunk as Buffer).length;
      chunks += 1;
    }
    expect(total).toBe(big.length);
    expect(chunks).toBeGreaterThan(1);
  });
});

describe('uploads', () => {
  it('writes to a hidden temporary file and renames it into place on finish', async () => {
    const v = view();
    const out = await v.createWriteStream('/hello.txt', { overwrite: true });
    await new Promise<void>((resolve, reject) => out.write(Buffer.from('new '), (err) => (err ? reject(err) : resolve())));
    // In progress: a temporary file exists, is not listed, and readers still see the old content.
    expect(tempFiles(home)).toHaveLength(1);
    expect((await v.list('/')).map((e) => e.name)).not.toContain(tempFiles(home)[0]);
    expect(await readAll(await v.createReadStream('/hello.txt'))).toBe('hello world');
    const reader = await v.createReadStream('/hello.txt'); // opened before the rename
    await new Promise<void>((resolve, reject) => out.end(Buffer.from('content'), () => resolve()).on('error', reject));
    expect(await readAll(reader)).toBe('hello world');
    expect(await readAll(await v.createReadStream('/hello.txt'))).toBe('new content');
    expect(tempFiles(home)).toHaveLength(0);
  });

  it('leaves the old content and no temporary file when aborted or failed', async () => {
    const v = view();
    const out = await v.createWriteStream('/hello.txt', { overwrite: true });
    out.write(Buffer.from('partial'));
    const closed = new Promise((resolve) => out.on('close', resolve));
    out.destroy();
    await closed;
    expect(readFileSync(join(home, 'hello.txt'), 'utf8')).toBe('hello world');
    expect(tempFiles(home)).toHaveLength(0);

    const failing = new Readable({
      read() {
        this.push(Buffer.from('some bytes'));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(pipeline(failing, await v.createWriteStream('/docs/a.txt', { overwrite: true }))).rejects.toThrow('client went away');
    expect(readFileSync(join(home, 'docs', 'a.txt'), 'utf8')).toBe('A');
    expect(tempFiles(join(home, 'docs'))).toHaveLength(0);
  });

  it('creates new files, refuses to replace without overwrite, and keeps the mode of replaced files', async () => {
    const v = view();
    await put(v, '/docs/new.txt', 'fresh');
    expect(readFileSync(join(home, 'docs', 'new.txt'), 'utf8')).toBe('fresh');
    expect(statSync(join(home, 'docs', 'new.txt')).mode & 0o777).toBe(0o644);
    expect(await code(v.createWriteStream('/docs/new.txt'))).toBe('MIG_E_PATH_EXISTS');
    await v.chmod('/docs/new.txt', 0o750);
    await put(v, '/docs/new.txt', 'again', true);
    expect(statSync(join(home, 'docs', 'new.txt')).mode & 0o777).toBe(0o750);
    expect(await code(v.createWriteStream('/docs'))).toBe('MIG_E_IS_A_DIRECTORY');
    expect(await code(v.createWriteStream('/'))).toBe('MIG_E_IS_A_DIRECTORY');
    expect(await code(v.createWriteStream('/nodir/x.txt'))).toBe('MIG_E_PATH_NOT_FOUND');
    expect(await code(v.createWriteStream('/x', { overwrite: 'yes' } as unknown as { overwrite: boolean }))).toBe('MIG_E_INVALID_INPUT');
  });

  it('fails the upload when the name was taken meanwhile and overwrite is off', async () => {
    const v = view();
    const out = await v.createWriteStream('/race.txt');
    writeFileSync(join(home, 'race.txt'), 'first');
    await expect(pipeline(Readable.from([Buffer.from('second')]), out)).rejects.toMatchObject({ code: 'MIG_E_PATH_EXISTS' });
    expect(readFileSync(join(home, 'race.txt'), 'utf8')).toBe('first');
    expect(tempFiles(home)).toHaveLength(0);
  });

  it('writes through a symlink to its target inside the root', async () => {
    symlinkSync('docs/a.txt', join(home, 'a-link'));
    const v = view();
    await put(v, '/a-link', 'via link', true);
    expect(readFileSync(join(home, 'docs', 'a.txt'), 'utf8')).toBe('via link');
    expect(lstatSync(join(home, 'a-link')).isSymbolicLink()).toBe(true);
  });
});

describe('positional I/O', () => {
  it('reads and writes at positions, truncates and appends', async () => {
    const v = view();
    const h = await v.open('/pos.bin', 'w+');
    await h.write(Buffer.from('abcdef'), 0);
    await h.write(Buffer.from('XY'), 2);
    const buf = Buffer.alloc(6);
    expect((await h.read(buf, 0, 6, 0)).bytesRead).toBe(6);
    expect(buf.toString()).toBe('abXYef');
    await h.truncate(3);
    expect((await h.stat()).size).toBe(3);
    await h.close();
    await h.close(); // idempotent
    expect(await code(h.read(buf, 0, 1, 0))).toBe('MIG_E_INVALID_INPUT');
    const a = await v.open('/pos.bin', 'a');
    await a.write(Buffer.from('++'));
    await a.close();
    expect(readFileSync(join(home, 'pos.bin'), 'utf8')).toBe('abX++');
    const r = await v.open('/pos.bin', 'r');
    expect(await code(r.write(Buffer.from('no'), 0))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await code(r.read(Buffer.alloc(2), 1, 2, 0))).toBe('MIG_E_INVALID_INPUT');
    await r.close();
  });

  it('maps open errors', async () => {
    const v = view();
    expect(await code(v.open('/hello.txt', 'wx'))).toBe('MIG_E_PATH_EXISTS');
    expect(await code(v.open('/nope', 'r'))).toBe('MIG_E_PATH_NOT_FOUND');
    expect(await code(v.open('/docs', 'r'))).toBe('MIG_E_IS_A_DIRECTORY');
    expect(await code(v.open('/hello.txt', 'rw' as never))).toBe('MIG_E_INVALID_INPUT');
    expect(await code(v.open('/Shared/paper.txt', 'r+'))).toBe('MIG_E_PERMISSION_DENIED');
    const h = await v.open('/Shared/paper.txt', 'r');
    const buf = Buffer.alloc(5);
    await h.read(buf, 0, 5, 0);
    expect(buf.toString()).toBe('share');
    await h.close();
  });
});

describe('folders, rename, copy and remove', () => {
  it('creates folders', async () => {
    const v = view();
    await v.mkdir('/new');
    expect(statSync(join(home, 'new')).isDirectory()).toBe(true);
    expect(await code(v.mkdir('/new'))).toBe('MIG_E_PATH_EXISTS');
    expect(await code(v.mkdir('/a/b/c'))).toBe('MIG_E_PATH_NOT_FOUND');
    await v.mkdir('/a/b/c', { recursive: true });
    await v.mkdir('/a/b/c', { recursive: true });
    expect(statSync(join(home, 'a', 'b', 'c')).isDirectory()).toBe(true);
    expect(await code(v.mkdir('/hello.txt/x'))).toBe('MIG_E_NOT_A_DIRECTORY');
    expect(await code(v.mkdir('/hello.txt'))).toBe('MIG_E_PATH_EXISTS');
    expect(await code(v.mkdir('/Shared'))).toBe('MIG_E_PERMISSION_DENIED'); // read-only: refused before anything else
    expect(await code(view({}, [homeRoot(), sharedRoot({ access: ALL })]).mkdir('/Shared'))).toBe('MIG_E_PATH_EXISTS');
    expect(await code(v.mkdir('/Shared/x', { recursive: true }))).toBe('MIG_E_PERMISSION_DENIED');
    // Existing folders on the way need no write access; only what is created does.
    const nested = view({}, [homeRoot({ access: READ_ONLY }), sharedRoot({ access: ALL, mountPath: '/docs/Shared' })]);
    await nested.mkdir('/docs/Shared/x/y', { recursive: true });
    expect(statSync(join(shared, 'x', 'y')).isDirectory()).toBe(true);
    expect(await code(nested.mkdir('/docs/new', { recursive: true }))).toBe('MIG_E_PERMISSION_DENIED');
  });

  it('renames inside a root, with and without overwrite', async () => {
    const v = view();
    await v.rename('/hello.txt', '/docs/hi.txt');
    expect(readFileSync(join(home, 'docs', 'hi.txt'), 'utf8')).toBe('hello world');
    expect(existsSync(join(home, 'hello.txt'))).toBe(false);
    expect(await code(v.rename('/docs/hi.txt', '/docs/a.txt'))).toBe('MIG_E_PATH_EXISTS');
    await v.rename('/docs/hi.txt', '/docs/a.txt', { overwrite: true });
    expect(readFileSync(join(home, 'docs', 'a.txt'), 'utf8')).toBe('hello world');
    expect(await code(v.rename('/docs', '/docs/inner'))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.rename('/nope', '/x'))).toBe('MIG_E_PATH_NOT_FOUND');
    await v.mkdir('/emptydir');
    expect(await code(v.rename('/docs/a.txt', '/emptydir', { overwrite: true }))).toBe('MIG_E_IS_A_DIRECTORY');
  });

  it('protects / and mount points', async () => {
    const v = view({}, [homeRoot(), sharedRoot({ access: ALL })]);
    expect(await code(v.remove('/', { recursive: true }))).toBe('MIG_E_PROTECTED_PATH');
    expect(await code(v.remove('/Shared', { recursive: true }))).toBe('MIG_E_PROTECTED_PATH');
    expect(await code(v.rename('/Shared', '/Other'))).toBe('MIG_E_PROTECTED_PATH');
    expect(await code(v.rename('/', '/x'))).toBe('MIG_E_PROTECTED_PATH');
    expect(await code(v.rename('/hello.txt', '/Shared', { overwrite: true }))).toBe('MIG_E_PROTECTED_PATH');
    expect(await code(v.copy('/docs', '/Shared', { overwrite: true, recursive: true }))).toBe('MIG_E_PROTECTED_PATH');
    expect(await code(v.chmod('/', 0o700))).toBe('MIG_E_PROTECTED_PATH');
    expect(existsSync(join(shared, 'paper.txt'))).toBe(true);
  });

  it('lets an unprotected mount point be emptied but not renamed', async () => {
    const v = view({}, [homeRoot(), sharedRoot({ access: ALL, protected: false })]);
    expect(await code(v.remove('/Shared'))).toBe('MIG_E_DIRECTORY_NOT_EMPTY');
    await v.remove('/Shared', { recursive: true });
    expect(readdirSync(shared)).toEqual([]);
    expect((await v.list('/')).map((e) => e.name)).toContain('Shared');
    expect(await code(v.rename('/Shared', '/S2'))).toBe('MIG_E_PROTECTED_PATH');
  });

  it('moves across roots by copying and removing', async () => {
    const events: FileEvent[] = [];
    const v = view({ events: (e) => void events.push(e) }, [homeRoot(), sharedRoot({ access: ALL })]);
    await v.rename('/docs', '/Shared/docs');
    expect(readFileSync(join(shared, 'docs', 'a.txt'), 'utf8')).toBe('A');
    expect(existsSync(join(home, 'docs'))).toBe(false);
    await v.rename('/hello.txt', '/Shared/hello.txt');
    expect(readFileSync(join(shared, 'hello.txt'), 'utf8')).toBe('hello world');
    expect(events.map((e) => `${e.type}:${e.rootId}:${e.path}`)).toEqual([
      'dir-created:vgrid:Shared:/docs',
      'deleted:home:/docs',
      'created:vgrid:Shared:/hello.txt',
      'deleted:home:/hello.txt',
    ]);
    expect(tempFiles(shared)).toHaveLength(0);
  });

  it('copies files and folders', async () => {
    symlinkSync('a.txt', join(home, 'docs', 'rel-link'));
    const v = view();
    await v.copy('/hello.txt', '/copy.txt');
    expect(readFileSync(join(home, 'copy.txt'), 'utf8')).toBe('hello world');
    expect(await code(v.copy('/hello.txt', '/copy.txt'))).toBe('MIG_E_PATH_EXISTS');
    await v.copy('/docs/a.txt', '/copy.txt', { overwrite: true });
    expect(readFileSync(join(home, 'copy.txt'), 'utf8')).toBe('A');
    expect(await code(v.copy('/docs', '/docs2'))).toBe('MIG_E_IS_A_DIRECTORY');
    await v.copy('/docs', '/docs2', { recursive: true });
    expect(readFileSync(join(home, 'docs2', 'a.txt'), 'utf8')).toBe('A');
    expect(existsSync(join(home, 'docs2', 'rel-link'))).toBe(false); // 'deny' policy: links are not copied
    await v.copy('/Shared', '/shared-copy', { recursive: true });
    expect(readFileSync(join(home, 'shared-copy', 'paper.txt'), 'utf8')).toBe('shared paper');
    writeFileSync(join(home, 'docs2', 'extra.txt'), 'extra');
    await v.copy('/docs', '/docs2', { recursive: true, overwrite: true });
    expect(readdirSync(join(home, 'docs2')).sort()).toEqual(['a.txt']);
    expect(await code(v.copy('/docs', '/docs/inside', { recursive: true }))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.copy('/docs', '/docs', { recursive: true, overwrite: true }))).toBe('MIG_E_PATH_INVALID');
    expect(await code(v.copy('/hello.txt', '/Shared/x.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(tempFiles(home)).toHaveLength(0);

    const w = view({ symlinkPolicy: 'within-view' });
    await w.copy('/docs', '/docs3', { recursive: true });
    expect(lstatSync(join(home, 'docs3', 'rel-link')).isSymbolicLink()).toBe(true);
  });

  it('removes files, links (not their targets) and folders', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(home, 'out-link'));
    symlinkSync(join(outside, 'secretdir'), join(home, 'out-dir-link'));
    const v = view();
    await v.remove('/out-link');
    await v.remove('/out-dir-link', { recursive: true });
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('SECRET');
    expect(existsSync(join(outside, 'secretdir', 'inner.txt'))).toBe(true);
    expect(await code(v.remove('/docs'))).toBe('MIG_E_DIRECTORY_NOT_EMPTY');
    await v.remove('/docs/a.txt');
    await v.remove('/docs');
    expect(existsSync(join(home, 'docs'))).toBe(false);
    await v.mkdir('/tree/a/b', { recursive: true });
    writeFileSync(join(home, 'tree', 'a', 'b', 'f'), 'f');
    await v.remove('/tree', { recursive: true });
    expect(existsSync(join(home, 'tree'))).toBe(false);
    expect(await code(v.remove('/tree'))).toBe('MIG_E_PATH_NOT_FOUND');
    expect(await code(v.remove('/Shared/paper.txt'))).toBe('MIG_E_PERMISSION_DENIED');
  });
});

describe('symlinks, times and modes', () => {
  it('refuses to create symlinks under the deny policy', async () => {
    expect(await code(view().symlink('hello.txt', '/l'))).toBe('MIG_E_SYMLINK_REFUSED');
    expect(existsSync(join(home, 'l'))).toBe(false);
  });

  it('creates only relative links that stay in the root under within-view', async () => {
    const v = view({ symlinkPolicy: 'within-view' });
    await v.symlink('hello.txt', '/l');
    expect(await readAll(await v.createReadStream('/l'))).toBe('hello world');
    expect(await v.readlink('/l')).toBe('hello.txt');
    await v.symlink('../hello.txt', '/docs/up');
    expect(await readAll(await v.createReadStream('/docs/up'))).toBe('hello world');
    expect(await code(v.symlink('../../outside/secret.txt', '/docs/x'))).toBe('MIG_E_SYMLINK_REFUSED');
    expect(await code(v.symlink('../outside', '/x'))).toBe('MIG_E_SYMLINK_REFUSED');
    expect(await code(v.symlink(join(home, 'hello.txt'), '/x'))).toBe('MIG_E_SYMLINK_REFUSED');
    expect(await code(v.symlink('.htaccess', '/x'))).toBe('MIG_E_SYMLINK_REFUSED');
    expect(await code(v.symlink('a\u0000b', '/x'))).toBe('MIG_E_SYMLINK_REFUSED');
    expect(await code(v.symlink('', '/x'))).toBe('MIG_E_SYMLINK_REFUSED');
    expect(await code(v.symlink('hello.txt', '/l'))).toBe('MIG_E_PATH_EXISTS');
    expect(await code(v.symlink('paper.txt', '/Shared/l'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(existsSync(join(home, 'x'))).toBe(false);
  });

  it('refuses to move a link to where it would lead out of the root, and still follows nothing outside', async () => {
    const v = view({ symlinkPolicy: 'within-view' });
    await v.mkdir('/docs/deep');
    // Inside the root where it is made (it names a missing /outside there), outside from the top.
    await v.symlink('../outside/secret.txt', '/docs/esc');
    expect(await code(v.rename('/docs/esc', '/esc'))).toBe('MIG_E_SYMLINK_REFUSED');
    expect(existsSync(join(home, 'esc'))).toBe(false);
    await v.rename('/docs/esc', '/docs/deep/esc');
    expect(await v.readlink('/docs/deep/esc')).toBe('../outside/secret.txt');
    // A folder move cannot check every link inside it: reads through the escaping link are refused.
    await v.symlink('../../outside/secret.txt', '/docs/deep/esc2');
    await v.rename('/docs/deep', '/deep');
    expect(await code(v.createReadStream('/deep/esc2'))).toBe('MIG_E_PATH_ESCAPE');
  });

  it('reads links: relative as stored, absolute inside as virtual, outside refused', async () => {
    symlinkSync(join(home, 'docs', 'a.txt'), join(home, 'abs-in'));
    symlinkSync(join(outside, 'secret.txt'), join(home, 'abs-out'));
    symlinkSync('../outside/secret.txt', join(home, 'rel-out'));
    const v = view();
    expect(await v.readlink('/abs-in')).toBe('/docs/a.txt');
    expect(await code(v.readlink('/abs-out'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await code(v.readlink('/rel-out'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await code(v.readlink('/hello.txt'))).toBe('MIG_E_PATH_INVALID');
    expect((await v.lstat('/abs-out')).type).toBe('symlink');
  });

  it('sets times', async () => {
    const v = view();
    await v.setTimes('/hello.txt', new Date('2020-01-02T03:04:05Z'), 1_600_000_000);
    expect(statSync(join(home, 'hello.txt')).mtimeMs).toBe(1_600_000_000_000);
    expect(await code(v.setTimes('/hello.txt', 'yesterday' as never, 0))).toBe('MIG_E_INVALID_INPUT');
    expect(await code(v.setTimes('/Shared/paper.txt', 0, 0))).toBe('MIG_E_PERMISSION_DENIED');
  });

  it('changes modes only as MiG allows', async () => {
    const v = view();
    await v.chmod('/hello.txt', 0o640);
    expect(statSync(join(home, 'hello.txt')).mode & 0o7777).toBe(0o640);
    await v.chmod('/docs', 0o750);
    expect(statSync(join(home, 'docs')).mode & 0o7777).toBe(0o750);
    expect(await code(v.chmod('/hello.txt', 0o4755))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await code(v.chmod('/hello.txt', 0o1644))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await code(v.chmod('/hello.txt', 0o444))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await code(v.chmod('/docs', 0o650))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await code(v.chmod('/hello.txt', 0o10000))).toBe('MIG_E_INVALID_INPUT');
    expect(await code(view({}, [homeRoot(), sharedRoot({ access: ALL })]).chmod('/Shared', 0o755))).toBe('MIG_E_PROTECTED_PATH');
    expect(statSync(join(home, 'hello.txt')).mode & 0o7777).toBe(0o640);
  });
});

describe('access rights', () => {
  it('refuses every write in a read-only root', async () => {
    const v = view();
    expect(await readAll(await v.createReadStream('/Shared/paper.txt'))).toBe('shared paper');
    for (const attempt of [
      () => v.createWriteStream('/Shared/new.txt'),
      () => v.mkdir('/Shared/dir'),
      () => v.remove('/Shared/paper.txt'),
      () => v.rename('/Shared/paper.txt', '/Shared/p2.txt'),
      () => v.rename('/hello.txt', '/Shared/hello.txt'),
      () => v.rename('/Shared/paper.txt', '/paper.txt'),
      () => v.copy('/hello.txt', '/Shared/hello.txt'),
      () => v.open('/Shared/paper.txt', 'a'),
      () => v.chmod('/Shared/paper.txt', 0o600),
    ]) {
      expect(await code(attempt())).toBe('MIG_E_PERMISSION_DENIED');
    }
    expect(readdirSync(shared)).toEqual(['paper.txt']);
    expect(existsSync(join(home, 'hello.txt'))).toBe(true);
  });

  it('lets a write-only root take uploads but not be read or listed', async () => {
    const v = view({}, [homeRoot(), sharedRoot({ access: { read: false, write: true, list: false } })]);
    await put(v, '/Shared/drop.txt', 'dropped');
    expect(readFileSync(join(shared, 'drop.txt'), 'utf8')).toBe('dropped');
    expect(await code(v.list('/Shared'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await code(v.createReadStream('/Shared/drop.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await code(v.stat('/Shared/drop.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await code(v.copy('/Shared/drop.txt', '/mine.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await code(v.rename('/Shared/drop.txt', '/mine.txt'))).toBe('MIG_E_PERMISSION_DENIED');
  });

  it('distinguishes list from read', async () => {
    const v = view({}, [homeRoot(), sharedRoot({ access: { read: true, write: false, list: false } })]);
    expect(await code(v.list('/Shared'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await readAll(await v.createReadStream('/Shared/paper.txt'))).toBe('shared paper');
    expect((await v.stat('/Shared/paper.txt')).size).toBe(12);
  });
});

describe('symlinks on disk that lead out', () => {
  it('refuses to follow them for every following operation, but allows lstat, list and remove', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(home, 'abs'));
    symlinkSync('../outside/secret.txt', join(home, 'rel'));
    symlinkSync('rel', join(home, 'chain'));
    symlinkSync(join(outside, 'secretdir'), join(home, 'outdir'));
    symlinkSync('/etc', join(home, 'etc'));
    symlinkSync('../home-evil', join(home, 'prefix'));
    mkdirSync(join(base, 'home-evil'));
    const v = view({ symlinkPolicy: 'within-view' });
    for (const p of ['/abs', '/rel', '/chain', '/outdir/inner.txt', '/etc/passwd', '/prefix']) {
      expect(await code(v.stat(p))).toBe('MIG_E_PATH_ESCAPE');
      expect(await code(v.createReadStream(p))).toBe('MIG_E_PATH_ESCAPE');
      expect(await code(v.open(p, 'r+'))).toBe('MIG_E_PATH_ESCAPE');
      expect(await code(v.createWriteStream(p, { overwrite: true }))).toBe('MIG_E_PATH_ESCAPE');
      expect(await code(v.setTimes(p, 0, 0))).toBe('MIG_E_PATH_ESCAPE');
      expect(await code(v.chmod(p, 0o777))).toBe('MIG_E_PATH_ESCAPE');
      expect(await code(v.copy(p, '/stolen', { recursive: true }))).toBe('MIG_E_PATH_ESCAPE');
      expect(await code(v.realpath(p))).toBe('MIG_E_PATH_ESCAPE');
    }
    expect(await code(v.list('/outdir'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await code(v.mkdir('/outdir/new'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await code(v.createWriteStream('/outdir/new.txt'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await code(v.rename('/hello.txt', '/outdir/hello.txt'))).toBe('MIG_E_PATH_ESCAPE');
    expect(await code(v.symlink('x', '/outdir/l'))).toBe('MIG_E_PATH_ESCAPE');
    expect((await v.list('/')).find((e) => e.name === 'abs')?.type).toBe('symlink');
    await v.rename('/abs', '/abs-renamed');
    expect(lstatSync(join(home, 'abs-renamed')).isSymbolicLink()).toBe(true);
    await v.remove('/outdir', { recursive: true });
    expect(readdirSync(join(outside, 'secretdir'))).toEqual(['inner.txt']);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('SECRET');
    expect(existsSync(join(base, 'home-evil', 'x'))).toBe(false);
  });

  it('refuses links that lead to hidden entries and symlink loops', async () => {
    symlinkSync('.htaccess', join(home, 'ht'));
    symlinkSync('loop2', join(home, 'loop1'));
    symlinkSync('loop1', join(home, 'loop2'));
    const v = view();
    expect(await code(v.createReadStream('/ht'))).toBe('MIG_E_PATH_HIDDEN');
    expect(await code(v.stat('/loop1'))).toBe('MIG_E_PATH_INVALID');
  });

  it('never lets a concurrent swap of a folder for a symlink redirect reads or writes', async () => {
    mkdirSync(join(home, 'd'));
    writeFileSync(join(home, 'd', 'secret.txt'), 'inside');
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');const [d,real,out]=process.argv.slice(1);const end=Date.now()+1500;
         while(Date.now()<end){try{fs.renameSync(d,real);fs.symlinkSync(out,d);fs.unlinkSync(d);fs.renameSync(real,d);}catch{}}`,
        join(home, 'd'),
        join(home, 'd-real'),
        outside,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => swapper.on('exit', resolve));
    const v = view();
    let reads = 0;
    let writes = 0;
    let running = true;
    void exited.then(() => (running = false));
    while (running) {
      try {
        const text = await readAll(await v.createReadStream('/d/secret.txt'));
        expect(text).toBe('inside');
        reads += 1;
      } catch (err) {
        expect(isMigError(err)).toBe(true);
        expect((err as MigError).code).not.toBe('MIG_E_INTERNAL');
      }
      try {
        const h = await v.open('/d/written.txt', 'w');
        await h.write(Buffer.from('x'), 0);
        await h.close();
        writes += 1;
      } catch (err) {
        expect(isMigError(err)).toBe(true);
      }
      try {
        await put(v, '/d/uploaded.txt', 'u', true);
      } catch (err) {
        expect(isMigError(err)).toBe(true);
      }
      try {
        await v.mkdir('/d/madedir');
        await v.remove('/d/madedir');
      } catch (err) {
        expect(isMigError(err)).toBe(true);
      }
    }
    await exited;
    expect(readdirSync(outside).sort()).toEqual(['secret.txt', 'secretdir']);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('SECRET');
    expect(reads + writes).toBeGreaterThan(0);
  }, 20_000);
});

describe('quota', () => {
  it('counts existing files, refuses writes that pass the limit and leaves nothing half-written', async () => {
    const quota = createDirectoryQuota();
    const v = view({ quota }, [homeRoot({ quotaBytes: 100 })]);
    expect((await v.usage('home')).usedBytes).toBe(11 + 1 + 13); // hello.txt, docs/a.txt, .htaccess
    await put(v, '/sixty.bin', 'x'.repeat(60));
    expect(await v.usage('home')).toMatchObject({ usedBytes: 85, quotaBytes: 100, availableBytes: 15 });
    await expect(put(v, '/more.bin', 'y'.repeat(20))).rejects.toMatchObject({ code: 'MIG_E_QUOTA_EXCEEDED' });
    expect(existsSync(join(home, 'more.bin'))).toBe(false);
    expect(tempFiles(home)).toHaveLength(0);
    expect(await code(v.copy('/sixty.bin', '/copy.bin'))).toBe('MIG_E_QUOTA_EXCEEDED');
    expect(existsSync(join(home, 'copy.bin'))).toBe(false);
    expect(await code(v.copy('/docs', '/docs-copy', { recursive: true }))).toBe('no error');
    expect((await v.usage('home')).usedBytes).toBe(86);
    const h = await v.open('/grow.bin', 'w');
    await h.write(Buffer.alloc(10), 0);
    expect(await code(h.write(Buffer.alloc(10), 10))).toBe('MIG_E_QUOTA_EXCEEDED');
    await h.close();
    expect((await v.usage('home')).usedBytes).toBe(96);
    await v.remove('/sixty.bin');
    expect((await v.usage('home')).usedBytes).toBe(36);
    await put(v, '/grow.bin', 'z'.repeat(50), true);
    expect((await v.usage('home')).usedBytes).toBe(76);
    const space = await v.statfs('/');
    expect(space).toMatchObject({ rootId: 'home', quotaBytes: 100, usedBytes: 76, availableBytes: 24 });
    expect(await code(v.usage('nope'))).toBe('MIG_E_PATH_NOT_FOUND');
    // The count is shared by views using the same policy.
    const other = view({ quota }, [homeRoot({ quotaBytes: 100 })]);
    expect((await other.usage('home')).usedBytes).toBe(76);
  });

  it('reports usage without a limit and disk space without a quota', async () => {
    const v = view();
    expect(await v.usage('vgrid:Shared')).toMatchObject({ usedBytes: 12, quotaBytes: null, availableBytes: null });
    const space = await v.statfs('/Shared');
    expect(space.quotaBytes).toBeNull();
    expect(space.totalBytes).toBeGreaterThan(0);
  });
});

describe('events', () => {
  it('reports changes with root-relative and view paths, and survives a failing listener', async () => {
    const events: FileEvent[] = [];
    const v = view({ events: (e) => void events.push(e) }, [homeRoot(), sharedRoot({ access: ALL, mountPath: '/Shared' })]);
    await v.mkdir('/Shared/new');
    await put(v, '/Shared/new/f.txt', '1');
    await put(v, '/Shared/new/f.txt', '2', true);
    await v.rename('/Shared/new/f.txt', '/Shared/new/g.txt');
    await v.remove('/Shared/new/g.txt');
    const h = await v.open('/h.txt', 'w');
    await h.write(Buffer.from('h'));
    await h.close();
    expect(events).toEqual([
      { type: 'dir-created', rootId: 'vgrid:Shared', path: '/new', viewPath: '/Shared/new' },
      { type: 'created', rootId: 'vgrid:Shared', path: '/new/f.txt', viewPath: '/Shared/new/f.txt' },
      { type: 'modified', rootId: 'vgrid:Shared', path: '/new/f.txt', viewPath: '/Shared/new/f.txt' },
      { type: 'moved', rootId: 'vgrid:Shared', path: '/new/f.txt', toPath: '/new/g.txt', viewPath: '/Shared/new/f.txt', toViewPath: '/Shared/new/g.txt' },
      { type: 'deleted', rootId: 'vgrid:Shared', path: '/new/g.txt', viewPath: '/Shared/new/g.txt' },
      { type: 'created', rootId: 'home', path: '/h.txt', viewPath: '/h.txt' },
    ]);
    const failing = view({
      events: () => {
        throw new Error('listener broke');
      },
    });
    await failing.mkdir('/still-works');
    const rejecting = view({ events: () => Promise.reject(new Error('async listener broke')) });
    await rejecting.mkdir('/still-works-too');
    expect(existsSync(join(home, 'still-works-too'))).toBe(true);
  });
});

describe('error mapping', () => {
  it('maps node errors to catalogue codes with virtual paths only', () => {
    const cases: Array<[string, string]> = [
      ['ENOENT', 'MIG_E_PATH_NOT_FOUND'],
      ['EEXIST', 'MIG_E_PATH_EXISTS'],
      ['ENOTDIR', 'MIG_E_NOT_A_DIRECTORY'],
      ['EISDIR', 'MIG_E_IS_A_DIRECTORY'],
      ['ENOTEMPTY', 'MIG_E_DIRECTORY_NOT_EMPTY'],
      ['EACCES', 'MIG_E_PERMISSION_DENIED'],
      ['EPERM', 'MIG_E_PERMISSION_DENIED'],
      ['ENOSPC', 'MIG_E_QUOTA_EXCEEDED'],
      ['EDQUOT', 'MIG_E_QUOTA_EXCEEDED'],
      ['EIO', 'MIG_E_INTERNAL'],
    ];
    for (const [errno, expected] of cases) {
      const nodeError = Object.assign(new Error(`${errno}: failed, open '/srv/host/path/x'`), { code: errno });
      const mapped = mapFsError(nodeError, '/docs/x');
      expect(mapped.code).toBe(expected);
      expect(mapped.message).toContain('/docs/x');
      expect(mapped.message).not.toContain('/srv/host');
    }
  });

  it('rejects malformed view specs', () => {
    const bad: unknown[] = [
      { roots: [] },
      { roots: [homeRoot({ hostPath: 'relative/path' })] },
      { roots: [homeRoot(), homeRoot({ mountPath: '/x' })] },
      { roots: [homeRoot(), sharedRoot({ mountPath: '/' })] },
      { roots: [sharedRoot({ mountPath: '/..' })] },
      { roots: [sharedRoot({ mountPath: '/.htaccess' })] },
      { roots: [homeRoot()], symlinkPolicy: 'always' },
      { roots: [homeRoot()], maxNameBytes: 1000 },
      { roots: [homeRoot({ access: { read: true } as never })] },
      { roots: [homeRoot()], quota: {} },
      null,
    ];
    for (const spec of bad) {
      let thrown: unknown;
      try {
        createFileView(spec as ViewSpec);
      } catch (err) {
        thrown = err;
      }
      expect(isMigError(thrown, 'MIG_E_INVALID_INPUT')).toBe(true);
    }
  });

  it('reports a missing root folder without its host path', async () => {
    const v = view({}, [homeRoot({ hostPath: join(base, 'gone') })]);
    expect(await code(v.stat('/x'))).toBe('MIG_E_PATH_NOT_FOUND');
  });
});

describe('home view provider', () => {
  it('gives users their home at / plus extra roots and refuses other principals', async () => {
    const provider = createHomeViewProvider({
      homeDirOf: async (userId) => (userId === 'u1' ? home : join(base, 'nobody')),
      extraRoots: async () => [sharedRoot()],
      homeQuotaBytesOf: async () => 1000,
    });
    const v = await provider.viewFor({ kind: 'user', userId: 'u1' });
    expect(v.roots.map((r) => `${r.id}@${r.mountPath}`)).toEqual([`${homeRootId('u1')}@/`, 'vgrid:Shared@/Shared']);
    expect(JSON.stringify(v.roots)).not.toContain(base);
    expect((await v.list('/')).map((e) => e.name)).toEqual(['Shared', 'docs', 'hello.txt']);
    expect((await v.usage(homeRootId('u1'))).quotaBytes).toBe(1000);
    for (const principal of [
      { kind: 'share-link', shareId: 'abc' },
      { kind: 'job-session', sessionId: 'abc' },
      { kind: 'resource', resourceId: 'r' },
      { kind: 'admin', userId: null },
    ] as const) {
      expect(await code(provider.viewFor(principal))).toBe('MIG_E_PERMISSION_DENIED');
    }
    expect(await code(provider.viewFor({ kind: 'user', userId: '' }))).toBe('MIG_E_INVALID_INPUT');
    expect(await code(provider.viewFor(null as never))).toBe('MIG_E_INVALID_INPUT');
  });
});
