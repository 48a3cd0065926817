/**
 * `@migrid/web`: the HTTPS app of a MiG site: pages, the JSON API (`/api/v1`, OpenAPI at
 * `/api/v1/openapi.json`), sign-in (password + TOTP, OpenID Connect, X.509 certificates), the file
 * manager and the admin pages. Importable as an app (`createWebApp`) or a server (`WebServer`).
 *
 * @packageDocumentation
 */
export { createWebApp, defaultBaseUrl } from './app/create-web-app.js';
export type { WebAppOptions, WebTlsOptions } from './app/create-web-app.js';
export { WebServer } from './app/web-server.js';
export type { WebServerAddress, WebServerOptions } from './app/web-server.js';
export type { WebContext } from './app/web-context.js';
export { accountUsable, requireAdmin, requireUser } from './plugins/authentication.js';
export type { RequestAuth } from './plugins/authentication.js';
export { CSRF_FIELD, CSRF_HEADER, csrfTokenOf } from './plugins/csrf.js';
export { SESSION_COOKIE, SESSION_IDLE_MS, SESSION_MAX_MS, WebSession, endSessionsOf, pruneSessions } from './plugins/sessions.js';
export type { SessionData } from './plugins/sessions.js';
export { escapeHtml, html, raw, SafeHtml } from './html/html.js';
export type { HtmlValue } from './html/html.js';
export { acceptSignup, rejectSignup, submitSignup } from './accounts/signup-decisions.js';
export type { SignupMailContext } from './accounts/signup-decisions.js';
export { completeSignIn } from './accounts/complete-sign-in.js';
export type { CompleteSignInOptions } from './accounts/complete-sign-in.js';
export { addLoginPageExtra, loginPageExtras } from './accounts/login-extras.js';
export type { LoginPageExtra } from './accounts/login-extras.js';
