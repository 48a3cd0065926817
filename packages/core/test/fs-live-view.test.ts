import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, DatabaseError, MigError } from '../src/errors.js';
import {
  createDirectoryQuota,
  createHomeViewProvider,
  createLiveFileView,
  createTrash,
  homeRootId,
  type FileEvent,
  type FileView,
  type LiveViewSource,
  type QuotaPolicy,
  type ViewRoot,
  type ViewSpec,
} from '../src/fs/index.js';
import { codeOf } from '../../../test/support/errors.js';

const ALL = { read: true, write: true, list: true } as const;
const READ_ONLY = { read: true, write: false, list: true } as const;

let base: string;
let home: string;
let physics: string;
let chem: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'mig-fs-live-'));
  home = join(base, 'home');
  physics = join(base, 'physics');
  chem = join(base, 'chem');
  for (const dir of [home, physics, chem]) mkdirSync(dir);
  writeFileSync(join(home, 'hello.txt'), 'hello world');
  writeFileSync(join(physics, 'paper.txt'), 'physics paper');
  writeFileSync(join(physics, 'big.bin'), Buffer.alloc(64 * 1024, 7));
  writeFileSync(join(chem, 'notes.txt'), 'chem notes');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function homeRoot(extra: Partial<ViewRoot> = {}): ViewRoot {
  return { id: 'home:1', mountPath: '/', hostPath: home, access: ALL, ...extra };
}
function physicsRoot(extra: Partial<ViewRoot> = {}): ViewRoot {
  return { id: 'vgrid:Physics', mountPath: '/Physics', hostPath: physics, access: ALL, ...extra };
}
function chemRoot(extra: Partial<ViewRoot> = {}): ViewRoot {
  return { id: 'vgrid:Chem', mountPath: '/Chem', hostPath: chem, access: ALL, ...extra };
}

/** A source whose roots and generation the test changes, counting the loads. */
function controlled(initial: ViewRoot[], extra: Partial<ViewSpec> = {}) {
  const state = {
    generation: 1,
    roots: initial,
    loads: 0,
    generations: 0,
    generationError: null as unknown,
    loadError: null as unknown,
    loadGate: null as Promise<void> | null,
    spec: null as unknown,
  };
  const source: LiveViewSource = {
    async generation() {
      state.generations += 1;
      if (state.generationError !== null) throw state.generationError;
      return String(state.generation);
    },
    async load() {
      state.loads += 1;
      if (state.loadGate !== null) await state.loadGate;
      if (state.loadError !== null) throw state.loadError;
      if (state.spec !== null) return state.spec as ViewSpec;
      return { roots: [...state.roots], ...extra };
    },
  };
  return {
    state,
    source,
    change(roots: ViewRoot[]) {
      state.roots = roots;
      state.generation += 1;
    },
  };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function upload(view: FileView, path: string, text: string): Promise<void> {
  return view.createWriteStream(path, { overwrite: true }).then((out) => pipeline(Readable.from([Buffer.from(text)]), out));
}

/** Writes `chunk` and waits for it to be taken (or fail). */
function writeChunk(out: Writable, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.write(Buffer.from(chunk), (err) => (err ? reject(err) : resolve()));
  });
}

function endStream(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.end((err?: Error | null) => (err ? reject(err) : resolve()));
  });
}

function tempsIn(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('.mig-upload-'));
}

describe('live file views', () => {
  it('refuses every operation on a root that disappeared, keeps the home working, and brings it back', async () => {
    const c = controlled([homeRoot(), physicsRoot()]);
    const view = await createLiveFileView(c.source);
    expect(view.roots.map((r) => r.id)).toEqual(['home:1', 'vgrid:Physics']);
    expect((await view.stat('/Physics/paper.txt')).size).toBe(13);
    expect((await view.list('/')).map((e) => e.name)).toEqual(['Physics', 'hello.txt']);
    expect(c.state.loads).toBe(1);

    c.change([homeRoot()]);
    const denied = 'MIG_E_PERMISSION_DENIED';
    expect(await codeOf(view.stat('/Physics/paper.txt'))).toBe(denied);
    expect(await codeOf(view.lstat('/Physics/paper.txt'))).toBe(denied);
    expect(await codeOf(view.list('/Physics'))).toBe(denied);
    expect(await codeOf(view.createReadStream('/Physics/paper.txt'))).toBe(denied);
    expect(await codeOf(view.open('/Physics/paper.txt', 'r'))).toBe(denied);
    expect(await codeOf(view.createWriteStream('/Physics/new.txt'))).toBe(denied);
    expect(await codeOf(view.open('/Physics/new.txt', 'w'))).toBe(denied);
    expect(await codeOf(view.mkdir('/Physics/sub'))).toBe(denied);
    expect(await codeOf(view.mkdir('/Physics/sub/deeper', { recursive: true }))).toBe(undefined); // creates /Physics in the home: it is the home's own folder now
    await view.remove('/Physics', { recursive: true });
    expect(await codeOf(view.rename('/Physics/paper.txt', '/paper.txt'))).toBe(denied);
    expect(await codeOf(view.rename('/hello.txt', '/Physics/hello.txt'))).toBe(denied);
    expect(await codeOf(view.copy('/Physics/paper.txt', '/paper.txt'))).toBe(denied);
    expect(await codeOf(view.copy('/hello.txt', '/Physics/hello.txt'))).toBe(denied);
    expect(await codeOf(view.remove('/Physics/paper.txt'))).toBe(denied);
    expect(await codeOf(view.setTimes('/Physics/paper.txt', 1, 1))).toBe(denied);
    expect(await codeOf(view.chmod('/Physics/paper.txt', 0o644))).toBe(denied);
    expect(await codeOf(view.readlink('/Physics/paper.txt'))).toBe(denied);
    expect(await codeOf(view.statfs('/Physics/paper.txt'))).toBe(denied);
    expect(await codeOf(view.usage('vgrid:Physics'))).toBe('MIG_E_PATH_NOT_FOUND');
    // The home is untouched and fully usable; the shared folder is untouched on disk.
    expect(view.roots.map((r) => r.id)).toEqual(['home:1']);
    expect((await view.list('/')).map((e) => e.name)).toEqual(['hello.txt']);
    expect(await readAll(await view.createReadStream('/hello.txt'))).toBe('hello world');
    await upload(view, '/new.txt', 'new');
    expect(readFileSync(join(home, 'new.txt'), 'utf8')).toBe('new');
    expect(readdirSync(physics).sort()).toEqual(['big.bin', 'paper.txt']);
    expect(c.state.loads).toBe(2);

    c.change([homeRoot(), physicsRoot()]);
    expect(await readAll(await view.createReadStream('/Physics/paper.txt'))).toBe('physics paper');
    await view.rename('/new.txt', '/Physics/new.txt');
    expect(readFileSync(join(physics, 'new.txt'), 'utf8')).toBe('new');
  });

  it('refuses handles and streams opened before at their next read or write; those of a root still there go on', async () => {
    const c = controlled([homeRoot(), physicsRoot(), chemRoot()]);
    const view = await createLiveFileView(c.source);
    const handle = await view.open('/Physics/paper.txt', 'r+');
    const buf = Buffer.alloc(7);
    expect((await handle.read(buf, 0, 7, 0)).bytesRead).toBe(7);
    const unread = await view.createReadStream('/Physics/paper.txt');
    const partly = await view.createReadStream('/Physics/big.bin', undefined, { highWaterMark: 1024 });
    const iterator = partly[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect((first.value as Buffer).length).toBe(1024);
    const physicsUpload = await view.createWriteStream('/Physics/up.txt');
    await writeChunk(physicsUpload, 'part one ');
    const physicsUnfinished = await view.createWriteStream('/Physics/up2.txt');
    await writeChunk(physicsUnfinished, 'all of it');
    const homeUpload = await view.createWriteStream('/home-up.txt');
    await writeChunk(homeUpload, 'home one ');
    const chemHandle = await view.open('/Chem/notes.txt', 'r+');
    const homeHandle = await view.open('/hello.txt', 'r');

    c.change([homeRoot(), chemRoot()]); // Physics goes, the home and Chem stay as they were
    const denied = 'MIG_E_PERMISSION_DENIED';
    expect(await codeOf(handle.read(buf, 0, 7, 0))).toBe(denied);
    expect(await codeOf(handle.write(Buffer.from('x'), 0))).toBe(denied);
    expect(await codeOf(handle.stat())).toBe(denied);
    expect(await codeOf(handle.truncate(0))).toBe(denied);
    await handle.close(); // closing is never refused
    expect(readFileSync(join(physics, 'paper.txt'), 'utf8')).toBe('physics paper');

    expect(await codeOf(readAll(unread))).toBe(denied);
    let got = 1024;
    const partlyCode = await codeOf(async () => {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) break;
        got += (next.value as Buffer).length;
      }
    });
    expect(partlyCode).toBe(denied);
    expect(got).toBeLessThan(64 * 1024);

    expect(await codeOf(writeChunk(physicsUpload, 'part two'))).toBe(denied);
    expect(await codeOf(endStream(physicsUnfinished))).toBe(denied); // never put in place
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 100 && (!physicsUpload.closed || !physicsUnfinished.closed); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(existsSync(join(physics, 'up.txt'))).toBe(false);
    expect(existsSync(join(physics, 'up2.txt'))).toBe(false);
    expect(tempsIn(physics)).toEqual([]);

    // Roots that stayed keep working: a running upload into the home, handles in Chem and the home.
    await writeChunk(homeUpload, 'home two');
    await endStream(homeUpload);
    expect(readFileSync(join(home, 'home-up.txt'), 'utf8')).toBe('home one home two');
    await chemHandle.write(Buffer.from('CHEM'), 0);
    expect((await chemHandle.stat()).size).toBe(10);
    await chemHandle.close();
    expect(readFileSync(join(chem, 'notes.txt'), 'utf8')).toBe('CHEM notes');
    expect((await homeHandle.read(buf, 0, 5, 0)).bytesRead).toBe(5);
    await homeHandle.close();
  });

  it('narrows access at the next operation: rw to ro refuses writes (also on open handles) and keeps reads', async () => {
    const c = controlled([homeRoot(), physicsRoot()]);
    const view = await createLiveFileView(c.source);
    const handle = await view.open('/Physics/paper.txt', 'r+');
    const upload_ = await view.createWriteStream('/Physics/up.txt');
    c.change([homeRoot(), physicsRoot({ access: READ_ONLY })]);
    const denied = 'MIG_E_PERMISSION_DENIED';
    expect(await codeOf(upload(view, '/Physics/x.txt', 'x'))).toBe(denied);
    expect(view.roots.find((r) => r.id === 'vgrid:Physics')?.access).toEqual(READ_ONLY);
    expect(await codeOf(view.mkdir('/Physics/d'))).toBe(denied);
    expect(await codeOf(view.remove('/Physics/paper.txt'))).toBe(denied);
    expect(await codeOf(view.rename('/Physics/paper.txt', '/p.txt'))).toBe(denied);
    expect(await codeOf(view.rename('/hello.txt', '/Physics/hello.txt'))).toBe(denied);
    expect(await codeOf(view.open('/Physics/paper.txt', 'r+'))).toBe(denied);
    expect(await codeOf(handle.write(Buffer.from('x'), 0))).toBe(denied);
    expect(await codeOf(handle.truncate(1))).toBe(denied);
    expect(await codeOf(writeChunk(upload_, 'data'))).toBe(denied);
    // Reads go on.
    const buf = Buffer.alloc(7);
    expect((await handle.read(buf, 0, 7, 0)).bytesRead).toBe(7);
    expect(buf.toString()).toBe('physics');
    expect((await handle.stat()).size).toBe(13);
    await handle.close();
    expect(await readAll(await view.createReadStream('/Physics/paper.txt'))).toBe('physics paper');
    await view.copy('/Physics/paper.txt', '/copy.txt');
    expect(readFileSync(join(home, 'copy.txt'), 'utf8')).toBe('physics paper');
    expect(readFileSync(join(physics, 'paper.txt'), 'utf8')).toBe('physics paper');
  });

  it('fails closed when generation() or load() fails, and recovers afterwards', async () => {
    const c = controlled([homeRoot(), physicsRoot()]);
    const view = await createLiveFileView(c.source);
    const handle = await view.open('/Physics/paper.txt', 'r');
    const buf = Buffer.alloc(4);

    c.state.generationError = new Error('connection reset');
    expect(await codeOf(view.stat('/hello.txt'))).toBe('MIG_E_INTERNAL');
    const err = await view.stat('/hello.txt').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigError);
    expect((err as MigError).message).toMatch(/could not be checked/);
    expect((err as MigError).message).not.toMatch(/connection reset|\//);
    expect(await codeOf(handle.read(buf, 0, 4, 0))).toBe('MIG_E_INTERNAL');
    c.state.generationError = new DatabaseError('The database is unavailable.');
    expect(await codeOf(view.list('/'))).toBe('MIG_E_DATABASE');

    // The generation moves on but the new spec cannot be loaded: nothing runs on the old one.
    c.state.generationError = null;
    c.state.loadError = new Error('query failed');
    c.change([homeRoot()]);
    expect(await codeOf(view.stat('/Physics/paper.txt'))).toBe('MIG_E_INTERNAL');
    expect(await codeOf(view.stat('/hello.txt'))).toBe('MIG_E_INTERNAL');
    expect(await codeOf(handle.read(buf, 0, 4, 0))).toBe('MIG_E_INTERNAL');
    // A spec that is not valid fails the same way.
    c.state.loadError = null;
    c.state.spec = { roots: [{ id: 'x', mountPath: '/', hostPath: 'relative/path', access: ALL }] };
    c.change([homeRoot()]);
    expect(await codeOf(view.stat('/hello.txt'))).toBe('MIG_E_INVALID_INPUT');
    c.state.spec = null;
    // A generation that is not a string.
    const bad = await createLiveFileView({ generation: async () => 7 as unknown as string, load: c.source.load }).catch((e: unknown) => e);
    expect((bad as MigError).code).toBe('MIG_E_INTERNAL');

    // Back to normal: the new spec is loaded, the old handle is refused because Physics is gone.
    c.change([homeRoot()]);
    expect((await view.stat('/hello.txt')).size).toBe(11);
    expect(await codeOf(view.stat('/Physics/paper.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(handle.read(buf, 0, 4, 0))).toBe('MIG_E_PERMISSION_DENIED');
    await handle.close();

    // Creating a view fails when the first load fails.
    c.state.loadError = new AuthError('MIG_E_SHARE_LINK_REVOKED', 'This share link was revoked.');
    expect(await codeOf(createLiveFileView(c.source))).toBe('MIG_E_SHARE_LINK_REVOKED');
  });

  it('shares one load among 200 operations that arrive during a change', async () => {
    const c = controlled([homeRoot(), physicsRoot()]);
    const view = await createLiveFileView(c.source);
    expect(c.state.loads).toBe(1);
    let open!: () => void;
    c.state.loadGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    c.change([homeRoot(), chemRoot()]);
    const ops = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? codeOf(view.stat('/Chem/notes.txt')) : codeOf(view.stat('/Physics/paper.txt'))));
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(c.state.generations).toBe(201); // one at creation, one per operation
    expect(c.state.loads).toBe(2); // one load for all 200
    open();
    const codes = await Promise.all(ops);
    expect(codes.filter((x, i) => i % 2 === 0 && x === undefined)).toHaveLength(100);
    expect(codes.filter((x, i) => i % 2 === 1 && x === 'MIG_E_PERMISSION_DENIED')).toHaveLength(100);
    expect(c.state.loads).toBe(2);
    c.state.loadGate = null;
    // Nothing changed since: no more loads.
    for (let i = 0; i < 20; i += 1) await view.stat('/hello.txt');
    expect(c.state.loads).toBe(2);

    // A failing load is shared too, and the next operation tries again.
    c.state.loadError = new Error('down');
    c.change([homeRoot()]);
    const failed = await Promise.all(Array.from({ length: 50 }, () => codeOf(view.list('/'))));
    expect(new Set(failed)).toEqual(new Set(['MIG_E_INTERNAL']));
    expect(c.state.loads).toBe(3);
    c.state.loadError = null;
    expect((await view.list('/')).map((e) => e.name)).toEqual(['hello.txt']);
    expect(c.state.loads).toBe(4);
  });

  it('serves a share-link style view: one root at /, then the link revoked, then empty', async () => {
    const c = controlled([{ id: 'share:abc', mountPath: '/', hostPath: physics, access: READ_ONLY }]);
    const view = await createLiveFileView(c.source);
    expect((await view.list('/')).map((e) => e.name)).toEqual(['big.bin', 'paper.txt']);
    expect(await codeOf(upload(view, '/x.txt', 'x'))).toBe('MIG_E_PERMISSION_DENIED');
    const handle = await view.open('/paper.txt', 'r');
    const stream = await view.createReadStream('/paper.txt');

    c.state.loadError = new AuthError('MIG_E_SHARE_LINK_REVOKED', 'This share link was revoked by its owner.');
    c.state.generation += 1;
    expect(await codeOf(view.list('/'))).toBe('MIG_E_SHARE_LINK_REVOKED');
    expect(await codeOf(view.stat('/paper.txt'))).toBe('MIG_E_SHARE_LINK_REVOKED');
    expect(await codeOf(handle.read(Buffer.alloc(4), 0, 4, 0))).toBe('MIG_E_SHARE_LINK_REVOKED');
    expect(await codeOf(readAll(stream))).toBe('MIG_E_SHARE_LINK_REVOKED');

    c.state.loadError = null;
    c.change([]);
    expect(await codeOf(view.list('/'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(view.open('/paper.txt', 'r'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(view.usage('share:abc'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(handle.read(Buffer.alloc(4), 0, 4, 0))).toBe('MIG_E_PERMISSION_DENIED');
    expect(view.roots).toEqual([]);
    await handle.close();
    // An empty view from the start works the same way.
    const empty = await createLiveFileView({ generation: async () => 'g', load: async () => ({ roots: [] }) });
    expect(await codeOf(empty.stat('/'))).toBe('MIG_E_PERMISSION_DENIED');
  });

  it('keeps one quota count across reloads (given or its own) and reports events', async () => {
    const events: FileEvent[] = [];
    const quota: QuotaPolicy = createDirectoryQuota();
    const c = controlled([homeRoot({ quotaBytes: 1000 }), physicsRoot()], { quota, events: (e) => void events.push(e) });
    const view = await createLiveFileView(c.source);
    await upload(view, '/a.bin', 'a'.repeat(600));
    c.change([homeRoot({ quotaBytes: 1000 })]);
    expect(await codeOf(upload(view, '/b.bin', 'b'.repeat(600)))).toBe('MIG_E_QUOTA_EXCEEDED');
    expect((await view.usage('home:1')).usedBytes).toBe(611);
    expect(events.map((e) => `${e.type} ${e.rootId} ${e.path}`)).toEqual(['created home:1 /a.bin']);

    // Without a quota in the spec the view keeps one policy of its own for all its reloads.
    const home2 = join(base, 'home2');
    mkdirSync(home2);
    const second = (): ViewRoot => ({ id: 'home:2', mountPath: '/', hostPath: home2, access: ALL, quotaBytes: 1000 });
    const d = controlled([second(), physicsRoot()]);
    const own = await createLiveFileView(d.source);
    const h = await own.open('/c.bin', 'w');
    await h.write(Buffer.alloc(500));
    d.change([second()]);
    expect(await codeOf(h.write(Buffer.alloc(600)))).toBe('MIG_E_QUOTA_EXCEEDED');
    await h.close();
    expect(await codeOf(upload(own, '/d.bin', 'd'.repeat(600)))).toBe('MIG_E_QUOTA_EXCEEDED');
    expect((await own.usage('home:2')).usedBytes).toBe(500);
  });

  it('works with the trash: items of a root that went away are no longer listed or restorable', async () => {
    const c = controlled([homeRoot(), physicsRoot()]);
    const view = await createLiveFileView(c.source);
    const trash = createTrash(view);
    const item = await trash.moveToTrash('/Physics/paper.txt');
    const mine = await trash.moveToTrash('/hello.txt');
    expect((await trash.list()).map((i) => i.rootId).sort()).toEqual(['home:1', 'vgrid:Physics']);
    c.change([homeRoot()]);
    expect((await trash.list()).map((i) => i.id)).toEqual([mine.id]);
    expect(await codeOf(trash.restore(item.id))).toBe('MIG_E_TRASH_ITEM_NOT_FOUND');
    expect(await trash.restore(mine.id)).toBe('/hello.txt');
    c.change([homeRoot(), physicsRoot()]);
    expect(await trash.restore(item.id)).toBe('/Physics/paper.txt');
  });
});

describe('the home view provider with generationOf', () => {
  it('re-reads extraRoots when the generation changes; without generationOf views stay as they were', async () => {
    const vgrids = new Map<string, ViewRoot[]>([['u1', [physicsRoot()]]]);
    let generation = 0;
    let generationCalls = 0;
    let extraCalls = 0;
    const common = {
      homeDirOf: async () => home,
      extraRoots: async (p: { userId: string }) => {
        extraCalls += 1;
        return vgrids.get(p.userId) ?? [];
      },
    };
    const live = createHomeViewProvider({
      ...common,
      generationOf: async (p) => {
        generationCalls += 1;
        expect(p).toEqual({ kind: 'user', userId: 'u1' });
        return `g${generation}`;
      },
    });
    const fixed = createHomeViewProvider(common);
    const liveView = await live.viewFor({ kind: 'user', userId: 'u1' });
    const fixedView = await fixed.viewFor({ kind: 'user', userId: 'u1' });
    expect(liveView.roots.map((r) => r.id)).toEqual([homeRootId('u1'), 'vgrid:Physics']);
    expect(fixedView.roots.map((r) => r.id)).toEqual([homeRootId('u1'), 'vgrid:Physics']);
    extraCalls = 0;
    generationCalls = 0;
    for (let i = 0; i < 5; i += 1) await liveView.stat('/Physics/paper.txt');
    expect([generationCalls, extraCalls]).toEqual([5, 0]);

    vgrids.set('u1', []);
    generation += 1;
    expect(await codeOf(liveView.stat('/Physics/paper.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(liveView.roots.map((r) => r.id)).toEqual([homeRootId('u1')]);
    expect(extraCalls).toBe(1);
    // The provider without generationOf: the view keeps what it was made with; new views follow.
    expect((await fixedView.stat('/Physics/paper.txt')).size).toBe(13);
    expect((await fixed.viewFor({ kind: 'user', userId: 'u1' })).roots.map((r) => r.id)).toEqual([homeRootId('u1')]);
    expect(await codeOf(live.viewFor({ kind: 'share-link', shareId: 'x' }))).toBe('MIG_E_PERMISSION_DENIED');
    expect(() => createHomeViewProvider({ homeDirOf: common.homeDirOf, generationOf: 'no' as unknown as () => Promise<string> })).toThrow(/generationOf/);
  });
});
