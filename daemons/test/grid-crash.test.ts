/**
 * The engine's crash safety from the outside: `mig start` (grid_script + grid_web) is killed with
 * SIGKILL while 1,000 jobs are being submitted and pulled by a resource agent with four units,
 * then started again. Every job the API acknowledged (201) must end FINISHED exactly once, and no
 * job may ever have been handed to two units at once (each dispatch is followed by its end or a
 * requeue before the next one). Runs with MIG_CRASH_TEST=1.
 */
import { request } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, openSite } from '@migrid/core';
import { initWebOnlySite } from '../../test/support/mig-init.js';
import { MIG_ENTRY, REPO_ROOT, runMig, spawnTs, startUntil } from '../../test/support/run-mig.js';

const AGENT_ENTRY = join(REPO_ROOT, 'packages', 'scheduler', 'src', 'bin', 'mig-resource.ts');
const PASSWORD = 'Correct-Horse-7';
const EMAIL = 'crash@example.org';
const JOBS = Number(process.env.MIG_CRASH_JOBS ?? 1000);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-crash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function post(port: number, ca: Buffer, path: string, body: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, path, method: 'POST', ca, headers, timeout: 20_000 }, (res) => {
      let out = '';
      res.on('data', (d: Buffer) => (out += d.toString()));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(out) as Record<string, unknown> });
        } catch {
          resolve({ status: res.statusCode ?? 0, json: {} });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(text);
  });
}

// Opt-in (MIG_CRASH_TEST=1): it loads the 2-core CI machine for 4-6 minutes, which in a full run
// pushed another test past its timeout; .ci/run runs it alone after the main run (257-342 s).
const enabled = process.env.MIG_CRASH_TEST === '1';
if (!enabled) console.warn('SKIPPED: the grid_script crash test (set MIG_CRASH_TEST=1 to run it)');

describe.skipIf(!enabled)('grid_script killed during submissions and pulls', () => {
  it(`loses no acknowledged job and runs none twice at once (${JOBS} jobs)`, async () => {
    const web = await initWebOnlySite(dir, { email: EMAIL, password: PASSWORD, fullName: 'Cra Sh' }, { logging: { level: 'warn' } });
    const added = await runMig(['resource', 'add', '--name', 'crash-res', '--owner', EMAIL, '--units', '4'], { cwd: dir });
    const resourceToken = added.stdout.trim().split('\n').at(-1) ?? '';
    const caFile = join(dir, 'state', 'certs', 'ca.pem');
    const ca = await readFile(caFile);

    let site = await startUntil(MIG_ENTRY, ['start'], 'Ready.', { cwd: dir });
    const agent = spawnTs(AGENT_ENTRY, ['run', '--site', `https://localhost:${web}`, '--ca', caFile, '--units', '4', '--work-dir', join(dir, 'agent')], { cwd: dir, env: { MIG_RESOURCE_TOKEN: resourceToken } });
    let agentLog = '';
    agent.stderr?.on('data', (d: Buffer) => (agentLog += d.toString()));
    const acknowledged = new Set<string>();
    try {
      const login = await post(web, ca, '/api/v1/auth/token', { username: EMAIL, password: PASSWORD, name: 'crash', scopes: ['jobs:write'] });
      expect(login.status).toBe(201);
      const token = String(login.json.token);

      // Submit with 8 in flight; kill -9 the site once a third are acknowledged, start it again.
      let next = 0;
      let killed = false;
      let down = false;
      const submitOne = async (): Promise<void> => {
        while (next < JOBS) {
          next += 1;
          if (down) {
            await new Promise((r) => setTimeout(r, 100));
            next -= 1;
            continue;
          }
          try {
            const r = await post(web, ca, '/api/v1/jobs', { mrsl: '::EXECUTE::\ntrue\n\n::CPUTIME::\n60\n' }, token);
            if (r.status === 201) acknowledged.add(String(r.json.id));
          } catch {
            // The site was down: not acknowledged (the job may or may not exist; either is fine).
          }
          if (!killed && acknowledged.size >= JOBS / 3) {
            killed = true;
            down = true;
            site.kill9();
            await site.exited;
            site = await startUntil(MIG_ENTRY, ['start'], 'Ready.', { cwd: dir });
            down = false;
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, submitOne));
      expect(killed).toBe(true);

      // Wait (bounded: the run time grows on a busy machine) until no acknowledged job is pending.
      const deadline = Date.now() + 900_000;
      let pending = [...acknowledged];
      while (pending.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 3000));
        const listed = await new Promise<string[]>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', servername: 'localhost', port: web, ca, path: '/api/v1/jobs?status=PARSE,QUEUED,RETRY,EXECUTING,FROZEN&limit=1000', headers: { authorization: `Bearer ${token}` } }, (res) => {
            let out = '';
            res.on('data', (d: Buffer) => (out += d.toString()));
            res.on('end', () => resolve(((JSON.parse(out) as { jobs?: { id: string }[] }).jobs ?? []).map((j) => j.id)));
          });
          req.on('error', reject);
          req.end();
        });
        const open = new Set(listed);
        pending = pending.filter((id) => open.has(id));
      }
      expect(pending, agentLog.slice(-2000)).toEqual([]);
    } finally {
      agent.kill('SIGINT');
      await new Promise((r) => agent.once('exit', r));
      await site.stop();
    }

    // The database's history: each acknowledged job FINISHED exactly once, dispatches never overlap.
    const s = await openSite(await loadConfig(join(dir, 'mig.toml')), { logger: pino({ level: 'silent' }) });
    try {
      for (const id of acknowledged) {
        const events = await s.jobs.history(id);
        const finished = events.filter((e) => e.toState === 'FINISHED').length;
        expect(finished, `${id}: ${events.map((e) => e.toState).join(' ')}`).toBe(1);
        let executing = false;
        for (const e of events) {
          if (e.toState === 'EXECUTING') {
            expect(executing, `${id} was handed out twice at once`).toBe(false);
            executing = true;
          } else if (executing) {
            executing = false;
          }
        }
      }
    } finally {
      await s.close();
    }
  }, 1_200_000);
});
