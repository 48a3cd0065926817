/**
 * The grid engine's job lifecycle end to end (real site, web app over HTTPS, engine and an agent
 * with the local executor): a job past its CPUTIME is cancelled on its unit (the process is really
 * gone), requeued with the reason, and FAILED after RETRIES with every attempt in its history; a
 * frozen job is not handed out until thawed; a running job cannot be frozen; a cancel made
 * straight in the database (as `mig job cancel` in another process) stops the process; a job that
 * waits too long EXPIRES and its owner is mailed; a FAILED or FINISHED job resubmitted runs again.
 *
 * The timeout uses the engine's injectable clock: the test moves the engine's time past the job's
 * CPUTIME instead of waiting for it, so nothing depends on real timings.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceAgent } from '@migrid/scheduler';
import { codeOf } from '../support/errors.js';
import { openGridTestSite, startLocalAgent, type GridTestSite } from '../support/grid-site.js';
import { createTestUser } from '../support/test-site.js';

const WAIT = 60_000;
const ADMIN = { kind: 'admin', userId: null } as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** HTTPS + bearer-token helpers for one site and one user. */
function client(base: string, ca: Buffer, token: string) {
  function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
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
  async function submit(mrsl: string): Promise<string> {
    const res = await api('POST', '/api/v1/jobs', { mrsl });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return String(res.json.id);
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
  async function history(id: string): Promise<{ from: string | null; to: string; actor: string; detail: Record<string, unknown> }[]> {
    return (await api('GET', `/api/v1/jobs/${id}/history`)).json.events as { from: string | null; to: string; actor: string; detail: Record<string, unknown> }[];
  }
  return { api, submit, waitFor, history };
}

/** The pids written (one a line) to `file`, once it holds at least `count`. */
async function pidsIn(file: string, count: number): Promise<number[]> {
  let pids: number[] = [];
  for (let i = 0; i < 200 && pids.length < count; i++) {
    pids = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '').map(Number);
    if (pids.length < count) await sleep(100);
  }
  expect(pids.length).toBeGreaterThanOrEqual(count);
  return pids;
}

/** Whether the process is gone, waiting a bounded while for it to go. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 150; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await sleep(100);
  }
  return false;
}

describe('the engine lifecycle with a local agent', () => {
  let g: GridTestSite;
  let agent: ResourceAgent;
  let work: string;
  let home: string;
  let resourceId: string;
  let c: ReturnType<typeof client>;
  /** How far the engine's clock runs ahead of real time (moved by the timeout test). */
  let skew = 0;

  beforeAll(async () => {
    g = await openGridTestSite({
      config: { scheduler: { job_retries: 1 } },
      engine: { now: () => Date.now() + skew, graceSeconds: 1, unitSilenceSeconds: 3600 },
    });
    const ca = await readFile(g.t.caCertPath);
    const u = await createTestUser(g.t.site);
    home = await g.t.site.users.homeDir(u.user.id);
    const token = (await g.t.site.apiTokens.create(u.user.id, { name: 'test', scopes: ['jobs:write', 'files:write'] })).token;
    c = client(g.base, ca, token);
    const added = await g.t.site.resources.add({ name: 'life1', ownerId: u.user.id, units: 1 });
    resourceId = added.resource.id;
    work = await mkdtemp(join(tmpdir(), 'mig-lifecycle-'));
    agent = await startLocalAgent(g, added.token, work);
  }, WAIT);
  afterAll(async () => {
    await agent?.stop({ cancelRunning: true });
    await g?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('cancels a job past its CPUTIME on its unit, requeues it with the reason, and FAILS it after RETRIES', async () => {
    const pidFile = join(work, 'timeout.pids');
    const id = await c.submit(`::EXECUTE::\necho $$ >> ${pidFile}; sleep 300\n\n::CPUTIME::\n60\n\n::RETRIES::\n1\n`);
    for (let attempt = 1; attempt <= 2; attempt++) {
      await c.waitFor(id, ['EXECUTING']);
      const pids = await pidsIn(pidFile, attempt);
      const pid = pids[attempt - 1] ?? 0;
      // The engine's clock passes CPUTIME + grace: its next sweep cancels the job on the unit.
      skew += 62_000;
      expect(await gone(pid), `attempt ${attempt}: process ${pid} still runs`).toBe(true);
      if (attempt === 1) {
        const requeued = await c.waitFor(id, ['QUEUED', 'EXECUTING', 'FAILED']);
        expect(requeued.status).not.toBe('FAILED');
      }
    }
    const done = await c.waitFor(id, ['FAILED', 'FINISHED']);
    expect(done.status).toBe('FAILED');
    expect(done.retryCount).toBe(2);
    expect(String(done.failureMessage)).toMatch(/ran past its CPUTIME of 60 s.*failed after 1 retry/);
    const events = await c.history(id);
    expect(events.map((e) => e.to)).toEqual(['PARSE', 'QUEUED', 'EXECUTING', 'QUEUED', 'EXECUTING', 'FAILED']);
    const requeue = events[3];
    expect(requeue?.actor).toBe('grid_script');
    expect(requeue?.detail).toMatchObject({ retryCount: 1, retries: 1, resourceId, unit: 'exe0' });
    expect(String(requeue?.detail.reason)).toMatch(/ran past its CPUTIME of 60 s/);
    expect(events[5]?.detail).toMatchObject({ retryCount: 2, retries: 1 });
    expect(g.engine.stats()).toEqual({ queued: 0, executing: 0 });
  }, WAIT);

  it('does not hand out a frozen job to a free unit; thawed (from another process) it runs', async () => {
    // Paused while the job is submitted and frozen, so the free unit cannot grab it in between.
    await g.t.site.resources.setStatus(resourceId, 'paused');
    const id = await c.submit('::EXECUTE::\necho thawed\n');
    expect((await c.api('POST', `/api/v1/jobs/${id}/freeze`)).json.status).toBe('FROZEN');
    await g.t.site.resources.setStatus(resourceId, 'active');
    // Several polls of the free unit while the job is frozen.
    const seen = new Set<number | null>();
    for (let i = 0; i < 200 && seen.size < 4; i++) {
      seen.add((await g.t.site.resources.get(resourceId)).lastSeenAt);
      await sleep(100);
    }
    expect(seen.size).toBeGreaterThanOrEqual(4);
    expect((await c.api('GET', `/api/v1/jobs/${id}`)).json.status).toBe('FROZEN');
    // Thawed straight in the database, as `mig job thaw` does: the engine finds it in its next sweep.
    expect((await g.t.site.jobs.thaw(id, ADMIN)).state).toBe('QUEUED');
    const done = await c.waitFor(id, ['FINISHED', 'FAILED']);
    expect(done.status).toBe('FINISHED');
    expect(await readFile(join(home, 'job_output', id, `${id}.stdout`), 'utf8')).toBe('thawed\n');
    expect((await c.history(id)).map((e) => e.to)).toEqual(['PARSE', 'QUEUED', 'FROZEN', 'QUEUED', 'EXECUTING', 'FINISHED']);
  }, WAIT);

  it('refuses to freeze a running job, and a cancel made in another process stops its process', async () => {
    const pidFile = join(work, 'running.pid');
    const id = await c.submit(`::EXECUTE::\necho $$ >> ${pidFile}; sleep 300\n\n::CPUTIME::\n600\n`);
    await c.waitFor(id, ['EXECUTING']);
    const [pid = 0] = await pidsIn(pidFile, 1);
    const refused = await c.api('POST', `/api/v1/jobs/${id}/freeze`);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.json)).toMatch(/MIG_E_JOB_STATE/);
    expect(await codeOf(g.t.site.jobs.freeze(id, ADMIN))).toBe('MIG_E_JOB_STATE');
    expect((await c.api('GET', `/api/v1/jobs/${id}`)).json.status).toBe('EXECUTING');
    // Not through the web app (which tells the engine at once) but straight in the database.
    expect((await g.t.site.jobs.cancel(id, ADMIN, 'stopped by the admin')).state).toBe('CANCELED');
    expect(await gone(pid)).toBe(true);
    expect((await c.api('GET', `/api/v1/jobs/${id}`)).json.status).toBe('CANCELED');
  }, WAIT);

  it('resubmits a FAILED and a FINISHED job as new jobs that run', async () => {
    await mkdir(join(home, 'in'), { recursive: true });
    const failed = await c.submit('::EXECUTE::\ncat later.txt\n\n::INPUTFILES::\nin/later.txt later.txt\n\n::RETRIES::\n0\n');
    expect((await c.waitFor(failed, ['FAILED', 'FINISHED'])).status).toBe('FAILED');
    await writeFile(join(home, 'in', 'later.txt'), 'here now\n');
    const again = await c.api('POST', `/api/v1/jobs/${failed}/resubmit`);
    expect(again.status).toBe(201);
    const second = String(again.json.id);
    expect(second).not.toBe(failed);
    expect((await c.waitFor(second, ['FINISHED', 'FAILED'])).status).toBe('FINISHED');
    expect(await readFile(join(home, 'job_output', second, `${second}.stdout`), 'utf8')).toBe('here now\n');
    const third = String((await c.api('POST', `/api/v1/jobs/${second}/resubmit`)).json.id);
    expect((await c.waitFor(third, ['FINISHED', 'FAILED'])).status).toBe('FINISHED');
    expect((await c.api('GET', `/api/v1/jobs/${failed}`)).json.status).toBe('FAILED');
    expect((await c.history(third)).map((e) => e.to)).toEqual(['PARSE', 'QUEUED', 'EXECUTING', 'FINISHED']);
  }, WAIT);
});

describe('queue expiry', () => {
  let g: GridTestSite;

  beforeAll(async () => {
    g = await openGridTestSite({ config: { scheduler: { expire_after_seconds: 1 } } });
  }, WAIT);
  afterAll(async () => {
    await g?.close();
  });

  it('expires a job nobody can run and mails its owner (NOTIFY); a frozen one waits', async () => {
    const ca = await readFile(g.t.caCertPath);
    const u = await createTestUser(g.t.site);
    const token = (await g.t.site.apiTokens.create(u.user.id, { name: 'test', scopes: ['jobs:write'] })).token;
    const c = client(g.base, ca, token);
    // A resource whose unit lacks the runtime environment the job needs (it has none).
    await g.t.site.resources.add({ name: 'plain1', ownerId: u.user.id, units: 1 });
    // Published (an unknown one is refused at submit), but no resource provides it.
    await g.t.site.runtimeEnvs.add({ RENAME: 'NOSUCHENV' }, { kind: 'admin', userId: null });
    const id = await c.submit('::EXECUTE::\ntrue\n\n::RUNTIMEENVIRONMENT::\nNOSUCHENV\n\n::NOTIFY::\nemail: SETTINGS\n');
    const frozen = await c.submit('::EXECUTE::\ntrue\n');
    expect((await c.api('POST', `/api/v1/jobs/${frozen}/freeze`)).json.status).toBe('FROZEN');
    const done = await c.waitFor(id, ['EXPIRED', 'EXECUTING', 'FINISHED']);
    expect(done.status).toBe('EXPIRED');
    const events = await c.history(id);
    expect(events.map((e) => e.to)).toEqual(['PARSE', 'QUEUED', 'EXPIRED']);
    expect(events[2]?.actor).toBe('grid_script');
    let mails: { to: string[]; topic: string; subject: string }[] = [];
    for (let i = 0; i < 100 && mails.length === 0; i++) {
      mails = (await readFile(g.t.site.paths.mailLog, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { to: string[]; topic: string; subject: string });
      if (mails.length === 0) await sleep(100);
    }
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ to: [u.user.email], topic: 'job.expired' });
    expect(mails[0]?.subject).toContain(id);
    expect((await c.api('GET', `/api/v1/jobs/${frozen}`)).json.status).toBe('FROZEN');
    expect(g.engine.stats().queued).toBe(0);
  }, WAIT);
});
