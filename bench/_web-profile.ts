/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) for `bench/web.ts`: the functions with
 * the most self time, and the share of time spent in broad buckets (TLS, JSON, fs, GC, idle…).
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One line of the summary. */
export interface ProfileLine {
  readonly name: string;
  /** Share of all samples, 0–1. */
  readonly share: number;
}

/** Self time per function (top `limit`) and per package/file bucket, as shares of the busy (not idle) time. */
export interface ProfileSummary {
  readonly totalMs: number;
  /** Sampled time not idle. */
  readonly busyMs: number;
  readonly functions: ProfileLine[];
  readonly places: ProfileLine[];
}

function placeOf(url: string, name: string): string {
  if (name === '(idle)' || name === '(garbage collector)' || name === '(program)' || name === '(root)') return name;
  if (url === '') return `(native) ${name}`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm !== null) return nm[1] as string;
  const pkg = /packages\/([^/]+)\/src\/(.+)$/.exec(url);
  if (pkg !== null) return `@migrid/${pkg[1]}/${pkg[2]}`;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '');
}

/** Reads and summarises one profile. */
export async function summariseProfile(file: string, limit = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  });
  const fn = new Map<string, number>();
  const place = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const where = placeOf(url, name);
    const key = url === '' ? name : `${name} ${where}:${lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    place.set(where, (place.get(where) ?? 0) + us);
  }
  const busy = total - (place.get('(idle)') ?? 0);
  fn.delete('(idle)');
  place.delete('(idle)');
  const top = (m: Map<string, number>): ProfileLine[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, share: busy === 0 ? 0 : us / busy }));
  return { totalMs: total / 1000, busyMs: busy / 1000, functions: top(fn), places: top(place) };
}
