/**
 * Property test of the file-system layer's one promise: no path leaves its root.
 *
 * A sandbox holds the view's root, a sibling "outside" folder with secrets, a sibling whose name
 * shares the root's prefix, and a read-only share; the root is seeded with symlinks that lead out
 * in every way we know (absolute, relative, chains, dangling, a folder outside, /etc). For each
 * generated case (hostile paths built from an alphabet of dangerous components, and hostile
 * symlink targets) every operation of the view is run, and afterwards nothing outside the root
 * (contents, types, modes, mtimes, link targets) may have changed, the hidden file in the root must
 * be untouched, and no operation may have returned a secret byte or a host path.
 *
 * Runs: MIG_PROPERTY_RUNS (default 1000; CI sets 10000).
 */
import { createHash, randomUUID } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigError } from '../src/errors.js';
import { createFileView, type FileView } from '../src/fs/index.js';

const RUNS = Number.parseInt(process.env.MIG_PROPERTY_RUNS ?? (process.env.CI === 'true' ? '10000' : '1000'), 10);
const SECRET = `S3CR3T-${randomUUID()}`;
const PASSWD_MARKER = 'root:x:0:0';
const READ_LIMIT = 1 << 20;

let base: string;
let root: string;
let outside: string;
let evil: string;
let shared: string;

/** Recreates the whole sandbox: everything around the root, then the root. */
function buildSandbox(): void {
  for (const name of readdirSync(base)) rmSync(join(base, name), { recursive: true, force: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), `${SECRET}-a`);
  mkdirSync(join(outside, 'secretdir'));
  writeFileSync(join(outside, 'secretdir', 'inner.txt'), `${SECRET}-b`);
  mkdirSync(join(outside, 'secretdir', 'sub'));
  writeFileSync(join(outside, 'secretdir', 'sub', 'deep.txt'), `${SECRET}-c`);
  mkdirSync(evil);
  writeFileSync(join(evil, 'secret.txt'), `${SECRET}-d`);
  mkdirSync(shared);
  writeFileSync(join(shared, 'paper.txt'), 'shared paper');
  symlinkSync(join(outside, 'secret.txt'), join(shared, 'share-out'));
  buildRoot();
}

/** Recreates the view's root with its hostile links (cheaper than the whole sandbox, per case). */
function buildRoot(): void {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root);
  writeFileSync(join(root, 'file.txt'), 'public');
  writeFileSync(join(root, '.htaccess'), `${SECRET}-hidden`);
  mkdirSync(join(root, 'dir'));
  writeFileSync(join(root, 'dir', 'sub.txt'), 'public-sub');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'abs-link'));
  symlinkSync('../outside/secret.txt', join(root, 'rel-link'));
  symlinkSync('../../outside/secretdir', join(root, 'dir', 'deep-link'));
  symlinkSync('chain2', join(root, 'chain1'));
  symlinkSync('rel-link', join(root, 'chain2'));
  symlinkSync('/etc', join(root, 'etc-link'));
  symlinkSync(join(outside, 'secretdir'), join(root, 'outdir-link'));
  symlinkSync('file.txt', join(root, 'inside-link'));
  symlinkSync('..', join(root, 'dir', 'up-link'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
  symlinkSync('../root-evil/secret.txt', join(root, 'prefix-link'));
  symlinkSync('../outside/newfile', join(root, 'dangling-out'));
  symlinkSync(join(outside, 'new-abs'), join(root, 'abs-dangling'));
  symlinkSync(`${root}/../outside`, join(root, 'abs-dotdot'));
  symlinkSync('.htaccess', join(root, 'ht-link'));
}

/** Contents, types, modes, mtimes and link targets of everything below `dir` (not following links). */
function snapshot(dir: string, skip: ReadonlySet<string> = new Set()): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (path: string, rel: string): void => {
    const st = lstatSync(path);
    let detail = '';
    if (st.isSymbolicLink()) detail = `link:${readlinkSync(path)}`;
    else if (st.isFile()) detail = `file:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    else if (st.isDirectory()) detail = 'dir';
    else detail = 'other';
    out.set(rel, `${detail}|${st.mode}|${st.mtimeMs}|${st.size}`);
    if (st.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        const child = rel === '' ? name : `${rel}/${name}`;
        if (!skip.has(child)) walk(join(path, name), child);
      }
    }
  };
  walk(dir, '');
  return out;
}

/**
 * What must never change: everything in the sandbox but the root (the sandbox folder's own mtime
 * changes when the root is rebuilt; anything created next to the root still shows as a new entry).
 */
function protectedState(): Map<string, string> {
  const state = snapshot(base, new Set(['root']));
  state.delete('');
  return state;
}

/** The root's hidden file, which no operation may read, change or remove. */
function hiddenState(): string {
  return [...snapshot(join(root, '.htaccess')).values()].join();
}

function etcState(): string {
  return readdirSync('/etc')
    .sort()
    .map((name) => {
      const st = lstatSync(join('/etc', name));
      return `${name}|${st.mode}|${st.mtimeMs}|${st.size}`;
    })
    .join('\n');
}

/** Everything an operation handed back, to search for secrets and host paths. */
class Leaks {
  readonly seen: string[] = [];

  add(value: unknown): void {
    if (typeof value === 'string') this.seen.push(value);
    else if (Buffer.isBuffer(value)) this.seen.push(value.toString('latin1'));
    else this.seen.push(JSON.stringify(value) ?? '');
  }

  /** @param inputs - the case's paths: echoing a host-looking path the client sent is no leak. */
  check(inputs: readonly unknown[]): void {
    const echoed = inputs.some((i) => typeof i === 'string' && i.normalize('NFC').includes(base));
    for (const text of this.seen) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(PASSWD_MARKER);
      if (!echoed) expect(text).not.toContain(base);
    }
  }
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
    if (total > READ_LIMIT) {
      stream.destroy();
      break;
    }
  }
  return Buffer.concat(chunks);
}

const codeCounts = new Map<string, number>();

/** Runs one operation; results go to `leaks`, errors must be MigErrors (and not internal ones). */
async function attempt(leaks: Leaks, op: () => Promise<unknown>): Promise<void> {
  try {
    leaks.add(await op());
    if (process.env.MIG_PROPERTY_STATS === '1') codeCounts.set('ok', (codeCounts.get('ok') ?? 0) + 1);
  } catch (err) {
    if (!(err instanceof MigError)) throw err;
    if (err.code === 'MIG_E_INTERNAL') throw err;
    leaks.add(err.message);
    if (process.env.MIG_PROPERTY_STATS === '1') codeCounts.set(err.code, (codeCounts.get(err.code) ?? 0) + 1);
    leaks.add(err.details ?? null);
  }
}

async function runEveryOperation(view: FileView, leaks: Leaks, p1: string, p2: string, target: string): Promise<void> {
  await attempt(leaks, () => view.symlink(target, p1));
  await attempt(leaks, () => view.stat(p1));
  await attempt(leaks, () => view.lstat(p1));
  await attempt(leaks, () => view.realpath(p1));
  await attempt(leaks, () => view.readlink(p1));
  await attempt(leaks, async () => (await view.list(p1)).map((e) => e.name));
  await attempt(leaks, async () => drain(await view.createReadStream(p1)));
  await attempt(leaks, async () => drain(await view.createReadStream(p1, { start: 1 })));
  await attempt(leaks, async () => {
    const h = await view.open(p1, 'r');
    try {
      const buffer = Buffer.alloc(256);
      const { bytesRead } = await h.read(buffer, 0, 256, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await h.close();
    }
  });
  await attempt(leaks, async () => {
    const h = await view.open(p1, 'r+');
    try {
      await h.write(Buffer.from('PWN'), 0);
      await h.truncate(2);
    } finally {
      await h.close();
    }
  });
  await attempt(leaks, async () => {
    const h = await view.open(p2, 'a');
    await h.write(Buffer.from('PWN'));
    await h.close();
  });
  await attempt(leaks, async () => pipeline(Readable.from([Buffer.from('PWN-UPLOAD')]), await view.createWriteStream(p1, { overwrite: true })));
  await attempt(leaks, async () => pipeline(Readable.from([Buffer.from('PWN-NEW')]), await view.createWriteStream(p2)));
  await attempt(leaks, () => view.mkdir(p2));
  await attempt(leaks, () => view.mkdir(p1, { recursive: true }));
  await attempt(leaks, () => view.setTimes(p1, 0, 0));
  await attempt(leaks, () => view.chmod(p1, 0o777));
  await attempt(leaks, () => view.chmod(p2, 0o700));
  await attempt(leaks, () => view.statfs(p1));
  await attempt(leaks, () => view.copy(p1, p2, { recursive: true, overwrite: true }));
  await attempt(leaks, () => view.copy(p2, p1, { recursive: true, overwrite: true }));
  await attempt(leaks, () => view.rename(p1, p2, { overwrite: true }));
  await attempt(leaks, () => view.rename(p2, p1));
  await attempt(leaks, () => view.remove(p1, { recursive: true }));
  await attempt(leaks, () => view.remove(p2));
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'mig-fs-escape-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  evil = join(base, 'root-evil');
  shared = join(base, 'shared');
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('file view escape properties', () => {
  it(`keeps every generated path inside its root (${RUNS} runs)`, async () => {
    const linkNames = [
      'abs-link', 'rel-link', 'deep-link', 'chain1', 'chain2', 'etc-link', 'outdir-link', 'inside-link', 'up-link',
      'loop1', 'prefix-link', 'dangling-out', 'abs-dangling', 'abs-dotdot', 'ht-link', 'share-out',
    ];
    // Names that are valid but tricky: dot forms, encodings (never decoded), look-alikes, NFD/NFC
    // pairs, the names around the root, hidden names, the longest allowed name.
    const structural = [
      '..', '..', '.', '', '...', '%2e%2e', '%2E%2E', '..%2f', '%2e%2e%2f', '..%5c', '\\', '..\\..', '\u2025', '\uff0e\uff0e',
      '\uff0e', '.\u0301', 'e\u0301', '\u00e9', '\u212b', '\u00c5', 'file.txt', 'dir', 'sub.txt', 'outside', 'secret.txt',
      'secretdir', 'inner.txt', 'sub', 'root', 'root-evil', 'etc', 'passwd', 'Shared', 'paper.txt', '.htaccess',
      '.mig-upload-x', 'x'.repeat(255), 'new', 'newdir', '~', '*', ' ', '\u202e', '\ufeff',
    ];
    // Names that must always be refused as invalid: control characters, lone surrogates, too long.
    const invalid = ['\u0000', 'a\u0000b', '\n', '\u007f', '\u0085', '\ud800', '\udc00', 'x'.repeat(256), '\u00e9'.repeat(128)];
    const component = fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...structural, ...linkNames) },
      { weight: 1, arbitrary: fc.constantFrom(...invalid) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
    );
    const prefix = fc.constantFrom('', '', '/', '//', './', '../', '\\', `${base}/`, `${root}/`, `${outside}/`, '/etc/', '/proc/self/fd/', '/Shared/');
    const separator = fc.constantFrom('/', '/', '/', '//', '\\', '/./', '/../');
    const hostilePath = fc
      .tuple(prefix, fc.array(component, { maxLength: 5 }), separator)
      .map(([head, parts, sep]) => head + parts.join(sep));
    const notAString = fc.constantFrom<unknown>(undefined, null, 42, {}, ['a'], Buffer.from('..'), Symbol('p'));
    const pathArb = fc.oneof({ weight: 20, arbitrary: hostilePath }, { weight: 1, arbitrary: notAString });

    const etcBefore = etcState();
    buildSandbox();
    let pristine = protectedState();
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(pathArb, pathArb, hostilePath, async (p1, p2, target) => {
        buildRoot();
        const hiddenBefore = hiddenState();
        const view = createFileView({
          roots: [
            { id: 'home', mountPath: '/', hostPath: root, access: { read: true, write: true, list: true }, quotaBytes: 10_000_000 },
            { id: 'share', mountPath: '/Shared', hostPath: shared, access: { read: true, write: false, list: true } },
          ],
          symlinkPolicy: 'within-view',
        });
        const leaks = new Leaks();
        await runEveryOperation(view, leaks, p1 as string, p2 as string, target);
        const after = protectedState();
        // Restore a damaged sandbox before failing, so that shrinking starts each run clean.
        if (!isDeepStrictEqual(after, pristine)) {
          const expected = pristine;
          buildSandbox();
          pristine = protectedState();
          expect(after).toEqual(expected);
        }
        expect(hiddenState()).toBe(hiddenBefore);
        leaks.check([p1, p2, target]);
      }),
      { numRuns: RUNS },
    );
    const seconds = (Date.now() - started) / 1000;
    console.info(`fs escape property: ${RUNS} cases in ${seconds.toFixed(1)} s`);
    if (process.env.MIG_PROPERTY_STATS === '1') console.info([...codeCounts].sort((a, b) => b[1] - a[1]));
    expect(etcState()).toBe(etcBefore);
  }, 600_000);

  it('reaches the dangerous links at all (the generator is not vacuous)', async () => {
    buildSandbox();
    const view = createFileView({
      roots: [{ id: 'home', mountPath: '/', hostPath: root, access: { read: true, write: true, list: true } }],
      symlinkPolicy: 'within-view',
    });
    const codes = await Promise.all(
      ['abs-link', 'rel-link', 'dir/deep-link/inner.txt', 'chain1', 'etc-link/passwd', 'outdir-link/sub/deep.txt', 'prefix-link', 'abs-dotdot/secret.txt', 'dir/up-link/rel-link'].map(
        (p) => view.createReadStream(p).then(() => 'read', (err: MigError) => err.code),
      ),
    );
    expect(new Set(codes)).toEqual(new Set(['MIG_E_PATH_ESCAPE']));
    const created = await Promise.all(
      ['dangling-out', 'abs-dangling', 'outdir-link/new.txt'].map((p) =>
        view.createWriteStream(p, { overwrite: true }).then(() => 'opened', (err: MigError) => err.code),
      ),
    );
    expect(new Set(created)).toEqual(new Set(['MIG_E_PATH_ESCAPE']));
  });
});
