/**
 * `mig-resource` as the single file a resource owner copies to a front-end: the build's
 * `packages/scheduler/bundle/mig-resource.js`, copied alone into an empty folder (no
 * node_modules, no site code), runs a real job against a real site. The test uses the file the
 * last `npm run build` made: without one it is skipped with a note, and fails under CI.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMrsl } from '@migrid/core';
import type { GridEngine } from '@migrid/scheduler';
import { REPO_ROOT, runTs } from '../../../test/support/run-mig.js';
import { openGridTestSite, type GridTestSite } from '../../../test/support/grid-site.js';
import { createTestUser, type TestSite } from '../../../test/support/test-site.js';

const BUNDLE = join(REPO_ROOT, 'packages', 'scheduler', 'bundle', 'mig-resource.js');

async function bundleMissing(): Promise<string | undefined> {
  const found = await stat(BUNDLE).catch(() => undefined);
  if (found !== undefined) return undefined;
  const message = `${BUNDLE} is missing: run "npm run build" first`;
  if (process.env.CI === 'true') throw new Error(`${message} (required when CI=true)`);
  return message;
}

const missing = await bundleMissing();
if (missing !== undefined) console.warn(`agent-bundle.test.ts skipped: ${missing}`);

/** Runs `node FILE args` and collects its output. */
function runNode(file: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [file, ...args], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

describe.skipIf(missing !== undefined)('mig-resource, the single-file agent', () => {
  let g: GridTestSite;
  let t: TestSite;
  let engine: GridEngine;
  let alone: string;
  let base: string;

  beforeAll(async () => {
    alone = await mkdtemp(join(tmpdir(), 'mig-agent-alone-'));
    await copyFile(BUNDLE, join(alone, 'mig-resource.js'));
    g = await openGridTestSite();
    ({ t, engine, base } = g);
  }, 60_000);
  afterAll(async () => {
    await g?.close();
    if (alone !== undefined) await rm(alone, { recursive: true, force: true });
  });

  it('is one file that needs nothing but Node.js built-ins', async () => {
    const code = await readFile(BUNDLE, 'utf8');
    expect(code.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const specifiers = [...code.matchAll(/\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|\brequire\s*\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
    expect(specifiers.length).toBeGreaterThan(0);
    const { builtinModules } = await import('node:module');
    const outside = specifiers.filter((s) => !builtinModules.includes(s.replace(/^node:/, '')));
    expect(outside).toEqual([]);
    expect(await readdir(alone)).toEqual(['mig-resource.js']);
  });

  it('explains its usage and refuses bad arguments, from an empty folder', async () => {
    const none = await runNode('mig-resource.js', [], alone);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: mig-resource run --site URL --token TOKEN');
    const bad = await runNode('mig-resource.js', ['run', '--site', 'ftp://x', '--token', 'nope'], alone);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('The site URL must be https://');
    expect(bad.stderr).not.toContain('    at ');
    const noCa = await runNode('mig-resource.js', ['run', '--site', 'https://localhost:1', '--token', 'nope', '--ca', join(alone, 'missing-ca.pem')], alone);
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toContain('missing-ca.pem');
    expect(noCa.stderr).not.toContain('    at ');
  });

  it('runs a submitted job against the site, alone in its folder', async () => {
    const u = await createTestUser(t.site);
    const home = await t.site.users.homeDir(u.user.id);
    const { token } = await t.site.resources.add({ name: 'bundled', ownerId: u.user.id, units: 1 });
    const job = await t.site.jobs.submit({ ownerId: u.user.id, spec: parseMrsl('::EXECUTE::\necho "bundled agent ran +JOBID+"\n') });
    engine.jobChanged(job);
    const agent = spawn(process.execPath, ['mig-resource.js', 'run', '--site', base, '--ca', t.caCertPath, '--work-dir', join(alone, 'work')], {
      cwd: alone,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: alone, MIG_RESOURCE_TOKEN: token },
    });
    let out = '';
    agent.stdout.on('data', (d: Buffer) => (out += d.toString()));
    agent.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      let state = '';
      for (let i = 0; i < 300 && state !== 'FINISHED' && state !== 'FAILED'; i++) {
        state = (await t.site.jobs.get(job.id)).state;
        if (state !== 'FINISHED') await new Promise((r) => setTimeout(r, 200));
      }
      expect(state, out).toBe('FINISHED');
      expect(await readFile(join(home, 'job_output', job.id, `${job.id}.stdout`), 'utf8')).toBe(`bundled agent ran ${job.id}\n`);
    } finally {
      const exited = new Promise((r) => agent.once('close', r));
      agent.kill('SIGTERM');
      await exited;
    }
  }, 90_000);

  it('is what the committed launcher runs', async () => {
    const launched = await runTs(join(REPO_ROOT, 'packages', 'scheduler', 'bin', 'mig-resource.js'), [], { cwd: alone });
    expect(launched.code).toBe(2);
    expect(launched.stderr).toContain('usage: mig-resource');
  });
});
