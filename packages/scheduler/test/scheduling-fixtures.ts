/**
 * Small builders for scheduler tests: a job description with MiG's defaults, queued jobs and unit
 * offers with overridable fields, and a seeded random source.
 */
import { parseMrsl, type JobSpec } from '@migrid/core';
import type { QueuedJob, ScheduleContext, UnitOffer } from '../src/index.js';

const BASE_SPEC: JobSpec = parseMrsl('::EXECUTE::\necho hello\n');

/** A job description: MiG's defaults (CPUTIME 600, MEMORY 64, …) with `over` applied. */
export function spec(over: Partial<JobSpec> = {}): JobSpec {
  return { ...BASE_SPEC, ...over };
}

/** A queued job with id `id`, queued at `queuedAt`, in VGrid Generic unless overridden. */
export function job(id: string, over: Partial<JobSpec> = {}, queuedAt = 1_000_000, vgrids: readonly string[] = ['Generic']): QueuedJob {
  return { id, ownerId: `owner-of-${id}`, spec: spec(over), queuedAt, vgrids };
}

/** A unit offer: 8 cores, 1 node, 3600 s, 16 GiB, 100 GB, AMD64, batch, Generic, with `over` applied. */
export function offer(over: Partial<UnitOffer> = {}): UnitOffer {
  return {
    resourceId: 'res1.example.org.0',
    unitName: 'exe1',
    publicName: 'res1.example.org.0_exe1',
    architecture: 'AMD64',
    platform: '',
    jobType: 'batch',
    sandbox: false,
    cpuCount: 8,
    nodeCount: 1,
    cpuTime: 3600,
    memory: 16384,
    disk: 100,
    runtimeEnvironments: [],
    vgrids: ['Generic'],
    ...over,
  };
}

/** A deterministic random source in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A context at `now` with a seeded random source and expiry off. */
export function context(now = 2_000_000, seed = 1): ScheduleContext {
  return { now, random: seededRandom(seed), expireAfter: 0 };
}
