/**
 * The resource owners' pages: `/resources` (your resources; every resource for site admins) and
 * `/resources/<id>` (configuration summary, units, status, the jobs running on it, pause/resume,
 * a new agent token shown once, removal). Owners see only their own: another owner's resource is
 * "not found". Registering a resource stays with the site admins (`mig resource add`).
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isMigError, type ResourceRecord } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { formChecked, formOf } from '../accounts/form-input.js';
import { notice } from '../accounts/page-parts.js';
import { html, type SafeHtml } from '../html/html.js';
import { csrfField, sendPage } from '../html/layout.js';
import { timeCell } from '../jobs/job-parts.js';
import { jobsRunningOn, resourceCaller, resourceFor, resourcesOf, type ResourceCaller } from '../jobs/resource-access.js';

const FLASH = 'resourcesFlash';

interface Flash {
  kind: 'ok' | 'bad';
  text: string;
}

const resourceHref = (id: string): string => `/resources/${encodeURIComponent(id)}`;

/** Registers the resource pages. */
export function registerResourcesPages(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;

  const takeFlash = (request: FastifyRequest): Flash | undefined => {
    const flash = request.session.get<Flash>(FLASH);
    if (flash !== undefined) request.session.set(FLASH, undefined);
    return flash;
  };

  const ownerEmail = async (id: string): Promise<string> => (await site.users.get(id).catch(() => undefined))?.email ?? id;

  app.get('/resources', async (request, reply) => {
    const caller = resourceCaller(request, 'read');
    const flash = takeFlash(request);
    const resources = await resourcesOf(site, caller);
    const owners = caller.admin ? new Map(await Promise.all(resources.map(async (r) => [r.ownerId, await ownerEmail(r.ownerId)] as const))) : undefined;
    const body = html`<h1>Resources</h1>
${flash === undefined ? '' : notice(flash.kind, flash.text)}
<p class="muted">${caller.admin ? 'Every resource registered with this site.' : 'The compute resources you lend to this site.'} Site administrators register new resources (<code>mig resource add</code>); each resource's agent then pulls jobs with its token.</p>
${resources.length === 0 ? html`<p class="muted" id="no-resources">${caller.admin ? 'No resources are registered yet.' : 'You have no resources yet: ask the site administrators to register yours.'}</p>` : html`<div class="table-wrap"><table class="listing" id="resources-table">
<thead><tr><th>Resource</th><th>Status</th><th class="hide-small">Executor</th><th>Units</th><th class="hide-small">Last seen</th>${owners === undefined ? '' : html`<th class="hide-small">Owner</th>`}</tr></thead>
<tbody>${resources.map((r) => html`<tr data-resource="${r.id}"><td class="name"><a href="${resourceHref(r.id)}">${r.id}</a></td><td>${r.status}</td><td class="hide-small">${r.executor}</td><td>${r.config.EXECONFIG.length}</td><td class="hide-small">${timeCell(r.lastSeenAt)}</td>${owners === undefined ? '' : html`<td class="hide-small">${owners.get(r.ownerId) ?? ''}</td>`}</tr>`)}</tbody>
</table></div>`}`;
    return sendPage(reply, ctx.layout, { title: 'Resources', body });
  });

  async function resourcePage(request: FastifyRequest, reply: FastifyReply, caller: ResourceCaller, resource: ResourceRecord, extra?: SafeHtml): Promise<FastifyReply> {
    const flash = takeFlash(request);
    const running = await jobsRunningOn(site, resource.id);
    const cfg = resource.config;
    const csrf = csrfField(request);
    const href = resourceHref(resource.id);
    const body = html`<p><a href="/resources">← All resources</a></p>
<h1>Resource ${resource.id}</h1>
${flash === undefined ? '' : notice(flash.kind, flash.text)}
${extra ?? ''}
<section class="card" id="resource-state"><h2>State</h2>
<dl class="facts">
<dt>Status</dt><dd id="resource-status">${resource.status === 'active' ? 'active (takes new jobs)' : 'paused (no new jobs; running ones go on)'}</dd>
<dt>Agent last seen</dt><dd>${timeCell(resource.lastSeenAt)}</dd>
<dt>Executor</dt><dd>${resource.executor}</dd>
${caller.admin ? html`<dt>Owner</dt><dd>${await ownerEmail(resource.ownerId)}</dd>` : ''}
<dt>Registered</dt><dd>${timeCell(resource.createdAt)}</dd>
</dl>
<div class="actions">
<form method="post" action="${href}/${resource.status === 'active' ? 'pause' : 'resume'}" class="inline">${csrf}<button type="submit" class="secondary">${resource.status === 'active' ? 'Pause' : 'Resume'}</button></form>
<form method="post" action="${href}/token" class="inline">${csrf}<button type="submit" class="secondary">New agent token</button></form>
</div></section>

<section class="card" id="resource-config"><h2>Configuration</h2>
<dl class="facts">
<dt>Public name</dt><dd>${cfg.PUBLICNAME === '' ? html`<span class="muted">(none: the resource name)</span>` : cfg.PUBLICNAME}</dd>
<dt>Architecture</dt><dd>${cfg.ARCHITECTURE}</dd>
${cfg.PLATFORM === '' ? '' : html`<dt>Platform</dt><dd>${cfg.PLATFORM}</dd>`}
<dt>Job type</dt><dd>${cfg.JOBTYPE}</dd>
<dt>Per node</dt><dd>${cfg.CPUCOUNT} CPU core(s), ${cfg.MEMORY} MB memory, ${cfg.DISK} GB disk; ${cfg.NODECOUNT} node(s)</dd>
<dt>Runtime environments</dt><dd>${cfg.RUNTIMEENVIRONMENT.length === 0 ? html`<span class="muted">none</span>` : cfg.RUNTIMEENVIRONMENT.map((re) => re.name).join(', ')}</dd>
${cfg.SANDBOX ? html`<dt>Sandbox</dt><dd>yes</dd>` : ''}
</dl>
<h3>Execution units</h3>
<div class="table-wrap"><table id="units-table"><thead><tr><th>Unit</th><th>Max CPU time</th><th>Nodes</th><th>VGrids</th></tr></thead><tbody>
${cfg.EXECONFIG.map((u) => html`<tr><td>${u.name}</td><td>${u.cputime} s</td><td>${u.nodecount}</td><td>${u.vgrid.join(', ')}</td></tr>`)}
</tbody></table></div></section>

<section class="card" id="resource-jobs"><h2>Jobs running here</h2>
${running.length === 0 ? html`<p class="muted">None right now.</p>` : html`<div class="table-wrap"><table><thead><tr><th>Job</th><th>Unit</th><th>Since</th></tr></thead><tbody>
${running.map((j) => html`<tr><td><code>${j.id}</code></td><td>${j.unitName ?? ''}</td><td>${timeCell(j.executingAt)}</td></tr>`)}
</tbody></table></div>`}
</section>

<section class="card" id="resource-remove"><h2>Remove</h2>
<form method="post" action="${href}/remove" class="stack">${csrf}
<label class="check"><input type="checkbox" name="confirm" value="on" required> I understand: the resource and its token stop working at once; this cannot be undone.</label>
<div class="actions"><button type="submit" class="danger">Remove the resource</button></div></form></section>`;
    return sendPage(reply, ctx.layout, { title: `Resource ${resource.id}`, body });
  }

  const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 63 } } } as const;

  app.get<{ Params: { id: string } }>('/resources/:id', { schema: { params: idParams } }, async (request, reply) => {
    const caller = resourceCaller(request, 'read');
    return resourcePage(request, reply, caller, await resourceFor(site, caller, request.params.id));
  });

  for (const [action, status] of [['pause', 'paused'], ['resume', 'active']] as const) {
    app.post<{ Params: { id: string } }>(`/resources/:id/${action}`, { schema: { params: idParams } }, async (request, reply) => {
      const caller = resourceCaller(request, 'write');
      const resource = await resourceFor(site, caller, request.params.id);
      await site.resources.setStatus(resource.id, status);
      request.session.set(FLASH, { kind: 'ok', text: status === 'paused' ? 'Paused: the resource gets no new jobs.' : 'Resumed: the resource gets new jobs again.' } satisfies Flash);
      return reply.redirect(resourceHref(resource.id), 303);
    });
  }

  app.post<{ Params: { id: string } }>('/resources/:id/token', { schema: { params: idParams } }, async (request, reply) => {
    const caller = resourceCaller(request, 'write');
    const resource = await resourceFor(site, caller, request.params.id);
    const token = await site.resources.rotateToken(resource.id);
    return resourcePage(request, reply, caller, resource, html`<section class="card" id="new-token"><h2>New agent token</h2>
${notice('ok', 'Copy the token now: it is shown only once, and the old token no longer works. Give it to the agent: mig-resource run --site <site URL> --token <token>.')}
<pre class="view" id="token-value">${token}</pre></section>`);
  });

  app.post<{ Params: { id: string } }>('/resources/:id/remove', { schema: { params: idParams } }, async (request, reply) => {
    const caller = resourceCaller(request, 'write');
    const resource = await resourceFor(site, caller, request.params.id);
    if (!formChecked(formOf(request.body), 'confirm')) {
      request.session.set(FLASH, { kind: 'bad', text: 'Tick the box to confirm the removal.' } satisfies Flash);
      return reply.redirect(resourceHref(resource.id), 303);
    }
    try {
      await site.resources.remove(resource.id);
    } catch (err) {
      if (!isMigError(err) || err.status >= 500) throw err;
      request.session.set(FLASH, { kind: 'bad', text: err.message } satisfies Flash);
      return reply.redirect(resourceHref(resource.id), 303);
    }
    request.session.set(FLASH, { kind: 'ok', text: `Resource ${resource.id} removed.` } satisfies Flash);
    return reply.redirect('/resources', 303);
  });
}
