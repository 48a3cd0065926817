/**
 * Every accounts feature in one call: sign-in/out, sign-up, password reset, settings, the admin
 * pages, and their JSON API.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../app/web-context.js';
import { registerAccountApiRoutes } from './account-api.js';
import { registerAdminApiRoutes } from './admin-api.js';
import { registerAdminPages } from './admin-pages.js';
import { registerAuthApiRoutes } from './auth-api.js';
import { registerAuthPages } from './auth-pages.js';
import { registerSettingsPages } from './settings-pages.js';
import { registerSignupRoutes } from './signup-pages.js';

/** Registers the accounts features. */
export function registerAccountsRoutes(app: FastifyInstance, ctx: WebContext): void {
  registerAuthApiRoutes(app, ctx);
  registerAccountApiRoutes(app, ctx);
  registerAdminApiRoutes(app, ctx);
  registerAuthPages(app, ctx);
  registerSignupRoutes(app, ctx);
  registerSettingsPages(app, ctx);
  registerAdminPages(app, ctx);
}
