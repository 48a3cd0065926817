/**
 * The caller's file view for a request: the signed-in user (session or API token with the needed
 * `files:*` scope) and `site.files.viewFor` — the only way the web app reaches files.
 * @packageDocumentation
 */
import type { FastifyRequest } from 'fastify';
import type { FileView, UserRecord } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { requireUser } from '../plugins/authentication.js';

/** The user and view of a request. */
export interface RequestView {
  readonly user: UserRecord;
  readonly view: FileView;
}

/** The caller's view; reads need `files:read`, changes `files:write` (for API tokens). */
export async function viewOf(ctx: WebContext, request: FastifyRequest, need: 'read' | 'write'): Promise<RequestView> {
  const user = requireUser(request, need === 'read' ? 'files:read' : 'files:write');
  const view = await ctx.site.files.viewFor({ kind: 'user', userId: user.id });
  return { user, view };
}
