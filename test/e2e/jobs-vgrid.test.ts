/**
 * VGrid jobs end to end (real site, web app over HTTPS, engine and two agents with the local
 * executor): a job submitted to a VGrid runs on the resource its owners added, never on a
 * Generic-only one, and a Generic job never on the VGrid-only one; `ANY` is stored expanded; a
 * user outside the VGrid is refused at submit with the VGrid named; a resource that lists the
 * VGrid in its configuration without being added gets none of its jobs.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceAgent } from '@migrid/scheduler';
import { openGridTestSite, startLocalAgent, type GridTestSite } from '../support/grid-site.js';
import { createTestUser } from '../support/test-site.js';

const WAIT = 60_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const UNIT_CONFIG = { NODECOUNT: 1, CPUCOUNT: 1, MEMORY: 1024, DISK: 10, ARCHITECTURE: 'AMD64' };

type Answer = { status: number; json: Record<string, unknown> };

function client(base: string, ca: Buffer, token: string) {
  function api(method: string, path: string, body?: unknown): Promise<Answer> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (text !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      const req = request(`${base}${path}`, { method, ca, headers }, (res) => {
        let out = '';
        res.on('data', (d: Buffer) => (out += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(out === '' ? '{}' : out) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(text);
    });
  }
  async function waitFor(id: string, states: readonly string[]): Promise<Record<string, unknown>> {
    let last: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++) {
      last = (await api('GET', `/api/v1/jobs/${id}`)).json;
      if (states.includes(String(last.status))) return last;
      await sleep(150);
    }
    throw new Error(`job ${id} did not reach ${states.join('/')} (last: ${JSON.stringify(last).slice(0, 300)})`);
  }
  return { api, submit: (mrsl: string) => api('POST', '/api/v1/jobs', { mrsl }), waitFor };
}

describe('VGrid jobs with real agents', () => {
  let g: GridTestSite;
  const agents: ResourceAgent[] = [];
  let work: string;
  let alice: ReturnType<typeof client>;
  let bob: ReturnType<typeof client>;

  beforeAll(async () => {
    g = await openGridTestSite();
    const ca = await readFile(g.t.caCertPath);
    const a = (await createTestUser(g.t.site)).user;
    const b = (await createTestUser(g.t.site)).user;
    alice = client(g.base, ca, (await g.t.site.apiTokens.create(a.id, { name: 'test', scopes: ['jobs:write'] })).token);
    bob = client(g.base, ca, (await g.t.site.apiTokens.create(b.id, { name: 'test', scopes: ['jobs:write'] })).token);
    const actor = { kind: 'user', userId: a.id } as const;
    await g.t.site.vgrids.create({ actor, name: 'Physics' });
    await g.t.site.vgrids.create({ actor, name: 'Physics/Optics' });
    work = await mkdtemp(join(tmpdir(), 'mig-vgrid-jobs-'));
    for (const [name, vgrid] of [['gen', ['Generic']], ['phys', ['Physics']], ['rogue', ['Physics']]] as const) {
      const added = await g.t.site.resources.add({ name, ownerId: a.id, config: { HOSTURL: name, ...UNIT_CONFIG, EXECONFIG: [{ name: 'exe0', cputime: 3600, vgrid }] } });
      if (name === 'phys') await g.t.site.vgrids.addResource('Physics', added.resource.id, { actor });
      agents.push(await startLocalAgent(g, added.token, join(work, name)));
    }
  }, WAIT);
  afterAll(async () => {
    for (const agent of agents) await agent.stop({ cancelRunning: true });
    await g?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('runs a VGrid job on the VGrid\'s resource and a Generic job on a Generic one', async () => {
    const submitted = await Promise.all([
      alice.submit('::EXECUTE::\necho physics\n\n::VGRID::\nPhysics\n'),
      alice.submit('::EXECUTE::\necho optics\n\n::VGRID::\nPhysics/Optics\n'),
      alice.submit('::EXECUTE::\necho generic\n'),
      alice.submit('::EXECUTE::\necho any\n\n::VGRID::\nANY\n'),
    ]);
    for (const s of submitted) expect(s.status, JSON.stringify(s.json)).toBe(201);
    const [physics, optics, generic, any] = submitted.map((s) => String(s.json.id)) as [string, string, string, string];
    const done = await Promise.all([physics, optics, generic, any].map((id) => alice.waitFor(id, ['FINISHED', 'FAILED'])));
    expect(done.map((j) => j.status)).toEqual(['FINISHED', 'FINISHED', 'FINISHED', 'FINISHED']);
    expect(done[0]?.resource).toBe('phys');
    expect(done[1]?.resource).toBe('phys');
    expect(done[2]?.resource).toBe('gen');
    // ANY is stored expanded (Generic first, then the owner's VGrids) and may run on either.
    expect((done[3]?.spec as Record<string, unknown>).VGRID).toEqual(['Generic', 'Physics', 'Physics/Optics']);
    expect(['gen', 'phys']).toContain(done[3]?.resource);
    // The resource that lists Physics without being added ran none of them.
    expect(done.some((j) => j.resource === 'rogue')).toBe(false);
  });

  it('refuses a VGrid job of a user outside the VGrid, naming it; ANY then means Generic only', async () => {
    const refused = await bob.submit('::EXECUTE::\necho no\n\n::VGRID::\nPhysics\n');
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe('MIG_E_VGRID_NOT_ALLOWED');
    expect(String(refused.json.message)).toContain('"Physics"');
    const unknown = await bob.submit('::EXECUTE::\necho no\n\n::VGRID::\nNowhere\n');
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('MIG_E_VGRID_NOT_FOUND');
    const any = await bob.submit('::EXECUTE::\necho any\n\n::VGRID::\nANY\n');
    expect(any.status).toBe(201);
    expect((any.json.spec as Record<string, unknown>).VGRID).toEqual(['Generic']);
    const ran = await bob.waitFor(String(any.json.id), ['FINISHED', 'FAILED']);
    expect(ran).toMatchObject({ status: 'FINISHED', resource: 'gen' });
    // Feasibility explains the VGrid that did not add the resource.
    const report = await alice.api('POST', '/api/v1/jobs/feasibility', { mrsl: '::EXECUTE::\nx\n\n::VGRID::\nPhysics\n' });
    const units = report.json.units as { resource: string; fits: boolean; reasons: string[] }[];
    expect(units.find((u) => u.resource === 'phys')?.fits).toBe(true);
    expect(units.find((u) => u.resource === 'rogue')?.reasons).toContain('VGRID: the resource is not in VGrid "Physics": the unit lists it, but the VGrid\'s owners have not added the resource');
  });
});
