/**
 * The job change feed (`changeCursor` + `changedSince`): what the grid engine reads every sweep
 * instead of the whole queue. Changes made by any store on the same database are reported, each
 * job once per batch with its current record; full pages say `more`; a change whose transaction
 * commits late (PostgreSQL numbers events before commit) is still reported; numbers that never
 * show up are given up after `settleMs`; SQLite's reuse of deleted numbers does not hide changes.
 */
import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { createJobStore, parseMrsl, type Database, type JobChangeCursor, type JobRecord, type JobStore } from '@migrid/core';
import { forEachDatabase } from '../../../test/support/databases.js';
import { codeOf } from '../../../test/support/errors.js';

const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);
const ADMIN = { kind: 'admin', userId: null } as const;

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

const spec = parseMrsl('::EXECUTE::\necho hello\n');

/** Reads the feed to its end; returns every reported record (in order) and the last cursor. */
async function drain(jobs: JobStore, cursor: JobChangeCursor, limit?: number): Promise<{ seen: JobRecord[]; cursor: JobChangeCursor; calls: number }> {
  const seen: JobRecord[] = [];
  let calls = 0;
  for (;;) {
    calls += 1;
    const batch = await jobs.changedSince(cursor, limit === undefined ? {} : { limit });
    seen.push(...batch.jobs);
    cursor = batch.cursor;
    if (!batch.more || calls > 100) return { seen, cursor, calls };
  }
}

describe('job change feed', () => {
  forEachDatabase((current, kind) => {
    let clock = Date.UTC(2025, 0, 1);
    const now = (): number => clock;

    it('reports jobs changed by any store since the cursor, each once with its current record', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const engine = createJobStore(db, { serverId: 'engine', now });
      const other = createJobStore(db, { serverId: 'web', now }); // another process on the same database
      const start = await engine.changeCursor();
      expect(start).toEqual({ after: 0, pending: [] });
      expect((await engine.changedSince(start)).jobs).toEqual([]);

      const a = await other.submit({ ownerId: ALICE, spec });
      const b = await other.submit({ ownerId: ALICE, spec });
      await other.freeze(a.id, ADMIN);
      const first = await engine.changedSince(start);
      expect(first.more).toBe(false);
      expect(first.jobs.map((j) => [j.id, j.state])).toEqual([[b.id, 'QUEUED'], [a.id, 'FROZEN']]);
      expect(first.cursor.after).toBeGreaterThan(0);
      expect(first.cursor.pending).toEqual([]);

      // Nothing new: nothing reported, the cursor stays.
      const idle = await engine.changedSince(first.cursor);
      expect(idle.jobs).toEqual([]);
      expect(idle.cursor).toEqual(first.cursor);

      await other.cancel(b.id, ADMIN);
      const next = await engine.changedSince(first.cursor);
      expect(next.jobs.map((j) => [j.id, j.state])).toEqual([[b.id, 'CANCELED']]);
      // A cursor taken now starts after everything so far.
      expect((await engine.changedSince(await engine.changeCursor())).jobs).toEqual([]);
    });

    it('pages through many changes with `more`, the cursor always moving on', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = createJobStore(db, { serverId: 'engine', now });
      const start = await jobs.changeCursor();
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await jobs.submit({ ownerId: ALICE, spec })).id);
      const { seen, calls } = await drain(jobs, start, 3); // 14 events, 3 per page
      expect(calls).toBe(5);
      expect([...new Set(seen.map((j) => j.id))].sort()).toEqual([...ids].sort());
      expect(seen.every((j) => j.state === 'QUEUED')).toBe(true);
    });

    it('still reports a change whose transaction commits after later ones were read', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = createJobStore(db, { serverId: 'engine', now });
      const late = await jobs.submit({ ownerId: ALICE, spec });
      let cursor = await jobs.changeCursor();
      let filledId = 0;
      if (kind === 'postgres') {
        // A real open transaction: it takes its event number, then waits while another commits.
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let numbered!: () => void;
        const hasNumber = new Promise<void>((r) => (numbered = r));
        const held = db.transaction().execute(async (trx) => {
          await trx.updateTable('jobs').set({ state: 'FROZEN', version: late.version + 1 }).where('id', '=', late.id).execute();
          await trx.insertInto('job_events').values({ job_id: late.id, at: clock, from_state: 'QUEUED', to_state: 'FROZEN', actor: 'test', detail: '{}' }).execute();
          numbered();
          await gate;
        });
        await hasNumber;
        const early = await jobs.submit({ ownerId: ALICE, spec });
        const batch = await jobs.changedSince(cursor);
        expect(batch.jobs.map((j) => j.id)).toEqual([early.id]);
        expect(batch.cursor.pending.map((p) => p.id)).toEqual([cursor.after + 1]);
        cursor = batch.cursor;
        filledId = cursor.after - 2;
        release();
        await held;
      } else {
        // SQLite writes one at a time: make the same gap by numbering events by hand.
        const early = await jobs.submit({ ownerId: ALICE, spec });
        await db.updateTable('job_events').set({ id: cursor.after + 10 }).where('id', '=', cursor.after + 2).execute();
        await db.updateTable('job_events').set({ id: cursor.after + 9 }).where('id', '=', cursor.after + 1).execute();
        const batch = await jobs.changedSince(cursor);
        expect(batch.jobs.map((j) => j.id)).toEqual([early.id]);
        expect(batch.cursor.pending.map((p) => p.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => cursor.after + n));
        cursor = batch.cursor;
        await db.updateTable('jobs').set({ state: 'FROZEN', version: late.version + 1 }).where('id', '=', late.id).execute();
        filledId = cursor.after - 6;
        await db.insertInto('job_events').values({ id: filledId, job_id: late.id, at: clock, from_state: 'QUEUED', to_state: 'FROZEN', actor: 'test', detail: '{}' }).execute();
      }
      const after = await jobs.changedSince(cursor);
      expect(after.jobs.map((j) => [j.id, j.state])).toEqual([[late.id, 'FROZEN']]);
      expect(cursor.pending.some((p) => p.id === filledId)).toBe(true);
      expect(after.cursor.pending.some((p) => p.id === filledId)).toBe(false);
    });

    it('gives up numbers that never show up after settleMs', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      const jobs = createJobStore(db, { serverId: 'engine', now });
      const job = await jobs.submit({ ownerId: ALICE, spec });
      const cursor = await jobs.changeCursor();
      // A rolled-back number: the next visible event is three further on.
      await db.insertInto('job_events').values({ id: cursor.after + 3, job_id: job.id, at: clock, from_state: null, to_state: 'QUEUED', actor: 'test', detail: '{}' }).execute();
      const held = await jobs.changedSince(cursor, { settleMs: 5000 });
      expect(held.jobs.map((j) => j.id)).toEqual([job.id]);
      expect(held.cursor).toEqual({ after: cursor.after + 3, pending: [{ id: cursor.after + 1, since: clock }, { id: cursor.after + 2, since: clock }] });
      clock += 4000;
      expect((await jobs.changedSince(held.cursor, { settleMs: 5000 })).cursor.pending).toHaveLength(2);
      clock += 1000;
      const settled = await jobs.changedSince(held.cursor, { settleMs: 5000 });
      expect(settled.jobs).toEqual([]);
      expect(settled.cursor).toEqual({ after: cursor.after + 3, pending: [] });
    });

    it('reports a job submitted after the last changed jobs were deleted with their owner', async () => {
      const { db } = current();
      await addUser(db, ALICE);
      await addUser(db, BOB);
      const jobs = createJobStore(db, { serverId: 'engine', now });
      await jobs.submit({ ownerId: ALICE, spec });
      await jobs.submit({ ownerId: BOB, spec });
      const { cursor } = await drain(jobs, await jobs.changeCursor().then((c) => ({ ...c, after: 0 })));
      await db.deleteFrom('users').where('id', '=', BOB).execute(); // cascades to Bob's job and its events
      const fresh = await jobs.submit({ ownerId: ALICE, spec });
      const { seen } = await drain(jobs, cursor);
      expect(seen.map((j) => j.id)).toContain(fresh.id);
    });

    it('refuses cursors and options it did not make', async () => {
      const { db } = current();
      const jobs = createJobStore(db, { serverId: 'engine', now });
      const bad: unknown[] = [null, 'x', {}, { after: -1, pending: [] }, { after: 1.5, pending: [] }, { after: 1, pending: [{ id: 0, since: 0 }] }, { after: 1, pending: 'x' }];
      for (const cursor of bad) expect(await codeOf(jobs.changedSince(cursor as JobChangeCursor)), JSON.stringify(cursor)).toBe('MIG_E_INVALID_INPUT');
      const ok = await jobs.changeCursor();
      expect(await codeOf(jobs.changedSince(ok, { limit: 0 }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.changedSince(ok, { limit: 10_001 }))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(jobs.changedSince(ok, { settleMs: -1 }))).toBe('MIG_E_INVALID_INPUT');
    });
  });
});
