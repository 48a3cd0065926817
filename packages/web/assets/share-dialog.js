// Share links for their owner: the file manager's "Share" dialog (select one file or folder, then
// Share: mode, expiry, password, most uses, invitations → the link's address and id with a copy
// button) and the copy buttons of "My share links". Posts to /share-links with the CSRF token.
// Every text from the server goes into the page with textContent or as a value, never as HTML.
'use strict';

(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else if (k === 'value') node.value = v;
      else if (v === true) node.setAttribute(k, '');
      else if (v !== false) node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  };

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const box = button.parentElement?.querySelector('input');
      box?.select();
      document.execCommand?.('copy');
    }
    const was = button.textContent;
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = was; }, 2000);
  }

  document.addEventListener('click', (ev) => {
    const button = ev.target.closest?.('button[data-copy]');
    if (button) copy(button.dataset.copy, button);
  });

  // ------------------------------------------------------------------ the file manager's dialog

  const files = document.getElementById('files');
  const shareButton = document.querySelector('button[data-action="share"]');
  if (files === null || shareButton === null) return;

  const field = (label, input, hint) => el('label', { for: input.id }, label, hint ? el('span', { class: 'muted', text: ` ${hint}` }) : '', input);

  function picked() {
    const tr = [...document.querySelectorAll('#listing tbody tr')].find((row) => row.querySelector('.pick')?.checked);
    return tr ? { path: tr.dataset.path, type: tr.dataset.type } : null;
  }

  function open(target) {
    const isFile = target.type !== 'directory';
    const mode = el('select', { id: 'share-mode', name: 'mode' },
      el('option', { value: 'ro', text: 'Read-only: view and download' }),
      ...(isFile ? [] : [
        el('option', { value: 'wo', text: 'Upload only (drop box): send files, see nothing' }),
        el('option', { value: 'rw', text: 'Read and write: view, download, upload, change' }),
      ]));
    if (isFile) mode.disabled = true;
    const expires = el('input', { id: 'share-expires', name: 'expires', type: 'date' });
    const password = el('input', { id: 'share-password', name: 'password', type: 'password', maxlength: '256', minlength: '8', autocomplete: 'new-password' });
    const maxUses = el('input', { id: 'share-max-uses', name: 'maxUses', type: 'number', min: '1', max: '1000000000' });
    const invite = el('textarea', { id: 'share-invite', name: 'invite', rows: '2', class: 'short', maxlength: '20000' });
    const problem = el('p', { class: 'notice bad', role: 'alert', id: 'share-problem', hidden: true });
    const create = el('button', { type: 'submit', id: 'share-create', text: 'Create link' });
    const close = el('button', { type: 'button', class: 'secondary', id: 'share-close', text: 'Close' });
    const form = el('form', { class: 'stack', id: 'share-form' },
      el('h2', { id: 'share-title', text: `Share ${target.path}` }),
      field('Access', mode, isFile ? '(a single file is shared read-only)' : ''),
      field('Expires', expires, '(optional; the link works until the end of that day, UTC)'),
      field('Password', password, '(optional, at least 8 characters; without one the link alone opens it)'),
      field('Most uses', maxUses, '(optional; each visit in a browser, or each login, counts once)'),
      field('Invite by email', invite, '(optional; addresses separated by commas or spaces)'),
      problem,
      el('div', { class: 'actions' }, create, close));
    const dialog = el('dialog', { id: 'share-dialog', class: 'share-dialog', 'aria-labelledby': 'share-title' }, form);
    document.body.append(dialog);
    const done = () => {
      dialog.close();
      dialog.remove();
      shareButton.focus();
    };
    close.addEventListener('click', done);
    dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); done(); });

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      problem.hidden = true;
      create.disabled = true;
      const body = new URLSearchParams({ path: target.path, mode: isFile ? 'ro' : mode.value, expires: expires.value, password: password.value, maxUses: maxUses.value, invite: invite.value });
      let data = {};
      let ok = false;
      try {
        const res = await fetch('/share-links', { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': csrf, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body });
        ok = res.ok;
        const text = await res.text();
        try { data = JSON.parse(text); } catch { data = { message: `The link could not be made (HTTP ${res.status}).` }; }
      } catch {
        data = { message: 'The site could not be reached; try again.' };
      }
      create.disabled = false;
      if (!ok) {
        problem.textContent = data.message || 'The link could not be made.';
        problem.hidden = false;
        return;
      }
      const url = el('input', { type: 'text', readonly: true, id: 'share-url', class: 'share-url', value: data.url, 'aria-label': 'Address of the new link' });
      const copyButton = el('button', { type: 'button', class: 'secondary', id: 'share-copy', 'data-copy': data.url, text: 'Copy link' });
      const result = el('div', { class: 'stack', id: 'share-result' },
        el('h2', { id: 'share-title', text: 'Link made' }),
        el('p', { text: `Anyone with this address can use ${data.path} (${{ ro: 'read-only', wo: 'upload only', rw: 'read and write' }[data.mode]}${data.hasPassword ? ', with the password' : ''}):` }),
        el('div', { class: 'share-copy' }, url, copyButton),
        el('p', {}, 'Link id (also the login name for SFTP, FTPS and WebDAVS): ', el('code', { id: 'share-id', text: data.id })),
        ...(data.invited && data.invited.length > 0 ? [el('p', { text: `Invitations sent to ${data.invited.join(', ')}.` })] : []),
        ...(data.inviteProblem ? [el('p', { class: 'notice bad', role: 'alert', text: `The link was made, but: ${data.inviteProblem}` })] : []),
        el('div', { class: 'actions' }, el('a', { href: '/share-links', class: 'button secondary', text: 'My share links' }), close));
      form.replaceWith(result);
      url.focus();
      url.select();
    });

    dialog.showModal();
    (isFile ? expires : mode).focus();
  }

  shareButton.addEventListener('click', () => {
    const target = picked();
    if (target) open(target);
  });
})();
