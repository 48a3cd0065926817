import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createResumableUploads, type UserRecord } from '@migrid/core';
import { createWebApp } from '../src/app/create-web-app.js';
import { databaseKinds } from '../../../test/support/databases.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

describe.each(databaseKinds())('resumable uploads on %s', (kind) => {
  let t: TestSite;
  let app: FastifyInstance;
  let alice: UserRecord;
  let s: TestSession;
  let home: string;

  beforeAll(async () => {
    t = await openTestSite({ kind });
    app = await createWebApp({ site: t.site });
    await app.ready();
    alice = (await createTestUser(t.site)).user;
    s = await sessionFor(t.site, alice.id);
    home = await t.site.users.homeDir(alice.id);
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  const headers = (): Record<string, string> => ({ cookie: s.cookie, 'x-csrf-token': s.csrf });
  const chunk = (id: string, offset: number, body: Buffer) =>
    app.inject({ method: 'PUT', url: `/api/v1/uploads/${id}?offset=${offset}`, headers: { ...headers(), 'content-type': 'application/octet-stream' }, payload: body });
  const temps = async (dir = home): Promise<string[]> => (await readdir(dir)).filter((n) => n.startsWith('.mig-upload-'));

  it('uploads in three chunks, refuses a wrong offset with the right one, resumes, completes', async () => {
    const data = randomBytes(3 * 256 * 1024 + 17);
    const parts = [data.subarray(0, 262144), data.subarray(262144, 524288), data.subarray(524288)];
    const start = await app.inject({ method: 'POST', url: '/api/v1/uploads', headers: headers(), payload: { path: '/up/big.bin', size: data.length, parents: true } });
    expect(start.statusCode).toBe(201);
    const { id, offset, size } = start.json() as { id: string; offset: number; size: number };
    expect([offset, size]).toEqual([0, data.length]);
    expect(await temps(join(home, 'up'))).toHaveLength(1);
    expect((await app.inject({ url: '/api/v1/files/list?path=%2Fup', headers: headers() })).json()).toEqual({ path: '/up', entries: [] });

    expect((await chunk(id, 0, parts[0] as Buffer)).json()).toMatchObject({ id, offset: 262144, size: data.length });
    // A repeated chunk (the client missed the answer) is refused with where to go on.
    const wrong = await chunk(id, 0, parts[0] as Buffer);
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json()).toMatchObject({ code: 'MIG_E_UPLOAD_OFFSET', details: { offset: 262144 } });
    const early = await app.inject({ method: 'POST', url: `/api/v1/uploads/${id}/complete`, headers: headers() });
    expect(early.statusCode).toBe(409);
    // The client lost track: it asks, then resumes.
    const status = await app.inject({ url: `/api/v1/uploads/${id}`, headers: headers() });
    expect(status.json()).toMatchObject({ id, offset: 262144, size: data.length });
    expect((await chunk(id, 262144, parts[1] as Buffer)).json()).toMatchObject({ offset: 524288 });
    const tooMuch = await chunk(id, 524288, Buffer.concat([parts[2] as Buffer, Buffer.from('extra')]));
    expect(tooMuch.statusCode).toBe(413);
    expect((await app.inject({ url: `/api/v1/uploads/${id}`, headers: headers() })).json()).toMatchObject({ offset: 524288 });
    expect((await chunk(id, 524288, parts[2] as Buffer)).json()).toMatchObject({ offset: data.length });
    const done = await app.inject({ method: 'POST', url: `/api/v1/uploads/${id}/complete`, headers: headers() });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ path: '/up/big.bin', size: data.length, type: 'file' });
    expect((await readFile(join(home, 'up/big.bin'))).equals(data)).toBe(true);
    expect(await temps(join(home, 'up'))).toEqual([]);
    expect((await app.inject({ url: `/api/v1/uploads/${id}`, headers: headers() })).statusCode).toBe(404);
    const rows = await t.site.db.selectFrom('upload_sessions').selectAll().execute();
    expect(rows).toEqual([]);
  });

  it('keeps sessions private, refuses existing targets, cancels and sweeps expired ones', async () => {
    const exists = await app.inject({ method: 'POST', url: '/api/v1/uploads', headers: headers(), payload: { path: '/up/big.bin', size: 1 } });
    expect(exists.statusCode).toBe(409);
    expect(exists.json()).toMatchObject({ code: 'MIG_E_PATH_EXISTS' });
    expect((await app.inject({ method: 'POST', url: '/api/v1/uploads', headers: headers(), payload: { path: '/../x', size: 1 } })).statusCode).toBe(403);
    const a = (await app.inject({ method: 'POST', url: '/api/v1/uploads', headers: headers(), payload: { path: '/up/a.bin', size: 10 } })).json() as { id: string };
    const bob = (await createTestUser(t.site)).user;
    const bs = await sessionFor(t.site, bob.id);
    const stolen = await app.inject({ method: 'PUT', url: `/api/v1/uploads/${a.id}?offset=0`, headers: { cookie: bs.cookie, 'x-csrf-token': bs.csrf }, payload: Buffer.alloc(10) });
    expect(stolen.statusCode).toBe(404);
    expect((await chunk(a.id, 0, Buffer.alloc(4))).json()).toMatchObject({ offset: 4 });
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/uploads/${a.id}`, headers: headers() })).json()).toEqual({ ok: true });
    expect(await temps(join(home, 'up'))).toEqual([]);

    const b = (await app.inject({ method: 'POST', url: '/api/v1/uploads', headers: headers(), payload: { path: '/up/b.bin', size: 10 } })).json() as { id: string };
    await chunk(b.id, 0, Buffer.alloc(3));
    expect(await temps(join(home, 'up'))).toHaveLength(1);
    const later = createResumableUploads({ db: t.site.db, now: () => Date.now() + 25 * 3600_000 });
    expect(await later.sweep(t.site.files)).toBe(1);
    expect(await temps(join(home, 'up'))).toEqual([]);
    expect((await app.inject({ url: `/api/v1/uploads/${b.id}`, headers: headers() })).statusCode).toBe(404);
  });
});
