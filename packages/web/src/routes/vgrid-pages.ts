/**
 * A VGrid's two web folders as web sites (the VGrid pages themselves are `workgroup-pages.ts`):
 * - `/vgrid/<name>/…`: the PUBLIC web folder, to anyone, no sign-in (the issue's URL; MiG also
 *   links it as `/public/vgrid/<name>/`);
 * - `/vgrid-private/<name>/…`: the PRIVATE web folder, to signed-in participants of the VGrid
 *   only (MiG serves it at `/vgrid/<name>/` behind its Apache membership check; here `/vgrid/` is
 *   the public one, so the private one has its own prefix). Outsiders get 404, anonymous visitors
 *   the sign-in page.
 * Names are URL-encoded per level (`/vgrid/Physics/Optics/` is the sub-VGrid's folder inside
 * its parent's, as on disk in MiG). Serving is `vgrid-pages/vgrid-web-folder.ts`.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../app/web-context.js';
import { requireUser } from '../plugins/authentication.js';
import { resolveWebFolder, sendWebFolder } from '../vgrid-pages/vgrid-web-folder.js';

/** URL prefix of the public web folders. */
export const PUBLIC_WEB_PREFIX = '/vgrid/';
/** URL prefix of the members-only web folders. */
export const PRIVATE_WEB_PREFIX = '/vgrid-private/';

type Params = { '*'?: string };

/** Registers `/vgrid/*` (public) and `/vgrid-private/*` (participants only). */
export function registerVgridWebFolderPages(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;
  app.get<{ Params: Params }>(`${PUBLIC_WEB_PREFIX}*`, async (request, reply) => {
    const target = await resolveWebFolder(site, 'public', request.params['*'] ?? '');
    return sendWebFolder(request, reply, 'public', target);
  });
  app.get<{ Params: Params }>(`${PRIVATE_WEB_PREFIX}*`, async (request, reply) => {
    const user = requireUser(request);
    const target = await resolveWebFolder(site, 'private', request.params['*'] ?? '', user.id);
    return sendWebFolder(request, reply, 'private', target);
  });
}
