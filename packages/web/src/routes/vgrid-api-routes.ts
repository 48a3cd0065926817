/**
 * The VGrid API routes that complete `/api/v1/vgrids…` (the rest is in `workgroups-api.ts`):
 * `GET /api/v1/vgrids/{name}/participants` (the owners and members the VGrid's visibility settings
 * let the caller see, decided by the core's `visibleVgridParticipants`), and deciding on a request
 * under its VGrid, `POST /api/v1/vgrids/{name}/requests/{id}/accept|reject` (a request of another
 * VGrid answers as unknown). `{name}` is one path segment with `/` encoded (`Physics%2FOptics`).
 * Tokens need `files:read` to look and `files:write` to decide, as the other VGrid routes.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import { mayKnowVgrid, NotFoundError, visibleVgridParticipants, type UserRecord, type VgridActor, type VgridParticipant, type VgridRecord, type VgridRequest, type VgridViewer } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { vgridRequestSchema } from '../vgrids-api/vgrid-request-json.js';
import { fileErrorResponses } from '../files/file-json.js';
import { requireUser } from '../plugins/authentication.js';
import { vgridParticipantJson, vgridParticipantsSchema, type VgridParticipantJson, type VgridParticipantsJson } from '../vgrids-api/vgrid-participants-json.js';

const tags = ['vgrids'];
const nameParam = { type: 'string', minLength: 1, maxLength: 1024, description: 'The VGrid\'s full name, `/` encoded as %2F.' } as const;
const nameParams = { type: 'object', required: ['name'], additionalProperties: false, properties: { name: nameParam } } as const;
const decideParams = { type: 'object', required: ['name', 'id'], additionalProperties: false, properties: { name: nameParam, id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const decidedSchema = { ...vgridRequestSchema, required: ['id', 'vgrid', 'user', 'kind', 'message', 'status', 'createdAt', 'decidedAt'] } as const;

/** Registers the VGrid participants route and the per-VGrid request decisions. */
export function registerVgridApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;
  const label = site.config.vgrids.label;
  const actorOf = (user: UserRecord): VgridActor => ({ kind: 'user', userId: user.id });
  const emailOf = async (id: string): Promise<string> => (await site.users.find(id))?.email ?? '';

  /** The VGrid and the caller as a viewer of it; a hidden one they are not in answers as unknown. */
  const known = async (user: UserRecord, name: string): Promise<{ record: VgridRecord; viewer: VgridViewer }> => {
    const record = await site.vgrids.get(name);
    const viewer: VgridViewer = { role: await site.vgrids.roleOf(user.id, record.name), admin: user.roles.includes('admin') };
    if (!mayKnowVgrid(record, viewer)) throw new NotFoundError('MIG_E_VGRID_NOT_FOUND', `There is no ${label} called "${name.slice(0, 256)}".`);
    return { record, viewer };
  };

  app.get<{ Params: { name: string } }>('/api/v1/vgrids/:name/participants', {
    schema: {
      tags,
      summary: 'A VGrid\'s owners and members, as far as its visibility settings show them to you (null: not shown)',
      params: nameParams,
      response: { 200: vgridParticipantsSchema, ...fileErrorResponses },
    },
  }, async (request): Promise<VgridParticipantsJson> => {
    const user = requireUser(request, 'files:read');
    const { record, viewer } = await known(user, request.params.name);
    const needed = record.settings.visibleOwners !== 'owners' || record.settings.visibleMembers !== 'owners' || viewer.role === 'owner' || viewer.admin;
    const visible = visibleVgridParticipants(record, needed ? await site.vgrids.participants(record.name) : [], viewer);
    const asJson = (list: readonly VgridParticipant[] | null): Promise<VgridParticipantJson[]> | null =>
      list === null ? null : Promise.all(list.map(async (p) => vgridParticipantJson(p, await emailOf(p.userId))));
    return { name: record.name, role: viewer.role, owners: await asJson(visible.owners), members: await asJson(visible.members) };
  });

  for (const decision of ['accept', 'reject'] as const) {
    app.post<{ Params: { name: string; id: string } }>(`/api/v1/vgrids/:name/requests/:id/${decision}`, {
      schema: {
        tags,
        summary: `${decision === 'accept' ? 'Accept' : 'Reject'} a pending request to this VGrid (its owners)`,
        params: decideParams,
        response: { 200: decidedSchema, ...fileErrorResponses },
      },
    }, async (request) => {
      const user = requireUser(request, 'files:write');
      const { record } = await known(user, request.params.name);
      // The store checks the caller may decide (refusing a non-owner) before anyone learns which ids exist.
      const requests = await site.vgrids.listRequests(record.name, { actor: actorOf(user) });
      if (!requests.some((r) => r.id === request.params.id)) {
        throw new NotFoundError('MIG_E_VGRID_REQUEST_NOT_FOUND', `The ${label} ${record.name} has no request ${request.params.id.slice(0, 64)}.`);
      }
      const options = { actor: actorOf(user) };
      const decided: VgridRequest = decision === 'accept' ? await site.vgrids.acceptRequest(request.params.id, options) : await site.vgrids.rejectRequest(request.params.id, options);
      return { id: decided.id, vgrid: decided.vgrid, user: await emailOf(decided.userId), kind: decided.kind, message: decided.message, status: decided.status, createdAt: decided.createdAt, decidedAt: decided.decidedAt };
    });
  }
}
