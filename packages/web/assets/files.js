// The file manager (/files): plain browser JS over the files API. No framework, no build step,
// no inline scripts (CSP script-src 'self'). Every name from the server is put into the page with
// textContent or as an attribute value, never as HTML.
'use strict';

(() => {
  const root = document.getElementById('files');
  if (root === null) return;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const CHUNK = 8 * 1024 * 1024;
  const SMALL = 8 * 1024 * 1024;
  const TEXT = /\.(txt|md|csv|tsv|log|json|ya?ml|toml|ini|cfg|conf|py|js|ts|c|h|cpp|hpp|java|go|rs|sh|bash|r|m|f|f90|tex|bib|mrsl|sql|css|html?|xml|svg|rst|pl|rb|php|jl|dat)$/i;
  const IMAGE = /\.(png|jpe?g|gif|webp|bmp|ico|avif)$/i;

  let cwd = root.dataset.path || '/';
  let entries = [];
  let sortKey = 'name';
  let sortDir = 1;
  const tbody = document.querySelector('#listing tbody');
  const status = document.getElementById('status');
  const uploadsBox = document.getElementById('uploads');
  const dialog = document.getElementById('dialog');
  const dialogTitle = document.getElementById('dialog-title');
  const dialogBody = document.getElementById('dialog-body');
  const dialogOk = document.getElementById('dialog-ok');
  const dialogCancel = document.getElementById('dialog-cancel');

  const q = encodeURIComponent;
  const join = (dir, name) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);
  const baseName = (p) => p.slice(p.lastIndexOf('/') + 1);
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'for' || k === 'role') node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children) node.append(c);
    return node;
  };
  const say = (text, bad = false) => {
    status.textContent = text;
    status.className = bad ? 'status notice bad' : 'status';
  };
  const sizeText = (n) => {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let x = n;
    while (x >= 1024 && i < u.length - 1) { x /= 1024; i += 1; }
    return i === 0 ? `${n} B` : `${x.toFixed(1)} ${u[i]}`;
  };

  async function api(method, url, body) {
    const headers = { 'x-csrf-token': csrf };
    const init = { method, headers, credentials: 'same-origin' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(url, init);
    const text = await res.text();
    const data = text === '' ? {} : (() => { try { return JSON.parse(text); } catch { return { message: text }; } })();
    if (!res.ok) {
      const err = new Error(data.message || `HTTP ${res.status}`);
      err.code = data.code;
      err.details = data.details;
      err.status = res.status;
      throw err;
    }
    return data;
  }

  // ------------------------------------------------------------------ listing

  function selected() {
    return [...tbody.querySelectorAll('tr')].filter((tr) => tr.querySelector('.pick')?.checked).map((tr) => ({ path: tr.dataset.path, type: tr.dataset.type }));
  }

  function updateButtons() {
    const n = selected().length;
    for (const b of root.querySelectorAll('[data-needs]')) b.disabled = n === 0;
  }

  function renderCrumbs() {
    const ol = document.getElementById('crumbs');
    ol.replaceChildren();
    const parts = cwd.split('/').filter(Boolean);
    const add = (label, path) => {
      const a = el('a', { href: `/files?path=${q(path)}`, text: label, 'data-dir': path });
      ol.append(el('li', {}, a));
    };
    add('Home', '/');
    parts.forEach((p, i) => add(p, `/${parts.slice(0, i + 1).join('/')}`));
  }

  function render() {
    const sorted = [...entries].sort((a, b) => {
      if ((a.type === 'directory') !== (b.type === 'directory')) return a.type === 'directory' ? -1 : 1;
      let d = 0;
      if (sortKey === 'size') d = a.size - b.size;
      else if (sortKey === 'date') d = Date.parse(a.mtime) - Date.parse(b.mtime);
      else d = a.name.localeCompare(b.name);
      return d * sortDir;
    });
    tbody.replaceChildren(...sorted.map((e) => {
      const dir = e.type === 'directory';
      const href = dir ? `/files?path=${q(e.path)}` : `/api/v1/files/content?path=${q(e.path)}`;
      const link = el('a', { href, text: e.name, 'data-open': e.path });
      const tr = el('tr', { 'data-path': e.path, 'data-type': e.type },
        el('td', { class: 'sel' }, el('input', { type: 'checkbox', class: 'pick', 'aria-label': `Select ${e.name}` })),
        el('td', { class: 'name' }, el('span', { class: 'icon', 'aria-hidden': 'true', text: dir ? '📁' : '📄' }), link),
        el('td', { class: 'size', text: dir ? '' : sizeText(e.size) }),
        el('td', { class: 'date' }, el('time', { dateTime: e.mtime, text: e.mtime.slice(0, 16).replace('T', ' ') })));
      return tr;
    }));
    document.getElementById('empty')?.remove();
    if (entries.length === 0) document.querySelector('.table-wrap').after(el('p', { class: 'muted', id: 'empty', text: 'This folder is empty.' }));
    document.getElementById('pick-all').checked = false;
    updateButtons();
  }

  async function load(path, push = false) {
    try {
      const data = await api('GET', `/api/v1/files/list?path=${q(path)}`);
      cwd = data.path;
      root.dataset.path = cwd;
      entries = data.entries;
      renderCrumbs();
      render();
      if (push) history.pushState({ path: cwd }, '', `/files?path=${q(cwd)}`);
    } catch (err) {
      say(err.message, true);
    }
  }

  // ------------------------------------------------------------------ dialogs

  let dialogResolve = null;
  function ask(title, build, okText = 'OK') {
    dialogTitle.textContent = title;
    dialogBody.replaceChildren();
    const focus = build(dialogBody);
    dialogOk.textContent = okText;
    dialogOk.hidden = okText === '';
    const opener = document.activeElement;
    dialog.showModal();
    (focus ?? dialogOk).focus();
    return new Promise((resolve) => {
      dialogResolve = (ok) => {
        dialogResolve = null;
        if (dialog.open) dialog.close();
        if (opener instanceof HTMLElement && document.contains(opener)) opener.focus();
        resolve(ok);
      };
    });
  }
  document.getElementById('dialog-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    dialogResolve?.(true);
  });
  dialogCancel.addEventListener('click', () => dialogResolve?.(false));
  dialog.addEventListener('cancel', (ev) => {
    ev.preventDefault();
    dialogResolve?.(false);
  });

  function input(box, label, value) {
    const id = `in-${Math.random().toString(36).slice(2)}`;
    const field = el('input', { id, type: 'text', value, maxLength: 4096, required: true });
    box.append(el('label', { for: id, text: label }), field);
    return field;
  }

  async function prompt(title, label, value) {
    let field;
    const ok = await ask(title, (box) => (field = input(box, label, value)));
    return ok ? field.value.trim() : null;
  }

  async function run(label, fn) {
    try {
      say(`${label}…`);
      await fn();
      say(`${label}: done.`);
    } catch (err) {
      say(`${label}: ${err.message}`, true);
    }
    await load(cwd);
  }

  // ------------------------------------------------------------------ actions

  const toPath = (text) => (text.startsWith('/') ? text : join(cwd, text));

  const actions = {
    async mkdir() {
      const name = await prompt('New folder', 'Folder name', '');
      if (name) await run('New folder', () => api('POST', '/api/v1/files/mkdir', { path: toPath(name), parents: true }));
    },
    async newfile() {
      const name = await prompt('New text file', 'File name', 'notes.txt');
      if (!name) return;
      await run('New file', async () => {
        const res = await fetch(`/api/v1/files/content?path=${q(toPath(name))}`, { method: 'PUT', headers: { 'x-csrf-token': csrf }, body: '' });
        if (!res.ok) throw new Error((await res.json()).message);
      });
    },
    async rename() {
      const [first] = selected();
      const to = await prompt('Rename or move', 'New name, or a path like /other/folder/name', baseName(first.path));
      if (to) await run('Rename', () => api('POST', '/api/v1/files/move', { from: first.path, to: toPath(to) }));
    },
    async copy() {
      const [first] = selected();
      const to = await prompt('Copy', 'Name or path of the copy', `${baseName(first.path)} copy`);
      if (to) await run('Copy', () => api('POST', '/api/v1/files/copy', { from: first.path, to: toPath(to) }));
    },
    async download() {
      const picked = selected();
      const url = picked.length === 1 && picked[0].type !== 'directory'
        ? `/api/v1/files/content?path=${q(picked[0].path)}&download=1`
        : `/api/v1/files/zip?${picked.map((p) => `paths=${q(p.path)}`).join('&')}`;
      const a = el('a', { href: url, download: '' });
      document.body.append(a);
      a.click();
      a.remove();
    },
    async zip() {
      const picked = selected();
      const to = await prompt('Zip', 'Name of the zip file', picked.length === 1 ? `${baseName(picked[0].path)}.zip` : 'files.zip');
      if (to) await run('Zip', () => api('POST', '/api/v1/files/zip', { paths: picked.map((p) => p.path), to: toPath(to) }));
    },
    async unzip() {
      const [first] = selected();
      const to = await prompt('Unzip', 'Extract into the folder', baseName(first.path).replace(/\.zip$/i, ''));
      if (to) await run('Unzip', async () => say(`Extracted ${(await api('POST', '/api/v1/files/unzip', { path: first.path, to: toPath(to) })).extracted} entries.`));
    },
    async checksum() {
      const [first] = selected();
      let algo;
      const ok = await ask('Checksum', (box) => {
        algo = el('select', { id: 'algo' }, ...['sha256', 'sha512', 'sha1', 'md5'].map((a) => el('option', { value: a, text: a })));
        box.append(el('label', { for: 'algo', text: 'Algorithm' }), algo);
        return algo;
      }, 'Compute');
      if (!ok) return;
      try {
        const r = await api('GET', `/api/v1/files/checksum?path=${q(first.path)}&algorithm=${algo.value}`);
        await ask(`${r.algorithm} of ${baseName(r.path)}`, (box) => {
          const out = el('output', { class: 'digest', text: r.digest });
          box.append(out);
          return null;
        }, 'Close');
      } catch (err) {
        say(err.message, true);
      }
    },
    async delete() {
      const picked = selected();
      const ok = await ask('Delete', (box) => {
        box.append(el('p', { text: `Move ${picked.length} item(s) to the trash?` }), el('ul', {}, ...picked.map((p) => el('li', { text: p.path }))));
        return null;
      }, 'Move to trash');
      if (ok) await run('Delete', () => api('POST', '/api/v1/files/delete', { paths: picked.map((p) => p.path) }));
    },
    async trash() {
      let items;
      try {
        items = (await api('GET', '/api/v1/trash')).items;
      } catch (err) {
        say(err.message, true);
        return;
      }
      const boxes = [];
      let emptyAll;
      const ok = await ask('Trash', (box) => {
        if (items.length === 0) {
          box.append(el('p', { text: 'The trash is empty.' }));
          return null;
        }
        const list = el('ul', { class: 'trash-list' });
        for (const it of items) {
          const id = `t-${it.id}`;
          const cb = el('input', { type: 'checkbox', id, value: it.id });
          boxes.push(cb);
          list.append(el('li', {}, cb, el('label', { for: id, text: ` ${it.originalPath} (${it.type === 'directory' ? 'folder' : sizeText(it.size)}, ${it.deletedAt.slice(0, 16).replace('T', ' ')})` })));
        }
        emptyAll = el('button', { type: 'button', class: 'danger', text: 'Empty trash' });
        emptyAll.addEventListener('click', async () => {
          dialogResolve?.(false);
          await run('Empty trash', () => api('POST', '/api/v1/trash/empty', {}));
        });
        box.append(list, emptyAll);
        return boxes[0];
      }, items.length === 0 ? 'Close' : 'Restore selected');
      const ids = boxes.filter((b) => b.checked).map((b) => b.value);
      if (ok && ids.length > 0) await run('Restore', () => api('POST', '/api/v1/trash/restore', { ids }));
    },
  };

  root.querySelector('.toolbar').addEventListener('click', (ev) => {
    const button = ev.target.closest('button[data-action]');
    if (button && !button.disabled) actions[button.dataset.action]?.();
  });

  // ------------------------------------------------------------------ viewing and editing

  async function openFile(path) {
    const name = baseName(path);
    if (IMAGE.test(name)) {
      await ask(name, (box) => {
        box.append(el('img', { src: `/api/v1/files/content?path=${q(path)}`, alt: name, class: 'preview' }));
        return null;
      }, 'Close');
      return;
    }
    if (!TEXT.test(name)) {
      const a = el('a', { href: `/api/v1/files/content?path=${q(path)}&download=1`, download: '' });
      document.body.append(a);
      a.click();
      a.remove();
      return;
    }
    let text;
    try {
      const res = await fetch(`/api/v1/files/content?path=${q(path)}`, { credentials: 'same-origin' });
      if (!res.ok) throw new Error((await res.json()).message);
      text = await res.text();
    } catch (err) {
      say(err.message, true);
      return;
    }
    let area;
    const save = await ask(name, (box) => {
      area = el('textarea', { id: 'editor', rows: 20, spellcheck: false, 'aria-label': `Contents of ${name}` });
      area.value = text;
      box.append(area);
      return area;
    }, 'Save');
    if (!save) return;
    await run('Save', async () => {
      const res = await fetch(`/api/v1/files/content?path=${q(path)}&overwrite=1`, { method: 'PUT', headers: { 'x-csrf-token': csrf, 'content-type': 'text/plain; charset=utf-8' }, body: area.value });
      if (!res.ok) throw new Error((await res.json()).message);
    });
  }

  tbody.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-open], td.name a');
    if (a) {
      const tr = a.closest('tr');
      ev.preventDefault();
      if (tr.dataset.type === 'directory') load(tr.dataset.path, true);
      else openFile(tr.dataset.path);
    }
  });
  tbody.addEventListener('change', updateButtons);
  document.getElementById('pick-all').addEventListener('change', (ev) => {
    for (const cb of tbody.querySelectorAll('.pick')) cb.checked = ev.target.checked;
    updateButtons();
  });
  document.getElementById('crumbs').addEventListener('click', (ev) => {
    const a = ev.target.closest('a');
    if (!a) return;
    ev.preventDefault();
    load(new URL(a.href).searchParams.get('path') || '/', true);
  });
  window.addEventListener('popstate', (ev) => load(ev.state?.path ?? new URL(location.href).searchParams.get('path') ?? '/'));
  for (const b of root.querySelectorAll('button.sort')) {
    b.addEventListener('click', () => {
      if (sortKey === b.dataset.sort) sortDir = -sortDir;
      else { sortKey = b.dataset.sort; sortDir = 1; }
      render();
    });
  }

  // ------------------------------------------------------------------ find

  document.getElementById('find-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = document.getElementById('find-name').value.trim();
    if (!name) return load(cwd);
    try {
      const r = await api('GET', `/api/v1/files/find?path=${q(cwd)}&name=${q(name)}&limit=500`);
      entries = r.entries.map((e) => ({ ...e, name: e.path.slice(cwd === '/' ? 1 : cwd.length + 1) }));
      render();
      say(`${r.entries.length}${r.truncated ? '+' : ''} found.`);
    } catch (err) {
      say(err.message, true);
    }
  });

  // ------------------------------------------------------------------ uploads

  let totalBytes = 0;
  let doneBytes = 0;
  let overall = null;

  function progressRow(label) {
    const bar = el('progress', { max: 1, value: 0 });
    const text = el('span', { class: 'pct', text: '0%' });
    const row = el('div', { class: 'upload' }, el('span', { class: 'uname', text: label }), bar, text);
    uploadsBox.append(row);
    return {
      set(fraction) {
        bar.value = fraction;
        text.textContent = `${Math.floor(fraction * 100)}%`;
      },
      fail(message) {
        row.classList.add('bad');
        text.textContent = message;
      },
    };
  }

  function updateOverall() {
    if (overall === null) overall = progressRow('All uploads');
    overall.set(totalBytes === 0 ? 1 : doneBytes / totalBytes);
  }

  function send(method, url, body, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader('x-csrf-token', csrf);
      xhr.setRequestHeader('content-type', 'application/octet-stream');
      xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => {
        let data = {};
        try { data = JSON.parse(xhr.responseText || '{}'); } catch { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(Object.assign(new Error(data.message || `HTTP ${xhr.status}`), { code: data.code, details: data.details, status: xhr.status }));
      };
      xhr.onerror = () => reject(Object.assign(new Error('network error'), { network: true }));
      xhr.send(body);
    });
  }

  async function uploadChunked(file, path, onProgress) {
    const start = await api('POST', '/api/v1/uploads', { path, size: file.size, parents: true });
    let offset = 0;
    let retries = 0;
    while (offset < file.size) {
      try {
        const r = await send('PUT', `/api/v1/uploads/${start.id}?offset=${offset}`, file.slice(offset, Math.min(file.size, offset + CHUNK)), (n) => onProgress(offset + n));
        offset = r.offset;
        retries = 0;
      } catch (err) {
        if (err.code === 'MIG_E_UPLOAD_OFFSET' && typeof err.details?.offset === 'number') {
          offset = err.details.offset;
        } else if (err.network && retries < 5) {
          retries += 1;
          await new Promise((r) => setTimeout(r, 1000 * retries));
          offset = (await api('GET', `/api/v1/uploads/${start.id}`)).offset; // ask where to resume
        } else {
          await api('DELETE', `/api/v1/uploads/${start.id}`).catch(() => undefined);
          throw err;
        }
      }
      onProgress(offset);
    }
    return api('POST', `/api/v1/uploads/${start.id}/complete`);
  }

  async function uploadOne(file, relative) {
    const path = join(cwd, relative);
    const row = progressRow(relative);
    let counted = 0;
    const onProgress = (n) => {
      doneBytes += n - counted;
      counted = n;
      row.set(file.size === 0 ? 1 : n / file.size);
      updateOverall();
    };
    try {
      if (file.size <= SMALL) await send('PUT', `/api/v1/files/content?path=${q(path)}&parents=1`, file, onProgress);
      else await uploadChunked(file, path, onProgress);
      onProgress(file.size);
      row.set(1);
    } catch (err) {
      row.fail(err.message);
      throw err;
    }
  }

  async function uploadAll(list) {
    if (list.length === 0) return;
    totalBytes += list.reduce((s, x) => s + x.file.size, 0);
    updateOverall();
    let failed = 0;
    for (const { file, relative } of list) {
      try { await uploadOne(file, relative); } catch { failed += 1; }
    }
    say(failed === 0 ? `Uploaded ${list.length} file(s).` : `${failed} of ${list.length} uploads failed.`, failed > 0);
    await load(cwd);
  }

  const fromInput = (input) => [...input.files].map((file) => ({ file, relative: file.webkitRelativePath || file.name }));
  for (const id of ['pick-files', 'pick-folder']) {
    const input = document.getElementById(id);
    input.addEventListener('change', async () => {
      const list = fromInput(input);
      input.value = '';
      await uploadAll(list);
    });
  }

  async function walkEntry(entry, prefix, out) {
    if (entry.isFile) {
      const file = await new Promise((res, rej) => entry.file(res, rej));
      out.push({ file, relative: prefix + entry.name });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const child of batch) await walkEntry(child, `${prefix}${entry.name}/`, out);
      }
    }
  }

  const zone = document.getElementById('dropzone');
  zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', async (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    const items = [...(ev.dataTransfer?.items ?? [])].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
    const list = [];
    if (items.length > 0) for (const entry of items) await walkEntry(entry, '', list);
    else for (const file of ev.dataTransfer?.files ?? []) list.push({ file, relative: file.name });
    await uploadAll(list);
  });

  // Take over the server-rendered listing.
  load(cwd);
})();
