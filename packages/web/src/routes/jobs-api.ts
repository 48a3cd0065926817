/**
 * The jobs API (`/api/v1/jobs…`): submit (mRSL text or the JSON form), list, show, history,
 * cancel, freeze, thaw and resubmit. Records live in the core's job store; the grid engine is told
 * about every change (`ctx.grid.jobChanged`) and also finds them by polling the database.
 * Tokens need `jobs:read` to look and `jobs:write` to change.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import { InvalidInputError, JOB_STATES, jobEventToJson, jobSpecFromJson, jobToJson, parseMrsl, type JobRecord, type JobState } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { fileErrorResponses } from '../files/file-json.js';
import { requireUser } from '../plugins/authentication.js';

const tags = ['jobs'];

/** A job as the API answers with it. */
export const jobJson = (job: JobRecord): Record<string, unknown> => jobToJson(job);

const nullableTime = { type: 'string', format: 'date-time', nullable: true } as const;
const jobSchema = {
  type: 'object',
  required: ['id', 'name', 'status'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string', enum: [...JOB_STATES] },
    retryCount: { type: 'integer' },
    resource: { type: 'string', nullable: true },
    unit: { type: 'string', nullable: true },
    receivedAt: nullableTime,
    queuedAt: nullableTime,
    executingAt: nullableTime,
    finishedAt: nullableTime,
    failureMessage: { type: 'string', nullable: true },
    verified: { type: 'string', nullable: true },
    spec: { type: 'object', additionalProperties: true },
  },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } } as const;

/** Registers the jobs API. */
export function registerJobsApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const announce = (job: JobRecord): JobRecord => {
    ctx.grid?.jobChanged(job);
    return job;
  };

  app.post<{ Body: { mrsl?: string; spec?: Record<string, unknown> } }>('/api/v1/jobs', {
    schema: {
      tags,
      summary: 'Submit a job (mRSL text or the JSON form of its keywords)',
      body: { type: 'object', additionalProperties: false, properties: { mrsl: { type: 'string', maxLength: 1024 * 1024 }, spec: { type: 'object', additionalProperties: true } } },
      response: { 201: jobSchema, ...fileErrorResponses },
    },
  }, async (request, reply) => {
    const user = requireUser(request, 'jobs:write');
    const { mrsl, spec } = request.body;
    if ((mrsl === undefined) === (spec === undefined)) throw new InvalidInputError('Send either "mrsl" (the job file\'s text) or "spec" (its keywords as JSON), not both.');
    const options = { defaultRetries: ctx.site.config.scheduler.job_retries };
    const parsed = mrsl !== undefined ? parseMrsl(mrsl, options) : jobSpecFromJson(spec, options);
    const job = await ctx.site.jobs.submit({ ownerId: user.id, spec: parsed, mrsl });
    return reply.status(201).send(jobJson(announce(job)));
  });

  app.get<{ Querystring: { status?: string; name?: string; limit?: number; before?: string } }>('/api/v1/jobs', {
    schema: {
      tags,
      summary: 'Your jobs, newest first',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { status: { type: 'string', maxLength: 200 }, name: { type: 'string', maxLength: 200, description: 'Only jobs whose name contains this (case-insensitive)' }, limit: { type: 'integer', minimum: 1, maximum: 1000 }, before: { type: 'string', maxLength: 128 } },
      },
      response: { 200: { type: 'object', required: ['jobs'], properties: { jobs: { type: 'array', items: jobSchema }, next: { type: 'string', nullable: true } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const user = requireUser(request, 'jobs:read');
    const states = request.query.status?.split(',').map((s) => s.trim().toUpperCase());
    if (states !== undefined && !states.every((s) => (JOB_STATES as readonly string[]).includes(s))) {
      throw new InvalidInputError(`Unknown job status; use any of ${JOB_STATES.join(', ')} (comma-separated).`);
    }
    const page = await ctx.site.jobs.list({ ownerId: user.id, states: states as JobState[] | undefined, nameContains: request.query.name, limit: request.query.limit ?? 100, before: request.query.before });
    return { jobs: page.jobs.map(jobJson), next: page.next ?? null };
  });

  app.get<{ Params: { id: string } }>('/api/v1/jobs/:id', {
    schema: { tags, summary: 'One of your jobs', params: idParams, response: { 200: jobSchema, ...fileErrorResponses } },
  }, async (request) => {
    const user = requireUser(request, 'jobs:read');
    return jobJson(await ctx.site.jobs.getForOwner(request.params.id, user.id));
  });

  app.get<{ Params: { id: string } }>('/api/v1/jobs/:id/history', {
    schema: {
      tags,
      summary: "A job's history: every change of state",
      params: idParams,
      response: {
        200: {
          type: 'object',
          properties: { events: { type: 'array', items: { type: 'object', properties: { at: { type: 'string' }, from: { type: 'string', nullable: true }, to: { type: 'string' }, actor: { type: 'string' }, detail: { type: 'object', additionalProperties: true } } } } },
        },
        ...fileErrorResponses,
      },
    },
  }, async (request) => {
    const user = requireUser(request, 'jobs:read');
    const job = await ctx.site.jobs.getForOwner(request.params.id, user.id);
    const events = await ctx.site.jobs.history(job.id);
    return { events: events.map(jobEventToJson) };
  });

  for (const action of ['cancel', 'freeze', 'thaw'] as const) {
    app.post<{ Params: { id: string } }>(`/api/v1/jobs/:id/${action}`, {
      schema: { tags, summary: `${action[0]?.toUpperCase()}${action.slice(1)} one of your jobs`, params: idParams, response: { 200: jobSchema, ...fileErrorResponses } },
    }, async (request) => {
      const user = requireUser(request, 'jobs:write');
      const by = { kind: 'user', userId: user.id } as const;
      const job = await ctx.site.jobs[action](request.params.id, by);
      return jobJson(announce(job));
    });
  }

  app.post<{ Params: { id: string } }>('/api/v1/jobs/:id/resubmit', {
    schema: { tags, summary: 'Submit one of your jobs again (a new job with the same description)', params: idParams, response: { 201: jobSchema, ...fileErrorResponses } },
  }, async (request, reply) => {
    const user = requireUser(request, 'jobs:write');
    const old = await ctx.site.jobs.getForOwner(request.params.id, user.id);
    const job = await ctx.site.jobs.submit({ ownerId: user.id, spec: old.spec, mrsl: old.mrsl ?? undefined });
    return reply.status(201).send(jobJson(announce(job)));
  });
}
