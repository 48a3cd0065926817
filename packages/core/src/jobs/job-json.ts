/**
 * A job and its history as JSON: the shape the API answers with and `mig job … --json` prints,
 * so scripts see the same field names everywhere. Times are ISO 8601 strings, states MiG's names.
 * @packageDocumentation
 */
import { jobSpecToJson } from '../mrsl/job-spec-json.js';
import type { JobEvent, JobRecord } from './job-record.js';

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/**
 * A job as JSON. `ownerId` only when asked for (admins see it; owners know who they are).
 *
 * @example
 * ```ts
 * reply.send(jobToJson(await site.jobs.get(id))); // { id, name, status: 'QUEUED', … }
 * ```
 */
export function jobToJson(job: JobRecord, options: { readonly withOwner?: boolean } = {}): Record<string, unknown> {
  return {
    id: job.id,
    name: job.name,
    status: job.state,
    ...(options.withOwner === true ? { ownerId: job.ownerId } : {}),
    retryCount: job.retryCount,
    resource: job.resourceId,
    unit: job.unitName,
    receivedAt: iso(job.receivedAt),
    queuedAt: iso(job.queuedAt),
    executingAt: iso(job.executingAt),
    finishedAt: iso(job.finishedAt),
    failureMessage: job.failureMessage,
    verified: job.verified?.summary ?? null,
    spec: jobSpecToJson(job.spec),
  };
}

/** One history entry as JSON: `{ at, from, to, actor, detail }`. */
export function jobEventToJson(e: JobEvent): Record<string, unknown> {
  return { at: iso(e.at), from: e.fromState, to: e.toState, actor: e.actor, detail: e.detail };
}
