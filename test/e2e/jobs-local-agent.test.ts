/**
 * A job end to end: a user submits through the API a job with INPUTFILES, EXECUTABLES, OUTPUTFILES
 * and ENVIRONMENT; a resource agent with the local executor pulls it over HTTPS, fetches the
 * inputs itself, runs the job's commands (one sh) and sends the results (agent transfers, the
 * local executor's default); the outputs, stdout and `.status` land in `job_output/<id>/` and the
 * job is FINISHED. The same with the full job script (sh + curl, `transfers: 'script'`). Also:
 * cancel while executing (the process is really gone) and a failing input (requeued, then FAILED
 * after RETRIES).
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalExecutor, ResourceAgent } from '@migrid/scheduler';
import { openGridTestSite, startLocalAgent, type GridTestSite } from '../support/grid-site.js';
import { createTestUser, type TestSite } from '../support/test-site.js';

const WAIT = 60_000;

describe('jobs on a resource with the local executor', () => {
  let g: GridTestSite;
  let t: TestSite;
  let agent: ResourceAgent;
  let base: string;
  let token: string;
  let resourceToken: string;
  let home: string;
  let work: string;

  let ca: Buffer;
  /** One HTTPS request to the site, trusting its CA. */
  function send(method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${base}${path}`, { method, ca, headers: { ...options.headers, ...(options.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(options.body)) }) } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await send(method, path, {
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: JSON.parse(res.text) as Record<string, unknown> };
  }

  async function waitFor(id: string, states: readonly string[]): Promise<Record<string, unknown>> {
    let last: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++) {
      last = (await api('GET', `/api/v1/jobs/${id}`)).json;
      if (states.includes(String(last.status))) return last;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`job ${id} did not reach ${states.join('/')} (last: ${JSON.stringify(last).slice(0, 300)})`);
  }

  beforeAll(async () => {
    g = await openGridTestSite({ config: { scheduler: { job_retries: 1 } } });
    ({ t, base } = g);
    ca = await readFile(t.caCertPath);
    const u = await createTestUser(t.site);
    home = await t.site.users.homeDir(u.user.id);
    token = (await t.site.apiTokens.create(u.user.id, { name: 'test', scopes: ['jobs:write', 'files:write'] })).token;
    const added = await t.site.resources.add({ name: 'local1', ownerId: u.user.id, units: 1 });
    work = await mkdtemp(join(tmpdir(), 'mig-agent-'));
    resourceToken = added.token;
    agent = await startLocalAgent(g, added.token, work);
  }, WAIT);
  afterAll(async () => {
    await agent?.stop({ cancelRunning: true });
    await g?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  /** Submits the job with inputs, executables, outputs and environment and checks its results. */
  async function runFullJob(): Promise<void> {
    await mkdir(join(home, 'data'), { recursive: true });
    await writeFile(join(home, 'data', 'numbers.txt'), '1\n2\n3\n');
    await writeFile(join(home, 'data', 'sum.sh'), '#!/bin/sh\ns=0; while read n; do s=$((s + n)); done < "$1"; echo "$PREFIX$s"\n');
    const mrsl = [
      '::EXECUTE::',
      './sum.sh numbers.txt > sum.txt',
      'echo "hello from $MIG_JOBID"',
      '',
      '::INPUTFILES::',
      'data/numbers.txt numbers.txt',
      '',
      '::EXECUTABLES::',
      'data/sum.sh sum.sh',
      '',
      '::OUTPUTFILES::',
      'sum.txt results/+JOBID+/sum.txt',
      '',
      '::ENVIRONMENT::',
      'PREFIX=total=',
      '',
      '::CPUTIME::',
      '120',
    ].join('\n');
    const submitted = await api('POST', '/api/v1/jobs', { mrsl });
    expect(submitted.status).toBe(201);
    const id = String(submitted.json.id);
    const done = await waitFor(id, ['FINISHED', 'FAILED']);
    expect(done.status).toBe('FINISHED');
    expect(await readFile(join(home, 'results', id, 'sum.txt'), 'utf8')).toBe('total=6\n');
    expect(await readFile(join(home, 'job_output', id, `${id}.stdout`), 'utf8')).toBe(`hello from ${id}\n`);
    const status = await readFile(join(home, 'job_output', id, `${id}.status`), 'utf8');
    expect(status).toContain('./sum.sh numbers.txt > sum.txt 0');
    expect(await readFile(join(home, 'job_output', id, `${id}.io-status`), 'utf8')).toBe('get numbers.txt 0\nget sum.sh 0\nsend sum.txt 0\n');
    const history = (await api('GET', `/api/v1/jobs/${id}/history`)).json.events as { to: string }[];
    expect(history.map((e) => e.to)).toEqual(['PARSE', 'QUEUED', 'EXECUTING', 'FINISHED']);
  }

  it('runs a job with inputs, executables, outputs and environment, and lands the results in job_output/<id>/', async () => {
    await runFullJob();
  }, WAIT);

  it('runs the same job with the full job script (sh + curl) when the agent is told transfers: script', async () => {
    await agent.stop();
    const scripted = new ResourceAgent({
      siteUrl: base,
      token: resourceToken,
      executor: new LocalExecutor(),
      units: [{ name: 'exe0', capacity: { cpuTimeSeconds: 3600, nodeCount: 1, cpuCount: 1, memoryMb: 1024, diskGb: 10 } }],
      workDir: join(work, 'scripted'),
      caFile: t.caCertPath,
      heartbeatMs: 300,
      transfers: 'script',
    });
    await scripted.start();
    try {
      await runFullJob();
    } finally {
      await scripted.stop();
      agent = await startLocalAgent(g, resourceToken, work);
    }
  }, WAIT);

  it('cancels a job while it executes: the process is really gone', async () => {
    const pidFile = join(work, 'job.pid');
    const submitted = await api('POST', '/api/v1/jobs', { mrsl: `::EXECUTE::\necho $$ > ${pidFile}; sleep 300\n\n::CPUTIME::\n600\n` });
    const id = String(submitted.json.id);
    await waitFor(id, ['EXECUTING']);
    let pid = 0;
    for (let i = 0; i < 150 && pid === 0; i++) {
      pid = Number((await readFile(pidFile, 'utf8').catch(() => '0')).trim());
      if (pid === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(pid).toBeGreaterThan(0);
    expect((await api('POST', `/api/v1/jobs/${id}/cancel`)).json.status).toBe('CANCELED');
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
    expect((await api('GET', `/api/v1/jobs/${id}`)).json.status).toBe('CANCELED');
  }, WAIT);

  it('requeues a job whose input is missing, then fails it after RETRIES', async () => {
    const submitted = await api('POST', '/api/v1/jobs', { mrsl: '::EXECUTE::\ntrue\n\n::INPUTFILES::\nno-such-file.txt\n\n::RETRIES::\n1\n' });
    const id = String(submitted.json.id);
    const done = await waitFor(id, ['FAILED', 'FINISHED']);
    expect(done.status).toBe('FAILED');
    expect(done.retryCount).toBe(2);
    expect(String(done.failureMessage)).toMatch(/exit code 3/);
  }, WAIT);

  it('refuses wrong resource tokens and stale job sessions', async () => {
    const res = await send('POST', '/api/v1/agent/work', {
      headers: { authorization: `Bearer migres_local1_${'A'.repeat(43)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ unit: 'exe0', capacity: { cpuTimeSeconds: 1, nodeCount: 1, cpuCount: 1, memoryMb: 1, diskGb: 1 } }),
    });
    expect(res.status).toBe(401);
    expect((await send('GET', `/sid_redirect/${'a'.repeat(64)}/data/numbers.txt`)).status).toBe(404);
    expect((await send('PUT', `/sid_redirect/${'b'.repeat(64)}/planted.txt`, { body: 'x' })).status).toBe(404);
    expect((await send('GET', '/sid_redirect/../../etc/passwd')).status).toBe(404);
    await expect(readFile(join(home, 'planted.txt'))).rejects.toThrow(/ENOENT/);
  });
});
