/**
 * The page frame every HTML page shares: header with the site title and navigation, main content,
 * the stylesheet and page scripts (no inline scripts: the CSP forbids them).
 * @packageDocumentation
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csrfTokenOf, CSRF_FIELD } from '../plugins/csrf.js';
import { html, type SafeHtml } from './html.js';

/** What a page gives the layout. */
export interface PageOptions {
  /** The page title (escaped). */
  readonly title: string;
  /** The main content. */
  readonly body: SafeHtml;
  /** Extra scripts from `/static/` (e.g. `files.js`), loaded deferred. */
  readonly scripts?: readonly string[];
  /** HTTP status (default 200). */
  readonly status?: number;
}

/** The site's title, as `createWebApp` was told it. */
export interface LayoutSite {
  readonly title: string;
  /** What the site calls VGrids in menus (`[vgrids] label`; default "VGrid"). */
  readonly vgridLabel?: string;
}

/** A hidden form field carrying the request's CSRF token. */
export function csrfField(request: FastifyRequest): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrfTokenOf(request)}">`;
}

/** Renders a full page. */
export function renderPage(request: FastifyRequest, site: LayoutSite, page: PageOptions): string {
  const user = request.auth?.user;
  const isAdmin = user?.roles.includes('admin') === true;
  const token = csrfTokenOf(request);
  const nav = user === undefined
    ? html`<a href="/login">Sign in</a><a href="/signup">Sign up</a>`
    : html`<a href="/files">Files</a><a href="/vgrids">${site.vgridLabel ?? 'VGrid'}s</a><a href="/jobs">Jobs</a><a href="/resources">Resources</a><a href="/settings">Settings</a>${isAdmin ? html`<a href="/admin">Admin</a>` : ''}<a href="/api/docs">API</a>
        <form method="post" action="/logout" class="inline">${csrfField(request)}<button type="submit" class="link">Sign out</button></form>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${token}">
<title>${page.title} · ${site.title}</title>
<link rel="stylesheet" href="/static/app.css">
${(page.scripts ?? []).map((s) => html`<script src="/static/${s}" defer></script>`)}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/">${site.title}</a><nav aria-label="Main">${nav}</nav>${user === undefined ? '' : html`<span class="who" title="${user.dn}">${user.email}</span>`}</header>
<main id="main" tabindex="-1">
${page.body}
</main>
</body>
</html>
`.value;
}

/** Sends a page. */
export function sendPage(reply: FastifyReply, site: LayoutSite, page: PageOptions): FastifyReply {
  return reply.status(page.status ?? 200).type('text/html; charset=utf-8').send(renderPage(reply.request, site, page));
}
