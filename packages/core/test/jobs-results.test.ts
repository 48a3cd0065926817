import { lstat, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createJobStore, jobResultPath, notifyJobEnded, openJobResults, parseMrsl, verifyJobResults,
  type JobRecord, type JobStore, type Notification, type UserRecord,
} from '@migrid/core';
import { databaseKinds } from '../../../test/support/databases.js';
import { codeOf } from '../../../test/support/errors.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';

interface MailLine {
  topic: string;
  to: string[];
  subject: string;
  text: string;
}

async function mails(site: TestSite): Promise<MailLine[]> {
  const text = await readFile(site.site.paths.mailLog, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as MailLine);
}

describe.each(databaseKinds())('job results, VERIFYFILES and NOTIFY on %s', (kind) => {
  let t: TestSite;
  let owner: UserRecord;
  let jobs: JobStore;

  // One site per database (making a site makes its CA, which is slow); a fresh owner per test.
  beforeAll(async () => {
    t = await openTestSite({ kind });
    jobs = createJobStore(t.site.db, { serverId: 'test-site' });
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    owner = (await createTestUser(t.site)).user;
    await rm(t.site.paths.mailLog, { force: true });
  });

  async function run(text: string): Promise<{ job: JobRecord; sessionId: string }> {
    const job = await jobs.submit({ ownerId: owner.id, spec: parseMrsl(text), mrsl: text });
    const { record, sessionId } = await jobs.dispatch(job.id, { resourceId: 'res.0', unit: 'exe0', expectVersion: job.version });
    return { job: record, sessionId };
  }

  it('writes the result files into job_output/<job id>/ of the owner\'s home, through the view', async () => {
    const { job } = await run('::EXECUTE::\necho hello\nfalse\n');
    const results = await openJobResults(t.site.files, job);
    expect(results.folder).toBe(`/job_output/${job.id}`);
    await results.write('stdout', 'hello\n');
    await results.write('stderr', Buffer.from(''));
    await results.write('status', Readable.from([Buffer.from('echo hello 0\n'), Buffer.from('false 1\n')]));
    await results.write('io-status', 'get_input_status 0\nsend_output_status 0\n');
    const folder = join(await t.site.users.homeDir(owner.id), 'job_output', job.id);
    expect(await readFile(join(folder, `${job.id}.stdout`), 'utf8')).toBe('hello\n');
    expect(await readFile(join(folder, `${job.id}.stderr`), 'utf8')).toBe('');
    expect(await readFile(join(folder, `${job.id}.status`), 'utf8')).toBe('echo hello 0\nfalse 1\n');
    const status = await results.readStatus();
    expect(status).toMatchObject({ success: false, lastExitCode: 1, commands: [{ command: 'echo hello', exitCode: 0 }, { command: 'false', exitCode: 1 }] });
    expect(await results.readIoStatus()).toEqual([{ step: 'get_input_status', exitCode: 0 }, { step: 'send_output_status', exitCode: 0 }]);
    // A second upload replaces the first (a resource retrying its upload).
    await results.write('stdout', 'again\n');
    expect(await results.read('stdout')).toBe('again\n');
    expect(await results.read('stdout', { maxBytes: 3 }).catch((e: unknown) => e)).toMatchObject({ code: 'MIG_E_TOO_LARGE' });
    expect(jobResultPath(job.id, 'io-status')).toBe(`/job_output/${job.id}/${job.id}.io-status`);
  });

  it('recreates job_output when the owner removed it, and never follows a planted symlink out of the home', async () => {
    const { job } = await run('::EXECUTE::\ntrue\n');
    const home = await t.site.users.homeDir(owner.id);
    const view = await t.site.files.viewFor({ kind: 'user', userId: owner.id });
    await view.remove('/job_output', { recursive: true });
    const results = await openJobResults(t.site.files, job);
    await results.write('status', 'true 0\n');
    expect((await lstat(join(home, 'job_output', job.id))).isDirectory()).toBe(true);

    const { job: other } = await run('::EXECUTE::\ntrue\n');
    const outside = join(t.dir, `outside-${owner.id.slice(0, 8)}`);
    await mkdir(outside);
    await symlink(outside, join(home, 'job_output', other.id));
    const hostile = await openJobResults(t.site.files, other);
    expect(await codeOf(hostile.write('stdout', 'leak'))).toMatch(/^MIG_E_/);
    expect(await readFile(join(outside, `${other.id}.stdout`), 'utf8').catch(() => 'absent')).toBe('absent');
    expect(await codeOf(openJobResults(t.site.files, { id: '../../x', ownerId: owner.id }))).toBe('MIG_E_INVALID_INPUT');
  });

  it('verifies results against VERIFYFILES templates as MiG does', async () => {
    const view = await t.site.files.viewFor({ kind: 'user', userId: owner.id });
    await view.mkdir('/verify');
    const put = async (path: string, text: string): Promise<void> => {
      const handle = await view.open(path, 'w');
      await handle.write(Buffer.from(text));
      await handle.close();
    };
    await put('/verify/job.status', 'echo hello 0\necho [a-z]+ 0\n');
    await put('/verify/job.stdout', 'hello\n[0-9]+\n');
    await put('/verify/empty.stderr', '');
    const text = '::EXECUTE::\necho hello\necho world\n\n::VERIFYFILES::\nverify/job.status\nverify/job.stdout\nverify/empty.stderr\n';
    const { job } = await run(text);
    const results = await openJobResults(t.site.files, job);
    await results.write('status', 'echo hello 0\necho world 0\n');
    await results.write('stdout', 'hello\n42\n');
    const good = await verifyJobResults(view, job);
    expect(good.result).toBe('SUCCESS');
    expect(good.summary).toBe('SUCCESS - status: OK stdout: OK stderr: OK');

    await results.write('stdout', 'hello\nforty-two\n');
    const bad = await verifyJobResults(view, job);
    expect(bad.result).toBe('FAILURE');
    expect(bad.checks.find((c) => c.check === 'stdout')?.message).toBe('line 2 does not match the template');
    expect(bad.summary).toBe('FAILURE - status: OK stdout: FAILED (line 2 does not match the template) stderr: OK');
    expect(bad.summary).not.toContain('forty-two');

    // The result is stored with the job's end.
    const done = await jobs.transition(job.id, { from: 'EXECUTING', to: 'FINISHED', expectVersion: job.version, actor: 'resource:res.0', set: { verified: bad } });
    expect((await jobs.get(done.id)).verified).toEqual(bad);
    expect(done.verifiedAt).not.toBeNull();

    // Missing templates, unknown suffixes, templates outside the home and jobs without VERIFYFILES.
    const odd = parseMrsl('::EXECUTE::\ntrue\n\n::VERIFYFILES::\nverify/missing.status\nverify/job.txt\n');
    const oddJob = await jobs.submit({ ownerId: owner.id, spec: odd });
    const oddResult = await verifyJobResults(view, oddJob);
    expect(oddResult.result).toBe('FAILURE');
    expect(oddResult.checks.map((c) => c.message)).toEqual([
      'verify/missing.status does not exist',
      'unknown file suffix: a verify file ends in .status, .stdout or .stderr',
    ]);
    await writeFile(join(t.dir, 'secret.status'), 'echo hello 0\n');
    await symlink(join(t.dir, 'secret.status'), join(await t.site.users.homeDir(owner.id), 'verify', 'escape.status'));
    const escapeJob = await jobs.submit({ ownerId: owner.id, spec: parseMrsl('::EXECUTE::\ntrue\n\n::VERIFYFILES::\nverify/escape.status\n') });
    const escaped = await verifyJobResults(view, escapeJob);
    expect(escaped.result).toBe('FAILURE');
    expect(escaped.checks[0]?.message).toMatch(/cannot be read/);
    expect(escaped.checks[0]?.message).not.toContain(t.dir);
    expect(await verifyJobResults(view, await jobs.submit({ ownerId: owner.id, spec: parseMrsl('::EXECUTE::\ntrue\n') }))).toEqual({
      result: 'NO', checks: [], summary: 'NO',
    });
  });

  it('stops a runaway template and keeps going', async () => {
    const view = await t.site.files.viewFor({ kind: 'user', userId: owner.id });
    const handle = await view.open('/slow.stdout', 'w');
    await handle.write(Buffer.from('(a+)+$\n'));
    await handle.close();
    const { job } = await run('::EXECUTE::\ntrue\n\n::VERIFYFILES::\nslow.stdout\n');
    await (await openJobResults(t.site.files, job)).write('stdout', `${'a'.repeat(40)}!\n`);
    const v = await verifyJobResults(view, job, { timeoutMs: 200 });
    expect(v.result).toBe('FAILURE');
    expect(v.checks[0]?.message).toMatch(/took longer than 200 ms/);
  });

  it('mails NOTIFY recipients when a job ends, through the site notifier', async () => {
    const text = '::EXECUTE::\necho hello\n\n::JOBNAME::\nnotifyjob\n\n::NOTIFY::\nemail: SETTINGS\nother@example.org\njabber: me@jabber.org\nnot an address\n';
    const { job } = await run(text);
    const results = await openJobResults(t.site.files, job);
    await results.write('status', 'echo hello 0\n');
    const finished = await jobs.transition(job.id, { from: 'EXECUTING', to: 'FINISHED', expectVersion: job.version, actor: 'resource:res.0' });
    const logged: string[] = [];
    const logger = { info: (_: object, m: string) => logged.push(m), warn: (_: object, m: string) => logged.push(m) };
    const outcome = await notifyJobEnded({
      notifier: t.site.notifier, job: finished, ownerEmail: owner.email, siteTitle: t.site.config.site.short_title,
      statusText: await results.read('status'), jobUrl: (id) => `https://localhost/jobs/${id}`, logger,
    });
    expect(outcome.sent).toEqual([owner.email, 'other@example.org']);
    expect(outcome.skipped.map((s) => s.entry)).toEqual(['jabber: me@jabber.org', 'not an address']);
    expect(logged.filter((m) => m === 'job notification entry skipped')).toHaveLength(2);
    const sent = await mails(t);
    expect(sent.map((m) => m.to)).toEqual([[owner.email], ['other@example.org']]);
    expect(sent[0]).toMatchObject({ topic: 'job.finished', subject: `${t.site.config.site.short_title} job ${job.id} finished` });
    expect(sent[0]?.text).toContain('echo hello 0');
    expect(sent[0]?.text).toContain(`job_output/${job.id}/`);
    expect(sent[0]?.text).toContain(`https://localhost/jobs/${job.id}`);

    // A failed job is told with its reason; a cancelled one is not told at all (as in MiG).
    const failing = await run('::EXECUTE::\ntrue\n\n::RETRIES::\n0\n\n::NOTIFY::\nemail: SETTINGS\n');
    const failed = await jobs.requeue(failing.job.id, { expectVersion: failing.job.version, reason: 'the resource stopped answering' });
    await notifyJobEnded({ notifier: t.site.notifier, job: failed, ownerEmail: owner.email });
    const canceled = await run('::EXECUTE::\ntrue\n\n::NOTIFY::\nemail: SETTINGS\n');
    const c = await jobs.cancel(canceled.job.id, { kind: 'user', userId: owner.id });
    expect(await notifyJobEnded({ notifier: t.site.notifier, job: c, ownerEmail: owner.email })).toEqual({ sent: [], failed: [], skipped: [] });
    const all = await mails(t);
    expect(all).toHaveLength(3);
    expect(all[2]).toMatchObject({ topic: 'job.failed', to: [owner.email] });
    expect(all[2]?.text).toContain('the resource stopped answering');
  });

  it('reports a notifier that fails instead of throwing', async () => {
    const { job } = await run('::EXECUTE::\ntrue\n\n::NOTIFY::\nsomeone@example.org\n');
    const done = await jobs.transition(job.id, { from: 'EXECUTING', to: 'FINISHED', actor: 'test' });
    const failing = { send: (_: Notification): Promise<void> => Promise.reject(new Error('smtp down')) };
    const outcome = await notifyJobEnded({ notifier: failing, job: done });
    expect(outcome).toEqual({ sent: [], failed: ['someone@example.org'], skipped: [] });
  });
});
