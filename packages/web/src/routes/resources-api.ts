/**
 * The resource owners' API (`/api/v1/resources…`): list your resources, show one (configuration
 * summary, units, status, the jobs running on it), pause, resume, remove, and rotate its agent
 * token (the new token is in the answer, once). Owners touch only their own (another owner's is
 * "not found", like a missing one); site admins touch all, and only admins register resources
 * (MiG's `auto_add_resource` is off by default; this site has no switch for owners yet).
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import { MigError, NotFoundError, type JobRecord, type ResourceRecord } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { fileErrorResponses } from '../files/file-json.js';
import { jobsRunningOn, resourceCaller, resourceFor, resourcesOf } from '../jobs/resource-access.js';

const tags = ['resources'];
const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** The API form of a resource (a summary of its configuration; no secrets). */
export function resourceJson(r: ResourceRecord): Record<string, unknown> {
  const cfg = r.config;
  return {
    id: r.id,
    owner: r.ownerId,
    status: r.status,
    executor: r.executor,
    publicName: cfg.PUBLICNAME,
    architecture: cfg.ARCHITECTURE,
    platform: cfg.PLATFORM,
    jobType: cfg.JOBTYPE,
    sandbox: cfg.SANDBOX,
    nodeCount: cfg.NODECOUNT,
    cpuCount: cfg.CPUCOUNT,
    memoryMb: cfg.MEMORY,
    diskGb: cfg.DISK,
    runtimeEnvironments: cfg.RUNTIMEENVIRONMENT.map((re) => re.name),
    units: cfg.EXECONFIG.map((u) => ({ name: u.name, cputime: u.cputime, nodecount: u.nodecount, vgrids: [...u.vgrid] })),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    lastSeenAt: iso(r.lastSeenAt),
  };
}

/** A running job as a resource's owner sees it (not its owner's files or description). */
function runningJson(j: JobRecord): Record<string, unknown> {
  return { id: j.id, unit: j.unitName, executingAt: iso(j.executingAt) };
}

const time = { type: 'string', format: 'date-time', nullable: true } as const;
const resourceSchema = {
  type: 'object',
  required: ['id', 'owner', 'status', 'executor', 'units'],
  properties: {
    id: { type: 'string' },
    owner: { type: 'string', description: "the owner's user id" },
    status: { type: 'string', enum: ['active', 'paused'] },
    executor: { type: 'string', enum: ['local', 'slurm'] },
    publicName: { type: 'string' },
    architecture: { type: 'string' },
    platform: { type: 'string' },
    jobType: { type: 'string' },
    sandbox: { type: 'boolean' },
    nodeCount: { type: 'integer' },
    cpuCount: { type: 'integer' },
    memoryMb: { type: 'integer' },
    diskGb: { type: 'integer' },
    runtimeEnvironments: { type: 'array', items: { type: 'string' } },
    units: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, cputime: { type: 'integer' }, nodecount: { type: 'integer' }, vgrids: { type: 'array', items: { type: 'string' } } } },
    },
    createdAt: time,
    updatedAt: time,
    lastSeenAt: time,
    running: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, unit: { type: 'string', nullable: true }, executingAt: time } },
    },
  },
} as const;
/** A resource name: host-name characters (the store checks the exact rule). */
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 63 } } } as const;

/** Registers the resources API. */
export function registerResourcesApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;

  app.get('/api/v1/resources', {
    schema: {
      tags,
      summary: 'Your resources (every resource for site admins)',
      response: { 200: { type: 'object', required: ['resources'], properties: { resources: { type: 'array', items: resourceSchema } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const caller = resourceCaller(request, 'read');
    return { resources: (await resourcesOf(site, caller)).map(resourceJson) };
  });

  app.post<{ Body: { name: string; owner: string; units?: number; executor?: 'local' | 'slurm' } }>('/api/v1/resources', {
    schema: {
      tags,
      summary: 'Register a resource (site admins); the answer holds its agent token, shown once',
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'owner'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 63 },
          owner: { type: 'string', minLength: 1, maxLength: 512, description: "the owner's email, login alias, DN or user id" },
          units: { type: 'integer', minimum: 1, maximum: 256 },
          executor: { type: 'string', enum: ['local', 'slurm'] },
        },
      },
      response: { 201: { type: 'object', required: ['resource', 'token'], properties: { resource: resourceSchema, token: { type: 'string' } } }, ...fileErrorResponses },
    },
  }, async (request, reply) => {
    const caller = resourceCaller(request, 'write');
    if (!caller.admin) throw new MigError('MIG_E_FORBIDDEN', 'Only site administrators register resources; ask them to add yours ("mig resource add").');
    const owner = await site.users.find(request.body.owner);
    if (owner === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', 'No user of this site matches that owner.');
    const { resource, token } = await site.resources.add({ name: request.body.name, ownerId: owner.id, units: request.body.units ?? 1, executor: request.body.executor ?? 'local' });
    return reply.status(201).send({ resource: resourceJson(resource), token });
  });

  app.get<{ Params: { id: string } }>('/api/v1/resources/:id', {
    schema: { tags, summary: 'One of your resources, with the jobs running on it', params: idParams, response: { 200: resourceSchema, ...fileErrorResponses } },
  }, async (request) => {
    const caller = resourceCaller(request, 'read');
    const resource = await resourceFor(site, caller, request.params.id);
    return { ...resourceJson(resource), running: (await jobsRunningOn(site, resource.id)).map(runningJson) };
  });

  for (const [action, status, text] of [['pause', 'paused', 'Pause one of your resources (no new work; running jobs go on)'], ['resume', 'active', 'Resume one of your resources']] as const) {
    app.post<{ Params: { id: string } }>(`/api/v1/resources/:id/${action}`, {
      schema: { tags, summary: text, params: idParams, response: { 200: resourceSchema, ...fileErrorResponses } },
    }, async (request) => {
      const caller = resourceCaller(request, 'write');
      const resource = await resourceFor(site, caller, request.params.id);
      return resourceJson(await site.resources.setStatus(resource.id, status));
    });
  }

  app.post<{ Params: { id: string } }>('/api/v1/resources/:id/token', {
    schema: {
      tags,
      summary: "Issue a new agent token for one of your resources (shown once; the old one stops working)",
      params: idParams,
      response: { 200: { type: 'object', required: ['id', 'token'], properties: { id: { type: 'string' }, token: { type: 'string' } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const caller = resourceCaller(request, 'write');
    const resource = await resourceFor(site, caller, request.params.id);
    return { id: resource.id, token: await site.resources.rotateToken(resource.id) };
  });

  app.delete<{ Params: { id: string } }>('/api/v1/resources/:id', {
    schema: { tags, summary: 'Remove one of your resources (its token stops working at once)', params: idParams, response: { 204: { type: 'null', description: 'Removed' }, ...fileErrorResponses } },
  }, async (request, reply) => {
    const caller = resourceCaller(request, 'write');
    const resource = await resourceFor(site, caller, request.params.id);
    await site.resources.remove(resource.id);
    return reply.status(204).send();
  });
}
