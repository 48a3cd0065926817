import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebServer } from '../src/app/web-server.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';

// Downloads over real TLS sockets: the pooled-buffer path reuses a buffer only after the socket's
// write callback, which an injected request never exercises.
let t: TestSite;
let server: WebServer;
let port: number;
let token: string;
const a = randomBytes(3 * 1024 * 1024 + 123_457);
const b = randomBytes(2 * 1024 * 1024 + 7);

beforeAll(async () => {
  t = await openTestSite();
  const { user } = await createTestUser(t.site);
  token = (await t.site.apiTokens.create(user.id, { name: 'dl', scopes: ['files:read'] })).token;
  const home = await t.site.users.homeDir(user.id);
  await writeFile(join(home, 'a.bin'), a);
  await writeFile(join(home, 'b.bin'), b);
  await writeFile(join(home, 'empty.bin'), '');
  server = new WebServer({ site: t.site });
  port = (await server.listen(0, '127.0.0.1')).port;
});
afterAll(async () => {
  await server.close();
  await t.close();
});

interface Got {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

function get(path: string, options: { method?: string; headers?: Record<string, string>; abortAfter?: number } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: `/api/v1/files/content?path=${encodeURIComponent(path)}`, rejectUnauthorized: false, headers: { authorization: `Bearer ${token}`, ...options.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        let seen = 0;
        res.on('data', (d: Buffer) => {
          chunks.push(d);
          seen += d.length;
          if (options.abortAfter !== undefined && seen >= options.abortAfter) {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => (options.abortAfter === undefined ? reject(err) : undefined));
    req.end();
  });
}

describe('files API downloads over TLS', () => {
  it('sends whole files byte for byte, two at once', async () => {
    const [ga, gb] = await Promise.all([get('/a.bin'), get('/b.bin')]);
    expect(ga.status).toBe(200);
    expect(ga.headers['content-length']).toBe(String(a.length));
    expect(ga.body.equals(a)).toBe(true);
    expect(gb.status).toBe(200);
    expect(gb.body.equals(b)).toBe(true);
    const empty = await get('/empty.bin');
    expect(empty.status).toBe(200);
    expect(empty.body.length).toBe(0);
  });

  it('serves ranges across read-size boundaries', async () => {
    for (const [start, end] of [[1024 * 1024 - 10, 1024 * 1024 + 10], [0, 0], [a.length - 1, a.length - 1], [5, 2 * 1024 * 1024 + 300_000]] as const) {
      const res = await get('/a.bin', { headers: { range: `bytes=${start}-${end}` } });
      expect(res.status).toBe(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${a.length}`);
      expect(res.body.equals(a.subarray(start, end + 1))).toBe(true);
    }
    const tail = await get('/a.bin', { headers: { range: 'bytes=-1000' } });
    expect(tail.body.equals(a.subarray(a.length - 1000))).toBe(true);
    const bad = await get('/a.bin', { headers: { range: `bytes=${a.length}-` } });
    expect(bad.status).toBe(416);
  });

  it('answers HEAD with the length and no body', async () => {
    const res = await get('/a.bin', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(a.length));
    expect(res.body.length).toBe(0);
  });

  it('survives clients that hang up mid-file and keeps serving intact bytes', async () => {
    for (let i = 0; i < 5; i++) {
      const cut = await get('/a.bin', { abortAfter: 64 * 1024 });
      expect(cut.status).toBe(200);
    }
    const again = await get('/a.bin');
    expect(again.body.equals(a)).toBe(true);
  });

  it('refuses folders, missing files and paths outside the home', async () => {
    expect((await get('/')).status).toBe(409);
    expect((await get('/nope.bin')).status).toBe(404);
    expect([403, 404]).toContain((await get('/../../etc/passwd')).status);
  });
});
