import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebApp } from '../src/app/create-web-app.js';
import type { WebContext } from '../src/app/web-context.js';
import { registerHealthRoutes } from '../src/routes/health.js';
import { registerWebRoutes } from '../src/routes/index.js';
import { openTestSite, type TestSite } from '../../../test/support/test-site.js';

interface OperationDoc {
  tags?: string[];
  summary?: string;
  responses?: Record<string, unknown>;
}

let t: TestSite;
let app: FastifyInstance;
let doc: { openapi: string; paths: Record<string, Record<string, OperationDoc>> };

beforeAll(async () => {
  t = await openTestSite();
  app = await createWebApp({ site: t.site });
  await app.ready();
  doc = (await app.inject({ url: '/api/v1/openapi.json' })).json() as typeof doc;
});
afterAll(async () => {
  await app.close();
  await t.close();
});

/**
 * Every route the app's feature modules register (whoever wrote them), seen by an `onRoute` hook
 * installed on a fresh Fastify instance before any route exists.
 */
async function registeredRoutes(): Promise<Array<{ method: string; url: string }>> {
  const seen: Array<{ method: string; url: string }> = [];
  const fresh = Fastify() as unknown as FastifyInstance;
  fresh.addHook('onRoute', (route: RouteOptions) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) seen.push({ method: String(method), url: route.url });
  });
  const ctx: WebContext = { site: t.site, layout: { title: 'test' }, now: Date.now, baseUrl: 'https://localhost' };
  registerHealthRoutes(fresh, ctx);
  await registerWebRoutes(fresh, ctx);
  await fresh.ready();
  await fresh.close();
  return seen;
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every /api/v1 route with its method, tags, summary and responses', async () => {
    const api = (await registeredRoutes()).filter(
      (r) => r.url.startsWith('/api/v1/') && r.url !== '/api/v1/openapi.json' && r.method !== 'HEAD' && r.method !== 'OPTIONS',
    );
    expect(api.length).toBeGreaterThan(20);
    const missing = api.filter((r) => {
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      return op === undefined || (op.tags ?? []).length === 0 || op.summary === undefined || op.responses === undefined;
    });
    expect(missing).toEqual([]);
  });

  it('has the files API under the files, trash and uploads tags', () => {
    expect(doc.paths['/api/v1/files/list']?.get?.tags).toEqual(['files']);
    expect(doc.paths['/api/v1/files/content']?.put?.tags).toEqual(['files']);
    expect(doc.paths['/api/v1/trash']?.get?.tags).toEqual(['trash']);
    expect(doc.paths['/api/v1/trash/restore']?.post?.tags).toEqual(['trash']);
    expect(doc.paths['/api/v1/uploads/{id}']?.put?.tags).toEqual(['uploads']);
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1/'))).toEqual([]);
  });
});
