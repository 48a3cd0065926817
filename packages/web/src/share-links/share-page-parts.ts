/**
 * The markup of the `/share/<id>` pages: the password form, a folder's listing, the drop box, a
 * single file, and the "link not usable" pages. Every name is escaped by the `html` template.
 * @packageDocumentation
 */
import type { FastifyRequest } from 'fastify';
import type { FileInfo, ShareLinkMode } from '@migrid/core';
import { childPath } from '../files/file-json.js';
import { html, type SafeHtml } from '../html/html.js';
import { csrfField } from '../html/layout.js';

/** A byte count for people. */
export function sizeText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return i === 0 ? `${bytes} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** The page URL of `path` inside link `id` (folders end with `/`). */
export function shareUrl(id: string, path: string, folder: boolean): string {
  const parts = path.split('/').filter((p) => p !== '').map(encodeURIComponent);
  const tail = parts.join('/');
  return `/share/${id}/${tail}${folder && tail !== '' ? '/' : ''}`;
}

/** Where a link's POST actions go. */
export function actionUrl(id: string, action: 'login' | 'upload' | 'mkdir' | 'delete' | 'rename'): string {
  return `/share/${id}/_/${action}`;
}

const MODE_TEXT: Readonly<Record<ShareLinkMode, string>> = { ro: 'read-only', wo: 'upload only', rw: 'read and write' };

/** What a mode lets the holder do, in words. */
export function modeText(mode: ShareLinkMode): string {
  return MODE_TEXT[mode];
}

/** The password form of a link with a password. */
export function passwordForm(request: FastifyRequest, id: string, problem?: string): SafeHtml {
  return html`<section class="card narrow share-login">
<h1>Shared data</h1>
<p>This share link is protected by a password. Enter the password you were given.</p>
${problem === undefined ? '' : html`<p class="notice bad" role="alert">${problem}</p>`}
<form method="post" action="${actionUrl(id, 'login')}" class="stack">
${csrfField(request)}
<label for="share-password">Password <input id="share-password" name="password" type="password" autocomplete="current-password" maxlength="1024" required autofocus></label>
<div class="actions"><button type="submit">Open</button></div>
</form>
</section>`;
}

/** A page saying that the link cannot be used (unknown, expired, revoked, used up, banned). */
export function refusalBody(heading: string, message: string, code: string): SafeHtml {
  return html`<section class="card error share-refused" role="alert"><h1>${heading}</h1><p>${message}</p><p class="code">${code}</p></section>`;
}

function crumbs(id: string, title: string, path: string): SafeHtml {
  const parts = path.split('/').filter((p) => p !== '');
  const links = parts.map((part, i) => html`<li><a href="${shareUrl(id, `/${parts.slice(0, i + 1).join('/')}`, true)}">${part}</a></li>`);
  return html`<nav class="crumbs" aria-label="Folder"><ol><li><a href="${shareUrl(id, '/', true)}">${title}</a></li>${links}</ol></nav>`;
}

function uploadBox(id: string, dir: string): SafeHtml {
  return html`<div class="share-upload" id="share-upload" data-action="${actionUrl(id, 'upload')}" data-dir="${dir}">
<input type="file" id="share-pick" multiple class="visually-hidden"><label class="button" for="share-pick">Upload files</label>
<div id="share-uploads" class="uploads" aria-live="polite"></div>
<p id="share-status" class="status" role="status" aria-live="polite"></p>
</div>`;
}

function entryRow(request: FastifyRequest, id: string, dir: string, e: FileInfo, writable: boolean): SafeHtml {
  const path = childPath(dir, e.name);
  const folder = e.type === 'directory';
  const actions = writable
    ? html`<td class="share-actions">
<form method="post" action="${actionUrl(id, 'rename')}" class="inline share-rename">${csrfField(request)}<input type="hidden" name="path" value="${path}"><input type="text" name="to" value="${e.name}" aria-label="New name for ${e.name}" maxlength="255" required><button type="submit" class="secondary">Rename</button></form>
<form method="post" action="${actionUrl(id, 'delete')}" class="inline">${csrfField(request)}<input type="hidden" name="path" value="${path}"><button type="submit" class="danger" aria-label="Delete ${e.name}">Delete</button></form>
</td>`
    : '';
  return html`<tr data-name="${e.name}" data-type="${e.type}">
<td class="name"><span class="icon" aria-hidden="true">${folder ? '📁' : '📄'}</span><a href="${shareUrl(id, path, folder)}"${folder ? '' : html` download`}>${e.name}</a></td>
<td class="size">${folder ? '' : sizeText(e.size)}</td>
<td class="date"><time datetime="${e.mtime.toISOString()}">${e.mtime.toISOString().slice(0, 16).replace('T', ' ')}</time></td>
${actions}</tr>`;
}

/** A folder of a `ro` or `rw` link: listing, zip download, and for `rw` upload, new folder, rename, delete. */
export function folderBody(request: FastifyRequest, input: { id: string; title: string; mode: ShareLinkMode; path: string; entries: readonly FileInfo[]; notice?: string }): SafeHtml {
  const { id, title, mode, path, entries } = input;
  const writable = mode === 'rw';
  const sorted = [...entries].sort((a, b) => ((a.type === 'directory') === (b.type === 'directory') ? a.name.localeCompare(b.name) : a.type === 'directory' ? -1 : 1));
  return html`<section class="share files" id="share" data-share-mode="${mode}" data-path="${path}">
<h1>${title}</h1>
<p class="muted">Shared with you, ${modeText(mode)}.</p>
${crumbs(id, title, path)}
${input.notice === undefined ? '' : html`<p class="notice" role="status">${input.notice}</p>`}
<div class="toolbar actions">
<a class="button secondary" id="share-zip" href="${shareUrl(id, path, true)}?zip=1" download>Download this folder as zip</a>
${writable
    ? html`<form method="post" action="${actionUrl(id, 'mkdir')}" class="inline share-mkdir">${csrfField(request)}<input type="hidden" name="dir" value="${path}"><input type="text" name="name" aria-label="New folder name" placeholder="New folder name" maxlength="255" required><button type="submit" class="secondary">New folder</button></form>`
    : ''}
</div>
${writable ? uploadBox(id, path) : ''}
<div class="table-wrap"><table class="listing" id="share-listing">
<thead><tr><th>Name</th><th>Size</th><th>Modified</th>${writable ? html`<th>Actions</th>` : ''}</tr></thead>
<tbody>${sorted.map((e) => entryRow(request, id, path, e, writable))}</tbody>
</table></div>
${entries.length === 0 ? html`<p class="muted" id="share-empty">This folder is empty.</p>` : ''}
</section>`;
}

/** A `wo` link: upload only; what this browser session uploaded is listed, nothing else. */
export function dropBoxBody(input: { id: string; title: string; uploaded: readonly string[] }): SafeHtml {
  return html`<section class="share files" id="share" data-share-mode="wo" data-path="/">
<h1>${input.title}</h1>
<p>This is an upload-only share: you can send files here, but you cannot see or download what is in it.</p>
${uploadBox(input.id, '/')}
<h2>Uploaded in this session</h2>
<ul id="share-uploaded" class="share-uploaded">${input.uploaded.map((p) => html`<li>uploaded: ${p.replace(/^\//, '')}</li>`)}</ul>
${input.uploaded.length === 0 ? html`<p class="muted" id="share-none">Nothing yet.</p>` : ''}
</section>`;
}

/** A file link: the file's name and size and a download button. */
export function fileBody(input: { id: string; info: FileInfo }): SafeHtml {
  const { id, info } = input;
  return html`<section class="card share share-file" id="share" data-share-mode="ro">
<h1>${info.name}</h1>
<p class="muted">A file shared with you, ${sizeText(info.size)}, changed ${info.mtime.toISOString().slice(0, 16).replace('T', ' ')} UTC.</p>
<p><a class="button" id="share-download" href="${shareUrl(id, `/${info.name}`, false)}" download>Download</a></p>
</section>`;
}
