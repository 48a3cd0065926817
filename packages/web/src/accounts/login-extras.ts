/**
 * Extra pieces of the sign-in page that other sign-in methods contribute ("Sign in with <OIDC
 * provider>", "Sign in with your certificate"). The password form owns the page; other features
 * add a small block of markup here instead of editing it.
 * @packageDocumentation
 */
import type { FastifyRequest } from 'fastify';
import type { WebContext } from '../app/web-context.js';
import type { SafeHtml } from '../html/html.js';

/**
 * Renders one extra block of the sign-in page (a link or a small form), or an empty `html```
 * when it does not apply to this site (e.g. OIDC not configured). Build it with `html` so values
 * are escaped; forms must include `csrfField(request)`.
 */
export type LoginPageExtra = (request: FastifyRequest, ctx: WebContext) => SafeHtml;

/**
 * The registered extras, rendered in order below the password form. Add with
 * {@link addLoginPageExtra} (which ignores a function added twice, so calling it from a
 * `register…Routes` that runs once per app is fine as long as the function is module-level).
 */
export const loginPageExtras: LoginPageExtra[] = [];

/**
 * Adds an extra block to the sign-in page; adding the same function again does nothing.
 * @example
 * ```ts
 * const oidcLink: LoginPageExtra = (request, ctx) =>
 *   ctx.site.config.oidc.enabled ? html`<p><a class="button secondary" href="/login/oidc">Sign in with …</a></p>` : html``;
 * addLoginPageExtra(oidcLink);
 * ```
 */
export function addLoginPageExtra(extra: LoginPageExtra): void {
  if (!loginPageExtras.includes(extra)) loginPageExtras.push(extra);
}
