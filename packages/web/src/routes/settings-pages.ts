/**
 * `/settings`: the signed-in user's profile, password, SSH keys, two-factor sign-in, protocol
 * switches and API tokens. Every form posts to `/settings/<part>` and comes back here with a
 * notice; secrets shown once (a new token, recovery codes, the TOTP QR code) are shown in the
 * answer to the post and never stored.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_TOKEN_SCOPES, USER_PROTOCOLS, isMigError, type UserProtocol, type UserRecord } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import {
  PROFILE_FIELDS, addSshKey, beginTotp, changePassword, confirmTotp, createToken, disableTotp, editProfile, listTokens, removeSshKey, revokeToken, setProtocols, type ProfileField,
} from '../accounts/account-actions.js';
import { formChecked, formOf, formText } from '../accounts/form-input.js';
import { input, notice, when } from '../accounts/page-parts.js';
import { grantableScopes } from '../accounts/token-scopes.js';
import { html, type SafeHtml } from '../html/html.js';
import { csrfField, sendPage } from '../html/layout.js';
import { requireUser } from '../plugins/authentication.js';

const PROFILE_LABELS: Record<ProfileField, string> = {
  fullName: 'Full name',
  organization: 'Organisation',
  organizationalUnit: 'Department or unit',
  locality: 'City',
  state: 'State (2 letters)',
  country: 'Country (2 letters)',
  comment: 'Comment',
};
const PROTOCOL_LABELS: Record<UserProtocol, string> = { web: 'Web (this site)', sftp: 'SFTP', ftps: 'FTPS', webdavs: 'WebDAVS' };
const FLASH = 'settingsFlash';

interface Flash {
  kind: 'ok' | 'bad';
  text: string;
}

/** Registers the settings pages. */
export function registerSettingsPages(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;

  const back = (request: FastifyRequest, reply: FastifyReply, flash: Flash, anchor: string): FastifyReply => {
    request.session.set(FLASH, flash);
    return reply.redirect(`/settings#${anchor}`, 303);
  };

  async function page(request: FastifyRequest, reply: FastifyReply, user: UserRecord, extra?: SafeHtml, status = 200): Promise<FastifyReply> {
    const flash = request.session.get<Flash>(FLASH);
    if (flash !== undefined) request.session.set(FLASH, undefined);
    const [keys, tokens, totp] = await Promise.all([site.sshKeys.list(user.id), listTokens(ctx, user), site.totp.status(user.id)]);
    const weak = request.session.get('passwordBelowPolicy') === true;
    const scopes = grantableScopes(user);
    const csrf = csrfField(request);
    const body = html`<h1>Settings</h1>
${flash === undefined ? '' : notice(flash.kind === 'ok' ? 'ok' : 'bad', flash.text)}
${weak ? notice('bad', 'Your password does not meet the site\'s current password policy: please choose a new one below.') : ''}
${extra ?? ''}
<section class="card" id="account"><h2>Account</h2>
<dl class="api"><dt>Email</dt><dd>${user.email}</dd><dt>Identity (DN)</dt><dd><code>${user.dn}</code></dd><dt>Status</dt><dd>${user.status}</dd><dt>Access until</dt><dd>${when(user.expiresAt)}</dd></dl></section>

<section class="card" id="profile"><h2>Profile</h2>
<form method="post" action="/settings/profile" class="stack">${csrf}
${PROFILE_FIELDS.filter((f) => f !== 'comment').map((f) => input(PROFILE_LABELS[f], f, { value: user[f], required: f === 'fullName' || f === 'organization' || f === 'country', maxlength: f === 'state' || f === 'country' ? 2 : 256 }))}
<label for="f-comment">${PROFILE_LABELS.comment}<textarea id="f-comment" name="comment" maxlength="4096">${user.comment}</textarea></label>
<div class="actions"><button type="submit">Save the profile</button></div></form></section>

<section class="card" id="password"><h2>Password</h2>
<form method="post" action="/settings/password" class="stack">${csrf}
${user.hasPassword ? input('Current password', 'current', { type: 'password', required: true, autocomplete: 'current-password', maxlength: 1024 }) : ''}
${input('New password', 'password', { type: 'password', required: true, autocomplete: 'new-password', maxlength: 1024, hint: `(site policy: ${site.config.accounts.password_policy})` })}
${input('Repeat the new password', 'password2', { type: 'password', required: true, autocomplete: 'new-password', maxlength: 1024 })}
<p class="muted">Changing the password signs out your other sessions.</p>
<div class="actions"><button type="submit">Change the password</button></div></form></section>

<section class="card" id="ssh-keys"><h2>SSH keys <span class="muted">(for SFTP)</span></h2>
${keys.length === 0 ? html`<p class="muted">No keys yet.</p>` : html`<div class="table-wrap"><table><thead><tr><th>Key</th><th>Comment</th><th class="hide-small">Added</th><th><span class="muted">Remove</span></th></tr></thead><tbody>
${keys.map((k) => html`<tr><td><code>${k.algorithm} ${k.fingerprint}</code></td><td>${k.comment}</td><td class="hide-small">${when(k.createdAt)}</td>
<td><form method="post" action="/settings/ssh-keys/remove" class="inline">${csrf}<input type="hidden" name="id" value="${k.id}"><button type="submit" class="danger" aria-label="Remove key ${k.fingerprint}">Remove</button></form></td></tr>`)}
</tbody></table></div>`}
<form method="post" action="/settings/ssh-keys" class="stack">${csrf}
<label for="f-publicKey">Add a public key <span class="muted">(one line, e.g. the contents of ~/.ssh/id_ed25519.pub)</span>
<textarea id="f-publicKey" name="publicKey" maxlength="16384" required></textarea></label>
<div class="actions"><button type="submit">Add the key</button></div></form></section>

<section class="card" id="totp"><h2>Two-factor sign-in</h2>
${totp.enabled
    ? html`<p>On. Sign-in asks for a code from your authenticator app. Recovery codes left: ${totp.recoveryCodesLeft}.</p>
<form method="post" action="/settings/totp/disable" class="stack">${csrf}
${input('Current code or a recovery code', 'code', { required: true, autocomplete: 'one-time-code', maxlength: 64 })}
<div class="actions"><button type="submit" class="danger">Turn two-factor sign-in off</button></div></form>`
    : html`<p>Off. Turn it on to require a code from an authenticator app (TOTP) at every sign-in.</p>
<form method="post" action="/settings/totp/begin" class="stack">${csrf}<div class="actions"><button type="submit">Set up two-factor sign-in</button></div></form>`}
</section>

<section class="card" id="certificate"><h2>User certificate</h2>
<p>A certificate issued by this site's CA lets you sign in without a password (choose "Sign in with your user certificate" on the sign-in page).</p>
<p><a class="button secondary" href="/settings/certificate">Get a user certificate</a></p></section>

<section class="card" id="protocols"><h2>Access</h2>
<form method="post" action="/settings/protocols" class="stack">${csrf}
<fieldset><legend>Protocols this account may be used with</legend>
${USER_PROTOCOLS.map((p) => html`<label class="check"><input type="checkbox" name="${p}" value="on"${user.settings.protocols[p] ? html` checked` : ''}${p === 'web' ? html` disabled` : ''}> ${PROTOCOL_LABELS[p]}</label>`)}
</fieldset>
<div class="actions"><button type="submit">Save access</button></div></form></section>

<section class="card" id="tokens"><h2>API tokens <span class="muted">(for scripts and miguser)</span></h2>
${tokens.length === 0 ? html`<p class="muted">No tokens yet.</p>` : html`<div class="table-wrap"><table><thead><tr><th>Name</th><th>Scopes</th><th class="hide-small">Expires</th><th class="hide-small">Last used</th><th><span class="muted">Revoke</span></th></tr></thead><tbody>
${tokens.map((tk) => html`<tr><td>${tk.name}</td><td>${tk.scopes.join(', ')}</td><td class="hide-small">${when(tk.expiresAt)}</td><td class="hide-small">${when(tk.lastUsedAt)}</td>
<td>${tk.revokedAt === null ? html`<form method="post" action="/settings/tokens/revoke" class="inline">${csrf}<input type="hidden" name="id" value="${tk.id}"><button type="submit" class="danger" aria-label="Revoke token ${tk.name}">Revoke</button></form>` : html`<span class="muted">revoked</span>`}</td></tr>`)}
</tbody></table></div>`}
<form method="post" action="/settings/tokens" class="stack">${csrf}
${input('Name', 'name', { required: true, maxlength: 100, hint: '(e.g. laptop sync)' })}
<fieldset><legend>Scopes</legend>
${scopes.map((s) => html`<label class="check"><input type="checkbox" name="scope_${s}" value="on"${s.endsWith(':read') || s === 'files:write' ? html` checked` : ''}> ${s}</label>`)}
</fieldset>
${input('Valid for (days)', 'days', { type: 'number', value: String(Math.min(365, site.config.security.api_token_max_days)), maxlength: 6 })}
<div class="actions"><button type="submit">Create a token</button></div></form></section>`;
    return sendPage(reply, ctx.layout, { title: 'Settings', body, status });
  }

  /** Runs an action, turning a user-caused error into a notice on the settings page. */
  async function attempt(request: FastifyRequest, reply: FastifyReply, anchor: string, action: () => Promise<string | FastifyReply>): Promise<FastifyReply> {
    try {
      const result = await action();
      return typeof result === 'string' ? back(request, reply, { kind: 'ok', text: result }, anchor) : result;
    } catch (err) {
      if (isMigError(err) && err.status < 500 && err.code !== 'MIG_E_NOT_SIGNED_IN' && err.code !== 'MIG_E_BANNED') return back(request, reply, { kind: 'bad', text: err.message }, anchor);
      throw err;
    }
  }

  app.get('/settings', async (request, reply) => page(request, reply, requireUser(request)));

  app.post('/settings/profile', async (request, reply) => {
    const user = requireUser(request);
    const form = formOf(request.body);
    const changes = Object.fromEntries(PROFILE_FIELDS.map((f) => [f, formText(form, f, f === 'comment' ? 4096 : 256)])) as Record<ProfileField, string>;
    return attempt(request, reply, 'profile', async () => {
      await editProfile(ctx, request, user, changes);
      return 'Profile saved.';
    });
  });

  app.post('/settings/password', async (request, reply) => {
    const user = requireUser(request);
    const form = formOf(request.body);
    const password = formText(form, 'password', 1024);
    return attempt(request, reply, 'password', async () => {
      if (password !== formText(form, 'password2', 1024)) return back(request, reply, { kind: 'bad', text: 'The two new passwords differ.' }, 'password');
      const ended = await changePassword(ctx, request, user, formText(form, 'current', 1024), password);
      request.session.set('passwordBelowPolicy', undefined);
      return `Password changed. ${ended} other session(s) signed out.`;
    });
  });

  app.post('/settings/ssh-keys', async (request, reply) => {
    const user = requireUser(request);
    const line = formText(formOf(request.body), 'publicKey', 16384).trim();
    return attempt(request, reply, 'ssh-keys', async () => {
      const key = await addSshKey(ctx, request, user, line);
      return `Key ${key.fingerprint} added.`;
    });
  });

  app.post('/settings/ssh-keys/remove', async (request, reply) => {
    const user = requireUser(request);
    const id = formText(formOf(request.body), 'id', 128);
    return attempt(request, reply, 'ssh-keys', async () => {
      await removeSshKey(ctx, request, user, id);
      return 'Key removed.';
    });
  });

  app.post('/settings/totp/begin', async (request, reply) => {
    const user = requireUser(request);
    return attempt(request, reply, 'totp', async () => {
      const setup = await beginTotp(ctx, request, user);
      return page(request, reply, user, html`<section class="card" id="totp-setup"><h2>Set up two-factor sign-in</h2>
<ol><li>Scan this code with an authenticator app (or type the key by hand).</li><li>Enter the 6-digit code the app shows.</li></ol>
<img class="qr" src="${setup.qr}" alt="QR code of the two-factor secret" width="240" height="240">
<p>Key: <code>${setup.secret}</code></p>
<form method="post" action="/settings/totp/confirm" class="stack">${csrfField(request)}
${input('Code from the app', 'code', { required: true, autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 16, autofocus: true })}
<div class="actions"><button type="submit">Turn on</button></div></form></section>`);
    });
  });

  app.post('/settings/totp/confirm', async (request, reply) => {
    const user = requireUser(request);
    const code = formText(formOf(request.body), 'code', 16);
    return attempt(request, reply, 'totp', async () => {
      const codes = await confirmTotp(ctx, request, user, code);
      return page(request, reply, user, html`<section class="card" id="recovery-codes"><h2>Two-factor sign-in is on</h2>
${notice('ok', 'Keep these recovery codes somewhere safe. Each works once, in place of a code, if you lose your phone. They are shown only now.')}
<pre class="view">${codes.join('\n')}</pre></section>`);
    });
  });

  app.post('/settings/totp/disable', async (request, reply) => {
    const user = requireUser(request);
    const code = formText(formOf(request.body), 'code', 64);
    return attempt(request, reply, 'totp', async () => {
      await disableTotp(ctx, request, user, code);
      return 'Two-factor sign-in is off.';
    });
  });

  app.post('/settings/protocols', async (request, reply) => {
    const user = requireUser(request);
    const form = formOf(request.body);
    const protocols = Object.fromEntries(USER_PROTOCOLS.filter((p) => p !== 'web').map((p) => [p, formChecked(form, p)])) as Partial<Record<UserProtocol, boolean>>;
    return attempt(request, reply, 'protocols', async () => {
      await setProtocols(ctx, request, user, protocols);
      return 'Access saved.';
    });
  });

  app.post('/settings/tokens', async (request, reply) => {
    const user = requireUser(request);
    const form = formOf(request.body);
    const scopes = API_TOKEN_SCOPES.filter((s) => formChecked(form, `scope_${s}`));
    const days = Number(formText(form, 'days', 8) || site.config.security.api_token_max_days);
    return attempt(request, reply, 'tokens', async () => {
      if (scopes.length === 0) return back(request, reply, { kind: 'bad', text: 'Pick at least one scope.' }, 'tokens');
      const created = await createToken(ctx, request, user, { name: formText(form, 'name', 100), scopes, expiresInDays: Number.isInteger(days) && days > 0 ? days : undefined });
      return page(request, reply, user, html`<section class="card" id="new-token"><h2>New token "${created.name}"</h2>
${notice('ok', 'Copy the token now: it is shown only once. Send it as "Authorization: Bearer <token>".')}
<pre class="view">${created.token}</pre></section>`);
    });
  });

  app.post('/settings/tokens/revoke', async (request, reply) => {
    const user = requireUser(request);
    const id = formText(formOf(request.body), 'id', 128);
    return attempt(request, reply, 'tokens', async () => {
      await revokeToken(ctx, request, user, id);
      return 'Token revoked.';
    });
  });
}
