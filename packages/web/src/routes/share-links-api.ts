/**
 * The share links API (`/api/v1/share-links…`): make a link to a file or folder of one's view
 * (optionally inviting people by email), list one's links (or, for a VGrid's owners, the links
 * made into its share), show, change expiry/password/use limit, revoke and invite. Everything goes
 * through `site.shareLinks`, which resolves the target in the owner's own view and checks the
 * owner's rights there; a link of someone else answers exactly as a missing one (404). Tokens need
 * `files:read` to look and `files:write` to change: a link hands out file access.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isMigError, NotFoundError, PolicyError, type ShareLink, type ShareLinkMode, type UpdateShareLinkInput, type UserRecord } from '@migrid/core';
import { onlyKnownFields } from '../app/only-known-fields.js';
import type { WebContext } from '../app/web-context.js';
import { fileErrorResponses, fileErrorSchema } from '../files/file-json.js';
import { requireUser } from '../plugins/authentication.js';
import { MAX_SHARE_INVITES, parseExpires, parseInviteEmails } from '../share-links/share-link-api-input.js';
import { shareLinkJson, shareLinkSchema, type ShareLinkJson } from '../share-links/share-link-json.js';

const tags = ['share-links'];

const expires = {
  type: 'string',
  nullable: true,
  maxLength: 64,
  description: 'When the link stops working: an ISO 8601 date (YYYY-MM-DD, until the end of that day, UTC), a date-time with a zone, or epoch milliseconds. Null or omitted: never.',
} as const;
const password = {
  type: 'string',
  nullable: true,
  minLength: 8,
  maxLength: 256,
  description: 'A password of the link\'s own (8-256 characters). Without one, the id itself is the password.',
} as const;
const maxUses = { type: 'integer', nullable: true, minimum: 1, maximum: 1_000_000_000, description: 'Most logins allowed (one per session); null: no limit.' } as const;
const emails = { type: 'array', minItems: 1, maxItems: MAX_SHARE_INVITES, items: { type: 'string', maxLength: 254 } } as const;
const message = { type: 'string', maxLength: 4000, description: 'A note added to the invitation mail.' } as const;
const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

const createBody = {
  type: 'object',
  required: ['path'],
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1, maxLength: 4096, description: 'The file or folder as your view names it, e.g. /results or /MyVGrid/data.' },
    mode: { type: 'string', enum: ['ro', 'wo', 'rw'], default: 'ro', description: '`ro` read-only (default), `wo` upload only (a drop box; folders only), `rw` read and write (folders only).' },
    expires,
    password,
    maxUses,
    invite: { ...emails, description: 'Email addresses to send the link to.' },
    message,
  },
} as const;
const updateBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  description: 'Only the fields given change; null removes the expiry, the password or the use limit.',
  properties: { expires, password, maxUses },
} as const;
const inviteBody = { type: 'object', required: ['emails'], additionalProperties: false, properties: { emails, message } } as const;

const createdSchema = {
  ...shareLinkSchema,
  properties: {
    ...shareLinkSchema.properties,
    inviteProblem: { ...fileErrorSchema, description: 'Set when the link was made but the invitations could not be sent.' },
  },
} as const;


interface CreateBody {
  path: string;
  mode?: ShareLinkMode;
  expires?: string | null;
  password?: string | null;
  maxUses?: number | null;
  invite?: string[];
  message?: string;
}
interface UpdateBody {
  expires?: string | null;
  password?: string | null;
  maxUses?: number | null;
}

/** Registers the share links API. */
export function registerShareLinksApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;

  /** Turns links into their API form, reading each owner's email once. */
  const toJson = async (links: readonly ShareLink[], caller: UserRecord): Promise<ShareLinkJson[]> => {
    const owners = new Map<string, Promise<string>>([[caller.id, Promise.resolve(caller.email)]]);
    const ownerOf = (id: string): Promise<string> => {
      let found = owners.get(id);
      if (found === undefined) {
        found = site.users.get(id).then((u) => u.email, () => '');
        owners.set(id, found);
      }
      return found;
    };
    return Promise.all(links.map(async (link) => shareLinkJson(link, { baseUrl: ctx.baseUrl, state: site.shareLinks.stateOf(link), owner: await ownerOf(link.ownerId), callerId: caller.id })));
  };
  const one = async (link: ShareLink, caller: UserRecord): Promise<ShareLinkJson> => (await toJson([link], caller))[0] as ShareLinkJson;
  const actor = (user: UserRecord, request: FastifyRequest) => ({ userId: user.id, address: request.ip });

  app.get<{ Querystring: { vgrid?: string } }>('/api/v1/share-links', {
    schema: {
      tags,
      summary: 'Your share links, newest first (with ?vgrid=NAME: the links made into that VGrid\'s share, for its owners)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { vgrid: { type: 'string', minLength: 1, maxLength: 1024, description: 'A VGrid you own: list the links anyone made into its share (and its sub-VGrids\' shares).' } },
      },
      response: { 200: { type: 'object', required: ['links'], properties: { links: { type: 'array', items: shareLinkSchema } } }, ...fileErrorResponses },
    },
  }, async (request) => {
    const user = requireUser(request, 'files:read');
    const vgrid = request.query.vgrid;
    if (vgrid === undefined) return { links: await toJson(await site.shareLinks.listByOwner(user.id), user) };
    // The VGrid store decides who owns it (inheritance included); an unknown VGrid answers the same.
    const role = await site.vgrids.roleOf(user.id, vgrid);
    if (role !== 'owner') {
      throw new PolicyError('MIG_E_VGRID_NOT_ALLOWED', `Only owners of a ${site.config.vgrids.label} may list the share links made into its folder.`);
    }
    return { links: await toJson(await site.shareLinks.listForVgrid(vgrid), user) };
  });

  app.post<{ Body: CreateBody }>('/api/v1/share-links', {
    schema: {
      tags,
      summary: 'Make a share link to a file or folder of your view (and optionally email it)',
      body: createBody,
      response: { 201: createdSchema, ...fileErrorResponses },
    },
    preValidation: onlyKnownFields(createBody),
  }, async (request, reply) => {
    const user = requireUser(request, 'files:write');
    const body = request.body;
    const expiresAt = parseExpires(body.expires, ctx.now());
    // Checked before the link exists, so a typo in an address makes no link.
    const invite = body.invite === undefined ? undefined : parseInviteEmails(body.invite);
    const link = await site.shareLinks.create({
      ownerId: user.id,
      path: body.path,
      mode: body.mode ?? 'ro',
      ...(expiresAt !== undefined && { expiresAt }),
      ...(body.password !== undefined && { password: body.password }),
      ...(body.maxUses !== undefined && { maxUses: body.maxUses }),
      address: request.ip,
    });
    let made = link;
    let inviteProblem: { code: string; message: string } | undefined;
    if (invite !== undefined) {
      try {
        made = await site.shareLinks.invite(link.id, invite, { ...actor(user, request), ...(body.message !== undefined && { message: body.message }) });
      } catch (err) {
        // The link exists and is the answer; the caller learns the mails did not go.
        if (!isMigError(err)) request.log.error({ err }, 'share link invitation failed');
        inviteProblem = isMigError(err) && err.status < 500 ? { code: err.code, message: err.message } : { code: 'MIG_E_INTERNAL', message: 'The invitations could not be sent; try again with POST /api/v1/share-links/{id}/invite.' };
      }
    }
    return reply.status(201).send({ ...(await one(made, user)), ...(inviteProblem !== undefined && { inviteProblem }) });
  });

  app.get<{ Params: { id: string } }>('/api/v1/share-links/:id', {
    schema: { tags, summary: 'One of your share links', params: idParams, response: { 200: shareLinkSchema, ...fileErrorResponses } },
  }, async (request) => {
    const user = requireUser(request, 'files:read');
    const link = await site.shareLinks.get(request.params.id);
    // Someone else's link answers exactly as a missing one.
    if (link.ownerId !== user.id) throw new NotFoundError('MIG_E_SHARE_LINK_NOT_FOUND', 'There is no such share link; check the id.');
    return one(link, user);
  });

  app.patch<{ Params: { id: string }; Body: UpdateBody }>('/api/v1/share-links/:id', {
    schema: { tags, summary: 'Change the expiry, password or use limit of one of your share links', params: idParams, body: updateBody, response: { 200: shareLinkSchema, ...fileErrorResponses } },
    preValidation: onlyKnownFields(updateBody),
  }, async (request) => {
    const user = requireUser(request, 'files:write');
    const body = request.body;
    const expiresAt = parseExpires(body.expires, ctx.now());
    const changes: UpdateShareLinkInput = {
      ...(expiresAt !== undefined && { expiresAt }),
      ...(body.password !== undefined && { password: body.password }),
      ...(body.maxUses !== undefined && { maxUses: body.maxUses }),
    };
    return one(await site.shareLinks.update(request.params.id, changes, actor(user, request)), user);
  });

  app.delete<{ Params: { id: string } }>('/api/v1/share-links/:id', {
    schema: { tags, summary: 'Revoke one of your share links for good (it stays in your list as revoked)', params: idParams, response: { 200: shareLinkSchema, ...fileErrorResponses } },
  }, async (request) => {
    const user = requireUser(request, 'files:write');
    return one(await site.shareLinks.revoke(request.params.id, actor(user, request)), user);
  });

  app.post<{ Params: { id: string }; Body: { emails: string[]; message?: string } }>('/api/v1/share-links/:id/invite', {
    schema: { tags, summary: 'Email one of your share links to people', params: idParams, body: inviteBody, response: { 200: shareLinkSchema, ...fileErrorResponses } },
    preValidation: onlyKnownFields(inviteBody),
  }, async (request) => {
    const user = requireUser(request, 'files:write');
    const to = parseInviteEmails(request.body.emails, 'emails');
    const message = request.body.message;
    return one(await site.shareLinks.invite(request.params.id, to, { ...actor(user, request), ...(message !== undefined && { message }) }), user);
  });
}
