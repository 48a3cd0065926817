/**
 * The web app: a Fastify instance with sessions, CSRF protection, security headers, request
 * logging (pino, the site's logger), the error answers, the OpenAPI document and every route.
 * `createWebApp` builds it without listening (tests use `app.inject()`); {@link WebServer} serves
 * it over HTTPS.
 * @packageDocumentation
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { GridDispatcher, Site } from '@migrid/core';
import { registerAuthentication } from '../plugins/authentication.js';
import { registerCsrf } from '../plugins/csrf.js';
import { registerErrors, sendError } from '../plugins/errors.js';
import { registerSecurityHeaders } from '../plugins/security-headers.js';
import { registerSessions } from '../plugins/sessions.js';
import { registerHealthRoutes } from '../routes/health.js';
import { registerStartPage } from '../routes/start-page.js';
import { registerWebRoutes } from '../routes/index.js';
import { assetsDir } from './assets-dir.js';
import type { WebContext } from './web-context.js';

/** TLS material for {@link createWebApp} (PEM). */
export interface WebTlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** CAs whose client certificates are asked for (certificate sign-in); none = no client certificates. */
  readonly clientCa?: string | Buffer;
}

/** Options of {@link createWebApp}. */
export interface WebAppOptions {
  readonly site: Site;
  /** Serve HTTPS with this certificate; omit for an app used only through `inject()`. */
  readonly tls?: WebTlsOptions;
  /** The public base URL (default `[web] base_url`), used in emails and OIDC redirects. */
  readonly baseUrl?: string;
  /** Trust `X-Forwarded-*` from a reverse proxy (default false). */
  readonly trustProxy?: boolean;
  /** Clock for tests. */
  readonly now?: () => number;
  /** Most bytes of a JSON or form body (default 1 MiB); uploads stream and are not bound by this. */
  readonly bodyLimit?: number;
  /** The grid engine (`GridEngine` from `@migrid/scheduler`, or your own): serves resources' agents and job sessions. */
  readonly grid?: GridDispatcher;
}

/** The public base URL of a site from its config (`[web] base_url`). */
export function defaultBaseUrl(site: Site): string {
  return site.config.web.base_url;
}

/**
 * Builds the web app.
 * @example
 * ```ts
 * const app = await createWebApp({ site });
 * const res = await app.inject({ method: 'GET', url: '/healthz' });
 * ```
 */
export async function createWebApp(options: WebAppOptions): Promise<FastifyInstance> {
  const { site } = options;
  const now = options.now ?? Date.now;
  const layout = { title: site.config.site.title, vgridLabel: site.config.vgrids.label };
  const app = Fastify({
    // Requests Fastify refuses before routing (a malformed %-escape, an over-long path segment) get
    // the house error answer too, not Fastify's own body.
    frameworkErrors: (err, request, reply) => {
      sendError(request, reply, layout, err);
    },
    loggerInstance: site.logger.child({ service: 'grid_web' }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    routerOptions: { maxParamLength: 1024 },
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 65_000,
    http2: false,
    ...(options.tls !== undefined && {
      https: {
        cert: options.tls.cert,
        key: options.tls.key,
        minVersion: 'TLSv1.2' as const,
        ...(options.tls.clientCa !== undefined && { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: false }),
      },
    }),
  }) as unknown as FastifyInstance;

  const ctx: WebContext = {
    site,
    layout,
    now,
    baseUrl: (options.baseUrl ?? defaultBaseUrl(site)).replace(/\/+$/, ''),
    grid: options.grid,
  };

  await registerSecurityHeaders(app);
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: 256 * 1024 });
  await app.register(fastifyStatic, { root: assetsDir(), prefix: '/static/', decorateReply: false, maxAge: 3600_000, index: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: `${site.config.site.title} API`,
        version: '1',
        description: 'The JSON API of a MiG site. Authenticate with the session cookie of a signed-in browser (send the x-csrf-token header on changes) or with `Authorization: Bearer <api token>`. Errors are `{ code, message }` with stable codes.',
      },
      servers: [{ url: ctx.baseUrl }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token made in Settings → API tokens (mig_<id>_<secret>).' },
          session: { type: 'apiKey', in: 'cookie', name: '__Host-mig_session' },
          resourceToken: { type: 'http', scheme: 'bearer', description: "A resource's agent token (migres_<name>_<secret>), printed once by `mig resource add`." },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: ({ schema, url }) => ({ schema: url.startsWith('/api/v1/') ? schema : { ...schema, hide: true }, url }),
  });

  registerSessions(app, { db: site.db, now });
  registerAuthentication(app, site, now);
  registerCsrf(app, site.config.security.csrf_protection);
  registerErrors(app, ctx.layout);
  registerHealthRoutes(app, ctx);
  registerStartPage(app);
  await registerWebRoutes(app, ctx);
  return app;
}
