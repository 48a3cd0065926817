import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import {
  JOB_ID_PATTERN, JOB_STATES, canTransition, createJobStore, jobSessionHash, openDatabase, parseJobId, parseMrsl,
  type Database, type JobRecord, type JobSpec, type JobState, type JobStore,
} from '@migrid/core';
import { createTestDatabase, databaseKinds, forEachDatabase } from '../../../test/support/databases.js';
import { codeOf } from '../../../test/support/errors.js';

const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);

async function addUser(db: Kysely<Database>, id: string): Promise<void> {
  const t = Date.now();
  await db
    .insertInto('users')
    .values({
      id, dn: `/C=DK/CN=${id}`, email: `${id.slice(0, 8)}@example.org`, full_name: id, organization: 'O', organizational_unit: '',
      locality: '', state: '', country: 'DK', status: 'active', expires_at: null, created_at: t, renewed_at: null, updated_at: t,
      roles: '[]', comment: '', accepted_terms_at: null, password_hash: null, settings: '{}',
    })
    .execute();
}

function spec(extra = ''): JobSpec {
  return parseMrsl(`::EXECUTE::\necho hello\n\n::RETRIES::\n2\n${extra}`);
}

async function stateOf(store: JobStore, id: string): Promise<JobState> {
  return (await store.get(id)).state;
}

/** Puts a job into `state` behind the store's back (to test steps out of every state). */
async function force(db: Kysely<Database>, id: string, state: JobState): Promise<JobRecord> {
  await db.updateTable('jobs').set({ state, version: 10 }).where('id', '=', id).execute();
  return createJobStore(db, { serverId: 'test' }).get(id);
}

describe('job store', () => {
  forEachDatabase((current) => {
    let clock = Date.UTC(2025, 6, 2, 12, 57, 15);
    const now = (): number => clock;
    const open = (): JobStore => createJobStore(current().db, { serverId: 'myhost.0', now });

    it('submits a job: MiG-shaped id, PARSE then QUEUED in the history, spec and mRSL kept', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = open();
      const text = '::EXECUTE::\necho hello\n\n::JOBNAME::\nfib\n';
      const job = await jobs.submit({ ownerId: ALICE, spec: parseMrsl(text), mrsl: text });
      expect(job.id).toBe('1_7_2_2025__12_57_15_myhost.0');
      expect(job).toMatchObject({ seq: 1, ownerId: ALICE, name: 'fib', state: 'QUEUED', version: 1, retryCount: 0, mrsl: text, hasSession: false });
      expect(job.receivedAt).toBe(clock);
      expect(job.queuedAt).toBe(clock);
      expect(job.spec.EXECUTE).toEqual(['echo hello']);
      expect(await jobs.get(job.id)).toEqual(job);
      const history = await jobs.history(job.id);
      expect(history.map((e) => [e.fromState, e.toState, e.actor])).toEqual([
        [null, 'PARSE', `user:${ALICE}`],
        ['PARSE', 'QUEUED', `user:${ALICE}`],
      ]);
      const second = await jobs.submit({ ownerId: ALICE, spec: spec() });
      expect(parseJobId(second.id)?.counter).toBe(2);
      expect(second.mrsl).toBeNull();
    });

    it('takes every allowed step and refuses every other one with MIG_E_JOB_STATE', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = open();
      let checked = 0;
      for (const from of JOB_STATES) {
        for (const to of JOB_STATES) {
          const created = await jobs.submit({ ownerId: ALICE, spec: spec() });
          const job = await force(db, created.id, from);
          let attempt: Promise<JobRecord>;
          if (to === 'EXECUTING') attempt = jobs.dispatch(job.id, { resourceId: 'res.0', unit: 'exe0', expectVersion: job.version }).then((d) => d.record);
          else if (from === 'EXECUTING' && to === 'QUEUED') attempt = jobs.requeue(job.id, { expectVersion: job.version, reason: 'timeout' });
          else attempt = jobs.transition(job.id, { from, to, expectVersion: job.version, actor: 'test' });
          const code = await codeOf(attempt);
          if (canTransition(from, to)) {
            expect(code, `${from} → ${to}`).toBeUndefined();
            expect(await stateOf(jobs, job.id)).toBe(to);
          } else {
            expect(code, `${from} → ${to}`).toBe('MIG_E_JOB_STATE');
            expect(await stateOf(jobs, job.id)).toBe(from);
          }
          checked += 1;
        }
      }
      expect(checked).toBe(81);
    });

    it('refuses a step when the job moved on (wrong state or stale version) and keeps the newer decision', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = open();
      const job = await jobs.submit({ ownerId: ALICE, spec: spec() });
      const frozen = await jobs.freeze(job.id, { kind: 'user', userId: ALICE });
      expect(frozen.version).toBe(job.version + 1);
      expect(await codeOf(jobs.dispatch(job.id, { resourceId: 'r', unit: 'u', expectVersion: job.version }))).toBe('MIG_E_JOB_STATE');
      const thawed = await jobs.thaw(job.id, { kind: 'user', userId: ALICE });
      // Back in QUEUED, but not at the version the stale caller read.
      expect(await codeOf(jobs.dispatch(job.id, { resourceId: 'r', unit: 'u', expectVersion: job.version }))).toBe('MIG_E_JOB_STATE');
      const err = await jobs.transition(job.id, { from: 'QUEUED', to: 'FROZEN', expectVersion: job.version, actor: 't' }).then(() => new Error('no error'), (e: unknown) => e as Error);
      expect(err.message).toMatch(/changed meanwhile.*reload it/);
      expect((await jobs.dispatch(job.id, { resourceId: 'r', unit: 'u', expectVersion: thawed.version })).record.state).toBe('EXECUTING');
      expect(await codeOf(jobs.transition(job.id, { from: 'EXECUTING', to: 'QUEUED', actor: 't' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.transition(job.id, { from: 'QUEUED', to: 'EXECUTING', actor: 't' }))).toBe('MIG_E_INVALID_INPUT');
    });

    it('hands a job to a resource with a session id that works only while it executes', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = open();
      const job = await jobs.submit({ ownerId: ALICE, spec: spec() });
      clock += 1000;
      const { record, sessionId } = await jobs.dispatch(job.id, { resourceId: 'res.example.org.0', unit: 'exe0', expectVersion: job.version });
      expect(sessionId).toMatch(/^[0-9a-f]{64}$/);
      expect(record).toMatchObject({ state: 'EXECUTING', resourceId: 'res.example.org.0', unitName: 'exe0', executingAt: clock, hasSession: true });
      // Only the hash is stored.
      const row = await db.selectFrom('jobs').select('session_id_hash').where('id', '=', job.id).executeTakeFirstOrThrow();
      expect(row.session_id_hash).toBe(jobSessionHash(sessionId));
      expect(JSON.stringify(await db.selectFrom('jobs').selectAll().execute())).not.toContain(sessionId);
      expect((await jobs.findBySession(sessionId))?.id).toBe(job.id);

      // A requeue makes the session stale; the next dispatch gets a new one.
      const requeued = await jobs.requeue(job.id, { expectVersion: record.version, reason: 'resource died' });
      expect(requeued).toMatchObject({ state: 'QUEUED', retryCount: 1, hasSession: false, failureMessage: 'resource died' });
      expect(await jobs.findBySession(sessionId)).toBeUndefined();
      const again = await jobs.dispatch(job.id, { resourceId: 'other.0', unit: 'exe1', expectVersion: requeued.version });
      expect(again.sessionId).not.toBe(sessionId);
      expect(await jobs.findBySession(sessionId)).toBeUndefined();
      expect((await jobs.findBySession(again.sessionId))?.unitName).toBe('exe1');
      // A late requeue for the old dispatch is refused: it would cancel the new run.
      expect(await codeOf(jobs.requeue(job.id, { expectVersion: record.version, reason: 'stale timeout' }))).toBe('MIG_E_JOB_STATE');
      const done = await jobs.transition(job.id, { from: 'EXECUTING', to: 'FINISHED', expectVersion: again.record.version, actor: 'resource:other.0' });
      expect(done).toMatchObject({ state: 'FINISHED', hasSession: false, finishedAt: clock });
      expect(await jobs.findBySession(again.sessionId)).toBeUndefined();

      for (const junk of ['', 'x', 'A'.repeat(64), `${again.sessionId}0`, undefined, null, 42, {}, again.sessionId.toUpperCase()]) {
        expect(await jobs.findBySession(junk as string)).toBeUndefined();
      }
    });

    it('fails a job once its retries are used up', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = open();
      let job = await jobs.submit({ ownerId: ALICE, spec: parseMrsl('::EXECUTE::\ntrue\n\n::RETRIES::\n1\n') });
      const first = await jobs.dispatch(job.id, { resourceId: 'r', unit: 'u', expectVersion: job.version });
      job = await jobs.requeue(job.id, { expectVersion: first.record.version, reason: 'timeout' });
      expect(job).toMatchObject({ state: 'QUEUED', retryCount: 1 });
      const second = await jobs.dispatch(job.id, { resourceId: 'r', unit: 'u', expectVersion: job.version });
      job = await jobs.requeue(job.id, { expectVersion: second.record.version, reason: 'timeout' });
      expect(job).toMatchObject({ state: 'FAILED', retryCount: 2, hasSession: false });
      expect(job.failureMessage).toMatch(/timeout \(failed after 1 retry\)/);
      expect(job.finishedAt).not.toBeNull();
      expect(await jobs.findBySession(second.sessionId)).toBeUndefined();
      const history = await jobs.history(job.id);
      expect(history.map((e) => e.toState)).toEqual(['PARSE', 'QUEUED', 'EXECUTING', 'QUEUED', 'EXECUTING', 'FAILED']);
      expect(history[5]?.detail).toMatchObject({ reason: 'timeout', retryCount: 2, retries: 1 });

      const none = await jobs.submit({ ownerId: ALICE, spec: parseMrsl('::EXECUTE::\ntrue\n\n::RETRIES::\n0\n') });
      const d = await jobs.dispatch(none.id, { resourceId: 'r', unit: 'u', expectVersion: none.version });
      expect((await jobs.requeue(none.id, { expectVersion: d.record.version, reason: 'x' })).state).toBe('FAILED');
    });

    it('expires jobs queued before a cutoff, but not frozen, executing or newer ones', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = open();
      const start = clock;
      const old = await jobs.submit({ ownerId: ALICE, spec: spec() });
      const frozen = await jobs.freeze((await jobs.submit({ ownerId: ALICE, spec: spec() })).id, { kind: 'admin', userId: null });
      const running = await jobs.submit({ ownerId: ALICE, spec: spec() });
      await jobs.dispatch(running.id, { resourceId: 'r', unit: 'u', expectVersion: running.version });
      clock += 60_000;
      const fresh = await jobs.submit({ ownerId: ALICE, spec: spec() });
      const expired = await jobs.expireQueuedBefore(start + 30_000);
      expect(expired.map((j) => j.id)).toEqual([old.id]);
      expect(expired[0]).toMatchObject({ state: 'EXPIRED', finishedAt: clock });
      expect(await stateOf(jobs, frozen.id)).toBe('FROZEN');
      expect(await stateOf(jobs, running.id)).toBe('EXECUTING');
      expect(await stateOf(jobs, fresh.id)).toBe('QUEUED');
      expect(await jobs.expireQueuedBefore(start + 30_000)).toEqual([]);
      expect((await jobs.history(old.id)).at(-1)).toMatchObject({ fromState: 'QUEUED', toState: 'EXPIRED', actor: 'grid_script' });
    });

    it('loads the queue oldest first and the executing jobs, for an engine starting up', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = open();
      const a = await jobs.submit({ ownerId: ALICE, spec: spec() });
      clock += 10;
      const b = await jobs.submit({ ownerId: ALICE, spec: spec() });
      clock += 10;
      const c = await jobs.submit({ ownerId: ALICE, spec: spec() });
      await jobs.dispatch(b.id, { resourceId: 'r', unit: 'u', expectVersion: b.version });
      clock += 10;
      // A thawed job goes to the back of the queue (it is queued again now).
      await jobs.freeze(a.id, { kind: 'user', userId: ALICE });
      await jobs.thaw(a.id, { kind: 'user', userId: ALICE });
      await db.updateTable('jobs').set({ state: 'RETRY' }).where('id', '=', c.id).execute();
      expect((await jobs.loadQueued()).map((j) => [j.id, j.state])).toEqual([[c.id, 'RETRY'], [a.id, 'QUEUED']]);
      expect((await jobs.loadExecuting()).map((j) => j.id)).toEqual([b.id]);
    });

    it('pages through jobs newest first, by owner and state', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      await addUser(db, BOB);
      const jobs = open();
      const mine: string[] = [];
      for (let i = 0; i < 25; i++) {
        mine.push((await jobs.submit({ ownerId: ALICE, spec: spec() })).id);
        if (i % 5 === 0) await jobs.submit({ ownerId: BOB, spec: spec() });
      }
      const seen: string[] = [];
      let page = await jobs.list({ ownerId: ALICE, limit: 10 });
      let pages = 1;
      seen.push(...page.jobs.map((j) => j.id));
      while (page.next !== null && pages < 10) {
        page = await jobs.list({ ownerId: ALICE, limit: 10, before: page.next });
        seen.push(...page.jobs.map((j) => j.id));
        pages += 1;
      }
      expect(pages).toBe(3);
      expect(seen).toEqual([...mine].reverse());
      expect((await jobs.list({ ownerId: BOB })).jobs).toHaveLength(5);
      expect((await jobs.list()).jobs).toHaveLength(30);
      await jobs.cancel(mine[3] ?? '', { kind: 'user', userId: ALICE });
      expect((await jobs.list({ ownerId: ALICE, states: ['CANCELED'] })).jobs.map((j) => j.id)).toEqual([mine[3]]);
      expect((await jobs.list({ states: [] })).jobs).toEqual([]);
      expect((await jobs.list({ ownerId: ALICE, limit: 25 })).next).toBeNull();
      expect(await codeOf(jobs.list({ limit: 0 }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.list({ limit: 1001 }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.list({ before: "1' OR '1'='1" }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.list({ states: ['queued' as JobState] }))).toBe('MIG_E_INVALID_INPUT');
    });

    it('finds jobs by a part of their name, case-insensitively, with LIKE wildcards taken literally', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      await addUser(db, BOB);
      const jobs = open();
      const named = async (owner: string, name: string): Promise<string> => (await jobs.submit({ ownerId: owner, spec: parseMrsl(`::EXECUTE::\ntrue\n\n::JOBNAME::\n${name}\n`) })).id;
      const blast = await named(ALICE, 'Blast-Run_1');
      const percent = await named(ALICE, 'gain-100%');
      // '!' is the escape character of the query; JOBNAME does not allow it, an older record may hold it.
      const bang = await named(ALICE, 'wow');
      await db.updateTable('jobs').set({ name: 'wow!' }).where('id', '=', bang).execute();
      await named(ALICE, 'blastXrun-2');
      await named(BOB, 'blast-run_bob');
      const ids = async (nameContains: string): Promise<string[]> => (await jobs.list({ ownerId: ALICE, nameContains })).jobs.map((j) => j.id);
      expect(await ids('blast-run_')).toEqual([blast]);
      expect(await ids('BLAST')).toHaveLength(2);
      expect(await ids('100%')).toEqual([percent]);
      expect(await ids('%')).toEqual([percent]);
      expect(await ids('_')).toEqual([blast]);
      expect(await ids('!')).toEqual([bang]);
      expect(await ids('nothing like it')).toEqual([]);
      expect(await ids('')).toHaveLength(4);
      expect(await codeOf(jobs.list({ nameContains: 'x'.repeat(201) }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.list({ nameContains: 'a\u0000b' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await ids("' OR 1=1 --")).toEqual([]);
    });

    it('keeps owners apart: another owner\'s job is not found, exactly like a missing one', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      await addUser(db, BOB);
      const jobs = open();
      const job = await jobs.submit({ ownerId: ALICE, spec: spec() });
      expect((await jobs.getForOwner(job.id, ALICE)).id).toBe(job.id);
      const foreign = await jobs.getForOwner(job.id, BOB).then(() => new Error('no error'), (e: unknown) => e as Error);
      const missing = await jobs.getForOwner('999_7_2_2025__12_57_15_myhost.0', BOB).then(() => new Error('no error'), (e: unknown) => e as Error);
      expect(await codeOf(jobs.getForOwner(job.id, BOB))).toBe('MIG_E_JOB_NOT_FOUND');
      expect(foreign.message).toBe(missing.message);
      for (const step of [jobs.cancel.bind(jobs), jobs.freeze.bind(jobs), jobs.thaw.bind(jobs)]) {
        expect(await codeOf(step(job.id, { kind: 'user', userId: BOB }))).toBe('MIG_E_JOB_NOT_FOUND');
      }
      expect(await stateOf(jobs, job.id)).toBe('QUEUED');
      const canceled = await jobs.cancel(job.id, { kind: 'admin', userId: BOB }, 'cleaning up');
      expect(canceled.state).toBe('CANCELED');
      expect((await jobs.history(job.id)).at(-1)).toMatchObject({ actor: `admin:${BOB}`, detail: { reason: 'cleaning up' } });
      // Final is final, for owners and admins alike.
      const err = await jobs.cancel(job.id, { kind: 'user', userId: ALICE }).then(() => new Error('no error'), (e: unknown) => e as Error);
      expect(await codeOf(jobs.cancel(job.id, { kind: 'admin', userId: null }))).toBe('MIG_E_JOB_STATE');
      expect(err.message).toMatch(/CANCELED is final/);
      expect(await codeOf(jobs.cancel(job.id, { kind: 'resource', resourceId: 'x' } as never))).toBe('MIG_E_INVALID_INPUT');
    });

    it('refuses hostile input at the boundary', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = open();
      const job = await jobs.submit({ ownerId: ALICE, spec: spec() });
      for (const id of ['../../etc/passwd', '', 'x'.repeat(10_000), `${job.id}/..`, `${job.id}\u0000`, 42, null]) {
        expect(await codeOf(jobs.get(id as string))).toBe('MIG_E_INVALID_INPUT');
        expect(await codeOf(jobs.history(id as string))).toBe('MIG_E_INVALID_INPUT');
      }
      expect(await codeOf(jobs.get('7_7_2_2025__12_57_15_myhost.0'))).toBe('MIG_E_JOB_NOT_FOUND');
      expect(await codeOf(jobs.history('7_7_2_2025__12_57_15_myhost.0'))).toBe('MIG_E_JOB_NOT_FOUND');
      // Unknown or malformed owners.
      expect(await codeOf(jobs.submit({ ownerId: 'c'.repeat(64), spec: spec() }))).toBe('MIG_E_USER_NOT_FOUND');
      expect(await codeOf(jobs.submit({ ownerId: '../x', spec: spec() }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.submit({ ownerId: ALICE.repeat(2), spec: spec() }))).toBe('MIG_E_INVALID_INPUT');
      // Specs that are not jobs, or break the language.
      expect(await codeOf(jobs.submit({ ownerId: ALICE, spec: null as unknown as JobSpec }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.submit({ ownerId: ALICE, spec: 'echo' as unknown as JobSpec }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.submit({ ownerId: ALICE, spec: { ...spec(), CPUTIME: -1 } }))).toBe('MIG_E_MRSL_INVALID');
      expect(await codeOf(jobs.submit({ ownerId: ALICE, spec: { ...spec(), EXECUTE: ['rm -rf /\u0000'] } }))).toBe('MIG_E_MRSL_INVALID');
      expect(await codeOf(jobs.submit({ ownerId: ALICE, spec: { ...spec(), INPUTFILES: [{ source: '../../etc/passwd', destination: 'p' }] } }))).toBe('MIG_E_MRSL_INVALID');
      // Oversized specs and texts.
      const big = { ...spec(), EXECUTE: Array.from({ length: 200 }, (_, i) => `echo ${i} ${'x'.repeat(500)}`) };
      expect(await codeOf(createJobStore(db, { maxSpecBytes: 50_000 }).submit({ ownerId: ALICE, spec: big }))).toBe('MIG_E_TOO_LARGE');
      expect(await codeOf(jobs.submit({ ownerId: ALICE, spec: spec(), mrsl: 'x'.repeat(1024 * 1024 + 1) }))).toBe('MIG_E_TOO_LARGE');
      // Bad steps and fields.
      expect(await codeOf(jobs.transition(job.id, { from: 'QUEUED', to: 'DONE' as JobState, actor: 't' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.transition(job.id, { from: 'QUEUED', to: 'FROZEN', actor: 'a\nforged line' }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.transition(job.id, { from: 'QUEUED', to: 'FROZEN', actor: 't', detail: { blob: 'x'.repeat(20_000) } }))).toBe('MIG_E_TOO_LARGE');
      expect(await codeOf(jobs.transition(job.id, { from: 'QUEUED', to: 'FROZEN', actor: 't', expectVersion: -1 }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.dispatch(job.id, { resourceId: '../res', unit: 'u', expectVersion: job.version }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.dispatch(job.id, { resourceId: 'r', unit: 'u\n', expectVersion: job.version }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.requeue(job.id, { expectVersion: job.version, reason: '' }))).toBe('MIG_E_INVALID_INPUT');
      expect(() => createJobStore(db, { serverId: 'bad/id' })).toThrow(/server id/);
      expect(await stateOf(jobs, job.id)).toBe('QUEUED');
    });

    it('limits an owner\'s waiting jobs, even when submissions race', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      await addUser(db, BOB);
      const jobs = open();
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => jobs.submit({ ownerId: ALICE, spec: spec(), maxQueued: 3 })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      for (const r of results) if (r.status === 'rejected') expect(await codeOf(Promise.reject(r.reason))).toBe('MIG_E_JOB_LIMIT');
      // Other owners have their own count; a job that left the queue frees a place.
      await jobs.submit({ ownerId: BOB, spec: spec(), maxQueued: 3 });
      const first = (await jobs.list({ ownerId: ALICE })).jobs[0];
      await jobs.cancel(first?.id ?? '', { kind: 'user', userId: ALICE });
      await jobs.submit({ ownerId: ALICE, spec: spec(), maxQueued: 3 });
    });

    it('numbers 200 concurrent submissions uniquely and without gaps', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = createJobStore(db, { serverId: 'grid01' });
      const made = await Promise.all(Array.from({ length: 200 }, () => jobs.submit({ ownerId: ALICE, spec: spec() })));
      const ids = made.map((j) => j.id);
      expect(new Set(ids).size).toBe(200);
      for (const id of ids) expect(id).toMatch(JOB_ID_PATTERN);
      expect(made.map((j) => j.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      const events = await db.selectFrom('job_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(events.n)).toBe(400);
    });
  });

  it.each(databaseKinds())('lets exactly one of two concurrent dispatches win, across two connections, and survives a restart (%s)', async (kind) => {
    const created = await createTestDatabase(kind);
    const first = await openDatabase({ url: created.url, sqlitePath: created.sqlitePath });
    const second = await openDatabase({ url: created.url, sqlitePath: created.sqlitePath });
    try {
      await addUser(first.db, ALICE);
      const a = createJobStore(first.db, { serverId: 'engine-a' });
      const b = createJobStore(second.db, { serverId: 'engine-b' });
      const queued: JobRecord[] = [];
      for (let i = 0; i < 15; i++) queued.push(await (i % 2 === 0 ? a : b).submit({ ownerId: ALICE, spec: spec() }));
      let wins = 0;
      for (const job of queued) {
        const outcomes = await Promise.allSettled([
          a.dispatch(job.id, { resourceId: 'res-a', unit: 'exe', expectVersion: job.version }),
          b.dispatch(job.id, { resourceId: 'res-b', unit: 'exe', expectVersion: job.version }),
        ]);
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        expect(won).toHaveLength(1);
        const lost = outcomes.find((o) => o.status === 'rejected');
        expect(await codeOf(Promise.reject(lost?.status === 'rejected' ? lost.reason : undefined))).toBe('MIG_E_JOB_STATE');
        const winner = won[0]?.status === 'fulfilled' ? won[0].value : undefined;
        const stored = await a.get(job.id);
        expect(stored.resourceId).toBe(winner?.record.resourceId);
        expect((await b.findBySession(winner?.sessionId ?? ''))?.id).toBe(job.id);
        expect((await a.history(job.id)).filter((e) => e.toState === 'EXECUTING')).toHaveLength(1);
        wins += 1;
      }
      expect(wins).toBe(15);

      // Restart: the database is the truth; a new store sees the same queue and sessions.
      const extra = await a.submit({ ownerId: ALICE, spec: spec() });
      await first.close();
      await second.close();
      const reopened = await openDatabase({ url: created.url, sqlitePath: created.sqlitePath });
      try {
        const c = createJobStore(reopened.db, { serverId: 'engine-c' });
        expect((await c.loadQueued()).map((j) => j.id)).toEqual([extra.id]);
        expect(await c.loadExecuting()).toHaveLength(15);
        const next = await c.submit({ ownerId: ALICE, spec: spec() });
        expect(next.seq).toBe(17);
      } finally {
        await reopened.close();
      }
    } finally {
      await first.close().catch(() => undefined);
      await second.close().catch(() => undefined);
      await created.drop();
    }
  });
});
