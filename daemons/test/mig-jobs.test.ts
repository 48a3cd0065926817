/**
 * The jobs contract from the outside, as an admin, a resource owner and a researcher meet it:
 * `mig resource add` prints the agent token alone on its last line; `mig start` runs grid_script;
 * `mig-resource run --site URL --token TOKEN --ca FILE` pulls and runs a job submitted through the
 * API; the job ends FINISHED with its stdout in `job_output/<id>/`.
 */
import { request } from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initWebOnlySite } from '../../test/support/mig-init.js';
import { MIG_ENTRY, REPO_ROOT, runMig, runTs, startUntil as startIn } from '../../test/support/run-mig.js';

const AGENT_ENTRY = join(REPO_ROOT, 'packages', 'scheduler', 'src', 'bin', 'mig-resource.ts');
const GRID_WEB_ENTRY = join(REPO_ROOT, 'daemons', 'src', 'bin', 'grid_web.ts');
const GRID_SCRIPT_ENTRY = join(REPO_ROOT, 'daemons', 'src', 'bin', 'grid_script.ts');
const MIGUSER_ENTRY = join(REPO_ROOT, 'packages', 'client', 'src', 'miguser.ts');
const PASSWORD = 'Correct-Horse-7';
const EMAIL = 'jobs-owner@example.org';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-jobs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function https(port: number, ca: Buffer, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (text !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, path, method, ca, headers }, (res) => {
      let out = '';
      res.on('data', (d: Buffer) => (out += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(out === '' ? '{}' : out) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(text);
  });
}


const startUntil = (entry: string, args: string[], ready: string, env?: NodeJS.ProcessEnv) => startIn(entry, args, ready, { cwd: dir, ...(env === undefined ? {} : { env }) });

describe('jobs through mig, mig-resource and the API', () => {
  it('registers a resource, runs its agent and finishes a submitted job', async () => {
    const web = await initWebOnlySite(dir, { email: EMAIL, password: PASSWORD });
    const added = await runMig(['resource', 'add', '--name', 'cli-res', '--owner', EMAIL, '--units', '1'], { cwd: dir });
    expect(added.code, added.stderr).toBe(0);
    const token = added.stdout.trim().split('\n').at(-1) ?? '';
    expect(token).toMatch(/^migres_cli-res_[A-Za-z0-9_-]{43}$/);
    const bad = await runMig(['resource', 'add', '--name', 'cli-res', '--owner', EMAIL], { cwd: dir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('exists already');

    const site = await startUntil(MIG_ENTRY, ['start'], 'Ready.');
    try {
      expect(site.out()).toContain('grid_script');
      const caFile = join(dir, 'state', 'certs', 'ca.pem');
      const ca = await readFile(caFile);
      const agent = await startUntil(AGENT_ENTRY, ['run', '--site', `https://localhost:${web}`, '--ca', caFile, '--work-dir', join(dir, 'agent-work')], 'asking', { ...process.env, MIG_RESOURCE_TOKEN: token });
      try {
        // The researcher's side: miguser login, submit, status --json, output.
        const conf = join(dir, 'miguser.conf');
        const miguser = (args: string[], stdin?: string) => runTs(MIGUSER_ENTRY, args, { cwd: dir, env: { MIGUSER_CONF: conf }, ...(stdin === undefined ? {} : { stdin }) });
        const login = await miguser(['login', `https://localhost:${web}`, '--username', EMAIL, '--ca', caFile], `${PASSWORD}\n`);
        expect(login.code, login.stderr).toBe(0);
        await writeFile(join(dir, 'hello.mRSL'), '::EXECUTE::\necho "hello from +JOBID+"\n');
        const submitted = await miguser(['submit', 'hello.mRSL']);
        expect(submitted.code, submitted.stderr).toBe(0);
        const id = submitted.stdout.trim().split('\n').at(-1) ?? '';
        expect(id).toMatch(/^\d+_\d+_\d+_\d+__\d+_\d+_\d+_/);
        let status = '';
        for (let i = 0; i < 150 && status !== 'FINISHED' && status !== 'FAILED'; i++) {
          const shown = await miguser(['status', id, '--json']);
          const job = JSON.parse(shown.stdout) as { id: string; status: string };
          expect(job.id).toBe(id);
          status = job.status;
          if (status !== 'FINISHED') await new Promise((r) => setTimeout(r, 300));
        }
        expect(status, agent.out()).toBe('FINISHED');
        const output = await miguser(['output', id]);
        expect(output.stdout).toBe(`hello from ${id}\n`);
        // The API answers the same, with a token of its own.
        const apiLogin = await https(web, ca, 'POST', '/api/v1/auth/token', { username: EMAIL, password: PASSWORD, name: 'test', scopes: ['jobs:read'] });
        expect(apiLogin.status).toBe(201);
        const viaApi = await https(web, ca, 'GET', `/api/v1/jobs/${encodeURIComponent(id)}`, undefined, String(apiLogin.json.token));
        expect(viaApi.json.status).toBe('FINISHED');
      } finally {
        expect(await agent.stop()).toBe(0);
      }
    } finally {
      expect(await site.stop()).toBe(0);
    }
    const listed = await runMig(['resource', 'list', '--json'], { cwd: dir });
    const resources = JSON.parse(listed.stdout) as { id: string; lastSeenAt: number | null }[];
    expect(resources[0]?.id).toBe('cli-res');
    expect(resources[0]?.lastSeenAt).not.toBeNull();
  }, 180_000);

  it('runs grid_script and grid_web as separate processes: agents reach the engine through grid_web, and a second grid_script is refused', async () => {
    const web = await initWebOnlySite(dir, { email: EMAIL, password: PASSWORD });
    const added = await runMig(['resource', 'add', '--name', 'split-res', '--owner', EMAIL, '--units', '1'], { cwd: dir });
    expect(added.code, added.stderr).toBe(0);
    const token = added.stdout.trim().split('\n').at(-1) ?? '';
    const caFile = join(dir, 'state', 'certs', 'ca.pem');
    const ca = await readFile(caFile);
    // grid_web first: until grid_script runs, agents are told the grid is unavailable (503), not refused.
    const portal = await startUntil(GRID_WEB_ENTRY, [], 'grid_web listening');
    try {
      const early = await https(web, ca, 'POST', '/api/v1/agent/work', { unit: 'exe0', capacity: { cpuTimeSeconds: 60, nodeCount: 1, cpuCount: 1, memoryMb: 64, diskGb: 1 }, running: [] }, token);
      expect(early.status).toBe(503);
      expect(early.json.code).toBe('MIG_E_GRID_UNAVAILABLE');
      const engine = await startUntil(GRID_SCRIPT_ENTRY, [], 'grid_script listening');
      try {
        expect(engine.out()).toContain('grid_script.sock');
        const second = await runTs(GRID_SCRIPT_ENTRY, [], { cwd: dir, timeoutMs: 30_000 });
        expect(second.code).not.toBe(0);
        expect(second.stderr).toContain('MIG_E_ENGINE_RUNNING');
        const agent = await startUntil(AGENT_ENTRY, ['run', '--site', `https://localhost:${web}`, '--ca', caFile, '--work-dir', join(dir, 'agent-work')], 'asking', { ...process.env, MIG_RESOURCE_TOKEN: token });
        try {
          const login = await https(web, ca, 'POST', '/api/v1/auth/token', { username: EMAIL, password: PASSWORD, name: 'split', scopes: ['jobs:write'] });
          expect(login.status).toBe(201);
          const submitted = await https(web, ca, 'POST', '/api/v1/jobs', { mrsl: '::EXECUTE::\necho split +JOBID+\n' }, String(login.json.token));
          expect(submitted.status, JSON.stringify(submitted.json)).toBe(201);
          const id = String(submitted.json.id);
          let status = '';
          for (let i = 0; i < 200 && status !== 'FINISHED' && status !== 'FAILED'; i++) {
            status = String((await https(web, ca, 'GET', `/api/v1/jobs/${encodeURIComponent(id)}`, undefined, String(login.json.token))).json.status);
            if (status !== 'FINISHED') await new Promise((r) => setTimeout(r, 300));
          }
          expect(status, `${agent.out()}\n${engine.out()}`).toBe('FINISHED');
        } finally {
          expect(await agent.stop()).toBe(0);
        }
      } finally {
        expect(await engine.stop()).toBe(0);
      }
    } finally {
      expect(await portal.stop()).toBe(0);
    }
  }, 180_000);
});
