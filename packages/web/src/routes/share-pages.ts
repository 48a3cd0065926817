/**
 * The share-link pages: `/share/<id>/…` for anyone holding a link (no account needed), and the
 * owner's "My share links" page (`/share-links`, see `share-links/my-share-links-pages.ts`).
 *
 * A link with a password shows a password form first (CSRF-protected); a link without one is
 * opened by its id alone (the id is the secret). Either way the login goes through
 * `site.auth.authenticateShareLink` (the defender counts failures, the auth log records them) and
 * one use is counted per browser session: the browser then holds a signed cookie scoped to
 * `/share/<id>` (see {@link ShareAccess}). Every file access goes through the link's own view
 * (`site.files.viewFor({ kind: 'share-link', shareId })`), never by host path:
 * - `ro`/`rw` folders: browse, download files (one `Range`), download a folder as zip; `rw` also
 *   uploads, makes folders, renames and deletes;
 * - `wo` (drop box): uploads (several, with progress) and a list of this session's uploads only;
 *   no listing, no download;
 * - a file link: the file with a download button.
 * Unknown links answer 404; expired, revoked and used-up ones 410, saying which (the core tells
 * only a holder of the right id and password).
 * @packageDocumentation
 */
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, FileAccessError, InvalidInputError, isMigError, MigError, NotFoundError, type FileInfo, type FileView, type ShareLink } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { contentDisposition, contentTypeFor } from '../files/content-type.js';
import { baseName, childPath, displayPath, parentPath } from '../files/file-json.js';
import { registerRawBodyRoutes } from '../files/raw-body.js';
import { zipStream } from '../files/zip-from-view.js';
import type { SafeHtml } from '../html/html.js';
import { html } from '../html/html.js';
import { sendPage } from '../html/layout.js';
import { SHARE_COOKIE, SHARE_SESSION_MS, ShareAccess, type ShareCookie, type ShareSession } from '../share-links/share-access.js';
import { registerMyShareLinksPages } from '../share-links/my-share-links-pages.js';
import { dropBoxBody, fileBody, folderBody, passwordForm, refusalBody, shareUrl } from '../share-links/share-page-parts.js';
import { fileEtag, sendFileBody } from '../files/send-file-body.js';

/** The CSP of a downloaded file: even if a browser renders it, it can run and load nothing. */
const CONTENT_CSP = "default-src 'none'; sandbox";
/** Longest file or folder name accepted from a form. */
const MAX_NAME = 255;

/** A request that may use the link. */
interface Granted {
  readonly link: ShareLink;
  readonly session: ShareSession;
  readonly view: FileView;
}

type Params = { id: string; '*'?: string };

/** The headers every share page and answer carries (the id in the URL is a secret). */
function privateHeaders(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  reply.header('x-robots-tag', 'noindex, nofollow');
  reply.header('referrer-policy', 'no-referrer');
}

function sharePage(reply: FastifyReply, ctx: WebContext, page: { title: string; body: SafeHtml; status?: number; scripts?: readonly string[] }): FastifyReply {
  privateHeaders(reply);
  return sendPage(reply, ctx.layout, page);
}

/** Whether the request wants a JSON answer (the page's script), not a page. */
function wantsJsonAnswer(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('application/json') && !accept.includes('text/html');
}

/** The page (status, heading, message) for a refused link or a failed operation. */
function refusal(err: unknown): { status: number; heading: string; message: string; code: string } {
  if (!isMigError(err)) throw err;
  switch (err.code) {
    case 'MIG_E_AUTH_FAILED':
      return { status: 404, heading: 'No such share link', message: 'There is no share link with this address. Check that you copied the whole link.', code: 'MIG_E_SHARE_LINK_NOT_FOUND' };
    case 'MIG_E_SHARE_LINK_EXPIRED':
      return { status: 410, heading: 'This share link has expired', message: err.message, code: err.code };
    case 'MIG_E_SHARE_LINK_REVOKED':
      return { status: 410, heading: 'This share link was revoked', message: err.message, code: err.code };
    case 'MIG_E_SHARE_LINK_USED_UP':
      return { status: 410, heading: 'This share link is used up', message: err.message, code: err.code };
    case 'MIG_E_BANNED':
      return { status: 429, heading: 'Too many failed attempts', message: err.message, code: err.code };
    default:
      return { status: err.status, heading: err.status === 404 ? 'Not found' : 'That did not work', message: err.message, code: err.code };
  }
}

function sendRefusal(request: FastifyRequest, reply: FastifyReply, ctx: WebContext, err: unknown, back?: string): FastifyReply {
  const r = refusal(err);
  privateHeaders(reply);
  if (wantsJsonAnswer(request)) return reply.status(r.status).type('application/json; charset=utf-8').send({ code: r.code, message: r.message });
  const body = back === undefined
    ? refusalBody(r.heading, r.message, r.code)
    : html`${refusalBody(r.heading, r.message, r.code)}<p><a href="${back}">Back</a></p>`;
  return sharePage(reply, ctx, { title: r.heading, body, status: r.status });
}


/** Sends a file of the link's view as a download (one `Range` gives 206). */
async function sendFile(request: FastifyRequest, reply: FastifyReply, view: FileView, path: string, info: FileInfo): Promise<FastifyReply> {
  const name = baseName(displayPath(path));
  const etag = fileEtag(info);
  privateHeaders(reply);
  reply.header('etag', etag);
  reply.header('last-modified', info.mtime.toUTCString());
  reply.header('accept-ranges', 'bytes');
  reply.header('content-security-policy', CONTENT_CSP);
  reply.header('content-disposition', contentDisposition('attachment', name));
  reply.type(contentTypeFor(name));
  return sendFileBody(request, reply, view, path, info);
}

/** A name typed into a form: one path component. */
function nameField(value: unknown, what: string): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name === '' || name.length > MAX_NAME || name.includes('/') || name === '.' || name === '..') {
    throw new InvalidInputError(`Give the ${what} as one name (no "/"), at most ${MAX_NAME} characters.`);
  }
  return name;
}

function pathField(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > 4096) throw new InvalidInputError('The form is missing the path; reload the page and try again.');
  return value;
}

/** Registers `/share/<id>/…` and the owner's share-link pages. */
export async function registerSharePages(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { site } = ctx;
  const access = new ShareAccess(site, ctx.now);

  const setCookie = (reply: FastifyReply, link: ShareLink, value: string): void => {
    reply.setCookie(SHARE_COOKIE, value, { path: `/share/${link.id}`, secure: true, httpOnly: true, sameSite: 'lax' });
  };

  /** The session of a request holding a valid cookie for `link` (renewed when half used). */
  const cookieSession = (request: FastifyRequest, reply: FastifyReply, link: ShareLink): ShareCookie | undefined => {
    const cookie = access.verify(link, request.cookies[SHARE_COOKIE]);
    if (cookie !== undefined && cookie.expiresAt - ctx.now() < SHARE_SESSION_MS / 2) setCookie(reply, link, access.issue(link, cookie.nonce).value);
    return cookie;
  };

  /**
   * Grants the request use of link `id`, or answers it (password form, refusal) and returns
   * undefined. `login` allows logging in with the id alone (page GETs); actions need a session.
   */
  async function grant(request: FastifyRequest, reply: FastifyReply, id: string, login: boolean): Promise<Granted | undefined> {
    const link = await site.shareLinks.find(id);
    let cookie = link === undefined ? undefined : cookieSession(request, reply, link);
    if (cookie === undefined) {
      if (link !== undefined && link.hasPassword) {
        if (!login || wantsJsonAnswer(request)) {
          sendRefusal(request, reply, ctx, new MigError('MIG_E_NOT_SIGNED_IN', 'Open the share link page and enter its password first.'));
          return undefined;
        }
        sharePage(reply, ctx, { title: 'Shared data', body: passwordForm(request, id), status: 401 });
        return undefined;
      }
      if (!login) {
        sendRefusal(request, reply, ctx, new MigError('MIG_E_NOT_SIGNED_IN', 'Open the share link page first (your visit may have timed out).'));
        return undefined;
      }
      // No password: the id is the secret. Unknown ids fail here too, counted by the defender.
      try {
        await site.auth.authenticateShareLink({ shareId: id, password: id, address: request.ip, protocol: 'https' });
      } catch (err) {
        sendRefusal(request, reply, ctx, err);
        return undefined;
      }
      if (link === undefined) throw new Error('a share link logged in without existing');
      const issued = access.issue(link);
      setCookie(reply, link, issued.value);
      cookie = issued.cookie;
    }
    const state = site.shareLinks.stateOf(link as ShareLink);
    if (state === 'revoked' || state === 'expired') {
      access.forget(cookie);
      reply.clearCookie(SHARE_COOKIE, { path: `/share/${id}`, secure: true, httpOnly: true, sameSite: 'lax' });
      sendRefusal(request, reply, ctx, state === 'revoked'
        ? new AuthError('MIG_E_SHARE_LINK_REVOKED', 'This share link was revoked by its owner.')
        : new AuthError('MIG_E_SHARE_LINK_EXPIRED', 'This share link has expired; ask its owner for a new one.'));
      return undefined;
    }
    const session = access.session(cookie);
    try {
      return { link: link as ShareLink, session, view: await session.view() };
    } catch (err) {
      access.forget(cookie);
      if (isMigError(err, 'MIG_E_PERMISSION_DENIED')) {
          sendRefusal(request, reply, ctx, new AuthError('MIG_E_SHARE_LINK_REVOKED', 'This share link is no longer available (its owner can no longer share this folder).'));
        return undefined;
      }
      throw err;
    }
  }

  const titleOf = (link: ShareLink): string => baseName(link.viewPath) || 'Shared folder';

  app.get<{ Params: Params }>('/share/:id', async (request, reply) => reply.redirect(`/share/${encodeURIComponent(request.params.id)}/`, 303));

  app.get<{ Params: Params; Querystring: { zip?: string } }>('/share/:id/*', async (request, reply) => {
    const { id } = request.params;
    const granted = await grant(request, reply, id, true);
    if (granted === undefined) return reply;
    const { link, session, view } = granted;
    const rest = request.params['*'] ?? '';
    const zip = request.query.zip === '1';
    try {
      if (link.mode === 'wo') {
        if (rest !== '' || zip) throw new FileAccessError('MIG_E_PERMISSION_DENIED', 'This share is upload-only: its contents cannot be listed or downloaded.');
        return sharePage(reply, ctx, { title: titleOf(link), body: dropBoxBody({ id, title: titleOf(link), uploaded: session.uploaded }), scripts: ['share.js'] });
      }
      if (link.kind === 'file' && rest === '' && !zip) {
        const [info] = await view.list('/');
        if (info === undefined) throw new NotFoundError('MIG_E_PATH_NOT_FOUND', 'The shared file is gone.');
        return sharePage(reply, ctx, { title: info.name, body: fileBody({ id, info }) });
      }
      const path = `/${rest}`;
      const info = await view.stat(path);
      if (info.type === 'directory') {
        const shown = displayPath(path);
        if (zip) {
          const top = shown === '/' ? (await view.list('/')).map((e) => childPath('/', e.name)) : [shown];
          const stream = await zipStream(view, top);
          privateHeaders(reply);
          reply.header('content-disposition', contentDisposition('attachment', `${shown === '/' ? titleOf(link) : baseName(shown)}.zip`));
          return reply.type('application/zip').send(stream);
        }
        if (!rest.endsWith('/') && rest !== '') return reply.redirect(shareUrl(id, shown, true), 303);
        const entries = await view.list(path);
        return sharePage(reply, ctx, { title: titleOf(link), body: folderBody(request, { id, title: titleOf(link), mode: link.mode, path: shown, entries }), scripts: link.mode === 'rw' ? ['share.js'] : [] });
      }
      if (info.type !== 'file') throw new NotFoundError('MIG_E_PATH_NOT_FOUND', 'Only files and folders can be opened here.');
      return await sendFile(request, reply, view, path, info);
    } catch (err) {
      return sendRefusal(request, reply, ctx, err, shareUrl(id, '/', true));
    }
  });

  app.post<{ Params: Params; Body: { password?: unknown } }>('/share/:id/_/login', async (request, reply) => {
    const { id } = request.params;
    const password = typeof request.body?.password === 'string' ? request.body.password.slice(0, 100_000) : '';
    const link = await site.shareLinks.find(id);
    if (link !== undefined && !link.hasPassword) return reply.redirect(`/share/${id}/`, 303);
    try {
      await site.auth.authenticateShareLink({ shareId: id, password, address: request.ip, protocol: 'https' });
    } catch (err) {
      if (isMigError(err, 'MIG_E_AUTH_FAILED') && link !== undefined) {
        return sharePage(reply, ctx, { title: 'Shared data', body: passwordForm(request, id, 'Wrong password. Check it and try again.'), status: 401 });
      }
      return sendRefusal(request, reply, ctx, err);
    }
    if (link === undefined) throw new Error('a share link logged in without existing');
    setCookie(reply, link, access.issue(link).value);
    privateHeaders(reply);
    return reply.redirect(`/share/${id}/`, 303);
  });

  await registerRawBodyRoutes(app, (scope) => {
    scope.post<{ Params: Params; Querystring: { dir?: string; name?: string } }>('/share/:id/_/upload', async (request, reply) => {
      const { id } = request.params;
      const granted = await grant(request, reply, id, false);
      if (granted === undefined) return reply;
      const { session, view } = granted;
      try {
        const dir = typeof request.query.dir === 'string' && request.query.dir !== '' ? request.query.dir : '/';
        if (dir.length > 4096) throw new InvalidInputError('The folder path is too long.');
        // The raw folder goes to the view, which refuses a `..` above the link's folder (as every
        // protocol does); the lexical form is only for answers, after the view accepted the path.
        const asked = childPath(dir, nameField(request.query.name, 'file name'));
        const out = await view.createWriteStream(asked, { overwrite: false });
        await pipeline(request.raw, out);
        const info = await view.stat(asked);
        const path = displayPath(asked);
        access.noteUpload(session, path);
        privateHeaders(reply);
        return reply.status(201).type('application/json; charset=utf-8').send({ name: info.name, path, size: info.size });
      } catch (err) {
        const r = refusal(err);
        privateHeaders(reply);
        return reply.status(r.status).type('application/json; charset=utf-8').send({ code: r.code, message: r.message });
      }
    });
  });

  /** A form action of an `rw` (or drop-box) session, answered with a redirect back to the folder. */
  const formAction = (action: 'mkdir' | 'delete' | 'rename', run: (view: FileView, body: Record<string, unknown>, session: ShareSession) => Promise<string>): void => {
    app.post<{ Params: Params; Body: Record<string, unknown> }>(`/share/:id/_/${action}`, async (request, reply) => {
      const { id } = request.params;
      const granted = await grant(request, reply, id, false);
      if (granted === undefined) return reply;
      const body = typeof request.body === 'object' && request.body !== null ? request.body : {};
      try {
        const back = await run(granted.view, body, granted.session);
        privateHeaders(reply);
        return reply.redirect(shareUrl(id, back, true), 303);
      } catch (err) {
        return sendRefusal(request, reply, ctx, err, shareUrl(id, '/', true));
      }
    });
  };

  formAction('mkdir', async (view, body) => {
    const dir = pathField(body['dir']);
    await view.mkdir(childPath(dir, nameField(body['name'], 'folder name')));
    return displayPath(dir);
  });
  formAction('delete', async (view, body) => {
    const path = displayPath(pathField(body['path']));
    if (path === '/') throw new FileAccessError('MIG_E_PERMISSION_DENIED', 'The shared folder itself cannot be deleted.');
    await view.remove(path, { recursive: true });
    return parentPath(path);
  });
  formAction('rename', async (view, body) => {
    const path = displayPath(pathField(body['path']));
    if (path === '/') throw new FileAccessError('MIG_E_PERMISSION_DENIED', 'The shared folder itself cannot be renamed.');
    const dir = parentPath(path);
    await view.rename(path, childPath(dir, nameField(body['to'], 'new name')), { overwrite: false });
    return dir;
  });

  registerMyShareLinksPages(app, ctx);
}
