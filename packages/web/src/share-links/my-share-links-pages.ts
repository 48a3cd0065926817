/**
 * The owner's side of share links, for signed-in users: `POST /share-links` makes a link (the file
 * manager's "Share" dialog posts here and reads a JSON answer; a plain form gets a redirect), and
 * `GET /share-links` ("My share links") lists the user's links with state and uses, with forms to
 * change expiry, password and use limit and to revoke. Everything goes through `site.shareLinks`,
 * which checks ownership and the owner's rights on the target.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError, isMigError, type ShareLink, type ShareLinkMode, type UpdateShareLinkInput } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { formChecked, formOf, formText, type FormBody } from '../accounts/form-input.js';
import { notice, when } from '../accounts/page-parts.js';
import { requireUser } from '../plugins/authentication.js';
import { html, type SafeHtml } from '../html/html.js';
import { csrfField, sendPage } from '../html/layout.js';
import { modeText } from './share-page-parts.js';

/** The JSON answer of `POST /share-links` (for the file manager's dialog). */
export interface CreatedShareLinkJson {
  readonly id: string;
  readonly url: string;
  readonly mode: ShareLinkMode;
  readonly kind: 'file' | 'folder';
  readonly path: string;
  readonly expiresAt: string | null;
  readonly maxUses: number | null;
  readonly hasPassword: boolean;
  readonly invited: readonly string[];
  /** Set when the link was made but the invitations could not be sent. */
  readonly inviteProblem?: string;
}

const MODES: readonly ShareLinkMode[] = ['ro', 'wo', 'rw'];
const MAX_INVITES = 100;

/** The end of a `YYYY-MM-DD` day in UTC, or an ISO 8601 time with a zone; '' is none. */
export function parseExpiry(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (day !== null) {
    const ms = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]), 23, 59, 59, 999);
    if (Number.isFinite(ms) && new Date(ms).getUTCDate() === Number(day[3])) return ms;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new InvalidInputError('Invalid expiry: give a date as YYYY-MM-DD (the link works until the end of that day, UTC).');
}

/** A use limit typed in a form ('' is none). */
export function parseMaxUses(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (!/^\d{1,10}$/.test(t)) throw new InvalidInputError('Invalid most uses: give a whole number from 1 to 1,000,000,000, or leave it empty for no limit.');
  return Number(t);
}

/** Invite addresses typed in a form: separated by commas, spaces or new lines. */
export function parseInvites(text: string): string[] {
  const list = text.split(/[\s,;]+/).map((e) => e.trim()).filter((e) => e !== '');
  if (list.length > MAX_INVITES) throw new InvalidInputError(`Invite at most ${MAX_INVITES} addresses at once.`);
  return [...new Set(list)];
}

function urlOf(ctx: WebContext, id: string): string {
  return `${ctx.baseUrl}/share/${id}`;
}

function stateText(state: string): string {
  return state === 'used-up' ? 'used up' : state;
}

function copyBox(ctx: WebContext, link: ShareLink, label: string): SafeHtml {
  const url = urlOf(ctx, link.id);
  return html`<div class="share-copy"><input type="text" readonly value="${url}" aria-label="${label}" class="share-url"><button type="button" class="secondary" data-copy="${url}">Copy link</button></div>`;
}

function linkRow(request: FastifyRequest, ctx: WebContext, link: ShareLink, state: string): SafeHtml {
  const usable = state === 'active';
  const expiresDay = link.expiresAt === null ? '' : new Date(link.expiresAt).toISOString().slice(0, 10);
  return html`<tr data-share-id="${link.id}" data-state="${state}">
<td class="name"><span class="code">${link.viewPath}</span><br><span class="muted small">${link.kind === 'file' ? 'file' : 'folder'}, ${modeText(link.mode)}${link.hasPassword ? ', password' : ''}</span></td>
<td><span class="state s-${state}">${stateText(state)}</span></td>
<td class="uses">${link.uses}${link.maxUses === null ? '' : html` of ${link.maxUses}`}</td>
<td>${when(link.expiresAt)}</td>
<td class="share-link-cell"><span class="code share-id">${link.id}</span>${copyBox(ctx, link, `Address of the link to ${link.viewPath}`)}
${link.revokedAt === null
    ? html`<details class="share-edit"><summary>Edit</summary>
<form method="post" action="/share-links/${link.id}/update" class="stack">${csrfField(request)}
<label>Expires (end of day, UTC; empty = never) <input type="date" name="expires" value="${expiresDay}"></label>
<label>Most uses (empty = no limit) <input type="number" name="maxUses" min="1" max="1000000000" value="${link.maxUses === null ? '' : String(link.maxUses)}"></label>
<label>New password (empty = keep) <input type="password" name="password" maxlength="256" autocomplete="new-password"></label>
${link.hasPassword ? html`<label class="check"><input type="checkbox" name="removePassword"> Remove the password (the id alone opens the link)</label>` : ''}
<div class="actions"><button type="submit">Save</button></div>
</form>
<form method="post" action="/share-links/${link.id}/revoke" class="inline">${csrfField(request)}<button type="submit" class="danger"${usable || state === 'used-up' || state === 'expired' ? '' : html` disabled`}>Revoke</button></form>
</details>`
    : ''}
</td></tr>`;
}

const NOTICES: Readonly<Record<string, string>> = { revoked: 'The link was revoked; nobody can use it any more.', updated: 'The link was changed.' };

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('application/json');
}

async function createFromForm(ctx: WebContext, request: FastifyRequest, form: FormBody): Promise<CreatedShareLinkJson> {
  const user = requireUser(request);
  const path = formText(form, 'path', 4096);
  const modeField = formText(form, 'mode', 8) || 'ro';
  if (!(MODES as readonly string[]).includes(modeField)) throw new InvalidInputError('Invalid mode: choose read-only (ro), upload only (wo) or read and write (rw).');
  const password = formText(form, 'password', 256);
  const invites = parseInvites(formText(form, 'invite', 20_000));
  const link = await ctx.site.shareLinks.create({
    ownerId: user.id,
    path,
    mode: modeField as ShareLinkMode,
    expiresAt: parseExpiry(formText(form, 'expires', 64)),
    password: password === '' ? null : password,
    maxUses: parseMaxUses(formText(form, 'maxUses', 16)),
    address: request.ip,
  });
  let inviteProblem: string | undefined;
  let invited: readonly string[] = [];
  if (invites.length > 0) {
    try {
      invited = (await ctx.site.shareLinks.invite(link.id, invites, { userId: user.id, address: request.ip, message: formText(form, 'message', 4000) })).invites;
    } catch (err) {
      inviteProblem = err instanceof Error ? err.message : 'The invitations could not be sent.';
    }
  }
  return {
    id: link.id,
    url: urlOf(ctx, link.id),
    mode: link.mode,
    kind: link.kind,
    path: link.viewPath,
    expiresAt: link.expiresAt === null ? null : new Date(link.expiresAt).toISOString(),
    maxUses: link.maxUses,
    hasPassword: link.hasPassword,
    invited,
    ...(inviteProblem === undefined ? {} : { inviteProblem }),
  };
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}

/** Registers `/share-links` (list, create) and its update and revoke actions. */
export function registerMyShareLinksPages(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Querystring: { created?: string; done?: string } }>('/share-links', {
    schema: { querystring: { type: 'object', properties: { created: { type: 'string', maxLength: 64 }, done: { type: 'string', maxLength: 16 } } } },
  }, async (request, reply) => {
    const user = requireUser(request);
    const links = await ctx.site.shareLinks.listByOwner(user.id);
    const created = links.find((l) => l.id === request.query.created);
    const done = NOTICES[request.query.done ?? ''];
    const body = html`<section class="share-links" id="share-links">
<h1>My share links</h1>
<p class="muted">Anyone who has a link's address can use it (with its password, when it has one). Make new links from the <a href="/files">file manager</a> (select a file or folder, then Share).</p>
${created === undefined ? '' : html`<div class="notice ok" role="status"><p>Your new link to <span class="code">${created.viewPath}</span>:</p>${copyBox(ctx, created, 'Address of the new link')}</div>`}
${done === undefined ? '' : notice('ok', done)}
${links.length === 0
    ? html`<p class="muted" id="share-links-empty">You have no share links yet.</p>`
    : html`<div class="table-wrap"><table class="listing" id="share-links-list">
<thead><tr><th>Shared</th><th>State</th><th>Uses</th><th>Expires</th><th>Link</th></tr></thead>
<tbody>${links.map((l) => linkRow(request, ctx, l, ctx.site.shareLinks.stateOf(l)))}</tbody></table></div>`}
</section>`;
    noStore(reply);
    return sendPage(reply, ctx.layout, { title: 'My share links', body, scripts: ['share-dialog.js'] });
  });

  app.post('/share-links', async (request, reply) => {
    let created: CreatedShareLinkJson;
    try {
      created = await createFromForm(ctx, request, formOf(request.body));
    } catch (err) {
      // The dialog reads `{ code, message }`; a plain form gets the site's error page.
      if (!wantsJson(request) || !isMigError(err)) throw err;
      return noStore(reply).status(err.status).type('application/json; charset=utf-8').send({ code: err.code, message: err.message });
    }
    noStore(reply);
    if (wantsJson(request)) return reply.status(201).type('application/json; charset=utf-8').send(created);
    return reply.redirect(`/share-links?created=${encodeURIComponent(created.id)}`, 303);
  });

  app.post<{ Params: { id: string } }>('/share-links/:id/update', async (request, reply) => {
    const user = requireUser(request);
    const form = formOf(request.body);
    const password = formText(form, 'password', 256);
    const changes: UpdateShareLinkInput = {
      expiresAt: parseExpiry(formText(form, 'expires', 64)),
      maxUses: parseMaxUses(formText(form, 'maxUses', 16)),
      ...(password !== '' ? { password } : formChecked(form, 'removePassword') ? { password: null } : {}),
    };
    await ctx.site.shareLinks.update(request.params.id, changes, { userId: user.id, address: request.ip });
    return noStore(reply).redirect('/share-links?done=updated', 303);
  });

  app.post<{ Params: { id: string } }>('/share-links/:id/revoke', async (request, reply) => {
    const user = requireUser(request);
    await ctx.site.shareLinks.revoke(request.params.id, { userId: user.id, address: request.ip });
    return noStore(reply).redirect('/share-links?done=revoked', 303);
  });
}
