/**
 * Every feature's routes, registered in one place. Each feature module exports
 * `register…Routes(app, ctx)`.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../app/web-context.js';
import { registerApiDocsRoutes } from './api-docs.js';
import { registerAccountsRoutes } from './account-routes.js';
import { registerOidcRoutes } from './oidc-sign-in.js';
import { registerCertificateRoutes } from './certificate-sign-in.js';
import { registerFilesRoutes } from './files-routes.js';
import { registerJobsApiRoutes } from './jobs-api.js';
import { registerAgentApiRoutes } from './agent-api.js';
import { registerJobSessionFileRoutes } from './job-session-files.js';
import { registerRuntimeEnvsApiRoutes } from './runtime-envs-api.js';
import { registerJobsPages } from './jobs-pages.js';
import { registerFeasibilityApiRoutes } from '../jobs/feasibility-api.js';
import { registerResourcesApiRoutes } from './resources-api.js';
import { registerResourcesPages } from './resources-pages.js';
import { registerSharePages } from './share-pages.js';
import { registerShareLinksApiRoutes } from './share-links-api.js';
import { registerWorkgroupsApiRoutes } from './workgroups-api.js';
import { registerVgridApiRoutes } from './vgrid-api-routes.js';
import { registerWorkgroupPages } from './workgroup-pages.js';
import { registerVgridWebFolderPages } from './vgrid-pages.js';

/** Registers the routes of every feature. */
export async function registerWebRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  registerApiDocsRoutes(app, ctx);
  registerAccountsRoutes(app, ctx);
  registerOidcRoutes(app, ctx);
  registerCertificateRoutes(app, ctx);
  await registerFilesRoutes(app, ctx);
  registerJobsApiRoutes(app, ctx);
  registerRuntimeEnvsApiRoutes(app, ctx);
  registerAgentApiRoutes(app, ctx);
  await registerJobSessionFileRoutes(app, ctx);
  registerJobsPages(app, ctx);
  registerFeasibilityApiRoutes(app, ctx);
  registerResourcesApiRoutes(app, ctx);
  registerShareLinksApiRoutes(app, ctx);
  registerWorkgroupsApiRoutes(app, ctx);
  registerVgridApiRoutes(app, ctx);
  registerWorkgroupPages(app, ctx);
  registerVgridWebFolderPages(app, ctx);
  registerResourcesPages(app, ctx);
  await registerSharePages(app, ctx);
}
