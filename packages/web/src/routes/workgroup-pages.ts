/**
 * The VGrid ("workgroup") pages for signed-in users: `/vgrids` lists the VGrids one may see with
 * one's role, makes new ones and asks to join others; `/vgrids/<name>` shows one (participants as
 * its visibility settings allow) and gives its owners the forms to add and remove people, decide
 * requests, change settings and remove it. Every rule is the core VGrid store's; the pages only
 * translate its answers (a refusal is the site's error page with the store's message).
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mayKnowVgrid, mayViewVgridList, NotFoundError, type UserRecord, type VgridActor, type VgridParticipant, type VgridRecord, type VgridRole, type VgridSettingsPatch, type VgridVisibility } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { formChecked, formOf, formText } from '../accounts/form-input.js';
import { notice, when } from '../accounts/page-parts.js';
import { requireUser } from '../plugins/authentication.js';
import { html, type SafeHtml } from '../html/html.js';
import { csrfField, sendPage } from '../html/layout.js';

const VISIBILITY: readonly VgridVisibility[] = ['owners', 'members', 'everyone'];
const NOTICES: Readonly<Record<string, string>> = {
  created: 'Created. Its shared folder is now in your home.',
  requested: 'Your request was sent to the owners.',
  added: 'Added.',
  removed: 'Removed.',
  accepted: 'Request accepted.',
  rejected: 'Request rejected.',
  settings: 'Settings saved.',
  left: 'You left it; its folder is no longer in your home.',
  deleted: 'Removed; its folders were kept aside by the site.',
};

const pathOf = (name: string): string => `/vgrids/${encodeURIComponent(name)}`;
const noStore = (reply: FastifyReply): FastifyReply => reply.header('cache-control', 'no-store');


function visibilitySelect(name: string, value: VgridVisibility): SafeHtml {
  return html`<select name="${name}">${VISIBILITY.map((v) => html`<option value="${v}"${v === value ? html` selected` : ''}>${v}</option>`)}</select>`;
}

/** Registers `/vgrids` and `/vgrids/<name>` with their actions. */
export function registerWorkgroupPages(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;
  const label = site.config.vgrids.label;
  const actorOf = (user: UserRecord): VgridActor => ({ kind: 'user', userId: user.id });
  const isAdmin = (user: UserRecord): boolean => user.roles.includes('admin');
  const emailOf = async (id: string): Promise<string> => (await site.users.find(id))?.email ?? id;
  const visible = async (user: UserRecord, name: string): Promise<{ record: VgridRecord; role: VgridRole | null }> => {
    const record = await site.vgrids.get(name);
    const role = await site.vgrids.roleOf(user.id, record.name);
    if (!mayKnowVgrid(record, { role, admin: isAdmin(user) })) throw new NotFoundError('MIG_E_VGRID_NOT_FOUND', `There is no ${label} called "${name.slice(0, 256)}".`);
    return { record, role };
  };
  const person = async (who: string): Promise<UserRecord> => {
    const user = await site.users.find(who);
    if (user === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', `No user matches "${who.slice(0, 256)}"; give their email address.`);
    return user;
  };
  const back = (reply: FastifyReply, name: string, done: string): FastifyReply => noStore(reply).redirect(`${pathOf(name)}?done=${done}`, 303);

  app.get<{ Querystring: { done?: string } }>('/vgrids', {
    schema: { querystring: { type: 'object', properties: { done: { type: 'string', maxLength: 16 } } } },
  }, async (request, reply) => {
    const user = requireUser(request);
    const [all, mine, requests] = await Promise.all([site.vgrids.list({ visibleTo: actorOf(user) }), site.vgrids.vgridsOf(user.id), site.vgrids.requestsOf(user.id)]);
    const roles = new Map(mine.map((m) => [m.name, m.role]));
    const pending = new Set(requests.filter((r) => r.status === 'pending').map((r) => r.vgrid));
    const done = NOTICES[request.query.done ?? ''];
    const row = (v: VgridRecord): SafeHtml => {
      const role = roles.get(v.name);
      return html`<tr data-vgrid="${v.name}"><td class="name"><a href="${pathOf(v.name)}">${v.name}</a></td><td>${role ?? ''}</td><td>${v.settings.description}</td>
<td>${role !== undefined
        ? html`<a href="/files?path=${encodeURIComponent(`/${v.name}`)}">Open folder</a>`
        : pending.has(v.name)
          ? html`<span class="muted">request pending</span>`
          : html`<form method="post" action="${pathOf(v.name)}/request" class="inline">${csrfField(request)}<input type="hidden" name="kind" value="member"><input type="text" name="message" maxlength="4096" placeholder="Why (optional)" aria-label="Message to the owners of ${v.name}"><button type="submit">Ask to join</button></form>`}</td></tr>`;
    };
    const body = html`<section class="vgrids" id="vgrids">
<h1>${label}s</h1>
${done === undefined ? '' : notice('ok', done)}
<p class="muted">A ${label}'s shared folder appears at the top of each participant's home, on the web, over SFTP, FTPS and WebDAVS.</p>
${all.length === 0 ? html`<p class="muted" id="vgrids-empty">There are no ${label}s you can see yet.</p>` : html`<div class="table-wrap"><table class="listing" id="vgrids-list">
<thead><tr><th>Name</th><th>Your role</th><th>Description</th><th></th></tr></thead><tbody>${all.map(row)}</tbody></table></div>`}
<h2>Make a ${label}</h2>
<form method="post" action="/vgrids" class="stack" id="vgrid-create">${csrfField(request)}
<label>Name (a sub-${label} as Parent/Child) <input type="text" name="name" required maxlength="255"></label>
<label>Description <input type="text" name="description" maxlength="4096"></label>
<div class="actions"><button type="submit">Create</button></div></form>
${requests.length === 0 ? '' : html`<h2>Your requests</h2><ul id="vgrid-my-requests">${requests.map((r) => html`<li>${r.vgrid}: ${r.kind}, ${r.status} (${when(r.createdAt)})</li>`)}</ul>`}
</section>`;
    noStore(reply);
    return sendPage(reply, ctx.layout, { title: `${label}s`, body });
  });

  app.post('/vgrids', async (request, reply) => {
    const user = requireUser(request);
    const form = formOf(request.body);
    const description = formText(form, 'description', 4096);
    const record = await site.vgrids.create({ actor: actorOf(user), name: formText(form, 'name', 1024), ...(description === '' ? {} : { settings: { description } }) });
    return back(reply, record.name, 'created');
  });

  app.get<{ Params: { name: string }; Querystring: { done?: string } }>('/vgrids/:name', {
    schema: { querystring: { type: 'object', properties: { done: { type: 'string', maxLength: 16 } } } },
  }, async (request, reply) => {
    const user = requireUser(request);
    const { record, role } = await visible(user, request.params.name);
    const admin = isAdmin(user);
    const owner = role === 'owner' || admin;
    const { settings } = record;
    const people: VgridParticipant[] = await site.vgrids.participants(record.name);
    const emails = new Map(await Promise.all(people.map(async (p) => [p.userId, await emailOf(p.userId)] as const)));
    const requests = owner ? await site.vgrids.listRequests(record.name, { actor: actorOf(user), status: 'pending' }) : [];
    const requesters = new Map(await Promise.all(requests.map(async (r) => [r.userId, await emailOf(r.userId)] as const)));
    // Owners see every share link made into the VGrid's folder (and its sub-VGrids'), as in MiG.
    const links = role === 'owner' ? await site.shareLinks.listForVgrid(record.name) : [];
    const resources = mayViewVgridList(settings.visibleResources, { role, admin }) ? await site.vgrids.resources(record.name) : null;
    const linkOwners = new Map(await Promise.all(links.map(async (l) => [l.ownerId, await emailOf(l.ownerId)] as const)));
    const action = `${pathOf(record.name)}`;
    const personRow = (p: VgridParticipant): SafeHtml => html`<li data-role="${p.role}">${emails.get(p.userId) ?? p.userId}${p.inherited ? html` <span class="muted">(through ${p.via})</span>` : ''}
${owner && !p.inherited ? html`<form method="post" action="${action}/remove" class="inline">${csrfField(request)}<input type="hidden" name="user" value="${emails.get(p.userId) ?? p.userId}"><input type="hidden" name="role" value="${p.role}"><button type="submit" class="secondary">Remove</button></form>` : ''}</li>`;
    const list = (r: VgridRole, who: VgridVisibility): SafeHtml => mayViewVgridList(who, { role, admin })
      ? html`<ul id="vgrid-${r}s">${people.filter((p) => p.role === r).map(personRow)}</ul>`
      : html`<p class="muted">Only ${who} see this list.</p>`;
    const done = NOTICES[request.query.done ?? ''];
    const body = html`<section class="vgrid" id="vgrid" data-vgrid="${record.name}">
<h1>${label} ${record.name}</h1>
${done === undefined ? '' : notice('ok', done)}
${settings.description === '' ? '' : html`<p id="vgrid-description">${settings.description}</p>`}
<p>${role === null ? html`You are not in this ${label}.` : html`You are ${role === 'owner' ? 'an owner' : 'a member'}. <a href="/files?path=${encodeURIComponent(`/${record.name}`)}">Open the shared folder</a>${settings.readOnly && role === 'member' ? ' (read-only for members)' : ''}.`}
${record.parent === null ? '' : html` Part of <a href="${pathOf(record.parent)}">${record.parent}</a>.`}</p>
<p id="vgrid-web"><a href="/vgrid/${record.name.split('/').map(encodeURIComponent).join('/')}/">Public web page</a>${role === null ? '' : html` · <a href="/vgrid-private/${record.name.split('/').map(encodeURIComponent).join('/')}/">Members' web page</a>`}</p>
<h2>Owners</h2>${list('owner', settings.visibleOwners)}
<h2>Members</h2>${list('member', settings.visibleMembers)}
<h2>Resources</h2>
${resources === null ? html`<p class="muted">Only ${settings.visibleResources} see this list.</p>` : resources.length === 0 ? html`<p class="muted" id="vgrid-no-resources">No resources run this ${label}'s jobs yet.</p>` : html`<ul id="vgrid-resources">${resources.map((r) => html`<li>${r.resourceId}${r.inherited ? html` <span class="muted">(through ${r.via})</span>` : ''}
${owner && !r.inherited ? html`<form method="post" action="${action}/resources/remove" class="inline">${csrfField(request)}<input type="hidden" name="resource" value="${r.resourceId}"><button type="submit" class="secondary">Remove</button></form>` : ''}</li>`)}</ul>`}
${owner ? html`<form method="post" action="${action}/resources/add" class="inline" id="vgrid-add-resource">${csrfField(request)}<label>Resource id <input type="text" name="resource" required maxlength="64"></label><button type="submit">Add resource</button></form>` : ''}
${role === null ? html`<form method="post" action="${action}/request" class="stack" id="vgrid-request">${csrfField(request)}
<label>Ask to become <select name="kind"><option value="member">member</option><option value="owner">owner</option></select></label>
<label>Message to the owners <input type="text" name="message" maxlength="4096"></label><div class="actions"><button type="submit">Send request</button></div></form>` : ''}
${role !== null && role !== 'owner' ? html`<form method="post" action="${action}/remove" class="inline" id="vgrid-leave">${csrfField(request)}<input type="hidden" name="user" value="${user.email}"><input type="hidden" name="role" value="member"><button type="submit" class="secondary">Leave</button></form>` : ''}
${owner ? html`
<h2>Requests</h2>
${requests.length === 0 ? html`<p class="muted" id="vgrid-no-requests">No open requests.</p>` : html`<ul id="vgrid-requests">${requests.map((r) => html`<li data-request="${r.id}">${requesters.get(r.userId) ?? r.userId} asks to become ${r.kind}${r.message === '' ? '' : html`: “${r.message}”`} (${when(r.createdAt)})
<form method="post" action="${action}/requests/${r.id}/accept" class="inline">${csrfField(request)}<button type="submit">Accept</button></form>
<form method="post" action="${action}/requests/${r.id}/reject" class="inline">${csrfField(request)}<button type="submit" class="secondary">Reject</button></form></li>`)}</ul>`}
<h2>Share links into the folder</h2>
${links.length === 0 ? html`<p class="muted" id="vgrid-no-links">Nobody has made a share link into this folder.</p>` : html`<div class="table-wrap"><table class="listing" id="vgrid-links">
<thead><tr><th>Shared</th><th>Access</th><th>Made by</th><th>State</th><th>Uses</th><th>Expires</th></tr></thead>
<tbody>${links.map((l) => html`<tr><td class="code">${l.viewPath}</td><td>${l.mode}</td><td>${linkOwners.get(l.ownerId) ?? l.ownerId}</td><td>${site.shareLinks.stateOf(l)}</td><td>${l.uses}${l.maxUses === null ? '' : html` of ${l.maxUses}`}</td><td>${when(l.expiresAt)}</td></tr>`)}</tbody></table></div>`}
<h2>Add people</h2>
<form method="post" action="${action}/add" class="stack" id="vgrid-add">${csrfField(request)}
<label>Email <input type="email" name="user" required maxlength="254"></label>
<label>As <select name="role"><option value="member">member</option><option value="owner">owner</option></select></label>
<div class="actions"><button type="submit">Add</button></div></form>
<h2>Settings</h2>
<form method="post" action="${action}/settings" class="stack" id="vgrid-settings">${csrfField(request)}
<label>Description <input type="text" name="description" maxlength="4096" value="${settings.description}"></label>
<label>Who sees the owners ${visibilitySelect('visibleOwners', settings.visibleOwners)}</label>
<label>Who sees the members ${visibilitySelect('visibleMembers', settings.visibleMembers)}</label>
<label>Who sees the resources ${visibilitySelect('visibleResources', settings.visibleResources)}</label>
<label>Owners told of each request <input type="number" name="requestRecipients" min="1" max="1000" value="${String(settings.requestRecipients)}"></label>
<label>Share links inside the folder may be made by <select name="createShareLink">${(['owners', 'members', 'none'] as const).map((v) => html`<option value="${v}"${v === settings.createShareLink ? html` selected` : ''}>${v}</option>`)}</select></label>
<label class="check"><input type="checkbox" name="readOnly"${settings.readOnly ? html` checked` : ''}> Members may only read the shared folder</label>
<label class="check"><input type="checkbox" name="hidden"${settings.hidden ? html` checked` : ''}> Hidden from people who are not in it</label>
<div class="actions"><button type="submit">Save settings</button></div></form>
<h2>Remove</h2>
<form method="post" action="${action}/delete" class="stack" id="vgrid-delete">${csrfField(request)}
<label class="check"><input type="checkbox" name="force"> Also remove its sub-${label}s</label>
<div class="actions"><button type="submit" class="danger">Remove ${record.name}</button></div></form>` : ''}
</section>`;
    noStore(reply);
    return sendPage(reply, ctx.layout, { title: `${label} ${record.name}`, body });
  });

  app.post<{ Params: { name: string } }>('/vgrids/:name/request', async (request, reply) => {
    const user = requireUser(request);
    const { record } = await visible(user, request.params.name);
    const form = formOf(request.body);
    const kind = formText(form, 'kind', 8) === 'owner' ? 'owner' : 'member';
    const message = formText(form, 'message', 4096);
    await site.vgrids.request(record.name, { actor: actorOf(user), kind, ...(message === '' ? {} : { message }) });
    return noStore(reply).redirect('/vgrids?done=requested', 303);
  });

  for (const decision of ['accept', 'reject'] as const) {
    app.post<{ Params: { name: string; id: string } }>(`/vgrids/:name/requests/:id/${decision}`, async (request, reply) => {
      const user = requireUser(request);
      const { record } = await visible(user, request.params.name);
      const options = { actor: actorOf(user) };
      const decided = decision === 'accept' ? await site.vgrids.acceptRequest(request.params.id, options) : await site.vgrids.rejectRequest(request.params.id, options);
      if (decided.vgrid !== record.name) throw new NotFoundError('MIG_E_VGRID_REQUEST_NOT_FOUND', 'That request belongs to another workgroup.');
      return back(reply, record.name, decision === 'accept' ? 'accepted' : 'rejected');
    });
  }

  app.post<{ Params: { name: string } }>('/vgrids/:name/add', async (request, reply) => {
    const user = requireUser(request);
    const { record } = await visible(user, request.params.name);
    const form = formOf(request.body);
    const who = await person(formText(form, 'user', 1024));
    if (formText(form, 'role', 8) === 'owner') await site.vgrids.addOwner(record.name, who.id, { actor: actorOf(user) });
    else await site.vgrids.addMember(record.name, who.id, { actor: actorOf(user) });
    return back(reply, record.name, 'added');
  });

  app.post<{ Params: { name: string } }>('/vgrids/:name/remove', async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const user = requireUser(request);
    const { record } = await visible(user, request.params.name);
    const form = formOf(request.body);
    const who = await person(formText(form, 'user', 1024));
    if (formText(form, 'role', 8) === 'owner') await site.vgrids.removeOwner(record.name, who.id, { actor: actorOf(user), force: formChecked(form, 'force') });
    else await site.vgrids.removeMember(record.name, who.id, { actor: actorOf(user) });
    if (who.id === user.id) return noStore(reply).redirect('/vgrids?done=left', 303);
    return back(reply, record.name, 'removed');
  });

  for (const adding of [true, false]) {
    app.post<{ Params: { name: string } }>(`/vgrids/:name/resources/${adding ? 'add' : 'remove'}`, async (request, reply) => {
      const user = requireUser(request);
      const { record } = await visible(user, request.params.name);
      const resource = formText(formOf(request.body), 'resource', 64);
      if (adding) await site.vgrids.addResource(record.name, resource, { actor: actorOf(user) });
      else await site.vgrids.removeResource(record.name, resource, { actor: actorOf(user) });
      return back(reply, record.name, adding ? 'added' : 'removed');
    });
  }

  app.post<{ Params: { name: string } }>('/vgrids/:name/settings', async (request, reply) => {
    const user = requireUser(request);
    const { record } = await visible(user, request.params.name);
    const form = formOf(request.body);
    const pick = (field: string): VgridVisibility => {
      const v = formText(form, field, 16) as VgridVisibility;
      return VISIBILITY.includes(v) ? v : record.settings[field as 'visibleOwners'];
    };
    const link = formText(form, 'createShareLink', 16);
    const patch: VgridSettingsPatch = {
      description: formText(form, 'description', 4096),
      visibleOwners: pick('visibleOwners'),
      visibleMembers: pick('visibleMembers'),
      visibleResources: pick('visibleResources'),
      requestRecipients: Number(formText(form, 'requestRecipients', 8) || record.settings.requestRecipients),
      createShareLink: link === 'owners' || link === 'members' || link === 'none' ? link : record.settings.createShareLink,
      readOnly: formChecked(form, 'readOnly'),
      hidden: formChecked(form, 'hidden'),
    };
    await site.vgrids.updateSettings(record.name, patch, { actor: actorOf(user) });
    return back(reply, record.name, 'settings');
  });

  app.post<{ Params: { name: string } }>('/vgrids/:name/delete', async (request, reply) => {
    const user = requireUser(request);
    const { record } = await visible(user, request.params.name);
    await site.vgrids.remove(record.name, { actor: actorOf(user), force: formChecked(formOf(request.body), 'force') });
    return noStore(reply).redirect('/vgrids?done=deleted', 303);
  });
}
