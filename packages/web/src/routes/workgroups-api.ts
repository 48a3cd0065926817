/**
 * The VGrid ("workgroup") API (`/api/v1/vgrids…`, `/api/v1/vgrid-requests…`): list and create
 * VGrids, show one with the participants its visibility settings let the caller see, change its
 * settings, remove it, add and remove owners and members (a participant may remove themselves:
 * leaving), ask to join and decide on requests. Every rule (names, who may do what, the last owner,
 * inheritance) is the core VGrid store's; these routes only translate. A VGrid name is one path
 * segment with its `/` encoded (`Physics%2FOptics`). Tokens need `files:read` to look and
 * `files:write` to change: a VGrid hands out access to its shared folder.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import { mayKnowVgrid, mayViewVgridList, NotFoundError, type UserRecord, type VgridActor, type VgridParticipant, type VgridRecord, type VgridRequest, type VgridRole } from '@migrid/core';
import { onlyKnownFields } from '../app/only-known-fields.js';
import type { WebContext } from '../app/web-context.js';
import { vgridRequestSchema } from '../vgrids-api/vgrid-request-json.js';
import { fileErrorResponses, flagOn, queryFlag } from '../files/file-json.js';
import { requireUser } from '../plugins/authentication.js';

const tags = ['vgrids'];
const visibility = { type: 'string', enum: ['owners', 'members', 'everyone'] } as const;
const settingsSchema = {
  type: 'object',
  properties: {
    description: { type: 'string', maxLength: 4096 },
    visibleOwners: visibility,
    visibleMembers: visibility,
    visibleResources: visibility,
    hidden: { type: 'boolean' },
    requestRecipients: { type: 'integer', minimum: 1, maximum: 1000 },
    readOnly: { type: 'boolean', description: 'Members may read but not change the shared folder; owners always write.' },
    createShareLink: { type: 'string', enum: ['owners', 'members', 'none'], description: 'Who may make share links inside the shared folder.' },
  },
} as const;
const vgridSchema = {
  type: 'object',
  required: ['name', 'parent', 'role', 'settings', 'createdAt'],
  properties: {
    name: { type: 'string' },
    parent: { type: 'string', nullable: true },
    role: { type: 'string', nullable: true, enum: ['owner', 'member', null], description: 'Your role (with inheritance), or null.' },
    settings: settingsSchema,
    createdAt: { type: 'integer' },
  },
} as const;
const participantSchema = {
  type: 'object',
  required: ['email', 'role', 'inherited', 'via'],
  properties: { email: { type: 'string' }, role: { type: 'string', enum: ['owner', 'member'] }, inherited: { type: 'boolean' }, via: { type: 'string' }, addedAt: { type: 'integer' } },
} as const;
const requestSchema = vgridRequestSchema;
const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 1024, description: 'The VGrid\'s full name, `/` encoded as %2F.' } } } as const;
const personParams = {
  type: 'object',
  required: ['name', 'user'],
  properties: { ...nameParams.properties, user: { type: 'string', minLength: 1, maxLength: 1024, description: 'Email, login alias, DN or user id.' } },
} as const;
const requestIdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const createBody = { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 1024 }, description: { type: 'string', maxLength: 4096 } } } as const;
const patchBody = { ...settingsSchema, additionalProperties: false, minProperties: 1 } as const;
const askBody = { type: 'object', required: ['kind'], additionalProperties: false, properties: { kind: { type: 'string', enum: ['member', 'owner'] }, message: { type: 'string', maxLength: 4096 } } } as const;



/** Registers the VGrid API. */
export function registerWorkgroupsApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;
  const actorOf = (user: UserRecord): VgridActor => ({ kind: 'user', userId: user.id });
  const isAdmin = (user: UserRecord): boolean => user.roles.includes('admin');
  const vgridJson = (record: VgridRecord, role: VgridRole | null) => ({ name: record.name, parent: record.parent, role, settings: record.settings, createdAt: record.createdAt });
  const emailOf = async (id: string): Promise<string> => (await site.users.find(id))?.email ?? '';
  const requestJson = async (r: VgridRequest) => ({ id: r.id, vgrid: r.vgrid, user: await emailOf(r.userId), kind: r.kind, message: r.message, status: r.status, createdAt: r.createdAt, decidedAt: r.decidedAt });
  const personNamed = async (who: string): Promise<UserRecord> => {
    const user = await site.users.find(who);
    if (user === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', `No user matches "${who.slice(0, 256)}".`);
    return user;
  };
  /** The VGrid as the caller may see it: a hidden one they are not in answers as unknown. */
  const visible = async (user: UserRecord, name: string): Promise<{ record: VgridRecord; role: VgridRole | null }> => {
    const record = await site.vgrids.get(name);
    const role = await site.vgrids.roleOf(user.id, record.name);
    if (!mayKnowVgrid(record, { role, admin: isAdmin(user) })) throw new NotFoundError('MIG_E_VGRID_NOT_FOUND', `There is no ${site.config.vgrids.label} called "${name.slice(0, 256)}".`);
    return { record, role };
  };

  app.get<{ Querystring: { mine?: string } }>('/api/v1/vgrids', {
    schema: {
      tags,
      summary: 'VGrids you can see, with your role (?mine=1: only those you take part in)',
      querystring: { type: 'object', additionalProperties: false, properties: { mine: queryFlag } },
      response: { 200: { type: 'object', required: ['vgrids'], properties: { vgrids: { type: 'array', items: vgridSchema } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const user = requireUser(request, 'files:read');
    const [all, mine] = await Promise.all([site.vgrids.list({ visibleTo: actorOf(user) }), site.vgrids.vgridsOf(user.id)]);
    const roles = new Map(mine.map((m) => [m.name, m.role]));
    const shown = flagOn(request.query.mine) ? all.filter((v) => roles.has(v.name)) : all;
    return { vgrids: shown.map((v) => vgridJson(v, roles.get(v.name) ?? null)) };
  });

  app.post<{ Body: { name: string; description?: string } }>('/api/v1/vgrids', {
    preValidation: onlyKnownFields(createBody),
    schema: { tags, summary: 'Create a VGrid (Parent/Child under one you own); you become its owner', body: createBody, response: { 201: vgridSchema, ...fileErrorResponses } },
  }, async (request, reply) => {
    const user = requireUser(request, 'files:write');
    const { name, description } = request.body;
    const record = await site.vgrids.create({ actor: actorOf(user), name, ...(description === undefined ? {} : { settings: { description } }) });
    return reply.status(201).send(vgridJson(record, await site.vgrids.roleOf(user.id, record.name)));
  });

  app.get<{ Params: { name: string } }>('/api/v1/vgrids/:name', {
    schema: {
      tags,
      summary: 'A VGrid with the owners, members and resources its visibility settings let you see',
      params: nameParams,
      response: {
        200: {
          type: 'object',
          properties: {
            ...vgridSchema.properties,
            owners: { type: 'array', nullable: true, items: participantSchema },
            members: { type: 'array', nullable: true, items: participantSchema },
            resources: { type: 'array', nullable: true, items: { type: 'object', properties: { resourceId: { type: 'string' }, inherited: { type: 'boolean' } } } },
          },
        },
        ...fileErrorResponses,
      },
    },
  }, async (request) => {
    const user = requireUser(request, 'files:read');
    const { record, role } = await visible(user, request.params.name);
    const admin = isAdmin(user);
    const { settings } = record;
    const needPeople = mayViewVgridList(settings.visibleOwners, { role, admin }) || mayViewVgridList(settings.visibleMembers, { role, admin });
    const people: VgridParticipant[] = needPeople ? await site.vgrids.participants(record.name) : [];
    const asJson = (list: VgridParticipant[]) => Promise.all(list.map(async (p) => ({ email: await emailOf(p.userId), role: p.role, inherited: p.inherited, via: p.via, addedAt: p.addedAt })));
    return {
      ...vgridJson(record, role),
      owners: mayViewVgridList(settings.visibleOwners, { role, admin }) ? await asJson(people.filter((p) => p.role === 'owner')) : null,
      members: mayViewVgridList(settings.visibleMembers, { role, admin }) ? await asJson(people.filter((p) => p.role === 'member')) : null,
      resources: mayViewVgridList(settings.visibleResources, { role, admin }) ? (await site.vgrids.resources(record.name)).map((r) => ({ resourceId: r.resourceId, inherited: r.inherited })) : null,
    };
  });

  app.patch<{ Params: { name: string }; Body: Record<string, unknown> }>('/api/v1/vgrids/:name', {
    preValidation: onlyKnownFields(patchBody),
    schema: { tags, summary: 'Change a VGrid\'s settings (owners)', params: nameParams, body: patchBody, response: { 200: vgridSchema, ...fileErrorResponses } },
  }, async (request) => {
    const user = requireUser(request, 'files:write');
    const { record } = await visible(user, request.params.name);
    const updated = await site.vgrids.updateSettings(record.name, request.body, { actor: actorOf(user) });
    return vgridJson(updated, await site.vgrids.roleOf(user.id, updated.name));
  });

  app.delete<{ Params: { name: string }; Querystring: { force?: string } }>('/api/v1/vgrids/:name', {
    schema: {
      tags,
      summary: 'Remove a VGrid (owners; ?force=1 also removes its sub-VGrids); its folders are kept aside, never deleted',
      params: nameParams,
      querystring: { type: 'object', additionalProperties: false, properties: { force: queryFlag } },
      response: { 200: { type: 'object', properties: { removed: { type: 'array', items: { type: 'string' } } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const user = requireUser(request, 'files:write');
    const { record } = await visible(user, request.params.name);
    const removal = await site.vgrids.remove(record.name, { actor: actorOf(user), force: flagOn(request.query.force) });
    return { removed: removal.removed };
  });

  for (const role of ['owners', 'members'] as const) {
    app.put<{ Params: { name: string; user: string } }>(`/api/v1/vgrids/:name/${role}/:user`, {
      schema: { tags, summary: `Add ${role === 'owners' ? 'an owner' : 'a member'} (owners)`, params: personParams, response: { 204: { type: 'null' }, ...fileErrorResponses } },
    }, async (request, reply) => {
      const user = requireUser(request, 'files:write');
      const { record } = await visible(user, request.params.name);
      const person = await personNamed(request.params.user);
      if (role === 'owners') await site.vgrids.addOwner(record.name, person.id, { actor: actorOf(user) });
      else await site.vgrids.addMember(record.name, person.id, { actor: actorOf(user) });
      return reply.status(204).send();
    });
    app.delete<{ Params: { name: string; user: string }; Querystring: { force?: string } }>(`/api/v1/vgrids/:name/${role}/:user`, {
      schema: {
        tags,
        summary: `Remove ${role === 'owners' ? 'an owner (the last one only with ?force=1, which removes the VGrid)' : 'a member'}; anyone may remove themselves`,
        params: personParams,
        querystring: { type: 'object', additionalProperties: false, properties: { force: queryFlag } },
        response: { 204: { type: 'null' }, ...fileErrorResponses },
      },
    }, async (request, reply) => {
      const user = requireUser(request, 'files:write');
      const { record } = await visible(user, request.params.name);
      const person = await personNamed(request.params.user);
      if (role === 'owners') await site.vgrids.removeOwner(record.name, person.id, { actor: actorOf(user), force: flagOn(request.query.force) });
      else await site.vgrids.removeMember(record.name, person.id, { actor: actorOf(user) });
      return reply.status(204).send();
    });
  }

  const resourceParams = {
    type: 'object',
    required: ['name', 'resource'],
    properties: { ...nameParams.properties, resource: { type: 'string', minLength: 1, maxLength: 64, description: 'The resource\'s id.' } },
  } as const;
  app.put<{ Params: { name: string; resource: string } }>('/api/v1/vgrids/:name/resources/:resource', {
    schema: { tags, summary: 'Let a resource run the VGrid\'s jobs and its sub-VGrids\' (owners)', params: resourceParams, response: { 204: { type: 'null' }, ...fileErrorResponses } },
  }, async (request, reply) => {
    const user = requireUser(request, 'files:write');
    const { record } = await visible(user, request.params.name);
    await site.vgrids.addResource(record.name, request.params.resource, { actor: actorOf(user) });
    return reply.status(204).send();
  });
  app.delete<{ Params: { name: string; resource: string } }>('/api/v1/vgrids/:name/resources/:resource', {
    schema: { tags, summary: 'Stop a resource running the VGrid\'s jobs (owners)', params: resourceParams, response: { 204: { type: 'null' }, ...fileErrorResponses } },
  }, async (request, reply) => {
    const user = requireUser(request, 'files:write');
    const { record } = await visible(user, request.params.name);
    await site.vgrids.removeResource(record.name, request.params.resource, { actor: actorOf(user) });
    return reply.status(204).send();
  });

  app.post<{ Params: { name: string }; Body: { kind: 'member' | 'owner'; message?: string } }>('/api/v1/vgrids/:name/requests', {
    preValidation: onlyKnownFields(askBody),
    schema: { tags, summary: 'Ask to become a member or owner; the owners are told', params: nameParams, body: askBody, response: { 201: requestSchema, ...fileErrorResponses } },
  }, async (request, reply) => {
    const user = requireUser(request, 'files:write');
    const { record } = await visible(user, request.params.name);
    const { request: asked } = await site.vgrids.request(record.name, { actor: actorOf(user), kind: request.body.kind, ...(request.body.message === undefined ? {} : { message: request.body.message }) });
    return reply.status(201).send(await requestJson(asked));
  });

  app.get<{ Params: { name: string }; Querystring: { status?: 'pending' | 'accepted' | 'rejected' } }>('/api/v1/vgrids/:name/requests', {
    schema: {
      tags,
      summary: 'A VGrid\'s requests, newest first (owners)',
      params: nameParams,
      querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: ['pending', 'accepted', 'rejected'] } } },
      response: { 200: { type: 'object', properties: { requests: { type: 'array', items: requestSchema } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const user = requireUser(request, 'files:read');
    const { record } = await visible(user, request.params.name);
    const list = await site.vgrids.listRequests(record.name, { actor: actorOf(user), ...(request.query.status === undefined ? {} : { status: request.query.status }) });
    return { requests: await Promise.all(list.map(requestJson)) };
  });

  app.get('/api/v1/vgrid-requests', {
    schema: { tags, summary: 'Your own requests, newest first', response: { 200: { type: 'object', properties: { requests: { type: 'array', items: requestSchema } } }, ...fileErrorResponses } },
  }, async (request) => {
    const user = requireUser(request, 'files:read');
    return { requests: await Promise.all((await site.vgrids.requestsOf(user.id)).map(requestJson)) };
  });

  for (const decision of ['accept', 'reject'] as const) {
    app.post<{ Params: { id: string } }>(`/api/v1/vgrid-requests/:id/${decision}`, {
      schema: { tags, summary: `${decision === 'accept' ? 'Accept' : 'Reject'} a pending request (the VGrid's owners)`, params: requestIdParams, response: { 200: requestSchema, ...fileErrorResponses } },
    }, async (request) => {
      const user = requireUser(request, 'files:write');
      const options = { actor: actorOf(user) };
      const decided = decision === 'accept' ? await site.vgrids.acceptRequest(request.params.id, options) : await site.vgrids.rejectRequest(request.params.id, options);
      return requestJson(decided);
    });
  }
}
