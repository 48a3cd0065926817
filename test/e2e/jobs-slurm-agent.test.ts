/**
 * The same job end to end as `jobs-local-agent.test.ts`, with the agent's Slurm executor against a
 * real private single-node Slurm: the job goes through `sbatch`, its outputs, stdout and `.status`
 * land in `job_output/<id>/`, and it is FINISHED. A job cancelled while it runs in Slurm is really
 * gone: `squeue` no longer lists it and its process has ended.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GridEngine, ResourceAgent, SlurmExecutor } from '@migrid/scheduler';
import { WebServer } from '@migrid/web';
import { skipWithoutSlurm, startSlurm, type TestSlurm } from '../support/slurm.js';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';

const WAIT = 120_000;
const exec = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const skip = skipWithoutSlurm();

describe.skipIf(skip)('a job on a resource with the Slurm executor', () => {
  let t: TestSite;
  let slurm: TestSlurm;
  let engine: GridEngine;
  let server: WebServer;
  let agent: ResourceAgent;
  let base: string;
  let ca: Buffer;
  let token: string;
  let home: string;
  let work: string;

  function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (text !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      const req = request(`${base}${path}`, { method, ca, headers }, (res) => {
        let out = '';
        res.on('data', (d: Buffer) => (out += d.toString()));
        res.on('end', () => resolve(JSON.parse(out) as Record<string, unknown>));
      });
      req.on('error', reject);
      req.end(text);
    });
  }

  beforeAll(async () => {
    slurm = await startSlurm();
    t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
    let port = 0;
    engine = new GridEngine({ site: t.site, siteUrl: () => `https://localhost:${port}`, sweepIntervalMs: 500, idleRetrySeconds: 1 });
    await engine.start();
    server = new WebServer({ site: t.site, grid: engine });
    port = (await server.listen(0, '127.0.0.1')).port;
    base = `https://localhost:${port}`;
    ca = await readFile(t.caCertPath);
    const u = await createTestUser(t.site);
    home = await t.site.users.homeDir(u.user.id);
    token = (await t.site.apiTokens.create(u.user.id, { name: 'test', scopes: ['jobs:write'] })).token;
    const added = await t.site.resources.add({ name: 'slurm1', ownerId: u.user.id, units: 1, executor: 'slurm' });
    work = await mkdtemp(join(tmpdir(), 'mig-slurm-agent-'));
    agent = new ResourceAgent({
      siteUrl: base,
      token: added.token,
      executor: new SlurmExecutor({ slurmConf: slurm.conf, pollIntervalMs: { min: 200, max: 1000 } }),
      units: [{ name: 'exe0', capacity: { cpuTimeSeconds: 3600, nodeCount: 1, cpuCount: 1, memoryMb: 1024, diskGb: 10 } }],
      workDir: join(work, 'agent'),
      caFile: t.caCertPath,
      heartbeatMs: 500,
    });
    await agent.start();
  }, WAIT);
  afterAll(async () => {
    await agent?.stop({ cancelRunning: true });
    await server?.close();
    await engine?.stop();
    await t?.close();
    await slurm?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('runs the job through sbatch and lands its results', async () => {
    await mkdir(join(home, 'data'), { recursive: true });
    await writeFile(join(home, 'data', 'in.txt'), 'slurm input\n');
    const mrsl = '::EXECUTE::\ntr a-z A-Z < in.txt > out.txt\necho "ran in slurm job $SLURM_JOB_ID"\n\n::INPUTFILES::\ndata/in.txt in.txt\n\n::OUTPUTFILES::\nout.txt results/out.txt\n\n::ENVIRONMENT::\nX=1\n\n::CPUTIME::\n120\n';
    const id = String((await api('POST', '/api/v1/jobs', { mrsl })).id);
    let job: Record<string, unknown> = {};
    for (let i = 0; i < 400; i++) {
      job = await api('GET', `/api/v1/jobs/${id}`);
      if (job.status === 'FINISHED' || job.status === 'FAILED') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(job.status, JSON.stringify(job).slice(0, 400)).toBe('FINISHED');
    expect(await readFile(join(home, 'results', 'out.txt'), 'utf8')).toBe('SLURM INPUT\n');
    expect(await readFile(join(home, 'job_output', id, `${id}.stdout`), 'utf8')).toMatch(/^ran in slurm job \d+\n$/);
    expect(await readFile(join(home, 'job_output', id, `${id}.status`), 'utf8')).toContain('tr a-z A-Z < in.txt > out.txt 0');
  }, WAIT);

  it('cancels a job while it runs in Slurm: squeue no longer lists it and its process is gone', async () => {
    const pidFile = join(work, 'slurm-job.pid');
    const id = String((await api('POST', '/api/v1/jobs', { mrsl: `::EXECUTE::\necho $$ > ${pidFile}; sleep 300\n\n::CPUTIME::\n600\n` })).id);
    /** Slurm job ids of the MiG job (the executor names them `mig-<job id>`). */
    const inSlurm = async (): Promise<string[]> => {
      const { stdout } = await exec('/usr/bin/squeue', ['-h', '-n', `mig-${id}`, '-o', '%i %T'], { env: { ...process.env, ...slurm.env } });
      return stdout.split('\n').filter((l) => l.trim() !== '');
    };
    let pid = 0;
    for (let i = 0; i < 400 && pid === 0; i++) {
      pid = Number((await readFile(pidFile, 'utf8').catch(() => '0')).trim());
      if (pid === 0) await sleep(250);
    }
    expect(pid).toBeGreaterThan(0);
    const listed = await inSlurm();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatch(/^\d+ RUNNING$/);
    expect((await api('POST', `/api/v1/jobs/${id}/cancel`)).status).toBe('CANCELED');
    let left = listed;
    for (let i = 0; i < 240 && left.length > 0; i++) {
      await sleep(250);
      left = (await inSlurm()).filter((l) => !/ (CANCELLED|COMPLETED|FAILED)$/.test(l));
    }
    expect(left).toEqual([]);
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(pid, 0);
        await sleep(100);
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
    expect((await api('GET', `/api/v1/jobs/${id}`)).status).toBe('CANCELED');
  }, WAIT);
});
