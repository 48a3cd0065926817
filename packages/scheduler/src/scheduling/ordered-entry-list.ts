/**
 * @internal A list of queue entries kept in queue order, with cheap removal by tombstones.
 * @packageDocumentation
 */
import type { QueuedJob } from './queued-job.js';

/** @internal One job in the index: its place in queue order and whether it has left the queue. */
export interface QueueEntry {
  readonly job: QueuedJob;
  readonly queuedAt: number;
  /** Arrival number; breaks ties between equal `queuedAt`. */
  readonly seq: number;
  removed: boolean;
}

/** @internal Whether `a` comes before `b` in queue order. */
export function isBefore(a: QueueEntry, b: QueueEntry): boolean {
  return a.queuedAt < b.queuedAt || (a.queuedAt === b.queuedAt && a.seq < b.seq);
}

/** Tombstones tolerated before a list compacts (and only when they outnumber live entries). */
const COMPACT_MIN = 32;

/**
 * @internal Entries in queue order. Appending in order is O(1); an out-of-order insert is a
 * binary search and a splice. Removal is marking the entry (by the owner) and calling
 * {@link OrderedEntryList.noteRemoved}; the list compacts when tombstones outnumber live
 * entries, so every operation is amortised O(1) apart from out-of-order inserts.
 */
export class OrderedEntryList<E extends QueueEntry> {
  private items: E[] = [];
  private start = 0;
  /** Live (not removed) entries. */
  live = 0;

  insert(entry: E): void {
    const items = this.items;
    const last = items[items.length - 1];
    if (last === undefined || !isBefore(entry, last)) {
      items.push(entry);
    } else {
      let lo = this.start;
      let hi = items.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const item = items[mid];
        if (item !== undefined && isBefore(entry, item)) hi = mid;
        else lo = mid + 1;
      }
      items.splice(lo, 0, entry);
    }
    this.live++;
  }

  /** Records that one of this list's entries was marked removed. */
  noteRemoved(): void {
    this.live--;
    this.skipRemoved();
    const dead = this.items.length - this.start - this.live;
    if (dead > COMPACT_MIN && dead > this.live) this.compact();
  }

  /** The earliest live entry. */
  first(): E | undefined {
    this.skipRemoved();
    return this.items[this.start];
  }

  /** A live entry drawn uniformly with `random`. */
  sample(random: () => number): E | undefined {
    if (this.live <= 0) return undefined;
    const span = this.items.length - this.start;
    // Live entries are at least half of the span (see noteRemoved), so rejection sampling ends fast.
    for (let tries = 0; tries < 64; tries++) {
      const item = this.items[this.start + pick(random, span)];
      if (item !== undefined && !item.removed) return item;
    }
    this.compact();
    return this.items[pick(random, this.items.length)];
  }

  /** Live entries in queue order. */
  *entries(): Generator<E> {
    for (let i = this.start; i < this.items.length; i++) {
      const item = this.items[i];
      if (item !== undefined && !item.removed) yield item;
    }
  }

  private skipRemoved(): void {
    const items = this.items;
    while (this.start < items.length && items[this.start]?.removed === true) this.start++;
    if (this.start > COMPACT_MIN && this.start * 2 > items.length) this.compact();
  }

  private compact(): void {
    const kept: E[] = [];
    for (let i = this.start; i < this.items.length; i++) {
      const item = this.items[i];
      if (item !== undefined && !item.removed) kept.push(item);
    }
    this.items = kept;
    this.start = 0;
  }
}

/** An index in `[0, n)` from a random source that might misbehave (NaN, 1, negative). */
function pick(random: () => number, n: number): number {
  const r = random();
  const i = Math.floor((Number.isFinite(r) ? r : 0) * n);
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}
