import { performance } from 'node:perf_hooks';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileView } from '../src/fs/index.js';
const base = mkdtempSync(join(tmpdir(), 'bench-'));
const root = join(base, 'root'); mkdirSync(root);
writeFileSync(join(root, 'f.txt'), 'x'); mkdirSync(join(root, 'd'));
symlinkSync('../outside/x', join(root, 'l'));
const view = createFileView({ roots: [{ id: 'h', mountPath: '/', hostPath: root, access: { read: true, write: true, list: true }, quotaBytes: 1e7 }], symlinkPolicy: 'within-view' });
const N = 2000;
async function time(name: string, fn: () => Promise<unknown>) {
  const t = performance.now();
  for (let i = 0; i < N; i++) { try { await fn(); } catch {} }
  console.log(name, ((performance.now() - t) / N * 1000).toFixed(0), 'us');
}
await time('stat', () => view.stat('/d/../f.txt'));
await time('stat-escape', () => view.stat('/l'));
await time('invalid', () => view.stat('/a\0'));
await time('notfound', () => view.stat('/nope/x'));
await time('list', () => view.list('/'));
await time('mkdir+remove', async () => { await view.mkdir('/m'); await view.remove('/m'); });
await time('open-r', async () => { const h = await view.open('/f.txt', 'r'); await h.close(); });
await time('upload', async () => { const w = await view.createWriteStream('/u.txt', { overwrite: true }); await new Promise((r, j) => w.end(Buffer.from('x'), () => r(null)).on('error', j)); });
await time('copy', () => view.copy('/f.txt', '/c.txt', { overwrite: true }));
await time('rename', async () => { await view.rename('/c.txt', '/c2.txt'); await view.rename('/c2.txt', '/c.txt'); });
await time('sandbox-reset', async () => { rmSync(root, { recursive: true }); mkdirSync(root); for (let i = 0; i < 20; i++) writeFileSync(join(root, 'f' + i), 'x'); });
rmSync(base, { recursive: true });
