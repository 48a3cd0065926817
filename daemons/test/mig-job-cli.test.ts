/**
 * `mig job …` as an admin meets it, on a real site made by `mig init`: list (by state, by owner,
 * JSON), show (record and history), cancel, freeze, thaw, resubmit and expire, and the refusals:
 * malformed and unknown job ids, unknown state names, unknown owners, steps the state machine
 * forbids, bad durations. One run goes through a real `mig` process; the others drive the same
 * command tree in-process (the CLI's injectable streams), which keeps the file fast on a busy machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, openSite, parseMrsl, type Site } from '@migrid/core';
import { migInProcess } from './support/run-cli-in-process.js';
import { runMig } from '../../test/support/run-mig.js';

const WAIT = 120_000;

describe('mig job', () => {
  let dir: string;
  let email: string;
  const ids: string[] = [];
  let submittedAt = 0;
  /** `mig job …` in-process: exit code and output, as `runMig` gives them. */
  const mig = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => migInProcess(dir, ['job', ...args]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mig-job-cli-'));
    const init = await runMig(['init'], { cwd: dir });
    expect(init.code, init.stderr).toBe(0);
    const site: Site = await openSite(await loadConfig(join(dir, 'mig.toml')));
    try {
      const user = await site.users.create({ email: 'jobs-admin-test@example.org', fullName: 'Jo Bowner', organization: 'NBI', country: 'DK', password: 'Correct-Horse-7' });
      email = user.email;
      for (const name of ['first', 'second', 'third']) {
        const text = `::EXECUTE::\necho ${name}\n\n::JOBNAME::\n${name}\n`;
        ids.push((await site.jobs.submit({ ownerId: user.id, spec: parseMrsl(text), mrsl: text })).id);
      }
      submittedAt = Date.now();
    } finally {
      await site.close();
    }
  }, WAIT);
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('lists jobs by state and owner, as lines or JSON, and refuses unknown states and owners', async () => {
    const [all, queued, json, none, badState, empty, badOwner, badLimit] = await Promise.all([
      runMig(['job', 'list'], { cwd: dir, timeoutMs: 110_000 }),
      mig('list', '--state', 'queued,frozen', '--owner', email),
      mig('list', '--json'),
      mig('list', '--state', 'FINISHED'),
      mig('list', '--state', 'QUEUED,RUNNING'),
      mig('list', '--state', ','),
      mig('list', '--owner', 'nobody@example.org'),
      mig('list', '--limit', '0'),
    ]);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines.map((l) => l.split('\t').slice(0, 4))).toEqual([...ids].reverse().map((id, i) => [id, 'QUEUED', email, ['third', 'second', 'first'][i]]));
    expect(queued.stdout).toBe(all.stdout);
    const parsed = JSON.parse(json.stdout) as { id: string; status: string; name: string; spec: { EXECUTE: string[] } }[];
    expect(parsed.map((j) => [j.id, j.status, j.name])).toEqual([...ids].reverse().map((id, i) => [id, 'QUEUED', ['third', 'second', 'first'][i]]));
    expect(parsed[0]?.spec.EXECUTE).toEqual(['echo third']);
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(badState.code).toBe(1);
    expect(badState.stderr).toMatch(/unknown state\(s\) "RUNNING".*QUEUED.*\[MIG_E_INVALID_INPUT\]/);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('MIG_E_INVALID_INPUT');
    expect(badOwner.code).toBe(1);
    expect(badOwner.stderr).toContain('MIG_E_USER_NOT_FOUND');
    expect(badLimit.code).toBe(1);
  }, WAIT);

  it('freezes, thaws and cancels as the admin, refusing steps the state machine forbids', async () => {
    const id = ids[0] ?? '';
    const frozen = await mig('freeze', id);
    expect(frozen.code, frozen.stderr).toBe(0);
    expect(frozen.stdout.split('\t').slice(0, 2)).toEqual([id, 'FROZEN']);
    const [again, cancelQueued] = await Promise.all([mig('freeze', id), mig('cancel', ids[1] ?? '')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('MIG_E_JOB_STATE');
    expect(cancelQueued.stdout.split('\t').slice(0, 2)).toEqual([ids[1], 'CANCELED']);
    expect((await mig('thaw', id)).stdout.split('\t').slice(0, 2)).toEqual([id, 'QUEUED']);
    const [thawAgain, cancelAgain] = await Promise.all([mig('thaw', id), mig('cancel', ids[1] ?? '')]);
    expect(thawAgain.stderr).toContain('MIG_E_JOB_STATE');
    expect(cancelAgain.code).toBe(1);
    expect(cancelAgain.stderr).toMatch(/CANCELED is final.*\[MIG_E_JOB_STATE\]/);

    const shown = await mig('show', id, '--json');
    const { job, history } = JSON.parse(shown.stdout) as { job: { status: string }; history: { to: string; actor: string }[] };
    expect(job.status).toBe('QUEUED');
    expect(history.map((e) => [e.to, e.actor])).toEqual([['PARSE', expect.stringMatching(/^user:/)], ['QUEUED', expect.stringMatching(/^user:/)], ['FROZEN', 'admin:local'], ['QUEUED', 'admin:local']]);
    const text = await mig('show', id);
    expect(text.stdout).toMatch(new RegExp(`^Job: +${id}\n`));
    expect(text.stdout).toContain(`Owner:     ${email}`);
    expect(text.stdout).toMatch(/History:\n.* - -> PARSE {2}by user:\S+\n.* PARSE -> QUEUED {2}by user:\S+\n.* QUEUED -> FROZEN {2}by admin:local\n/);
  }, WAIT);

  it('resubmits a job as a new one for its owner', async () => {
    const done = await mig('resubmit', ids[1] ?? '');
    expect(done.code, done.stderr).toBe(0);
    const [newId, state, owner, name] = done.stdout.trim().split('\t');
    expect(newId).not.toBe(ids[1]);
    expect([state, owner, name]).toEqual(['QUEUED', email, 'second']);
    const shown = JSON.parse((await mig('show', newId ?? '', '--json')).stdout) as { job: { spec: { EXECUTE: string[] } }; history: { actor: string }[] };
    expect(shown.job.spec.EXECUTE).toEqual(['echo second']);
    expect(shown.history[0]?.actor).toBe('admin:local');
    ids.push(newId ?? '');
  }, WAIT);

  it('refuses malformed and unknown job ids', async () => {
    const unknown = (ids[0] ?? '').replace(/^\d+_/, '999999_');
    const results = await Promise.all([
      mig('show', unknown), mig('cancel', unknown), mig('resubmit', unknown),
      mig('show', '../../etc/passwd'), mig('freeze', 'x'.repeat(5000)), mig('thaw', ''),
    ]);
    for (const r of results.slice(0, 3)) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('MIG_E_JOB_NOT_FOUND');
    }
    for (const r of results.slice(3)) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('MIG_E_INVALID_INPUT');
      expect(r.stderr).not.toContain('etc/passwd');
      expect(r.stderr.length).toBeLessThan(1000);
    }
  }, WAIT);

  it('expires queued jobs older than a duration, leaving frozen and newer ones; refuses bad durations', async () => {
    // A job thawed by an earlier test re-entered the queue then: it counts as queued since then.
    const startedAt = Date.now();
    const [bad, zero, missing] = await Promise.all([mig('expire', '--older-than', '5x'), mig('expire', '--older-than', '0'), mig('expire')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--older-than must be a positive duration.*\[MIG_E_INVALID_INPUT\]/);
    expect(zero.code).toBe(1);
    expect(missing.code).toBe(2);
    expect((await mig('freeze', ids[2] ?? '')).code).toBe(0);
    expect((await mig('expire', '--older-than', '1d')).stdout).toBe('');
    // Every job queued before this test is older than 1 s once 1.1 s have passed.
    while (Date.now() - Math.max(submittedAt, startedAt) < 1100) await new Promise((r) => setTimeout(r, 100));
    const expired = await mig('expire', '--older-than', '1');
    expect(expired.code, expired.stderr).toBe(0);
    const lines = expired.stdout.trim().split('\n').map((l) => l.split('\t').slice(0, 2));
    expect(lines).toContainEqual([ids[0], 'EXPIRED']);
    expect(lines.map((l) => l[0])).not.toContain(ids[2]);
    const states = JSON.parse((await mig('list', '--json')).stdout) as { id: string; status: string }[];
    const byId = new Map(states.map((j) => [j.id, j.status]));
    expect([byId.get(ids[0] ?? ''), byId.get(ids[1] ?? ''), byId.get(ids[2] ?? '')]).toEqual(['EXPIRED', 'CANCELED', 'FROZEN']);
  }, WAIT);
});
