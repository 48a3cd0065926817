/**
 * The API's own documentation: the OpenAPI document at `/api/v1/openapi.json` (generated from the
 * routes' schemas, so it cannot drift) and a readable page at `/api/docs`.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../app/web-context.js';
import { html } from '../html/html.js';
import { sendPage } from '../html/layout.js';

interface OperationDoc {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string }>;
  requestBody?: unknown;
}

/** Registers `/api/v1/openapi.json` and `/api/docs`. */
export function registerApiDocsRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/api/docs', async (_request, reply) => {
    const doc = app.swagger() as { paths?: Record<string, Record<string, OperationDoc>>; info?: { description?: string } };
    const byTag = new Map<string, Array<{ method: string; path: string; op: OperationDoc }>>();
    for (const [path, methods] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(methods)) {
        const tag = op.tags?.[0] ?? 'other';
        const list = byTag.get(tag) ?? [];
        list.push({ method: method.toUpperCase(), path, op });
        byTag.set(tag, list);
      }
    }
    const sections = [...byTag.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([tag, ops]) => html`
      <section class="card"><h2>${tag}</h2><dl class="api">
      ${ops.map(({ method, path, op }) => html`<dt><code class="method">${method}</code> <code>${path}</code></dt>
        <dd>${op.summary ?? ''}${op.description === undefined ? '' : html`<p>${op.description}</p>`}
        ${(op.parameters ?? []).length === 0 ? '' : html`<ul>${(op.parameters ?? []).map((p) => html`<li><code>${p.name}</code> (${p.in}${p.required === true ? ', required' : ''})${p.description === undefined ? '' : html`: ${p.description}`}</li>`)}</ul>`}</dd>`)}
      </dl></section>`);
    return sendPage(reply, ctx.layout, {
      title: 'API',
      body: html`<h1>JSON API</h1><p>${doc.info?.description ?? ''}</p><p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3).</p>${sections}`,
    });
  });
}
