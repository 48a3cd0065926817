/**
 * Admin pages: `/admin` (site status), `/admin/users` (search), `/admin/users/<id>` (show, edit,
 * suspend, reactivate, renew, delete with confirmation), `/admin/requests` (accept or reject
 * sign-ups) and `/admin/bans` (lift defender bans). Administrators only.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError, USER_STATUSES, isMigError, isUserStatus, type EditUserChanges, type UserRecord } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { adminDelete, adminEdit, adminReactivate, adminRenew, adminSuspend, siteStatus, userById } from '../accounts/admin-actions.js';
import { formChecked, formOf, formText } from '../accounts/form-input.js';
import { input, notice, when } from '../accounts/page-parts.js';
import { acceptSignup, rejectSignup } from '../accounts/signup-decisions.js';
import { html, type SafeHtml } from '../html/html.js';
import { csrfField, sendPage } from '../html/layout.js';
import { requireAdmin } from '../plugins/authentication.js';

const FLASH = 'adminFlash';
interface Flash {
  kind: 'ok' | 'bad';
  text: string;
}

const adminNav = html`<nav class="crumbs" aria-label="Admin"><ol><li><a href="/admin">Status</a></li><li><a href="/admin/users">Users</a></li><li><a href="/admin/requests">Sign-up requests</a></li><li><a href="/admin/bans">Bans</a></li></ol></nav>`;

/** Registers the admin pages. */
export function registerAdminPages(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;

  const flashOf = (request: FastifyRequest): SafeHtml => {
    const flash = request.session.get<Flash>(FLASH);
    if (flash === undefined) return html``;
    request.session.set(FLASH, undefined);
    return notice(flash.kind === 'ok' ? 'ok' : 'bad', flash.text);
  };
  const show = (request: FastifyRequest, reply: FastifyReply, title: string, body: SafeHtml): FastifyReply =>
    sendPage(reply, ctx.layout, { title, body: html`${adminNav}${flashOf(request)}${body}` });

  /** Runs an admin action and goes back to `to` with a notice; user-caused errors become notices too. */
  async function act(request: FastifyRequest, reply: FastifyReply, to: string, action: () => Promise<string>): Promise<FastifyReply> {
    let flash: Flash;
    try {
      flash = { kind: 'ok', text: await action() };
    } catch (err) {
      if (!isMigError(err) || err.status >= 500 || err.code === 'MIG_E_NOT_SIGNED_IN') throw err;
      flash = { kind: 'bad', text: err.message };
    }
    request.session.set(FLASH, flash);
    return reply.redirect(to, 303);
  }

  app.get('/admin', async (request, reply) => {
    requireAdmin(request);
    const s = await siteStatus(site);
    return show(request, reply, 'Admin', html`<h1>Site status</h1>
<section class="card"><dl class="api">
<dt>Users</dt><dd>${s.users.total} (${USER_STATUSES.map((st, i) => html`${i > 0 ? ', ' : ''}${st}: ${s.users[st]}`)}; past expiry: ${s.users.expired})</dd>
<dt>Pending sign-up requests</dt><dd><a href="/admin/requests">${s.pendingRequests}</a></dd>
<dt>Active bans</dt><dd><a href="/admin/bans">${s.bans}</a></dd>
<dt>Database</dt><dd>${s.database}</dd>
<dt>Uptime</dt><dd>${Math.floor(s.uptimeSeconds / 3600)} h ${Math.floor((s.uptimeSeconds % 3600) / 60)} min</dd>
<dt>Version</dt><dd>${s.version}</dd>
</dl></section>`);
  });

  app.get<{ Querystring: { search?: string; status?: string } }>('/admin/users', {
    schema: { querystring: { type: 'object', properties: { search: { type: 'string', maxLength: 256 }, status: { type: 'string', maxLength: 16 } } } },
  }, async (request, reply) => {
    requireAdmin(request);
    const search = request.query.search ?? '';
    const status = isUserStatus(request.query.status) ? request.query.status : undefined;
    const filter = { ...(search !== '' && { search }), ...(status !== undefined && { status }) };
    const [users, total] = await Promise.all([site.users.list({ ...filter, limit: 200 }), site.users.count(filter)]);
    const now = ctx.now();
    return show(request, reply, 'Users', html`<h1>Users</h1>
<form method="get" action="/admin/users" class="stack" role="search">
${input('Search (email, name, organisation, DN)', 'search', { type: 'search', value: search, maxlength: 256 })}
<label for="f-status">Status<select id="f-status" name="status"><option value="">any</option>${USER_STATUSES.map((st) => html`<option value="${st}"${st === status ? html` selected` : ''}>${st}</option>`)}</select></label>
<div class="actions"><button type="submit">Search</button></div></form>
<p class="muted">${total} user(s)${total > users.length ? html`, showing the first ${users.length}` : ''}.</p>
<div class="table-wrap"><table><thead><tr><th>Email</th><th>Name</th><th class="hide-small">Organisation</th><th>Status</th><th class="hide-small">Expires</th></tr></thead><tbody>
${users.map((u) => html`<tr><td class="name"><a href="/admin/users/${u.id}">${u.email}</a></td><td>${u.fullName}</td><td class="hide-small">${u.organization}</td><td>${u.status}${u.expiresAt !== null && u.expiresAt <= now ? html` <strong>(expired)</strong>` : ''}</td><td class="hide-small">${when(u.expiresAt)}</td></tr>`)}
</tbody></table></div>`);
  });

  const userPage = async (request: FastifyRequest, reply: FastifyReply, user: UserRecord): Promise<FastifyReply> => {
    const [keys, tokens, totp] = await Promise.all([site.sshKeys.list(user.id), site.apiTokens.list(user.id), site.totp.status(user.id)]);
    const csrf = csrfField(request);
    const base = `/admin/users/${user.id}`;
    const expired = user.expiresAt !== null && user.expiresAt <= ctx.now();
    return show(request, reply, user.email, html`<h1>${user.fullName}</h1>
<section class="card"><dl class="api">
<dt>Email</dt><dd>${user.email}</dd><dt>DN</dt><dd><code>${user.dn}</code></dd><dt>Id</dt><dd><code>${user.id}</code></dd>
<dt>Status</dt><dd>${user.status}${user.statusReason === '' ? '' : html` (${user.statusReason})`}</dd>
<dt>Access until</dt><dd>${when(user.expiresAt)}${expired ? html` <strong>(expired)</strong>` : ''}</dd>
<dt>Created</dt><dd>${when(user.createdAt)}</dd><dt>Renewed</dt><dd>${when(user.renewedAt)}</dd>
<dt>Roles</dt><dd>${user.roles.join(', ') || '-'}</dd><dt>Aliases</dt><dd>${user.aliases.join(', ')}</dd>
<dt>Terms accepted</dt><dd>${when(user.acceptedTermsAt)}</dd>
<dt>Two-factor</dt><dd>${totp.enabled ? 'on' : 'off'}</dd>
<dt>Protocols</dt><dd>${Object.entries(user.settings.protocols).filter(([, on]) => on).map(([p]) => p).join(', ') || 'none'}</dd>
<dt>Comment</dt><dd>${user.comment}</dd>
</dl></section>
<section class="card"><h2>Actions</h2><div class="actions">
<form method="post" action="${base}/renew" class="inline">${csrf}<button type="submit">Renew by ${site.config.accounts.renew_days} days</button></form>
${user.status === 'suspended' || user.status === 'retired'
    ? html`<form method="post" action="${base}/reactivate" class="inline">${csrf}<button type="submit">Reactivate</button></form>`
    : html`<form method="post" action="${base}/suspend" class="inline">${csrf}<label for="f-reason">Reason<input id="f-reason" name="reason" maxlength="1024"></label><button type="submit" class="danger">Suspend</button></form>`}
</div></section>
<section class="card"><h2>Edit</h2>
<form method="post" action="${base}/edit" class="stack">${csrf}
${input('Full name', 'fullName', { value: user.fullName, required: true })}
${input('Email', 'email', { type: 'email', value: user.email, required: true })}
${input('Organisation', 'organization', { value: user.organization, required: true })}
${input('Department or unit', 'organizationalUnit', { value: user.organizationalUnit })}
${input('City', 'locality', { value: user.locality })}
${input('State', 'state', { value: user.state, maxlength: 2 })}
${input('Country', 'country', { value: user.country, required: true, maxlength: 2 })}
${input('Roles', 'roles', { value: user.roles.join(' '), hint: '(space separated, e.g. admin)' })}
${input('Access until', 'expires', { type: 'date', value: user.expiresAt === null ? '' : new Date(user.expiresAt).toISOString().slice(0, 10), hint: '(empty = never)' })}
<label for="f-comment">Comment<textarea id="f-comment" name="comment" maxlength="4096">${user.comment}</textarea></label>
<div class="actions"><button type="submit">Save</button></div></form></section>
<section class="card"><h2>SSH keys</h2>${keys.length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${keys.map((k) => html`<li><code>${k.algorithm} ${k.fingerprint}</code> ${k.comment}</li>`)}</ul>`}</section>
<section class="card"><h2>API tokens</h2>${tokens.length === 0 ? html`<p class="muted">None.</p>` : html`<ul>${tokens.map((tk) => html`<li>${tk.name} (${tk.scopes.join(', ')})${tk.revokedAt === null ? '' : ' revoked'}</li>`)}</ul>`}</section>
<section class="card"><h2>Delete</h2>
<form method="post" action="${base}/delete" class="stack">${csrf}
<p>Deleting removes the account; its home folder is moved to <code>deleted_homes/</code>.</p>
<label class="check"><input type="checkbox" name="confirm" value="on" required> Yes, delete ${user.email}</label>
<div class="actions"><button type="submit" class="danger">Delete the account</button></div></form></section>`);
  };

  app.get<{ Params: { id: string } }>('/admin/users/:id', async (request, reply) => {
    requireAdmin(request);
    return userPage(request, reply, await userById(site, request.params.id));
  });

  app.post<{ Params: { id: string } }>('/admin/users/:id/edit', async (request, reply) => {
    const admin = requireAdmin(request);
    const form = formOf(request.body);
    const to = `/admin/users/${encodeURIComponent(request.params.id)}`;
    return act(request, reply, to, async () => {
      const expires = formText(form, 'expires', 32).trim();
      const expiresAt = expires === '' ? null : Date.parse(`${expires}T23:59:59Z`);
      if (expiresAt !== null && Number.isNaN(expiresAt)) throw new InvalidInputError('Invalid access date: use YYYY-MM-DD.');
      const changes: EditUserChanges = {
        fullName: formText(form, 'fullName', 256),
        email: formText(form, 'email', 256),
        organization: formText(form, 'organization', 256),
        organizationalUnit: formText(form, 'organizationalUnit', 256),
        locality: formText(form, 'locality', 256),
        state: formText(form, 'state', 2),
        country: formText(form, 'country', 2),
        comment: formText(form, 'comment', 4096),
        roles: formText(form, 'roles', 1024).split(/[\s,]+/).filter((r) => r !== ''),
        expiresAt,
      };
      await adminEdit(ctx, request, admin, request.params.id, changes);
      return 'Saved.';
    });
  });

  app.post<{ Params: { id: string } }>('/admin/users/:id/suspend', async (request, reply) => {
    const admin = requireAdmin(request);
    const reason = formText(formOf(request.body), 'reason', 1024).trim();
    return act(request, reply, `/admin/users/${encodeURIComponent(request.params.id)}`, async () => {
      await adminSuspend(ctx, request, admin, request.params.id, reason === '' ? undefined : reason);
      return 'Suspended; the account\'s sessions were ended.';
    });
  });

  app.post<{ Params: { id: string } }>('/admin/users/:id/reactivate', async (request, reply) => {
    const admin = requireAdmin(request);
    return act(request, reply, `/admin/users/${encodeURIComponent(request.params.id)}`, async () => {
      await adminReactivate(ctx, request, admin, request.params.id);
      return 'Reactivated.';
    });
  });

  app.post<{ Params: { id: string } }>('/admin/users/:id/renew', async (request, reply) => {
    const admin = requireAdmin(request);
    return act(request, reply, `/admin/users/${encodeURIComponent(request.params.id)}`, async () => {
      const user = await adminRenew(ctx, request, admin, request.params.id);
      return `Renewed until ${when(user.expiresAt)}.`;
    });
  });

  app.post<{ Params: { id: string } }>('/admin/users/:id/delete', async (request, reply) => {
    const admin = requireAdmin(request);
    if (!formChecked(formOf(request.body), 'confirm')) {
      request.session.set(FLASH, { kind: 'bad', text: 'Tick the confirmation box to delete the account.' });
      return reply.redirect(`/admin/users/${encodeURIComponent(request.params.id)}`, 303);
    }
    return act(request, reply, '/admin/users', async () => {
      const user = await adminDelete(ctx, request, admin, request.params.id);
      return `Deleted ${user.email}.`;
    });
  });

  app.get('/admin/requests', async (request, reply) => {
    requireAdmin(request);
    const pending = await site.signups.list({ status: 'pending' });
    const csrf = csrfField(request);
    return show(request, reply, 'Sign-up requests', html`<h1>Sign-up requests</h1>
${pending.length === 0 ? html`<p class="muted">No pending requests.</p>` : pending.map((r) => html`<section class="card"><h2>${r.fullName} &lt;${r.email}&gt;</h2>
<dl class="api"><dt>DN</dt><dd><code>${r.dn}</code></dd><dt>Asked</dt><dd>${when(r.createdAt)}</dd><dt>Comment</dt><dd>${r.comment || '-'}</dd></dl>
<div class="actions"><form method="post" action="/admin/requests/${r.id}/accept" class="inline">${csrf}<button type="submit">Accept</button></form>
<form method="post" action="/admin/requests/${r.id}/reject" class="inline">${csrf}<label for="f-reason-${r.id}">Reason<input id="f-reason-${r.id}" name="reason" maxlength="1024"></label><button type="submit" class="danger">Reject</button></form></div></section>`)}`);
  });

  app.post<{ Params: { id: string } }>('/admin/requests/:id/accept', async (request, reply) => {
    const admin = requireAdmin(request);
    return act(request, reply, '/admin/requests', async () => {
      const { user } = await acceptSignup(site, request.params.id, `user:${admin.id}`, { baseUrl: ctx.baseUrl });
      return `Accepted: ${user.email} has an account now.`;
    });
  });

  app.post<{ Params: { id: string } }>('/admin/requests/:id/reject', async (request, reply) => {
    const admin = requireAdmin(request);
    const reason = formText(formOf(request.body), 'reason', 1024).trim();
    return act(request, reply, '/admin/requests', async () => {
      const r = await rejectSignup(site, request.params.id, `user:${admin.id}`, reason === '' ? undefined : reason);
      return `Rejected the request of ${r.email}.`;
    });
  });

  app.get('/admin/bans', async (request, reply) => {
    requireAdmin(request);
    const bans = await site.defender.listBans();
    const csrf = csrfField(request);
    return show(request, reply, 'Bans', html`<h1>Bans</h1>
${bans.length === 0 ? html`<p class="muted">No active bans.</p>` : html`<div class="table-wrap"><table><thead><tr><th>Who</th><th>Until</th><th class="hide-small">Reason</th><th><span class="muted">Lift</span></th></tr></thead><tbody>
${bans.map((b) => html`<tr><td><code>${b.subject}</code></td><td>${when(b.until)}</td><td class="hide-small">${b.reason}</td>
<td><form method="post" action="/admin/bans/lift" class="inline">${csrf}<input type="hidden" name="subject" value="${b.subject}"><button type="submit" aria-label="Lift the ban of ${b.subject}">Lift</button></form></td></tr>`)}
</tbody></table></div>`}`);
  });

  app.post('/admin/bans/lift', async (request, reply) => {
    const admin = requireAdmin(request);
    const subject = formText(formOf(request.body), 'subject', 300);
    return act(request, reply, '/admin/bans', async () => {
      const lifted = await site.defender.liftBan(subject);
      await site.audit.record({ actor: `user:${admin.id}`, action: 'defender.lift', target: subject, outcome: lifted ? 'success' : 'none', address: request.ip }).catch(() => undefined);
      return lifted ? `Lifted the ban of ${subject}.` : 'There was no such ban.';
    });
  });
}
