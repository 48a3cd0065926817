/**
 * Serving a VGrid's web folders as a small web site, as MiG's Apache does:
 * - the PUBLIC folder (`<state>/vgrid_public_base/<name>/`) to anyone, no sign-in;
 * - the PRIVATE folder (`<state>/vgrid_private_base/<name>/`) to the VGrid's participants only
 *   (owners and members, inherited downwards, as the core's `roleOf` says).
 * Each request gets a read-only core `FileView` whose single root is that folder (root ids
 * `vgrid-public:<name>` / `vgrid-private:<name>`), so `..`, encoded escapes and symlinks that
 * leave the folder are refused by the view, never by path checks here. A folder is answered by
 * its `index.html` when it has one, else 404 (MiG's web folders list nothing either).
 * @packageDocumentation
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  createFileView, isMigError, NotFoundError, vgridFolders,
  type FileInfo, type FileView, type Site, type VgridFolderPaths, type VgridRecord,
} from '@migrid/core';
import { contentDisposition } from '../files/content-type.js';
import { webContentTypeFor, webFolderCsp, type WebFolderKind } from './web-folder-headers.js';
import { fileEtag, sendFileBody } from '../files/send-file-body.js';

/** Deepest VGrid nesting looked at when matching a URL to a VGrid. */
const MAX_NAME_LEVELS = 16;
/** The file that answers for a folder. */
export const INDEX_FILE = 'index.html';

/** A VGrid web folder matched from a URL. */
export interface WebFolderTarget {
  /** The VGrid whose folder it is. */
  readonly vgrid: VgridRecord;
  /** A read-only view whose root `/` is that folder. */
  readonly view: FileView;
  /** The path asked for inside the folder (`/` for the folder itself). */
  readonly path: string;
}

function folderPaths(site: Site): VgridFolderPaths {
  const p = site.paths;
  return { filesHome: p.vgridFilesHome, privateBase: p.vgridPrivateBase, publicBase: p.vgridPublicBase, removedHome: p.vgridRemoved };
}

/** The store's record of `name`, or `undefined` for an unknown or malformed name. */
async function findVgrid(site: Site, name: string): Promise<VgridRecord | undefined> {
  try {
    return await site.vgrids.find(name);
  } catch (err) {
    if (isMigError(err) && err.status < 500) return undefined;
    throw err;
  }
}

function notFound(): NotFoundError {
  return new NotFoundError('MIG_E_VGRID_NOT_FOUND', 'There is no such page.');
}

/** A read-only view of one web folder of `vgrid`. */
function folderView(site: Site, kind: WebFolderKind, vgrid: VgridRecord): FileView {
  const dirs = vgridFolders(folderPaths(site), vgrid.name);
  return createFileView({
    roots: [{ id: `vgrid-${kind}:${vgrid.name}`, mountPath: '/', hostPath: kind === 'public' ? dirs.publicWeb : dirs.privateWeb, access: { read: true, list: true, write: false } }],
    symlinkPolicy: 'within-view',
  });
}

/**
 * Matches `rest` (the URL after `/vgrid/`, decoded) to a VGrid's web folder.
 * - public: the first level names a top-level VGrid; a sub-VGrid `A/B`'s public folder lies inside
 *   `A`'s, as on disk in MiG, so `/vgrid/A/B/…` reaches it either way.
 * - private: the shortest leading part of the URL naming a VGrid the user takes part in (a member
 *   of `A` is a member of `A/B`; someone only in `A/B` gets just `A/B`'s folder).
 * Unknown VGrids and VGrids the user is not in are `MIG_E_VGRID_NOT_FOUND` (404: a private
 * folder's existence is not told to outsiders).
 */
export async function resolveWebFolder(site: Site, kind: WebFolderKind, rest: string, userId?: string): Promise<WebFolderTarget> {
  const segments = rest.split('/');
  const levels = kind === 'public' ? 1 : Math.min(segments.length, MAX_NAME_LEVELS);
  for (let k = 1; k <= levels; k += 1) {
    const name = segments.slice(0, k).join('/');
    if (name === '' || segments[k - 1] === '') break;
    const vgrid = await findVgrid(site, name);
    if (vgrid === undefined) break;
    if (kind === 'private' && (userId === undefined || (await site.vgrids.roleOf(userId, vgrid.name)) === null)) continue;
    return { vgrid, view: folderView(site, kind, vgrid), path: `/${segments.slice(k).join('/')}` };
  }
  throw notFound();
}

/** The headers of every web-folder answer. */
function folderHeaders(reply: FastifyReply, kind: WebFolderKind): void {
  reply.header('content-security-policy', webFolderCsp(kind));
  reply.header('x-content-type-options', 'nosniff');
  if (kind === 'public') {
    // The sandboxed page has an opaque origin: let it load its own images and styles.
    reply.header('cross-origin-resource-policy', 'cross-origin');
    reply.header('cache-control', 'public, max-age=60');
  } else {
    reply.header('cache-control', 'private, no-cache');
    reply.header('x-robots-tag', 'noindex, nofollow');
  }
}


/** `stat`, with "not there" and "not allowed" both answered as 404 (no hints about the host). */
async function statOrNotFound(view: FileView, path: string): Promise<FileInfo> {
  try {
    return await view.stat(path);
  } catch (err) {
    if (isMigError(err) && err.status < 500) throw notFound();
    throw err;
  }
}

/**
 * Answers a GET/HEAD for a web-folder URL: the file (one `Range` gives 206; `If-None-Match` 304),
 * a folder's `index.html`, a redirect adding the `/` a folder URL lacks, or 404.
 */
export async function sendWebFolder(request: FastifyRequest, reply: FastifyReply, kind: WebFolderKind, target: WebFolderTarget): Promise<FastifyReply> {
  let path = target.path;
  let info = await statOrNotFound(target.view, path);
  if (info.type === 'directory') {
    const urlPath = (request.raw.url ?? request.url).split('?')[0] ?? '';
    if (!urlPath.endsWith('/')) return reply.redirect(`${urlPath}/`, 301);
    path = path.endsWith('/') ? `${path}${INDEX_FILE}` : `${path}/${INDEX_FILE}`;
    info = await statOrNotFound(target.view, path);
  }
  if (info.type !== 'file') throw notFound();
  const name = path.slice(path.lastIndexOf('/') + 1);
  const etag = fileEtag(info);
  folderHeaders(reply, kind);
  reply.header('etag', etag);
  reply.header('last-modified', info.mtime.toUTCString());
  reply.header('accept-ranges', 'bytes');
  reply.header('content-disposition', contentDisposition('inline', name));
  reply.type(webContentTypeFor(name));
  if (request.headers['if-none-match'] === etag) return reply.status(304).send();
  return sendFileBody(request, reply, target.view, path, info);
}
