/**
 * Moving data with `miguser` against a real running site: a folder of 1,000 small files and a big
 * file round-tripped and compared byte for byte, and the client's resumable upload surviving a
 * broken connection.
 *
 * The big file is 200 MiB by default (it goes through the resumable uploads API in 64 MiB
 * chunks); set `MIG_TEST_BIG_FILE_MIB=1024` for the 1 GiB round trip.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigClient } from '@migrid/client';
import { openClientTestSite, type ClientTestSite } from './support/client-site.js';
import { runMiguserCli } from './support/miguser-io.js';
import { startBreakingProxy } from './support/breaking-proxy.js';

const MIB = 1024 * 1024;
const BIG_MIB = Number(process.env.MIG_TEST_BIG_FILE_MIB ?? 200);

let env: ClientTestSite;
let conf: string;
let token: string;
let ca: Buffer;

const miguser = (args: string[], timeoutMs = 120_000) => runMiguserCli(args, { conf, cwd: env.work, timeoutMs });

beforeAll(async () => {
  env = await openClientTestSite();
  conf = join(env.work, 'miguser.conf');
  const login = await runMiguserCli(['login', env.url, '--username', env.email, '--ca', env.testSite.caCertPath], { conf, cwd: env.work, stdin: `${env.password}\n` });
  expect(login.stderr).toBe('');
  token = (JSON.parse(await readFile(conf, 'utf8')) as { token: string }).token;
  ca = await readFile(env.testSite.caCertPath);
});
afterAll(async () => {
  await env?.close();
});

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MIB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes `mib` MiB fast: one random block, each copy stamped with its index so chunks cannot be confused. */
async function writeBigFile(path: string, mib: number): Promise<void> {
  const block = randomBytes(MIB);
  const out = createWriteStream(path);
  for (let i = 0; i < mib; i += 1) {
    const copy = Buffer.from(block);
    copy.writeUInt32BE(i, 0);
    copy.writeUInt32BE(i, MIB - 4);
    if (!out.write(copy)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

describe('miguser transfers', () => {
  it('round-trips a folder of 1,000 small files with put -r and get -r, byte for byte', async () => {
    const local = join(env.work, 'many');
    await mkdir(join(local, 'sub', 'deeper'), { recursive: true });
    await mkdir(join(local, 'empty'));
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < 1000; i += 1) {
      const rel = i < 990 ? `file-${String(i).padStart(4, '0')}.dat` : i < 995 ? `sub/s-${i}.dat` : `sub/deeper/d-${i}.dat`;
      const data = randomBytes(i % 97 === 0 ? 0 : 1 + (i * 37) % 4096);
      contents.set(rel, data);
      await writeFile(join(local, ...rel.split('/')), data);
    }
    const t0 = performance.now();
    const put = await miguser(['put', '-r', 'many', '/']);
    const t1 = performance.now();
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    const top = JSON.parse((await miguser(['ls', '/many', '--json'])).stdout) as { name: string; type: string }[];
    expect(top.length).toBe(992);
    expect(top.filter((e) => e.type === 'directory').map((e) => e.name).sort()).toEqual(['empty', 'sub']);

    const again = await miguser(['put', '-r', 'many', '/']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/\(MIG_E_PATH_EXISTS\)\n$/);

    const t2 = performance.now();
    const get = await miguser(['get', '-r', '/many', 'back']);
    const t3 = performance.now();
    console.log(`miguser 1,000 files: put -r ${((t1 - t0) / 1000).toFixed(1)} s, get -r ${((t3 - t2) / 1000).toFixed(1)} s, process start included`);
    expect(get.stderr).toBe('');
    expect(get.code).toBe(0);
    const back = join(env.work, 'back');
    expect((await readdir(join(back, 'empty'))).length).toBe(0);
    for (const [rel, data] of contents) {
      const got = await readFile(join(back, ...rel.split('/')));
      expect(got.equals(data), rel).toBe(true);
    }
    const all = await readdir(back, { recursive: true });
    expect(all.filter((name) => name.endsWith('.dat')).length).toBe(1000);
    expect(all.some((name) => name.endsWith('.part'))).toBe(false);
  });

  it(`round-trips a ${BIG_MIB} MiB file with put and get, compared by sha256`, async () => {
    const file = join(env.work, 'big.bin');
    await writeBigFile(file, BIG_MIB);
    const expected = await sha256File(file);
    const t0 = performance.now();
    const put = await miguser(['put', 'big.bin', '/big.bin'], 600_000);
    const t1 = performance.now();
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    const sum = await miguser(['checksum', '/big.bin']);
    expect(sum.stdout).toBe(`${expected}  /big.bin\n`);
    const t2 = performance.now();
    const get = await miguser(['get', '/big.bin', 'big-back.bin'], 600_000);
    const t3 = performance.now();
    expect(get.stderr).toBe('');
    expect(get.code).toBe(0);
    expect((await stat(join(env.work, 'big-back.bin'))).size).toBe(BIG_MIB * MIB);
    expect(await sha256File(join(env.work, 'big-back.bin'))).toBe(expected);
    const rate = (ms: number): string => `${((BIG_MIB * MIB) / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
    console.log(`miguser ${BIG_MIB} MiB: put ${((t1 - t0) / 1000).toFixed(1)} s (${rate(t1 - t0)}), get ${((t3 - t2) / 1000).toFixed(1)} s (${rate(t3 - t2)}), process start included`);
    await rm(join(env.work, 'big-back.bin'));
    await rm(file);
  }, 900_000);

  it('resumes a chunked upload from the site\'s offset after the connection breaks', async () => {
    const port = Number(new URL(env.url).port);
    const proxy = await startBreakingProxy(port, Math.floor(2.5 * MIB));
    const client = new MigClient({ url: `https://127.0.0.1:${proxy.port}`, token, ca });
    try {
      const data = randomBytes(6 * MIB + 123);
      const file = join(env.work, 'resume.bin');
      await writeFile(file, data);
      const seen: number[] = [];
      const entry = await client.upload('/resume.bin', file, { chunkSize: MIB, resumableThreshold: MIB, onProgress: (done) => seen.push(done) });
      expect(proxy.breaks()).toBe(1);
      expect(entry).toMatchObject({ path: '/resume.bin', size: data.length, type: 'file' });
      expect(seen.at(-1)).toBe(data.length);
      const body = await client.download('/resume.bin');
      const parts: Buffer[] = [];
      for await (const chunk of body) parts.push(chunk as Buffer);
      expect(Buffer.concat(parts).equals(data)).toBe(true);
      // A stream source (read once) resends from its kept chunk too.
      const streamed = await client.upload('/resume-stream.bin', Readable.from([data.subarray(0, 3 * MIB), data.subarray(3 * MIB)]), { size: data.length, chunkSize: MIB, resumableThreshold: MIB });
      expect(streamed.size).toBe(data.length);
      expect((await client.checksum('/resume-stream.bin')).digest).toBe(createHash('sha256').update(data).digest('hex'));
      // A range of the file, and a download continued from a partial local copy.
      const tail = await client.download('/resume.bin', { start: data.length - 10 });
      const tailParts: Buffer[] = [];
      for await (const chunk of tail) tailParts.push(chunk as Buffer);
      expect(Buffer.concat(tailParts).equals(data.subarray(data.length - 10))).toBe(true);
      const target = join(env.work, 'resumed-download.bin');
      await writeFile(`${target}.part`, data.subarray(0, 1000));
      expect(await client.downloadTo('/resume.bin', target, { resume: true })).toBe(data.length);
      expect((await readFile(target)).equals(data)).toBe(true);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('refuses a stream that ends before its announced size and leaves no file behind', async () => {
    const client = new MigClient({ url: env.url, token, ca });
    try {
      await expect(client.upload('/short.bin', Readable.from([randomBytes(MIB)]), { size: 3 * MIB, chunkSize: MIB, resumableThreshold: MIB })).rejects.toMatchObject({ code: 'MIG_E_TRANSFER' });
      await expect(client.stat('/short.bin')).rejects.toMatchObject({ code: 'MIG_E_PATH_NOT_FOUND' });
    } finally {
      await client.close();
    }
  });
});
