/**
 * Sign-in pages: `/login` (password), `/login/totp` (second factor), `/login/renew` (an expired
 * account asks for renewal), `POST /logout`, and the password reset pages `/reset`,
 * `/reset/<token>`. Messages never tell whether an account exists.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { assertPasswordPolicy, createPasswordResetStore, isMigError, type PasswordResetStore } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { notifyAdmins } from '../accounts/admin-recipients.js';
import { completeSignIn, RENEWAL_PATH, TOTP_STEP_PATH } from '../accounts/complete-sign-in.js';
import { formOf, formText } from '../accounts/form-input.js';
import { loginPageExtras } from '../accounts/login-extras.js';
import { input, notice, when } from '../accounts/page-parts.js';
import { PENDING_RENEWAL_KEY, PENDING_TOTP_KEY, clearPending, getPending, safeNext } from '../accounts/pending-sign-in.js';
import { html, type SafeHtml } from '../html/html.js';
import { csrfField, sendPage } from '../html/layout.js';
import { endSessionsOf } from '../plugins/sessions.js';

/** Most reset emails per account per hour. */
const RESETS_PER_HOUR = 3;
/** Most reset requests per address per hour (kept in memory: a bound, not an audit). */
const RESET_REQUESTS_PER_ADDRESS = 20;
/** Sign-in errors shown on the sign-in page itself (others go to the error page). */
const SHOWN_LOGIN_ERRORS: ReadonlySet<string> = new Set(['MIG_E_AUTH_FAILED', 'MIG_E_BANNED', 'MIG_E_ACCOUNT_DISABLED', 'MIG_E_PROTOCOL_DISABLED', 'MIG_E_INVALID_INPUT']);

/** Registers the sign-in, sign-out and password reset pages. */
export function registerAuthPages(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;
  const resets: PasswordResetStore = createPasswordResetStore(site.db, { now: ctx.now });
  const resetRequestsByAddress = new Map<string, number[]>();

  const loginPage = (request: FastifyRequest, reply: FastifyReply, next: string, options: { login?: string; message?: SafeHtml; status?: number } = {}): FastifyReply =>
    sendPage(reply, ctx.layout, {
      title: 'Sign in',
      status: options.status ?? 200,
      body: html`<section class="card narrow"><h1>Sign in</h1>
${options.message ?? ''}
<form method="post" action="/login" class="stack">${csrfField(request)}
<input type="hidden" name="next" value="${next}">
${input('Email', 'login', { type: 'text', value: options.login ?? '', required: true, autocomplete: 'username', autofocus: options.login === undefined })}
${input('Password', 'password', { type: 'password', required: true, autocomplete: 'current-password', maxlength: 1024 })}
<div class="actions"><button type="submit">Sign in</button></div>
</form>
${loginPageExtras.map((extra) => extra(request, ctx))}
<p class="muted"><a href="/reset">Forgot your password?</a>${site.config.accounts.signup_enabled ? html` · <a href="/signup">Ask for an account</a>` : ''}</p>
</section>`,
    });

  app.get<{ Querystring: { next?: string } }>('/login', async (request, reply) => {
    const next = safeNext(request.query.next);
    if (request.auth !== undefined) return reply.redirect(next, 303);
    return loginPage(request, reply, next);
  });

  app.post('/login', async (request, reply) => {
    const form = formOf(request.body);
    const login = formText(form, 'login', 256).trim();
    const password = formText(form, 'password', 1024);
    const next = safeNext(formText(form, 'next', 2048));
    try {
      const { userId, passwordBelowPolicy } = await site.auth.authenticatePassword({ login, password, address: request.ip, protocol: 'https' });
      if (passwordBelowPolicy === true) request.session.set('passwordBelowPolicy', true);
      return await completeSignIn(ctx, request, reply, userId, { next: passwordBelowPolicy === true ? '/settings?weak=1#password' : next, method: 'password' });
    } catch (err) {
      if (isMigError(err, 'MIG_E_ACCOUNT_EXPIRED')) {
        // The password was right (the authenticator only says "expired" then): offer renewal.
        const subject = await site.users.findByLogin(login);
        if (subject !== undefined) return completeSignIn(ctx, request, reply, subject.id, { next, method: 'password' });
      }
      if (isMigError(err) && SHOWN_LOGIN_ERRORS.has(err.code)) {
        const text = err.code === 'MIG_E_AUTH_FAILED' || err.code === 'MIG_E_INVALID_INPUT' ? 'Wrong email or password.' : err.message;
        return loginPage(request, reply, next, { login, status: err.status, message: html`${notice('bad', text)}<p class="code">${err.code}</p>` });
      }
      throw err;
    }
  });

  const totpPage = (request: FastifyRequest, reply: FastifyReply, message?: SafeHtml, status = 200): FastifyReply =>
    sendPage(reply, ctx.layout, {
      title: 'Two-factor code',
      status,
      body: html`<section class="card narrow"><h1>Two-factor code</h1>
${message ?? ''}
<p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
<form method="post" action="${TOTP_STEP_PATH}" class="stack">${csrfField(request)}
${input('Code', 'code', { required: true, autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 64, autofocus: true })}
<div class="actions"><button type="submit">Continue</button> <a href="/login">Start again</a></div>
</form></section>`,
    });

  app.get(TOTP_STEP_PATH, async (request, reply) => {
    if (getPending(request, PENDING_TOTP_KEY, ctx.now()) === undefined) return reply.redirect('/login', 303);
    return totpPage(request, reply);
  });

  app.post(TOTP_STEP_PATH, async (request, reply) => {
    const pending = getPending(request, PENDING_TOTP_KEY, ctx.now());
    if (pending === undefined) return loginPage(request, reply, '/files', { status: 401, message: notice('bad', 'The sign-in took too long; please sign in again.') });
    const code = formText(formOf(request.body), 'code', 64);
    const user = await site.users.get(pending.userId);
    try {
      await site.auth.verifyTotp({ userId: user.id, login: user.email, code, address: request.ip });
    } catch (err) {
      if (isMigError(err, 'MIG_E_TOTP_INVALID') || isMigError(err, 'MIG_E_INVALID_INPUT')) {
        return totpPage(request, reply, html`${notice('bad', 'That code is not valid. Enter the current code from your app.')}<p class="code">MIG_E_TOTP_INVALID</p>`, 401);
      }
      if (isMigError(err, 'MIG_E_BANNED')) {
        clearPending(request, PENDING_TOTP_KEY);
        return loginPage(request, reply, pending.next, { status: 429, message: html`${notice('bad', err.message)}<p class="code">${err.code}</p>` });
      }
      throw err;
    }
    clearPending(request, PENDING_TOTP_KEY);
    return completeSignIn(ctx, request, reply, user.id, { next: pending.next, method: pending.method, secondFactorDone: true });
  });

  app.get(RENEWAL_PATH, async (request, reply) => {
    const pending = getPending(request, PENDING_RENEWAL_KEY, ctx.now());
    if (pending === undefined) return reply.redirect('/login', 303);
    const user = await site.users.get(pending.userId);
    return sendPage(reply, ctx.layout, {
      title: 'Account expired',
      status: 403,
      body: html`<section class="card narrow"><h1>Your account has expired</h1>
${notice('bad', html`The account <strong>${user.email}</strong> expired on ${when(user.expiresAt)}.`)}
<p>Ask the site administrators to renew it. They get your request by email and can extend your access by ${site.config.accounts.renew_days} days.</p>
<form method="post" action="${RENEWAL_PATH}" class="stack">${csrfField(request)}
<label for="f-message">Message to the administrators <span class="muted">(optional: why you still need access)</span>
<textarea id="f-message" name="message" maxlength="2000"></textarea></label>
<div class="actions"><button type="submit">Ask for renewal</button></div>
</form></section>`,
    });
  });

  app.post(RENEWAL_PATH, async (request, reply) => {
    const pending = getPending(request, PENDING_RENEWAL_KEY, ctx.now());
    if (pending === undefined) return reply.redirect('/login', 303);
    const message = formText(formOf(request.body), 'message', 2000).trim();
    clearPending(request, PENDING_RENEWAL_KEY);
    const user = await site.users.get(pending.userId);
    await site.audit.record({ actor: `user:${user.id}`, action: 'account.renewal-request', target: user.id, outcome: 'success', address: request.ip }).catch(() => undefined);
    await notifyAdmins(site, {
      subject: `${site.config.site.title}: renewal request from ${user.email}`,
      text: `${user.fullName} <${user.email}> asks to renew their account, which expired on ${when(user.expiresAt)}.\nDN: ${user.dn}\nMessage: ${message || '-'}\n\nRenew at ${ctx.baseUrl}/admin/users/${user.id} or with \`mig user renew ${user.email}\`.\n`,
      topic: 'account.renewal-request',
    });
    return sendPage(reply, ctx.layout, {
      title: 'Renewal requested',
      body: html`<section class="card narrow"><h1>Renewal requested</h1>${notice('ok', 'The administrators have your request; you will hear from them by email.')}<p><a href="/login">Back to sign-in</a></p></section>`,
    });
  });

  app.post('/logout', async (request, reply) => {
    const userId = request.session.userId;
    request.session.signOut();
    if (userId !== null) await site.audit.record({ actor: `user:${userId}`, action: 'auth.web-sign-out', target: userId, outcome: 'success', address: request.ip }).catch(() => undefined);
    return reply.redirect('/login', 303);
  });

  // --- Password reset ---

  const resetAskPage = (request: FastifyRequest, reply: FastifyReply, message?: SafeHtml, status = 200): FastifyReply =>
    sendPage(reply, ctx.layout, {
      title: 'Reset your password',
      status,
      body: html`<section class="card narrow"><h1>Reset your password</h1>
${message ?? html`<p>Enter the email address of your account. If it has one, we send a link to choose a new password; the link works once, for one hour.</p>`}
<form method="post" action="/reset" class="stack">${csrfField(request)}
${input('Email', 'email', { type: 'email', required: true, autocomplete: 'email' })}
<div class="actions"><button type="submit">Send the link</button> <a href="/login">Back to sign-in</a></div>
</form></section>`,
    });

  app.get('/reset', async (request, reply) => resetAskPage(request, reply));

  const addressAllowed = (address: string): boolean => {
    const t = ctx.now();
    const recent = (resetRequestsByAddress.get(address) ?? []).filter((at) => at > t - 3600_000);
    if (resetRequestsByAddress.size > 10_000) resetRequestsByAddress.clear();
    if (recent.length >= RESET_REQUESTS_PER_ADDRESS) return false;
    recent.push(t);
    resetRequestsByAddress.set(address, recent);
    return true;
  };

  app.post('/reset', async (request, reply) => {
    const email = formText(formOf(request.body), 'email', 256).trim();
    const same = notice('ok', 'If an account has this address, a link to reset its password is on its way. It works once, for one hour.');
    if (email === '' || !addressAllowed(request.ip)) return resetAskPage(request, reply, same);
    const subject = await site.users.findByLogin(email);
    if (subject !== undefined && (subject.status === 'active' || subject.status === 'temporal')) {
      const user = await site.users.get(subject.id);
      if ((await resets.issuedSince(user.id, ctx.now() - 3600_000)) < RESETS_PER_HOUR) {
        const { token } = await resets.issue(user.id);
        await site.notifier
          .send({
            to: [user.email],
            subject: `${site.config.site.title}: reset your password`,
            text: `Hello ${user.fullName},\n\nsomeone (probably you) asked to reset the password of your account on ${site.config.site.title}.\nChoose a new password here (the link works once, for one hour):\n\n${ctx.baseUrl}/reset/${token}\n\nIf it was not you, ignore this email: your password stays as it is.\n`,
            topic: 'password.reset',
          })
          .catch((err: unknown) => request.log.warn({ err }, 'could not send a password reset email'));
        await site.audit.record({ actor: `user:${user.id}`, action: 'password.reset-request', target: user.id, outcome: 'success', address: request.ip }).catch(() => undefined);
      }
    }
    return resetAskPage(request, reply, same);
  });

  const tokenParams = { type: 'object', required: ['token'], properties: { token: { type: 'string', maxLength: 64 } } } as const;

  const newPasswordPage = (request: FastifyRequest, reply: FastifyReply, token: string, message?: SafeHtml, status = 200): FastifyReply =>
    sendPage(reply, ctx.layout, {
      title: 'Choose a new password',
      status,
      body: html`<section class="card narrow"><h1>Choose a new password</h1>
${message ?? ''}
<form method="post" action="/reset/${token}" class="stack">${csrfField(request)}
${input('New password', 'password', { type: 'password', required: true, autocomplete: 'new-password', maxlength: 1024, hint: `(site policy: ${site.config.accounts.password_policy})` })}
${input('Repeat the new password', 'password2', { type: 'password', required: true, autocomplete: 'new-password', maxlength: 1024 })}
<div class="actions"><button type="submit">Set the password</button></div>
</form></section>`,
    });

  const invalidLink = (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    resetAskPage(request, reply, html`${notice('bad', 'This password reset link is not valid: it is unknown, was used already or has expired. Ask for a new one below.')}<p class="code">MIG_E_RESET_TOKEN_INVALID</p>`, 400);

  app.get<{ Params: { token: string } }>('/reset/:token', { schema: { params: tokenParams } }, async (request, reply) => {
    if ((await resets.check(request.params.token)) === undefined) return invalidLink(request, reply);
    return newPasswordPage(request, reply, request.params.token);
  });

  app.post<{ Params: { token: string } }>('/reset/:token', { schema: { params: tokenParams } }, async (request, reply) => {
    const { token } = request.params;
    if ((await resets.check(token)) === undefined) return invalidLink(request, reply);
    const form = formOf(request.body);
    const password = formText(form, 'password', 1024);
    if (password !== formText(form, 'password2', 1024)) return newPasswordPage(request, reply, token, notice('bad', 'The two passwords differ.'), 400);
    try {
      assertPasswordPolicy(password, site.config.accounts.password_policy);
    } catch (err) {
      if (isMigError(err)) return newPasswordPage(request, reply, token, notice('bad', err.message), 400);
      throw err;
    }
    let userId: string;
    try {
      userId = await resets.consume(token);
    } catch (err) {
      if (isMigError(err, 'MIG_E_RESET_TOKEN_INVALID')) return invalidLink(request, reply);
      throw err;
    }
    await site.users.setPassword(userId, password);
    await resets.voidAll(userId);
    const ended = await endSessionsOf(site.db, userId);
    await site.audit.record({ actor: `user:${userId}`, action: 'password.reset', target: userId, outcome: 'success', address: request.ip, details: { endedSessions: ended } }).catch(() => undefined);
    return sendPage(reply, ctx.layout, {
      title: 'Password changed',
      body: html`<section class="card narrow"><h1>Password changed</h1>${notice('ok', 'Your new password is set, and every session of your account was signed out.')}<p><a class="button" href="/login">Sign in</a></p></section>`,
    });
  });
}
