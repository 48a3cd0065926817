/**
 * Sign-up: the request form (`/signup`), the site terms (`/terms`) and `POST /api/v1/signup`.
 * A request waits for an administrator (or is accepted at once with `[accounts] auto_accept`);
 * `[accounts] signup_enabled = false` closes both the page and the API (`MIG_E_SIGNUP_DISABLED`).
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, isMigError, MigError, type SignupInput } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { errorResponses, signupSchema } from '../accounts/account-json.js';
import { formChecked, formOf, formText, type FormBody } from '../accounts/form-input.js';
import { input, notice } from '../accounts/page-parts.js';
import { submitSignup } from '../accounts/signup-decisions.js';
import { html, type SafeHtml } from '../html/html.js';
import { csrfField, sendPage } from '../html/layout.js';

/** The sign-up fields (MiG's: name, email, organisation, unit, locality, state, country, comment). */
const FIELDS = [
  { name: 'fullName', label: 'Full name', required: true, autocomplete: 'name' },
  { name: 'email', label: 'Email', required: true, autocomplete: 'email', type: 'email' },
  { name: 'organization', label: 'Organisation', required: true, autocomplete: 'organization' },
  { name: 'organizationalUnit', label: 'Department or unit', hint: '(optional)' },
  { name: 'locality', label: 'City', hint: '(optional)', autocomplete: 'address-level2' },
  { name: 'state', label: 'State', hint: '(optional, 2 letters)', maxlength: 2 },
  { name: 'country', label: 'Country', hint: '(2-letter code, e.g. DK)', required: true, maxlength: 2, autocomplete: 'country' },
] as const;

const signupBody = {
  type: 'object',
  additionalProperties: false,
  required: ['fullName', 'email', 'organization', 'country', 'password', 'acceptedTerms'],
  properties: {
    fullName: { type: 'string', maxLength: 256 },
    email: { type: 'string', maxLength: 256 },
    organization: { type: 'string', maxLength: 256 },
    organizationalUnit: { type: 'string', maxLength: 256 },
    locality: { type: 'string', maxLength: 256 },
    state: { type: 'string', maxLength: 2 },
    country: { type: 'string', maxLength: 2 },
    comment: { type: 'string', maxLength: 4096 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    acceptedTerms: { type: 'boolean', description: 'Must be true: the person accepts the site terms (`/terms`).' },
  },
} as const;

function requireTerms(accepted: boolean): void {
  if (!accepted) throw new MigError('MIG_E_INVALID_INPUT', 'Accept the site terms to ask for an account.', { details: { problems: [{ path: 'acceptedTerms', message: 'must be accepted' }] } });
}

/** Registers the sign-up page, the terms page and the sign-up API. */
export function registerSignupRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;
  const closed = (): MigError => new MigError('MIG_E_SIGNUP_DISABLED', 'This site does not take sign-up requests; ask the site administrators for an account.');

  const signupPage = (request: FastifyRequest, reply: FastifyReply, form: FormBody = {}, message?: SafeHtml, status = 200): FastifyReply =>
    sendPage(reply, ctx.layout, {
      title: 'Ask for an account',
      status,
      body: html`<section class="card narrow"><h1>Ask for an account</h1>
${message ?? html`<p>Fill in who you are. ${site.config.accounts.auto_accept ? 'Your account is created at once.' : 'An administrator reviews your request and you get an email when it is decided.'}</p>`}
<form method="post" action="/signup" class="stack">${csrfField(request)}
${FIELDS.map((f) => input(f.label, f.name, {
  value: formText(form, f.name, 256),
  required: 'required' in f && f.required,
  maxlength: 'maxlength' in f ? f.maxlength : 256,
  ...('hint' in f && { hint: f.hint }),
  ...('autocomplete' in f && { autocomplete: f.autocomplete }),
  ...('type' in f && { type: f.type }),
}))}
<label for="f-comment">Why you need an account <span class="muted">(optional)</span>
<textarea id="f-comment" name="comment" maxlength="4096">${formText(form, 'comment', 4096)}</textarea></label>
${input('Password', 'password', { type: 'password', required: true, autocomplete: 'new-password', maxlength: 1024, hint: `(site policy: ${site.config.accounts.password_policy})` })}
${input('Repeat the password', 'password2', { type: 'password', required: true, autocomplete: 'new-password', maxlength: 1024 })}
<label class="check"><input type="checkbox" name="acceptedTerms" value="on" required> I accept the <a href="/terms" target="_blank" rel="noopener">terms of use</a></label>
<div class="actions"><button type="submit">Send the request</button></div>
</form></section>`,
    });

  app.get('/signup', async (request, reply) => {
    if (!site.config.accounts.signup_enabled) throw closed();
    return signupPage(request, reply);
  });

  app.post('/signup', async (request, reply) => {
    if (!site.config.accounts.signup_enabled) throw closed();
    const form = formOf(request.body);
    const password = formText(form, 'password', 1024);
    if (password !== formText(form, 'password2', 1024)) return signupPage(request, reply, form, notice('bad', 'The two passwords differ.'), 400);
    const input: SignupInput = {
      fullName: formText(form, 'fullName', 256),
      email: formText(form, 'email', 256),
      organization: formText(form, 'organization', 256),
      organizationalUnit: formText(form, 'organizationalUnit', 256),
      locality: formText(form, 'locality', 256),
      state: formText(form, 'state', 2),
      country: formText(form, 'country', 2),
      comment: formText(form, 'comment', 4096),
      password,
      acceptedTerms: formChecked(form, 'acceptedTerms'),
    };
    let accepted: boolean;
    try {
      requireTerms(input.acceptedTerms === true);
      accepted = (await submitSignup(site, input, { baseUrl: ctx.baseUrl })).status === 'accepted';
    } catch (err) {
      if (isMigError(err) && err.status < 500 && err.code !== 'MIG_E_SIGNUP_DISABLED') {
        const problems = (err.details?.problems as { path: string; message: string }[] | undefined) ?? [];
        // Sign-up does not confirm that an address has an account: a taken email reads like any other refusal.
        const text = err.code === 'MIG_E_USER_EXISTS' || err.code === 'MIG_E_SIGNUP_EXISTS' ? 'This request cannot be filed. If you already have an account or a pending request, sign in or reset your password instead.' : err.message;
        return signupPage(request, reply, form, html`${notice('bad', text)}${problems.length > 0 ? html`<ul>${problems.map((p) => html`<li><strong>${p.path}</strong>: ${p.message}</li>`)}</ul>` : ''}`, err.status);
      }
      throw err;
    }
    return sendPage(reply, ctx.layout, {
      title: 'Request sent',
      body: html`<section class="card narrow"><h1>${accepted ? 'Your account is ready' : 'Request sent'}</h1>${notice('ok', accepted ? 'You can sign in now.' : 'Thank you. An administrator will review your request; you will get an email when it is decided.')}<p><a href="/login">Sign in</a></p></section>`,
    });
  });

  app.get('/terms', async (_request, reply) =>
    sendPage(reply, ctx.layout, {
      title: 'Terms of use',
      body: html`<section class="card"><h1>Terms of use of ${site.config.site.title}</h1>
<ol>
<li>Your account is personal: do not share your password, keys or tokens.</li>
<li>Use the site for your research and teaching only, within the law and your organisation's rules.</li>
<li>The administrators may suspend an account that is misused, and accounts expire unless renewed.</li>
<li>Keep your own copies of important data; the site keeps it with care but gives no guarantee.</li>
<li>Sign-ins and changes are logged for security.</li>
</ol>
<p>Questions: ${site.config.site.support_email ?? site.config.site.admin_email ?? 'the site administrators'}.</p></section>`,
    }));

  app.post<{ Body: SignupInput & { password: string; acceptedTerms: boolean } }>('/api/v1/signup', {
    // Anonymous and creating only a pending request: nothing to forge on anyone's behalf.
    config: { csrf: false },
    schema: {
      tags: ['account'],
      summary: 'Ask for an account (a sign-up request)',
      description: 'Files a request that an administrator accepts or rejects (or that is accepted at once when the site auto-accepts). The password must meet the site policy.',
      security: [],
      body: signupBody,
      response: { 201: signupSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    if (!site.config.accounts.signup_enabled) throw closed();
    requireTerms(request.body.acceptedTerms);
    const created = await submitSignup(site, request.body, { baseUrl: ctx.baseUrl }).catch((err: unknown) => {
      if (isMigError(err, 'MIG_E_USER_EXISTS') || isMigError(err, 'MIG_E_SIGNUP_EXISTS')) {
        throw new ConflictError('MIG_E_SIGNUP_EXISTS', 'This request cannot be filed: if you already have an account or a pending request, sign in or reset your password instead.');
      }
      throw err;
    });
    return reply.status(201).send({ id: created.id, email: created.email, fullName: created.fullName, status: created.status, createdAt: new Date(created.createdAt).toISOString() });
  });
}
