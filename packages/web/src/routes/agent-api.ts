/**
 * The resource agents' API (`/api/v1/agent/…`, see `docs/resource-protocol.md`): a unit asks for
 * work, reports what it runs, and reports jobs that ended without their `.status`. Agents
 * authenticate with their resource token (`Authorization: Bearer migres_…`); wrong tokens count
 * with the defender like any failed login. The grid engine behind it is `ctx.grid`.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthError, MigError, type GridDispatcher, type ResourceRecord } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { fileErrorResponses } from '../files/file-json.js';

const tags = ['agent'];
const idList = { type: 'array', maxItems: 10_000, items: { type: 'string', minLength: 1, maxLength: 128 } } as const;
const unitName = { type: 'string', minLength: 1, maxLength: 64 } as const;
const count = (max: number) => ({ type: 'integer', minimum: 0, maximum: max }) as const;
const capacitySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cpuTimeSeconds', 'nodeCount', 'cpuCount', 'memoryMb', 'diskGb'],
  properties: { cpuTimeSeconds: count(31_536_000), nodeCount: count(100_000), cpuCount: count(10_000_000), memoryMb: count(1_000_000_000), diskGb: count(1_000_000_000) },
} as const;
const answerSchema = {
  type: 'object',
  required: ['job', 'retryAfterSeconds', 'cancel'],
  properties: {
    job: {
      type: 'object',
      nullable: true,
      required: ['id', 'name', 'sessionId', 'script', 'limits'],
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        sessionId: { type: 'string' },
        script: { type: 'string' },
        staged: {
          type: 'object',
          required: ['inputs', 'outputs', 'commands'],
          properties: {
            inputs: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' }, source: { type: 'string' }, destination: { type: 'string' }, executable: { type: 'boolean' } } } },
            outputs: { type: 'array', items: { type: 'object', properties: { source: { type: 'string' }, kind: { type: 'string' }, destination: { type: 'string' } } } },
            commands: { type: 'string' },
          },
        },
        limits: {
          type: 'object',
          properties: { cpuTimeSeconds: { type: 'integer' }, wallTimeSeconds: { type: 'integer' }, memoryMb: { type: 'integer' }, cpus: { type: 'integer' }, nodes: { type: 'integer' } },
        },
      },
    },
    retryAfterSeconds: { type: 'integer' },
    cancel: { type: 'array', items: { type: 'string' } },
  },
} as const;

/** The engine, or 503 when it does not run in this process. */
function gridOf(ctx: WebContext): GridDispatcher {
  if (ctx.grid === undefined) throw new MigError('MIG_E_GRID_UNAVAILABLE', 'The grid engine does not run with this web server; point the agent at the site address that runs grid_script (mig start runs both).');
  return ctx.grid;
}

/** The resource a request's token belongs to; failures count with the defender. */
async function resourceOf(ctx: WebContext, request: FastifyRequest): Promise<ResourceRecord> {
  const header = request.headers.authorization ?? '';
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
  const address = request.ip;
  const username = `resource:${/^migres_([a-z0-9.-]{1,63})_/.exec(token)?.[1] ?? 'malformed'}`;
  const decision = await ctx.site.defender.check({ address, username, protocol: 'https' });
  if (!decision.allowed) throw new AuthError('MIG_E_BANNED', `Too many failed logins; try again after ${new Date(decision.until).toISOString()}.`);
  try {
    return await ctx.site.resources.authenticate(token);
  } catch (err) {
    if (err instanceof MigError && err.code === 'MIG_E_AUTH_FAILED') await ctx.site.defender.recordFailure({ address, username, protocol: 'https', secret: token.slice(0, 256) });
    throw err;
  }
}

/** Registers the agent API. */
export function registerAgentApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const config = { csrf: false, selfAuthenticated: true };
  const security = [{ resourceToken: [] }];

  app.post<{ Body: { unit: string; capacity: { cpuTimeSeconds: number; nodeCount: number; cpuCount: number; memoryMb: number; diskGb: number }; running?: string[]; transfers?: 'script' | 'agent' } }>('/api/v1/agent/work', {
    config,
    schema: {
      tags,
      security,
      summary: 'A resource unit asks for one job',
      description:
        'Answers the job (with its session id and script) or `job: null` with when to ask again; `cancel` lists jobs the unit must stop. With `transfers: "agent"` the job also carries `staged`: the transfer manifest and the commands-only script, for an agent that moves the files itself.',
      body: { type: 'object', additionalProperties: false, required: ['unit', 'capacity'], properties: { unit: unitName, capacity: capacitySchema, running: idList, transfers: { type: 'string', enum: ['script', 'agent'] } } },
      response: { 200: answerSchema, ...fileErrorResponses, 503: fileErrorResponses[404] },
    },
  }, async (request) => {
    const grid = gridOf(ctx);
    const resource = await resourceOf(ctx, request);
    const { transfers } = request.body;
    return grid.requestWork({ resource, unit: request.body.unit, capacity: request.body.capacity, running: request.body.running ?? [], ...(transfers === undefined ? {} : { transfers }) });
  });

  app.post<{ Body: { unit: string; running?: string[] } }>('/api/v1/agent/heartbeat', {
    config,
    schema: {
      tags,
      security,
      summary: 'A resource unit reports the jobs it runs',
      body: { type: 'object', additionalProperties: false, required: ['unit'], properties: { unit: unitName, running: idList } },
      response: { 200: answerSchema, ...fileErrorResponses, 503: fileErrorResponses[404] },
    },
  }, async (request) => {
    const grid = gridOf(ctx);
    const resource = await resourceOf(ctx, request);
    return grid.heartbeat({ resource, unit: request.body.unit, running: request.body.running ?? [] });
  });

  app.post<{ Params: { id: string }; Body: { sessionId: string; reason: string } }>('/api/v1/agent/jobs/:id/failed', {
    config,
    schema: {
      tags,
      security,
      summary: 'A resource reports a job that ended without its .status upload',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } },
      body: { type: 'object', additionalProperties: false, required: ['sessionId', 'reason'], properties: { sessionId: { type: 'string', pattern: '^[0-9a-f]{64}$' }, reason: { type: 'string', maxLength: 1000 } } },
      response: { 200: { type: 'object', required: ['id', 'state'], properties: { id: { type: 'string' }, state: { type: 'string' } } }, ...fileErrorResponses, 503: fileErrorResponses[404] },
    },
  }, async (request) => {
    const grid = gridOf(ctx);
    const resource = await resourceOf(ctx, request);
    const job = await grid.reportFailure({ resource, jobId: request.params.id, sessionId: request.body.sessionId, reason: request.body.reason });
    return { id: job.id, state: job.state };
  });
}
