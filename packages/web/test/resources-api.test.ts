import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '@migrid/core';
import { GridEngine } from '@migrid/scheduler';
import { createWebApp } from '../src/app/create-web-app.js';
import { databaseKinds } from '../../../test/support/databases.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

describe.each(databaseKinds())('the resources API and job feasibility on %s', (kind) => {
  let t: TestSite;
  let app: FastifyInstance;
  let bare: FastifyInstance;
  let engine: GridEngine;
  let owner: UserRecord;
  let other: UserRecord;
  let admin: UserRecord;
  let s: { owner: TestSession; other: TestSession; admin: TestSession };
  let ownerToken: string;

  beforeAll(async () => {
    t = await openTestSite({ kind });
    owner = (await createTestUser(t.site)).user;
    other = (await createTestUser(t.site)).user;
    admin = (await createTestUser(t.site, { roles: ['admin'] })).user;
    ownerToken = (await t.site.resources.add({ name: 'res-a', ownerId: owner.id, units: 2 })).token;
    await t.site.resources.add({ name: 'res-b', ownerId: other.id });
    engine = new GridEngine({ site: t.site, siteUrl: 'https://localhost' });
    app = await createWebApp({ site: t.site, grid: engine });
    bare = await createWebApp({ site: t.site });
    s = { owner: await sessionFor(t.site, owner.id), other: await sessionFor(t.site, other.id), admin: await sessionFor(t.site, admin.id) };
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await bare?.close();
    await engine?.stop();
    await t?.close();
  });

  const call = async (session: TestSession | string | undefined, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, on: FastifyInstance = app) => {
    const headers: Record<string, string> = {};
    if (typeof session === 'string') headers.authorization = `Bearer ${session}`;
    else if (session !== undefined) Object.assign(headers, { cookie: session.cookie, 'x-csrf-token': session.csrf });
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await on.inject({ method, url, headers, ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }) });
    return { status: res.statusCode, json: (res.body === '' ? {} : res.json()) as Record<string, unknown> };
  };
  const ids = (json: Record<string, unknown>): string[] => (json.resources as { id: string }[]).map((r) => r.id);

  it('lists only the owner\'s resources; an admin sees all', async () => {
    expect(ids((await call(s.owner, 'GET', '/api/v1/resources')).json)).toEqual(['res-a']);
    expect(ids((await call(s.other, 'GET', '/api/v1/resources')).json)).toEqual(['res-b']);
    expect(ids((await call(s.admin, 'GET', '/api/v1/resources')).json)).toEqual(['res-a', 'res-b']);
    const one = await call(s.owner, 'GET', '/api/v1/resources/res-a');
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ id: 'res-a', owner: owner.id, status: 'active', executor: 'local', running: [] });
    expect((one.json.units as { name: string }[]).map((u) => u.name)).toEqual(['exe0', 'exe1']);
    expect(JSON.stringify(one.json)).not.toMatch(/token|SANDBOXKEY/i);
    expect((await call(s.admin, 'GET', '/api/v1/resources/res-b')).status).toBe(200);
    expect((await call(undefined, 'GET', '/api/v1/resources')).status).toBe(401);
  });

  it('answers another user exactly as for a missing resource, and changes nothing', async () => {
    const theirs = await call(s.other, 'GET', '/api/v1/resources/res-a');
    const missing = await call(s.other, 'GET', '/api/v1/resources/no-such');
    expect(theirs.status).toBe(404);
    expect(theirs.json.code).toBe('MIG_E_RESOURCE_NOT_FOUND');
    expect(missing.json.code).toBe('MIG_E_RESOURCE_NOT_FOUND');
    expect(theirs.json.message).toBe(String(missing.json.message).replace('no-such', 'res-a'));
    for (const [method, url] of [['POST', '/api/v1/resources/res-a/pause'], ['POST', '/api/v1/resources/res-a/token'], ['DELETE', '/api/v1/resources/res-a']] as const) {
      expect((await call(s.other, method, url)).status).toBe(404);
    }
    const still = await t.site.resources.get('res-a');
    expect(still.status).toBe('active');
    await expect(t.site.resources.authenticate(ownerToken)).resolves.toMatchObject({ id: 'res-a' });
  });

  it('pauses and resumes; the owner and an admin may', async () => {
    expect((await call(s.owner, 'POST', '/api/v1/resources/res-a/pause')).json.status).toBe('paused');
    expect((await t.site.resources.get('res-a')).status).toBe('paused');
    expect((await call(s.admin, 'POST', '/api/v1/resources/res-a/resume')).json.status).toBe('active');
    // A page session without the CSRF token changes nothing.
    const res = await app.inject({ method: 'POST', url: '/api/v1/resources/res-a/pause', headers: { cookie: s.owner.cookie } });
    expect(res.statusCode).toBe(403);
    expect((await t.site.resources.get('res-a')).status).toBe('active');
  });

  it('rotates the agent token: the new one works, the old one no longer', async () => {
    const rotated = await call(s.owner, 'POST', '/api/v1/resources/res-a/token');
    expect(rotated.status).toBe(200);
    const token = String(rotated.json.token);
    expect(token).toMatch(/^migres_res-a_[A-Za-z0-9_-]{43}$/);
    await expect(t.site.resources.authenticate(token)).resolves.toMatchObject({ id: 'res-a' });
    await expect(t.site.resources.authenticate(ownerToken)).rejects.toMatchObject({ code: 'MIG_E_AUTH_FAILED' });
    ownerToken = token;
  });

  it('refuses hostile resource ids without touching anything', async () => {
    for (const id of ['..', '..%2F..%2Fetc', '%2e%2e', 'UPPER', 'a%20b', '%3Cimg%20src%3Dx%3E', 'x'.repeat(64), '-lead', 'a%00b', 'res-a%0A']) {
      const res = await call(s.owner, 'GET', `/api/v1/resources/${id}`);
      expect([400, 404], `${id} → ${res.status}`).toContain(res.status);
      expect(String(res.json.code)).toMatch(/^MIG_E_/);
      expect(JSON.stringify(res.json)).not.toContain('<img');
      const pause = await call(s.owner, 'POST', `/api/v1/resources/${id}/pause`);
      expect([400, 404]).toContain(pause.status);
    }
    expect((await t.site.resources.list()).map((r) => `${r.id}:${r.status}`)).toEqual(['res-a:active', 'res-b:active']);
  });

  it('needs the account scopes on API tokens; an admin token acts on others only with the admin scope', async () => {
    const jobsOnly = (await t.site.apiTokens.create(owner.id, { name: 'jobs', scopes: ['jobs:write'] })).token;
    expect((await call(jobsOnly, 'GET', '/api/v1/resources')).json.code).toBe('MIG_E_TOKEN_SCOPE');
    const reader = (await t.site.apiTokens.create(owner.id, { name: 'read', scopes: ['account:read'] })).token;
    expect(ids((await call(reader, 'GET', '/api/v1/resources')).json)).toEqual(['res-a']);
    expect((await call(reader, 'POST', '/api/v1/resources/res-a/pause')).json.code).toBe('MIG_E_TOKEN_SCOPE');
    const adminNoScope = (await t.site.apiTokens.create(admin.id, { name: 'plain', scopes: ['account:write'] })).token;
    expect(ids((await call(adminNoScope, 'GET', '/api/v1/resources')).json)).toEqual([]);
    expect((await call(adminNoScope, 'GET', '/api/v1/resources/res-b')).status).toBe(404);
    const adminScoped = (await t.site.apiTokens.create(admin.id, { name: 'admin', scopes: ['account:write', 'admin'] })).token;
    expect(ids((await call(adminScoped, 'GET', '/api/v1/resources')).json)).toEqual(['res-a', 'res-b']);
  });

  it('registers resources for admins only, and removes', async () => {
    expect((await call(s.owner, 'POST', '/api/v1/resources', { name: 'mine', owner: owner.email })).json.code).toBe('MIG_E_FORBIDDEN');
    const added = await call(s.admin, 'POST', '/api/v1/resources', { name: 'res-c', owner: owner.email, units: 1 });
    expect(added.status).toBe(201);
    expect(String(added.json.token)).toMatch(/^migres_res-c_/);
    expect(ids((await call(s.owner, 'GET', '/api/v1/resources')).json)).toEqual(['res-a', 'res-c']);
    expect((await call(s.admin, 'POST', '/api/v1/resources', { name: 'res-c', owner: owner.email })).json.code).toBe('MIG_E_RESOURCE_EXISTS');
    expect((await call(s.admin, 'POST', '/api/v1/resources', { name: 'Bad Name', owner: owner.email })).status).toBe(400);
    expect((await call(s.owner, 'DELETE', '/api/v1/resources/res-c')).status).toBe(204);
    expect((await call(s.owner, 'GET', '/api/v1/resources/res-c')).status).toBe(404);
  });

  it('serves the pages: /resources lists your own, /resources/<id> pauses and shows a new token once', async () => {
    const page = async (session: TestSession, method: 'GET' | 'POST', url: string, form: Record<string, string> = {}) => {
      const res = await app.inject({
        method, url,
        headers: { cookie: session.cookie, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(method === 'POST' ? { payload: new URLSearchParams({ _csrf: session.csrf, ...form }).toString() } : {}),
      });
      return { status: res.statusCode, body: res.body, location: res.headers.location };
    };
    const list = await page(s.owner, 'GET', '/resources');
    expect(list.status).toBe(200);
    expect(list.body).toContain('data-resource="res-a"');
    expect(list.body).not.toContain('res-b');
    expect((await page(s.admin, 'GET', '/resources')).body).toContain('data-resource="res-b"');
    expect((await page(s.other, 'GET', '/resources/res-a')).status).toBe(404);
    expect((await page(s.owner, 'GET', '/resources/%3Cscript%3E')).body).not.toContain('<script>');
    expect((await page(s.owner, 'POST', '/resources/res-a/pause')).location).toBe('/resources/res-a');
    expect((await page(s.owner, 'GET', '/resources/res-a')).body).toContain('Paused: the resource gets no new jobs.');
    await page(s.owner, 'POST', '/resources/res-a/resume');
    const rotated = await page(s.owner, 'POST', '/resources/res-a/token');
    const token = /<pre class="view" id="token-value">([^<]+)<\/pre>/.exec(rotated.body)?.[1] ?? '';
    await expect(t.site.resources.authenticate(token)).resolves.toMatchObject({ id: 'res-a' });
    expect((await page(s.owner, 'GET', '/resources/res-a')).body).not.toContain(token);
    expect((await page(s.other, 'POST', '/resources/res-a/remove', { confirm: 'on' })).status).toBe(404);
    expect((await t.site.resources.get('res-a')).status).toBe('active');
  });

  describe('POST /api/v1/jobs/feasibility', () => {
    const check = (body: unknown, on: FastifyInstance = app) => call(s.owner, 'POST', '/api/v1/jobs/feasibility', body, on);

    it('says which units fit', async () => {
      const res = await check({ mrsl: '::EXECUTE::\necho hi\n' });
      expect(res.status).toBe(200);
      expect(res.json.verdict).toBe('ready');
      const units = res.json.units as { resource: string; unit: string; fits: boolean; reasons: string[] }[];
      expect(units.map((u) => `${u.resource}/${u.unit}:${u.fits}`)).toEqual(['res-a/exe0:true', 'res-a/exe1:true', 'res-b/exe0:true']);
      expect((await check({ spec: { EXECUTE: ['echo hi'], CPUTIME: 60 } })).json.verdict).toBe('ready');
    });

    it('gives the reasons for a unit that is too small or lacks a runtime environment', async () => {
      const big = await check({ mrsl: '::EXECUTE::\nx\n\n::MEMORY::\n4096\n' });
      expect(big.json.verdict).toBe('none');
      const unit = (big.json.units as { reasons: string[] }[])[0];
      expect(unit?.reasons).toEqual(['MEMORY: the job needs 4096, the unit offers 1024']);
      const re = await check({ spec: { EXECUTE: ['x'], RUNTIMEENVIRONMENT: ['PYTHON3'] } });
      expect((re.json.units as { reasons: string[] }[])[0]?.reasons).toEqual(['RUNTIMEENVIRONMENT: the unit does not provide "PYTHON3"']);
      // A paused resource that fits is told apart.
      await t.site.resources.setStatus('res-a', 'paused');
      await t.site.resources.setStatus('res-b', 'paused');
      try {
        expect((await check({ mrsl: '::EXECUTE::\nx\n' })).json).toMatchObject({ verdict: 'paused', runnable: 0 });
      } finally {
        await t.site.resources.setStatus('res-a', 'active');
        await t.site.resources.setStatus('res-b', 'active');
      }
    });

    it('answers a malformed body with 400 and a code', async () => {
      const bad = await check({ mrsl: '::EXECUTE::\nx\n\n::CPUTIME::\nabc\n' });
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe('MIG_E_MRSL_INVALID');
      expect(String(bad.json.message)).toMatch(/line 5, keyword CPUTIME/);
      for (const body of [{}, { mrsl: 'x', spec: {} }, { spec: { EXECUTE: 'x', CPUTIME: 'soon' } }, { other: 1 }, '[1,2]', '"text"', '{not json']) {
        const res = await check(body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(String(res.json.code)).toMatch(/^MIG_E_(INVALID_INPUT|MRSL_INVALID)$/);
      }
      // Anonymous: refused (the CSRF check answers before the sign-in check).
      expect([401, 403]).toContain((await call(undefined, 'POST', '/api/v1/jobs/feasibility', { mrsl: '::EXECUTE::\nx\n' })).status);
    });

    it('answers 503 MIG_E_GRID_UNAVAILABLE without an engine', async () => {
      const res = await check({ mrsl: '::EXECUTE::\nx\n' }, bare);
      expect(res.status).toBe(503);
      expect(res.json.code).toBe('MIG_E_GRID_UNAVAILABLE');
    });
  });
});
