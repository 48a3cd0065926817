/**
 * The generated job script, run for real with `sh` and `curl` against a small HTTP server that
 * plays the site's `/sid_redirect/<session-id>/…` file traffic.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseMrsl } from '@migrid/core';
import { generateJobScript, shellQuote } from '../src/job-script/generate-job-script.js';

const SID = randomBytes(32).toString('hex');
const JOB = '7_11_28_2026__10_00_00_testhost.0';

/** The site's side: files in the owner's home, and what the job uploaded (in order). */
const home = new Map<string, Buffer>();
const uploads: { path: string; body: Buffer }[] = [];
/** Paths whose next PUT the test server refuses once (a flaky upload). */
const failPutOnce = new Set<string>();
let connections = 0;
let server: Server;
let siteUrl: string;
let work: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const prefix = `/sid_redirect/${SID}/`;
    if (!url.pathname.startsWith(prefix)) {
      res.statusCode = 403;
      res.end('wrong session');
      return;
    }
    const path = url.pathname.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
    if (req.method === 'GET') {
      const body = home.get(path);
      res.statusCode = body === undefined ? 404 : 200;
      res.end(body ?? 'not found');
      return;
    }
    if (req.method === 'PUT') {
      if (failPutOnce.delete(path)) {
        req.resume();
        // Not one of curl's transient codes, so only the script's own fallback sends it again.
        res.statusCode = 409;
        res.end('refused once');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        uploads.push({ path, body: Buffer.concat(chunks) });
        res.statusCode = 201;
        res.end();
      });
      return;
    }
    res.statusCode = 405;
    res.end();
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
afterEach(async () => {
  uploads.length = 0;
  failPutOnce.clear();
  connections = 0;
  home.clear();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** Writes and runs the script in a fresh folder; returns its exit code and output. */
async function runScript(script: string, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  work = await mkdtemp(join(tmpdir(), 'mig-jobscript-'));
  await writeFile(join(work, 'job.sh'), script, { mode: 0o700 });
  const child = spawn('sh', ['job.sh'], { cwd: work, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, ...env } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stderr };
}

const uploaded = (path: string): string | undefined => uploads.find((u) => u.path === path)?.body.toString();

describe('the generated job script', () => {
  it('fetches inputs and executables, runs the job with its environment, uploads outputs and ends with .status', async () => {
    const spec = parseMrsl(
      [
        '::EXECUTE::',
        './double.sh input.txt > result.txt',
        'echo "job $MIG_JOBID on $MIG_EXEUNIT with $GREETING"',
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
        'GREETING=hello $(touch pwned) \'quoted\'',
        '',
        '::CPUTIME::',
        '60',
      ].join('\n'),
    );
    home.set('data/ïn+put&%.txt', Buffer.from('21\n'));
    home.set('bin/double.sh', Buffer.from('#!/bin/sh\nread n < "$1"; echo $((n * 2))\n'));
    const script = generateJobScript({ jobId: JOB, sessionId: SID, siteUrl, spec, submitUser: '/C=DK/CN=Jane Doe', unitName: 'exe0' });
    const { code, stderr } = await runScript(script);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(uploads.map((u) => u.path)).toContain('results/run+1/résumé.txt');
    expect(uploaded('results/run+1/résumé.txt')).toBe('42\n');
    expect(uploaded(`job_output/${JOB}/${JOB}.stdout`)).toBe(`job ${JOB} on exe0 with hello $(touch pwned) 'quoted'\n`);
    expect(uploaded(`job_output/${JOB}/${JOB}.stderr`)).toBe('to-stderr\n');
    const status = uploaded(`job_output/${JOB}/${JOB}.status`) ?? '';
    expect(status.split('\n')).toEqual(['./double.sh input.txt > result.txt 0', 'echo "job $MIG_JOBID on $MIG_EXEUNIT with $GREETING" 0', 'echo to-stderr >&2 0', 'false 1', '']);
    const io = uploaded(`job_output/${JOB}/${JOB}.io-status`) ?? '';
    expect(io).toContain('get input.txt 0');
    expect(io).toContain('get double.sh 0');
    expect(io).toContain('send result.txt 0');
    expect(io).toContain('send never-made.txt missing');
    // The environment value was data, not code; the status file came last.
    await expect(readFile(join(work, 'pwned'))).rejects.toThrow(/ENOENT/);
    expect(uploads.at(-1)?.path).toBe(`job_output/${JOB}/${JOB}.status`);
  }, 30_000);

  it('stops before running anything when an input cannot be fetched, and reports nothing as finished', async () => {
    const spec = parseMrsl('::EXECUTE::\ntouch ran\n\n::INPUTFILES::\nmissing.txt\n');
    const { code } = await runScript(generateJobScript({ jobId: JOB, sessionId: SID, siteUrl, spec, submitUser: 'u', unitName: 'exe0' }));
    expect(code).toBe(3);
    await expect(readFile(join(work, 'ran'))).rejects.toThrow(/ENOENT/);
    expect(uploads).toEqual([]);
  }, 30_000);

  it('fetches all inputs over one connection and sends all results over another, the status last', async () => {
    home.set('a.txt', Buffer.from('A'));
    home.set('b.txt', Buffer.from('B'));
    home.set('tool.sh', Buffer.from('#!/bin/sh\ncat "$@"\n'));
    const spec = parseMrsl('::EXECUTE::\n./tool.sh a.txt b.txt\n\n::INPUTFILES::\na.txt\nb.txt\n\n::EXECUTABLES::\ntool.sh\n');
    const { code, stderr } = await runScript(generateJobScript({ jobId: JOB, sessionId: SID, siteUrl, spec, submitUser: 'u', unitName: 'exe0' }));
    expect(code, stderr).toBe(0);
    expect(connections).toBe(2);
    expect(uploaded(`job_output/${JOB}/${JOB}.stdout`)).toBe('AB');
    expect(uploaded(`job_output/${JOB}/${JOB}.io-status`)).toBe('get a.txt 0\nget b.txt 0\nget tool.sh 0\n');
    expect(uploads.at(-1)?.path).toBe(`job_output/${JOB}/${JOB}.status`);
  }, 30_000);

  it('when one of several inputs is missing, notes which and stops before running anything', async () => {
    home.set('a.txt', Buffer.from('A'));
    const spec = parseMrsl('::EXECUTE::\ntouch ran\n\n::INPUTFILES::\na.txt\nmissing.txt\n');
    const { code, stderr } = await runScript(generateJobScript({ jobId: JOB, sessionId: SID, siteUrl, spec, submitUser: 'u', unitName: 'exe0' }));
    expect(code).toBe(3);
    expect(stderr).toContain('could not fetch missing.txt');
    await expect(readFile(join(work, 'ran'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(work, 'a.txt'), 'utf8')).toBe('A');
    const notes = await readFile(join(work, `${JOB}.io-status`), 'utf8');
    expect(notes).toMatch(/^get a\.txt 0\nget missing\.txt [1-9]\d*\n$/);
    expect(uploads).toEqual([]);
  }, 30_000);

  it('when a result upload fails, sends them again one by one and still ends with the status', async () => {
    failPutOnce.add(`job_output/${JOB}/${JOB}.stderr`);
    const spec = parseMrsl('::EXECUTE::\necho out\necho err >&2\n');
    const { code, stderr } = await runScript(generateJobScript({ jobId: JOB, sessionId: SID, siteUrl, spec, submitUser: 'u', unitName: 'exe0' }));
    expect(code, stderr).toBe(0);
    expect(uploaded(`job_output/${JOB}/${JOB}.stderr`)).toBe('err\n');
    // stdout went up in the batch and again in the one-by-one fallback.
    expect(uploads.filter((u) => u.path.endsWith('.stdout'))).toHaveLength(2);
    // The status went up once, last, after everything else.
    expect(uploads.filter((u) => u.path.endsWith('.status'))).toHaveLength(1);
    expect(uploads.at(-1)?.path).toBe(`job_output/${JOB}/${JOB}.status`);
  }, 30_000);

  it('exits non-zero when the status upload fails (so the site can requeue the job)', async () => {
    const spec = parseMrsl('::EXECUTE::\ntrue\n');
    const script = generateJobScript({ jobId: JOB, sessionId: SID, siteUrl: `${siteUrl}/elsewhere`, spec, submitUser: 'u', unitName: 'exe0' });
    const { code } = await runScript(script.replace(SID, 'f'.repeat(64)));
    expect(code).toBe(4);
  }, 30_000);

  it('refuses hostile ids, URLs and names instead of writing them into the script', () => {
    const spec = parseMrsl('::EXECUTE::\ntrue\n');
    const base = { jobId: JOB, sessionId: SID, siteUrl, spec, submitUser: 'u', unitName: 'exe0' };
    expect(() => generateJobScript({ ...base, jobId: "x'; rm -rf /" })).toThrow(/job id/);
    expect(() => generateJobScript({ ...base, sessionId: 'abc' })).toThrow(/session id/);
    expect(() => generateJobScript({ ...base, siteUrl: 'file:///etc/passwd' })).toThrow(/http/);
    expect(() => generateJobScript({ ...base, runtimeEnvironment: [{ name: 'BAD NAME', value: 'x' }] })).toThrow(/shell name/);
    expect(() => generateJobScript({ ...base, spec: { ...spec, EXECUTE: ['echo a\nrm -rf ~'] } })).toThrow(/line break/);
    expect(() => generateJobScript({ ...base, spec: { ...spec, INPUTFILES: [{ source: 'a', destination: '../../etc/x' }] } })).toThrow(/job folder/);
    expect(() => generateJobScript({ ...base, spec: { ...spec, OUTPUTFILES: [{ source: 'a', destination: '../other-home/x' }] } })).toThrow(/climbs/);
  });

  it('quotes any text for sh', async () => {
    for (const text of ["it's", '$(id) `id` $HOME', 'back\\slash \\n', 'ünïcødé ✓', '']) {
      work = await mkdtemp(join(tmpdir(), 'mig-quote-'));
      const out = await new Promise<string>((resolve) => {
        const child = spawn('sh', ['-c', `printf '%s' ${shellQuote(text)}`]);
        let s = '';
        child.stdout.on('data', (d: Buffer) => (s += d.toString()));
        child.on('close', () => resolve(s));
      });
      expect(out).toBe(text);
      await rm(work, { recursive: true, force: true });
    }
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});
