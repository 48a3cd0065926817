// The share-link page (/share/<id>/): uploads with a progress bar per file, one file after the
// other, into the folder shown (read-write links) or the drop box (upload-only links). Names are
// put into the page with textContent only. No inline scripts (CSP script-src 'self').
'use strict';

(() => {
  const box = document.getElementById('share-upload');
  if (box === null) return;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const action = box.dataset.action;
  const dir = box.dataset.dir || '/';
  const pick = document.getElementById('share-pick');
  const rows = document.getElementById('share-uploads');
  const status = document.getElementById('share-status');
  const uploaded = document.getElementById('share-uploaded');
  const q = encodeURIComponent;

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  };
  const say = (text, bad = false) => {
    status.textContent = text;
    status.className = bad ? 'status notice bad' : 'status';
  };

  function progressRow(name) {
    const bar = el('progress', { max: '1', value: '0', 'aria-label': `Upload of ${name}` });
    const pct = el('span', { class: 'pct', text: '0%' });
    const row = el('div', { class: 'upload' }, el('span', { class: 'uname', text: name }), bar, pct);
    rows.append(row);
    return {
      set(fraction) {
        bar.value = fraction;
        pct.textContent = `${Math.floor(fraction * 100)}%`;
      },
      fail(message) {
        row.classList.add('bad');
        pct.textContent = message;
      },
    };
  }

  function send(file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${action}?dir=${q(dir)}&name=${q(file.name)}`);
      xhr.setRequestHeader('x-csrf-token', csrf);
      xhr.setRequestHeader('accept', 'application/json');
      xhr.setRequestHeader('content-type', 'application/octet-stream');
      xhr.upload.onprogress = (e) => onProgress(e.lengthComputable && e.total > 0 ? e.loaded / e.total : 0);
      xhr.onload = () => {
        let data = {};
        try { data = JSON.parse(xhr.responseText || '{}'); } catch { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(new Error(data.message || `HTTP ${xhr.status}`));
      };
      xhr.onerror = () => reject(new Error('network error'));
      xhr.send(file);
    });
  }

  pick.addEventListener('change', async () => {
    const files = [...pick.files];
    pick.value = '';
    if (files.length === 0) return;
    let failed = 0;
    say(`Uploading ${files.length} file(s)…`);
    for (const file of files) {
      const row = progressRow(file.name);
      try {
        const r = await send(file, (f) => row.set(f));
        row.set(1);
        if (uploaded !== null) {
          document.getElementById('share-none')?.remove();
          uploaded.append(el('li', { text: `uploaded: ${r.name ?? file.name}` }));
        }
      } catch (err) {
        failed += 1;
        row.fail(err.message);
      }
    }
    say(failed === 0 ? `Uploaded ${files.length} file(s).` : `${failed} of ${files.length} uploads failed.`, failed > 0);
    // A read-write folder shows the new files in its listing.
    if (uploaded === null && failed < files.length) location.reload();
  });
})();
