/**
 * The grid engine's in-memory queue: the index it keeps over the queued jobs (the database holds
 * the truth; the engine rebuilds this at start-up by adding the queued jobs in queue order).
 *
 * ## How a decision avoids scanning the queue
 *
 * Jobs are grouped three levels deep:
 *
 * 1. by **signature**: everything non-numeric the fitness test reads (architecture, platform, job
 *    type, sandbox flag, runtime environments, VGrids, RESOURCE patterns). A signature is checked
 *    against a unit once; the result is cached per unit (by the unit's non-numeric properties), so
 *    a decision only visits the signatures that can fit the asking unit. Signatures whose jobs all
 *    left are kept for reuse and retired in batches, without invalidating those caches;
 * 2. by **cell**: the power-of-two class of each numeric request (CPUTIME, CPUCOUNT, NODECOUNT,
 *    MEMORY, DISK). A cell whose upper bounds are all within the offer fits as a whole; one whose
 *    lower bound exceeds the offer in any request is skipped as a whole; only the cells on the
 *    boundary are looked into;
 * 3. by **group**: jobs with identical requests (same signature, same five numbers). A group fits
 *    entirely or not at all, so a boundary cell is decided group by group, never job by job.
 *
 * Every cell and group keeps its jobs in queue order (`queuedAt`, then arrival). So:
 *
 * - FirstFit (`'earliest'`) takes the earliest head among the fitting cells and groups, skipping
 *   any cell whose head is not earlier than the best so far. Same choice as a full scan, exactly.
 * - BestFit, FairFit, MaxThroughput (`'best-score'`) score only the head of each fitting group.
 *   Within a group every job has the same best-fit score and CPUTIME, and FairFit's bonus only
 *   grows with waiting, so the head is the group's best and the earliest among its equals: the
 *   same choice as MiG's full scan, exactly (ties go to the earliest job, as in MiG).
 * - Random (`'sample'`) draws a fitting cell or group with probability proportional to its size,
 *   then a job uniformly inside it: uniform over all fitting jobs, as MiG's.
 * - FIFO (`'queue-head'`) looks at the head of the whole queue only.
 * - Other policies (`'all'`) get every fitting job in queue order, merged lazily from the fitting
 *   cells and groups; their cost grows with what they read.
 *
 * The cost of a decision grows with the number of signatures and cells that fit the unit (and the
 * groups of boundary cells; for `'best-score'`, all fitting groups), not with the number of jobs.
 * Real queues have few distinct requirement combinations (jobs are submitted in batches from the
 * same description); a queue where every job asks for different numbers degrades towards a scan,
 * never worse.
 *
 * ## Where this departs from MiG
 *
 * - MiG's price model (MAXPRICE/MINPRICE, load multipliers, delay penalties, migration between
 *   servers) and its cached `SCHEDULE_HINT`/`SCHEDULE_TARGETS` are not used: with MiG's default
 *   prices a job's targets are exactly the units it fits, which is what the index answers, and
 *   without the 30-minute cache a decision never uses stale targets.
 * - `pick` does not remove the job: the engine removes it once the dispatch is recorded, so a
 *   failed dispatch leaves the queue as it was. Frozen jobs are removed by the engine (MiG keeps
 *   them in the queue and skips them).
 * - MiG's `must_match` filter (used by its unfinished bulk backfill) is not carried over, nor its
 *   bug of never skipping non-matching jobs.
 * @packageDocumentation
 */
import { InvalidInputError } from '@migrid/core';
import { compilePattern, type CompiledPattern } from './fnmatch.js';
import { needsFit, signatureFits } from './job-fits-unit.js';
import {
  needsOf,
  offerNeeds,
  offerSignatureKey,
  signatureKey,
  signatureOf,
  viewOf,
  type JobSignature,
  type OfferView,
} from './job-requirements.js';
import { isBefore, OrderedEntryList, type QueueEntry } from './ordered-entry-list.js';
import type { QueuedJob } from './queued-job.js';
import type { ScheduleContext } from './schedule-context.js';
import type { SchedulingPolicy } from './scheduling-policy.js';
import type { UnitOffer } from './unit-offer.js';

const INFINITE_CLASS = 2000;
/** Cached unit signatures before the cache starts over. */
const MAX_CACHED_OFFERS = 16_384;
/**
 * Empty signature buckets kept for reuse (jobs of the same kind tend to come back) before they are
 * retired together, which keeps the per-unit caches valid in steady state.
 */
const MAX_EMPTY_BUCKETS = 1024;

interface Group {
  readonly key: string;
  readonly needs: readonly number[];
  readonly list: OrderedEntryList<Entry>;
}

interface Cell {
  readonly key: string;
  readonly lo: readonly number[];
  readonly hi: readonly number[];
  readonly all: OrderedEntryList<Entry>;
  readonly groups: Map<string, Group>;
  pos: number;
}

interface Bucket {
  readonly key: string;
  readonly sig: JobSignature;
  readonly patterns: readonly CompiledPattern[];
  readonly cells: Cell[];
  readonly cellByKey: Map<string, Cell>;
  live: number;
  dead: boolean;
}

interface Entry extends QueueEntry {
  readonly bucket: Bucket | undefined;
  readonly cell: Cell | undefined;
  readonly group: Group | undefined;
}

interface CachedOffer {
  readonly view: OfferView;
  buckets: Bucket[];
  /** How many of the index's buckets (in order) have been checked against this offer. */
  checked: number;
}

/** The power-of-two class of a request: 0 for values below 1, k for [2^(k-1), 2^k). */
function classOf(v: number): number {
  if (v < 1) return 0;
  if (v === Infinity) return INFINITE_CLASS;
  let k = Math.floor(Math.log2(v)) + 1;
  while (k > 1 && 2 ** (k - 1) > v) k--;
  while (2 ** k <= v) k++;
  return k;
}

function classBounds(k: number): [number, number] {
  if (k === 0) return [-Infinity, 1];
  if (k === INFINITE_CLASS) return [Infinity, Infinity];
  return [2 ** (k - 1), 2 ** k];
}

/** 0: no job of the cell fits; 1: every job fits; 2: look at the groups. */
function relation(cell: Cell, offered: readonly number[]): 0 | 1 | 2 {
  let whole = true;
  const { lo, hi } = cell;
  for (let d = 0; d < offered.length; d++) {
    const o = offered[d] ?? NaN;
    if ((lo[d] ?? Infinity) > o) return 0;
    if (!((hi[d] ?? Infinity) <= o)) whole = false;
  }
  return whole ? 1 : 2;
}

/** Counts of the index's structures, for monitoring and benchmarks. */
export interface JobQueueIndexStats {
  /** Queued jobs. */
  readonly jobs: number;
  /** Distinct non-numeric requirement combinations. */
  readonly signatures: number;
  /** Distinct (signature, power-of-two classes) cells. */
  readonly cells: number;
  /** Distinct exact requirement groups. */
  readonly groups: number;
}

/**
 * The queue index. Jobs are kept in queue order: `queuedAt`, then order of {@link JobQueueIndex.add}.
 *
 * @example
 * ```ts
 * const index = new JobQueueIndex();
 * for (const job of await store.queuedJobs()) index.add(job);      // at start-up
 * const cutoff = expiryCutoff(ctx);
 * if (cutoff !== undefined) for (const job of index.expireBefore(cutoff)) await expire(job);
 * const job = index.pick(offer, registry.getPolicy('FairFit'), ctx);
 * if (job !== undefined && (await dispatch(job, offer))) index.remove(job.id);
 * ```
 */
export class JobQueueIndex {
  private readonly byId = new Map<string, Entry>();
  private readonly queue = new OrderedEntryList<Entry>();
  private readonly bucketByKey = new Map<string, Bucket>();
  private buckets: Bucket[] = [];
  private emptyBuckets = 0;
  private readonly offers = new Map<string, CachedOffer>();
  private seq = 0;
  private cellCount = 0;
  private groupCount = 0;

  /** Queued jobs. */
  get size(): number {
    return this.byId.size;
  }

  /**
   * Adds a job. Throws `MIG_E_INVALID_INPUT` when the id is empty or already queued, or
   * `queuedAt` is not a finite number.
   */
  add(job: QueuedJob): void {
    if (typeof job.id !== 'string' || job.id.length === 0) {
      throw new InvalidInputError('A queued job needs a non-empty id.', { details: { field: 'id' } });
    }
    if (typeof job.queuedAt !== 'number' || !Number.isFinite(job.queuedAt)) {
      throw new InvalidInputError('A queued job needs queuedAt as epoch milliseconds.', { details: { field: 'queuedAt' } });
    }
    if (this.byId.has(job.id)) {
      throw new InvalidInputError('The job is already queued; remove it before adding it again.', {
        details: { id: job.id.slice(0, 200) },
      });
    }
    const needs = needsOf(job);
    let bucket: Bucket | undefined;
    let cell: Cell | undefined;
    let group: Group | undefined;
    // A request that is not a number fits no unit: such a job is only queued, never placed.
    if (!needs.some(Number.isNaN)) {
      bucket = this.bucketFor(job);
      const classes = needs.map(classOf);
      const cellKey = classes.join(',');
      cell = bucket.cellByKey.get(cellKey);
      if (cell === undefined) {
        const bounds = classes.map(classBounds);
        cell = {
          key: cellKey,
          lo: bounds.map((b) => b[0]),
          hi: bounds.map((b) => b[1]),
          all: new OrderedEntryList<Entry>(),
          groups: new Map(),
          pos: bucket.cells.length,
        };
        bucket.cells.push(cell);
        bucket.cellByKey.set(cellKey, cell);
        this.cellCount++;
      }
      const groupKey = needs.join(',');
      group = cell.groups.get(groupKey);
      if (group === undefined) {
        group = { key: groupKey, needs, list: new OrderedEntryList<Entry>() };
        cell.groups.set(groupKey, group);
        this.groupCount++;
      }
    }
    const entry: Entry = { job, queuedAt: job.queuedAt, seq: this.seq++, removed: false, bucket, cell, group };
    this.byId.set(job.id, entry);
    this.queue.insert(entry);
    if (bucket !== undefined && cell !== undefined && group !== undefined) {
      if (bucket.live === 0) this.emptyBuckets--;
      bucket.live++;
      cell.all.insert(entry);
      group.list.insert(entry);
    }
  }

  /** Removes a job (dispatched, cancelled, frozen); returns it, or `undefined` when it was not queued. */
  remove(id: string): QueuedJob | undefined {
    const entry = this.byId.get(id);
    if (entry === undefined) return undefined;
    this.byId.delete(id);
    entry.removed = true;
    this.queue.noteRemoved();
    const { bucket, cell, group } = entry;
    if (bucket === undefined || cell === undefined || group === undefined) return entry.job;
    group.list.noteRemoved();
    if (group.list.live === 0) {
      cell.groups.delete(group.key);
      this.groupCount--;
    }
    cell.all.noteRemoved();
    if (cell.all.live === 0) {
      const last = bucket.cells.pop();
      if (last !== undefined && last !== cell) {
        bucket.cells[cell.pos] = last;
        last.pos = cell.pos;
      }
      bucket.cellByKey.delete(cell.key);
      this.cellCount--;
    }
    bucket.live--;
    if (bucket.live === 0) {
      this.emptyBuckets++;
      if (this.emptyBuckets > MAX_EMPTY_BUCKETS && this.emptyBuckets * 2 > this.buckets.length) this.retireEmptyBuckets();
    }
    return entry.job;
  }

  /** The queued job with `id`. */
  get(id: string): QueuedJob | undefined {
    return this.byId.get(id)?.job;
  }

  /** Whether a job with `id` is queued. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The queued jobs in queue order (do not add or remove while iterating). */
  *jobs(): Generator<QueuedJob> {
    for (const entry of this.queue.entries()) yield entry.job;
  }

  /**
   * Removes and returns, in queue order, every job queued before `time` (epoch ms). Costs the
   * number of jobs removed. Use {@link expiryCutoff} for MiG's `expire_after` rule.
   */
  expireBefore(time: number): QueuedJob[] {
    const expired: QueuedJob[] = [];
    for (let head = this.queue.first(); head !== undefined && head.queuedAt < time; head = this.queue.first()) {
      expired.push(head.job);
      this.remove(head.job.id);
    }
    return expired;
  }

  /**
   * The job `policy` chooses for `offer`, or `undefined` when none fits (or the policy declines).
   * The job stays queued: remove it once it is dispatched.
   */
  pick(offer: UnitOffer, policy: SchedulingPolicy, ctx: ScheduleContext): QueuedJob | undefined {
    if (this.byId.size === 0) return undefined;
    const scope = policy.scope ?? 'all';
    const offered = offerNeeds(offer);
    const cached = this.fittingBuckets(offer);
    let chosen: Entry | undefined;
    switch (scope) {
      case 'queue-head': {
        const head = this.queue.first();
        if (head?.bucket !== undefined && head.group !== undefined && needsFit(head.group.needs, offered)) {
          if (signatureFits(head.bucket.sig, head.bucket.patterns, cached.view)) chosen = head;
        }
        break;
      }
      case 'earliest':
        chosen = this.earliest(cached.buckets, offered);
        break;
      case 'best-score': {
        const score = policy.score;
        if (score === undefined) throw new InvalidInputError(`Scheduling policy ${policy.name} has scope best-score but no score function.`);
        chosen = this.bestScored(cached.buckets, offered, (job) => score(job, offer, ctx));
        break;
      }
      case 'sample':
        chosen = this.sample(cached.buckets, offered, ctx.random);
        break;
      case 'all': {
        const lists = this.fittingLists(cached.buckets, offered);
        if (lists.length === 0) return undefined;
        return policy.select(mergeInQueueOrder(lists), offer, ctx);
      }
    }
    return chosen === undefined ? undefined : policy.select([chosen.job], offer, ctx);
  }

  /** Counts of the index's structures. */
  stats(): JobQueueIndexStats {
    return { jobs: this.byId.size, signatures: this.bucketByKey.size - this.emptyBuckets, cells: this.cellCount, groups: this.groupCount };
  }

  private bucketFor(job: QueuedJob): Bucket {
    const sig = signatureOf(job);
    const key = signatureKey(sig);
    let bucket = this.bucketByKey.get(key);
    if (bucket === undefined) {
      bucket = {
        key,
        sig,
        patterns: sig.resourcePatterns.map(compilePattern),
        cells: [],
        cellByKey: new Map(),
        live: 0,
        dead: false,
      };
      this.bucketByKey.set(key, bucket);
      this.buckets.push(bucket);
      this.emptyBuckets++;
    }
    return bucket;
  }

  /** Drops every empty bucket, and from each unit's cache, without checking any signature again. */
  private retireEmptyBuckets(): void {
    const old = this.buckets;
    // keptBefore[i]: how many of old[0..i) survive, to translate each cache's progress.
    const keptBefore = new Uint32Array(old.length + 1);
    const kept: Bucket[] = [];
    for (let i = 0; i < old.length; i++) {
      const bucket = old[i] as Bucket;
      if (bucket.live === 0) {
        bucket.dead = true;
        this.bucketByKey.delete(bucket.key);
      } else {
        kept.push(bucket);
      }
      keptBefore[i + 1] = kept.length;
    }
    this.buckets = kept;
    this.emptyBuckets = 0;
    for (const cached of this.offers.values()) {
      cached.buckets = cached.buckets.filter((b) => !b.dead);
      cached.checked = keptBefore[cached.checked] ?? kept.length;
    }
  }

  /** The live signature buckets that fit the offer's non-numeric properties (cached per unit). */
  private fittingBuckets(offer: UnitOffer): CachedOffer {
    const key = offerSignatureKey(offer);
    let cached = this.offers.get(key);
    if (cached === undefined) {
      if (this.offers.size >= MAX_CACHED_OFFERS) this.offers.clear();
      cached = { view: viewOf(offer), buckets: [], checked: 0 };
      this.offers.set(key, cached);
    }
    const all = this.buckets;
    for (; cached.checked < all.length; cached.checked++) {
      const bucket = all[cached.checked];
      if (bucket !== undefined && !bucket.dead && signatureFits(bucket.sig, bucket.patterns, cached.view)) cached.buckets.push(bucket);
    }
    return cached;
  }

  private earliest(buckets: readonly Bucket[], offered: readonly number[]): Entry | undefined {
    let best: Entry | undefined;
    for (const bucket of buckets) {
      if (bucket.live === 0) continue;
      for (const cell of bucket.cells) {
        const head = cell.all.first();
        if (head === undefined || (best !== undefined && !isBefore(head, best))) continue;
        const rel = relation(cell, offered);
        if (rel === 1) {
          best = head;
        } else if (rel === 2) {
          for (const group of cell.groups.values()) {
            const first = group.list.first();
            if (first !== undefined && (best === undefined || isBefore(first, best)) && needsFit(group.needs, offered)) best = first;
          }
        }
      }
    }
    return best;
  }

  private bestScored(buckets: readonly Bucket[], offered: readonly number[], score: (job: QueuedJob) => number): Entry | undefined {
    let best: Entry | undefined;
    let bestScore = -Infinity;
    for (const bucket of buckets) {
      if (bucket.live === 0) continue;
      for (const cell of bucket.cells) {
        const rel = relation(cell, offered);
        if (rel === 0) continue;
        for (const group of cell.groups.values()) {
          if (rel === 2 && !needsFit(group.needs, offered)) continue;
          const head = group.list.first();
          if (head === undefined) continue;
          let s = score(head.job);
          if (Number.isNaN(s)) s = -Infinity;
          if (best === undefined || s > bestScore || (s === bestScore && isBefore(head, best))) {
            best = head;
            bestScore = s;
          }
        }
      }
    }
    return best;
  }

  /** The lists whose jobs all fit: whole cells and the fitting groups of boundary cells. */
  private fittingLists(buckets: readonly Bucket[], offered: readonly number[]): OrderedEntryList<Entry>[] {
    const lists: OrderedEntryList<Entry>[] = [];
    for (const bucket of buckets) {
      if (bucket.live === 0) continue;
      for (const cell of bucket.cells) {
        const rel = relation(cell, offered);
        if (rel === 1) lists.push(cell.all);
        else if (rel === 2) for (const group of cell.groups.values()) if (needsFit(group.needs, offered)) lists.push(group.list);
      }
    }
    return lists;
  }

  private sample(buckets: readonly Bucket[], offered: readonly number[], random: () => number): Entry | undefined {
    const lists = this.fittingLists(buckets, offered);
    let total = 0;
    for (const list of lists) total += list.live;
    if (total === 0) return undefined;
    const r = random();
    let target = Math.floor((Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0) * total);
    if (target >= total) target = total - 1;
    for (const list of lists) {
      if (target < list.live) return list.sample(random);
      target -= list.live;
    }
    return undefined;
  }
}

/** Live entries of several queue-ordered lists, merged lazily into one queue-ordered stream of jobs. */
function* mergeInQueueOrder(lists: readonly OrderedEntryList<Entry>[]): Generator<QueuedJob> {
  interface Head {
    entry: Entry;
    readonly rest: Iterator<Entry>;
  }
  // A binary min-heap of each list's next entry, ordered by queue position.
  const heap: Head[] = [];
  const before = (i: number, j: number): boolean => isBefore((heap[i] as Head).entry, (heap[j] as Head).entry);
  const swap = (i: number, j: number): void => {
    const t = heap[i] as Head;
    heap[i] = heap[j] as Head;
    heap[j] = t;
  };
  const siftDown = (from: number): void => {
    for (let i = from; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(l, m)) m = l;
      if (r < heap.length && before(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (const list of lists) {
    const rest = list.entries();
    const first = rest.next();
    if (!first.done) heap.push({ entry: first.value, rest });
  }
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
  while (heap.length > 0) {
    const top = heap[0] as Head;
    yield top.entry.job;
    const next = top.rest.next();
    if (next.done) {
      const last = heap.pop() as Head;
      if (heap.length === 0) return;
      heap[0] = last;
    } else {
      top.entry = next.value;
    }
    siftDown(0);
  }
}
