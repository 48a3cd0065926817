/**
 * In-process micro-benchmark of the listing path behind `GET /api/v1/files/list` (no HTTP, no
 * TLS): `view.list` of a folder of N files, the entries turned into API JSON, and the answer
 * serialised with the route's response schema. Prints CPU ms per listing for each step, so a change
 * to the core's listing or to the JSON can be judged without the noise of a whole server.
 *
 * `node --conditions=@migrid/source --import tsx bench/_web-listing.ts [files=10000] [rounds=40]`
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastJson from 'fast-json-stringify';
import { createFileView } from '@migrid/core';
import { childPath, entryJson, entrySchema } from '../packages/web/src/files/file-json.js';
import { median } from './_web-stats.js';

const files = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 40);
const work = await mkdtemp(join(tmpdir(), 'mig-bench-listing-'));
try {
  const big = join(work, 'big');
  await mkdir(big);
  for (let i = 0; i < files; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, files - i) }, (_, k) => writeFile(join(big, `file-${String(i + k).padStart(6, '0')}.txt`), `file ${i + k}\n`)));
  }
  const view = createFileView({ roots: [{ id: 'home', mountPath: '/', hostPath: work, access: { read: true, write: true, list: true } }], symlinkPolicy: 'deny' });
  const stringify = fastJson({ type: 'object', required: ['path', 'entries'], properties: { path: { type: 'string' }, entries: { type: 'array', items: entrySchema } } });
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const list: number[] = [];
  const json: number[] = [];
  const text: number[] = [];
  let bytes = 0;
  for (let r = -3; r < rounds; r++) {
    const a = cpuMs();
    const infos = await view.list('/big');
    const b = cpuMs();
    const body = { path: '/big', entries: infos.map((info) => entryJson(childPath('/big', info.name), info)) };
    const c = cpuMs();
    const out = stringify(body);
    const d = cpuMs();
    if (r >= 0) {
      list.push(b - a);
      json.push(c - b);
      text.push(d - c);
      bytes = out.length;
    }
  }
  // Medians and minima: on a busy machine the low end is the code's own cost, the rest contention.
  const per = (v: number[]): string => `${median(v).toFixed(1)} (min ${Math.min(...v).toFixed(1)})`;
  const total = list.map((v, i) => v + (json[i] ?? 0) + (text[i] ?? 0));
  console.log(`${files} files × ${rounds}: CPU ms per listing, median (min): view.list ${per(list)}, entry JSON ${per(json)}, stringify ${per(text)} (${bytes} bytes); total ${per(total)}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
