/**
 * The file manager page (`/files?path=/a/b`): the shell, breadcrumbs and the folder's listing are
 * rendered on the server (escaped; it works before, and without, JavaScript: links open folders
 * and files), and `/static/files.js` adds the rest (upload, rename, move, copy, delete, trash,
 * zip, view, edit, checksum, find) over the files API.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import { isMigError, type FileInfo } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { childPath, displayPath } from '../files/file-json.js';
import { viewOf } from '../files/view-access.js';
import { html, type SafeHtml } from '../html/html.js';
import { sendPage } from '../html/layout.js';

function sizeText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return i === 0 ? `${bytes} B` : `${n.toFixed(1)} ${units[i]}`;
}

function crumbs(path: string): SafeHtml {
  const parts = path.split('/').filter((p) => p !== '');
  const links = parts.map((part, i) => html`<li><a href="/files?path=${encodeURIComponent(`/${parts.slice(0, i + 1).join('/')}`)}">${part}</a></li>`);
  return html`<nav aria-label="Folder"><ol class="crumbs" id="crumbs"><li><a href="/files?path=%2F">Home</a></li>${links}</ol></nav>`;
}

function row(dir: string, e: FileInfo): SafeHtml {
  const path = childPath(dir, e.name);
  const href = e.type === 'directory' ? `/files?path=${encodeURIComponent(path)}` : `/api/v1/files/content?path=${encodeURIComponent(path)}`;
  return html`<tr data-path="${path}" data-type="${e.type}" data-size="${e.size}" data-mtime="${e.mtime.toISOString()}">
<td class="sel"><input type="checkbox" class="pick" aria-label="Select ${e.name}"></td>
<td class="name"><span class="icon" aria-hidden="true">${e.type === 'directory' ? '📁' : '📄'}</span><a href="${href}">${e.name}</a></td>
<td class="size">${e.type === 'directory' ? '' : sizeText(e.size)}</td>
<td class="date"><time datetime="${e.mtime.toISOString()}">${e.mtime.toISOString().slice(0, 16).replace('T', ' ')}</time></td></tr>`;
}

/** Registers `/files`. */
export function registerFilesPages(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Querystring: { path?: string } }>('/files', {
    schema: { querystring: { type: 'object', properties: { path: { type: 'string', maxLength: 4096 } } } },
  }, async (request, reply) => {
    const { view } = await viewOf(ctx, request, 'read');
    const wanted = request.query.path ?? '/';
    let path = '/';
    let entries: FileInfo[] = [];
    let problem: string | undefined;
    try {
      entries = await view.list(wanted);
      path = displayPath(wanted);
    } catch (err) {
      if (!isMigError(err)) throw err;
      problem = err.message;
      entries = await view.list('/');
    }
    entries.sort((a, b) => (a.type === 'directory') === (b.type === 'directory') ? 0 : a.type === 'directory' ? -1 : 1);
    const body = html`
<section class="files" id="files" data-path="${path}">
<h1>Files</h1>
${crumbs(path)}
${problem === undefined ? '' : html`<p class="notice bad" role="alert">${problem}</p>`}
<div class="toolbar" role="toolbar" aria-label="File actions">
  <input type="file" id="pick-files" multiple class="visually-hidden"><label class="button" for="pick-files">Upload files</label>
  <input type="file" id="pick-folder" webkitdirectory multiple class="visually-hidden"><label class="button secondary" for="pick-folder">Upload folder</label>
  <button type="button" class="secondary" data-action="mkdir">New folder</button>
  <button type="button" class="secondary" data-action="newfile">New text file</button>
  <button type="button" class="secondary" data-action="rename" data-needs="1">Rename / move</button>
  <button type="button" class="secondary" data-action="copy" data-needs="1">Copy</button>
  <button type="button" class="secondary" data-action="download" data-needs="1">Download</button>
  <button type="button" class="secondary" data-action="zip" data-needs="1">Zip</button>
  <button type="button" class="secondary" data-action="unzip" data-needs="1">Unzip</button>
  <button type="button" class="secondary" data-action="checksum" data-needs="1">Checksum</button>
  <button type="button" class="danger" data-action="delete" data-needs="1">Delete</button>
  <button type="button" class="secondary" data-action="trash">Trash</button>
  <button type="button" class="secondary" data-action="share" data-needs="1">Share</button>
  <a class="button secondary" href="/share-links">My share links</a>
</div>
<form class="find" id="find-form" role="search"><label for="find-name">Find by name</label> <input id="find-name" name="name" type="search" maxlength="255"> <button type="submit" class="secondary">Find</button></form>
<div class="dropzone" id="dropzone">Drop files or folders here to upload them into this folder.</div>
<div id="uploads" class="uploads" aria-live="polite"></div>
<p id="status" class="status" role="status" aria-live="polite"></p>
<div class="table-wrap"><table class="listing" id="listing">
<thead><tr><th class="sel"><input type="checkbox" id="pick-all" aria-label="Select all"></th>
<th><button type="button" class="link sort" data-sort="name">Name</button></th>
<th><button type="button" class="link sort" data-sort="size">Size</button></th>
<th><button type="button" class="link sort" data-sort="date">Modified</button></th></tr></thead>
<tbody>${entries.map((e) => row(path, e))}</tbody>
</table></div>
${entries.length === 0 ? html`<p class="muted" id="empty">This folder is empty.</p>` : ''}
<dialog id="dialog" aria-labelledby="dialog-title"><form method="dialog" id="dialog-form"><h2 id="dialog-title"></h2><div id="dialog-body"></div><div class="actions"><button type="submit" value="ok" id="dialog-ok">OK</button> <button type="button" class="secondary" id="dialog-cancel">Cancel</button></div></form></dialog>
</section>`;
    return sendPage(reply, ctx.layout, { title: 'Files', body, scripts: ['files.js', 'share-dialog.js'] });
  });
}
