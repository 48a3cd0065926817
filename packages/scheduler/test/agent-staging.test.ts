/**
 * Agent-side staging (`transfers: 'agent'`): the manifest the engine generates, the agent's check
 * of it as hostile input, and the agent's fetches and sends against a small HTTP server that plays
 * the site's `/sid_redirect/<session-id>/…` file traffic, with the commands run for real by `sh`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMrsl, type StagedJob } from '@migrid/core';
import { LocalExecutor } from '../src/executors/local-executor.js';
import { fetchInputs, sendResults, type StagingContext } from '../src/agent/job-staging.js';
import { ResourceAgent } from '../src/agent/resource-agent.js';
import { SiteClient } from '../src/agent/site-client.js';
import { checkJobId, checkSessionId, checkStagedJob, MAX_STAGED_FILES } from '../src/agent/staged-job-manifest.js';
import { generateStagedJob } from '../src/job-script/generate-staged-job.js';
import { codeOf } from '../../../test/support/errors.js';

const SID = randomBytes(32).toString('hex');
const JOB = '7_11_28_2026__10_00_00_testhost.0';

const home = new Map<string, Buffer>();
const uploads: { path: string; body: Buffer }[] = [];
/** Paths whose next request the server answers with this status once. */
const failOnce = new Map<string, number>();
let server: Server;
let client: SiteClient;
let work: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const prefix = `/sid_redirect/${SID}/`;
    if (!url.pathname.startsWith(prefix)) {
      res.statusCode = 404;
      res.end('no such session');
      return;
    }
    const path = url.pathname.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
    const failure = failOnce.get(path);
    if (failure !== undefined) {
      failOnce.delete(path);
      req.resume();
      res.statusCode = failure;
      res.end('refused once');
      return;
    }
    if (req.method === 'GET') {
      const body = home.get(path);
      res.statusCode = body === undefined ? 404 : 200;
      res.end(body ?? 'not found');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      uploads.push({ path, body: Buffer.concat(chunks) });
      res.statusCode = 201;
      res.end('0\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new SiteClient(new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}`));
});
afterAll(async () => {
  client.close();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(async () => {
  uploads.length = 0;
  failOnce.clear();
  home.clear();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

function staged(mrsl: string): StagedJob {
  return generateStagedJob({ jobId: JOB, sessionId: SID, siteUrl: 'https://site.example.org', spec: parseMrsl(mrsl), submitUser: '/C=DK/CN=Jane Doe', unitName: 'exe0' });
}

async function context(signal = new AbortController().signal): Promise<StagingContext> {
  work = await mkdtemp(join(tmpdir(), 'mig-staging-'));
  return { client, jobId: JOB, sessionId: SID, dir: work, signal, retryDelayMs: 10 };
}

/** Runs the commands script with sh in the job folder, as the local executor would. */
async function runCommands(dir: string, commands: string): Promise<number | null> {
  await writeFile(join(dir, '.mig-commands.sh'), commands, { mode: 0o700 });
  const child = spawn('/bin/sh', ['.mig-commands.sh'], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
  return new Promise((resolve) => child.on('close', resolve));
}

const uploaded = (path: string): string | undefined => uploads.find((u) => u.path === path)?.body.toString();

describe('agent-staged jobs', () => {
  it('fetch inputs, run only the commands, send outputs and results with .status last', async () => {
    const job = staged(
      [
        '::EXECUTE::',
        './double.sh input.txt > result.txt',
        'echo "job $MIG_JOBID in $MIG_JOBDIR with $GREETING"',
        'echo to-stderr >&2',
        'false',
        '',
        '::INPUTFILES::',
        'data/ïn+put&%.txt input.txt',
        '',
        '::EXECUTABLES::',
        'bin/double.sh double.sh',
        '',
        '::OUTPUTFILES::',
        'result.txt results/run+1/résumé.txt',
        'never-made.txt',
        '',
        '::ENVIRONMENT::',
        "GREETING=hello $(touch pwned) 'quoted'",
      ].join('\n'),
    );
    expect(job.commands).not.toContain('curl');
    expect(job.inputs).toEqual([
      { kind: 'session', source: 'data/%C3%AFn%2Bput%26%25.txt', destination: 'input.txt', executable: false },
      { kind: 'session', source: 'bin/double.sh', destination: 'double.sh', executable: true },
    ]);
    home.set('data/ïn+put&%.txt', Buffer.from('21\n'));
    home.set('bin/double.sh', Buffer.from('#!/bin/sh\nread n < "$1"; echo $((n * 2))\n'));
    const ctx = await context();
    const notes: string[] = [];
    expect(await fetchInputs(ctx, job.inputs, notes)).toEqual({ ok: true });
    expect(((await stat(join(ctx.dir, 'double.sh'))).mode & 0o100) !== 0).toBe(true);
    expect(await runCommands(ctx.dir, checkStagedJob(job).commands)).toBe(0);
    expect(await sendResults(ctx, job.outputs, notes)).toEqual({ ok: true });
    expect(uploaded('results/run+1/résumé.txt')).toBe('42\n');
    expect(uploaded(`job_output/${JOB}/${JOB}.stdout`)).toBe(`job ${JOB} in ${ctx.dir} with hello $(touch pwned) 'quoted'\n`);
    expect(uploaded(`job_output/${JOB}/${JOB}.stderr`)).toBe('to-stderr\n');
    expect(uploaded(`job_output/${JOB}/${JOB}.status`)?.split('\n')).toEqual(['./double.sh input.txt > result.txt 0', 'echo "job $MIG_JOBID in $MIG_JOBDIR with $GREETING" 0', 'echo to-stderr >&2 0', 'false 1', '']);
    expect(uploaded(`job_output/${JOB}/${JOB}.io-status`)).toBe('get input.txt 0\nget double.sh 0\nsend result.txt 0\nsend never-made.txt missing\n');
    await expect(readFile(join(ctx.dir, 'pwned'))).rejects.toThrow(/ENOENT/);
    expect(uploads.at(-1)?.path).toBe(`job_output/${JOB}/${JOB}.status`);
  }, 30_000);

  it('stops at a missing input: noted, nothing sent, the reason names the file', async () => {
    home.set('a.txt', Buffer.from('A'));
    const job = staged('::EXECUTE::\ntouch ran\n\n::INPUTFILES::\na.txt\nmissing.txt\nb.txt\n');
    const ctx = await context();
    const notes: string[] = [];
    const result = await fetchInputs(ctx, job.inputs, notes);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(/could not fetch missing\.txt: HTTP 404/);
    expect(notes).toEqual(['get a.txt 0', 'get missing.txt 22']);
    expect(uploads).toEqual([]);
  }, 30_000);

  it('tries transient failures again (503 once) but not refusals, and fails when the .status cannot be sent', async () => {
    home.set('in.txt', Buffer.from('x'));
    failOnce.set('in.txt', 503);
    failOnce.set(`job_output/${JOB}/${JOB}.stdout`, 502);
    const job = staged('::EXECUTE::\necho out\n\n::INPUTFILES::\nin.txt\n');
    const ctx = await context();
    const notes: string[] = [];
    expect(await fetchInputs(ctx, job.inputs, notes)).toEqual({ ok: true });
    expect(await runCommands(ctx.dir, job.commands)).toBe(0);
    failOnce.set(`job_output/${JOB}/${JOB}.status`, 409);
    const sent = await sendResults(ctx, job.outputs, notes);
    expect(sent.ok).toBe(false);
    expect(sent.ok ? '' : sent.reason).toMatch(/\.status.*HTTP 409/);
    expect(uploaded(`job_output/${JOB}/${JOB}.stdout`)).toBe('out\n');
    expect(uploads.some((u) => u.path.endsWith('.status'))).toBe(false);
  }, 30_000);

  it('gives up every transfer when cancelled', async () => {
    home.set('in.txt', Buffer.from('x'));
    const abort = new AbortController();
    abort.abort();
    const ctx = await context(abort.signal);
    const notes: string[] = [];
    const result = await fetchInputs(ctx, staged('::EXECUTE::\ntrue\n\n::INPUTFILES::\nin.txt\n').inputs, notes);
    expect(result.ok).toBe(false);
    expect(uploads).toEqual([]);
  });

  it('refuses hostile manifests and ids from the site', async () => {
    const good = staged('::EXECUTE::\ntrue\n\n::INPUTFILES::\na.txt\n\n::OUTPUTFILES::\nr.txt\n');
    expect(checkStagedJob(good)).toEqual(good);
    const input = good.inputs[0] as StagedJob['inputs'][number];
    const output = good.outputs[0] as StagedJob['outputs'][number];
    const bad: unknown[] = [
      null,
      [],
      { ...good, inputs: 'a' },
      { ...good, commands: '' },
      { ...good, commands: 'echo \0' },
      { ...good, commands: 'x'.repeat(16 * 1024 * 1024 + 1) },
      { ...good, inputs: Array.from({ length: MAX_STAGED_FILES + 1 }, () => input) },
      ...['../x', '/etc/passwd', 'a/../../x', '', 'a//b', './a', 'a\nb', 'x'.repeat(5000)].map((destination) => ({ ...good, inputs: [{ ...input, destination }] })),
      ...['../x', '/abs', 'a/../b'].map((source) => ({ ...good, outputs: [{ ...output, source }] })),
      ...['..', 'a/%2e%2e/b', 'a/%2E%2E', 'a/%2Fetc', 'a b', 'a/%zz', '%00'].map((source) => ({ ...good, inputs: [{ ...input, source }] })),
      ...['file:///etc/passwd', 'gopher://x', 'not a url', 'http://x/a b'].map((source) => ({ ...good, inputs: [{ ...input, kind: 'url', source }] })),
      { ...good, inputs: [{ ...input, kind: 'local' }] },
      { ...good, inputs: [{ ...input, executable: 'yes' }] },
      { ...good, outputs: [{ ...output, kind: 'url', destination: 'file:///tmp/x' }] },
    ];
    for (const manifest of bad) expect(await codeOf(Promise.resolve().then(() => checkStagedJob(manifest)))).toBe('MIG_E_INVALID_INPUT');
    for (const id of ['../x', '.hidden', '-rf', 'a/b', '', 'x'.repeat(129), 7]) expect(() => checkJobId(id)).toThrow(/job id/);
    for (const sid of ['A'.repeat(64), 'a'.repeat(63), '../x', undefined]) expect(() => checkSessionId(sid)).toThrow(/session id/);
    // Only the checked fields are kept.
    expect(checkStagedJob({ ...good, extra: 'x', inputs: [{ ...input, extra: 1 }] })).toEqual(good);
  });

  it('an agent given a hostile manifest runs nothing, writes nothing outside its folder and reports the failure', async () => {
    work = await mkdtemp(join(tmpdir(), 'mig-hostile-'));
    const failures: { path: string; body: { sessionId: string; reason: string } }[] = [];
    const fetched: string[] = [];
    let handed = false;
    const manifest = { ...staged('::EXECUTE::\ntouch ran\n'), inputs: [{ kind: 'session', source: 'a.txt', destination: '../../escaped.txt', executable: false }] };
    const fake = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '';
        res.setHeader('content-type', 'application/json');
        if (url.startsWith('/sid_redirect/')) {
          fetched.push(url);
          res.end('planted');
        } else if (url === '/api/v1/agent/work') {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { transfers?: string };
          const job = !handed && body.transfers === 'agent' ? { id: JOB, name: 'x', sessionId: SID, script: '#!/bin/sh\ntouch ran\n', staged: manifest, limits: { cpuTimeSeconds: 60, wallTimeSeconds: 60, memoryMb: 0, cpus: 1, nodes: 1 } } : null;
          handed = handed || job !== null;
          res.end(JSON.stringify({ job, retryAfterSeconds: 1, cancel: [] }));
        } else if (url.endsWith('/failed')) {
          failures.push({ path: url, body: JSON.parse(Buffer.concat(chunks).toString()) as { sessionId: string; reason: string } });
          res.end(JSON.stringify({ id: JOB, state: 'QUEUED' }));
        } else {
          res.end(JSON.stringify({ job: null, retryAfterSeconds: 1, cancel: [] }));
        }
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const agentDir = join(work, 'a', 'b');
    const agent = new ResourceAgent({
      siteUrl: `http://127.0.0.1:${(fake.address() as { port: number }).port}`,
      token: 'migres_x_y',
      executor: new LocalExecutor(),
      units: [{ name: 'exe0', capacity: { cpuTimeSeconds: 60, nodeCount: 1, cpuCount: 1, memoryMb: 64, diskGb: 1 } }],
      workDir: agentDir,
      heartbeatMs: 100,
    });
    try {
      await agent.start();
      for (let i = 0; i < 100 && failures.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await agent.stop();
      await new Promise((resolve) => fake.close(resolve));
    }
    expect(failures).toHaveLength(1);
    expect(failures[0]?.path).toBe(`/api/v1/agent/jobs/${JOB}/failed`);
    expect(failures[0]?.body.sessionId).toBe(SID);
    expect(failures[0]?.body.reason).toMatch(/not a plain relative path/);
    expect(fetched).toEqual([]);
    await expect(stat(join(work, 'a', 'escaped.txt'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(work, 'escaped.txt'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(agentDir, JOB, 'ran'))).rejects.toThrow(/ENOENT/);
  }, 30_000);
});
