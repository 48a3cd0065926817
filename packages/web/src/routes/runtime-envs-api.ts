/**
 * The runtime environments API (`/api/v1/runtime-envs…`): every signed-in user may list and read
 * them (jobs name them in RUNTIMEENVIRONMENT, resources provide them); administrators publish,
 * replace and remove them (MiG's `redb`, `showre`, `createre`, `deletere`). Tokens need `jobs:read`
 * to read and the `admin` scope to change.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  InvalidInputError, formatRuntimeEnvironment, normalizeRuntimeEnvironmentName, parseRuntimeEnvironment, runtimeEnvironmentToJson,
  RUNTIME_ENVIRONMENT_LIMITS, type AdminPrincipal, type RuntimeEnvRecord, type UserRecord,
} from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { errorResponses, errorSchema } from '../accounts/account-json.js';
import { requireAdmin, requireUser } from '../plugins/authentication.js';

const tags = ['runtime-envs'];
const iso = (t: number): string => new Date(t).toISOString();

const nameParams = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 255 } },
} as const;

const definitionSchema = {
  type: 'object',
  additionalProperties: true,
  description: 'The runtime environment in its JSON form: MiG\'s keywords as fields (RENAME, DESCRIPTION, SOFTWARE, TESTPROCEDURE, VERIFYSTDOUT, VERIFYSTDERR, VERIFYSTATUS, ENVIRONMENTVARIABLE).',
} as const;

const recordSchema = {
  type: 'object',
  required: ['name', 'description', 'createdAt', 'updatedAt', 'providers', 'definition'],
  properties: {
    name: { type: 'string', description: 'Upper-case name, as jobs give it in RUNTIMEENVIRONMENT.' },
    description: { type: 'string' },
    createdBy: { type: 'string', nullable: true, description: 'The admin who published it; null for the site operator.' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    providers: { type: 'array', items: { type: 'string' }, description: 'Resources whose configuration provides it.' },
    definition: definitionSchema,
    text: { type: 'string', description: 'The MiG text form (only when reading one runtime environment).' },
  },
} as const;

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Either "text" (MiG\'s ::KEYWORD:: text) or "definition" (the JSON form), not both.',
  properties: {
    text: { type: 'string', maxLength: RUNTIME_ENVIRONMENT_LIMITS.maxBytes },
    definition: definitionSchema,
  },
} as const;

const okSchema = { type: 'object', properties: { ok: { type: 'boolean' } } } as const;
const responses = { ...errorResponses, 413: errorSchema } as const;

interface DefinitionBody {
  text?: string;
  definition?: Record<string, unknown>;
}

/** The API form of a runtime environment. */
function recordJson(r: RuntimeEnvRecord, providers: readonly string[], withText = false): Record<string, unknown> {
  return {
    name: r.name,
    description: r.definition.DESCRIPTION,
    createdBy: r.createdBy,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    providers,
    definition: runtimeEnvironmentToJson(r.definition),
    ...(withText && { text: formatRuntimeEnvironment(r.definition) }),
  };
}

/** The definition a request sends: text is parsed here, JSON is checked by the store. */
function definitionOf(body: DefinitionBody | undefined): unknown {
  const text = body?.text;
  const definition = body?.definition;
  if ((text === undefined) === (definition === undefined)) {
    throw new InvalidInputError('Send either "text" (the runtime environment in MiG\'s ::KEYWORD:: form) or "definition" (its JSON form), not both.');
  }
  return text !== undefined ? parseRuntimeEnvironment(text) : definition;
}

function adminPrincipal(admin: UserRecord): AdminPrincipal {
  return { kind: 'admin', userId: admin.id };
}

async function audit(ctx: WebContext, request: FastifyRequest, admin: UserRecord, action: string, target: string): Promise<void> {
  await ctx.site.audit.record({ actor: `user:${admin.id}`, action, target, outcome: 'success', address: request.ip }).catch(() => undefined);
}

/** Registers the runtime environments API. */
export function registerRuntimeEnvsApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;

  app.get('/api/v1/runtime-envs', {
    schema: {
      tags,
      summary: 'The runtime environments jobs may require, by name',
      response: { 200: { type: 'object', required: ['runtimeEnvs'], properties: { runtimeEnvs: { type: 'array', items: recordSchema } } }, ...responses },
    },
  }, async (request) => {
    requireUser(request, 'jobs:read');
    const [all, resources] = await Promise.all([site.runtimeEnvs.list(), site.resources.list()]);
    const providersOf = (name: string): string[] => resources.filter((r) => r.config.RUNTIMEENVIRONMENT.some((p) => p.name === name)).map((r) => r.id);
    return { runtimeEnvs: all.map((r) => recordJson(r, providersOf(r.name))) };
  });

  app.get<{ Params: { name: string } }>('/api/v1/runtime-envs/:name', {
    schema: { tags, summary: 'One runtime environment, with its MiG text form', params: nameParams, response: { 200: recordSchema, ...responses } },
  }, async (request) => {
    requireUser(request, 'jobs:read');
    const r = await site.runtimeEnvs.get(request.params.name);
    return recordJson(r, await site.runtimeEnvs.providers(r.name), true);
  });

  app.post<{ Body: DefinitionBody }>('/api/v1/runtime-envs', {
    schema: { tags, summary: 'Publish a runtime environment (administrators)', body: bodySchema, response: { 201: recordSchema, ...responses } },
  }, async (request, reply) => {
    const admin = requireAdmin(request);
    const r = await site.runtimeEnvs.add(definitionOf(request.body), adminPrincipal(admin));
    await audit(ctx, request, admin, 'runtime-env.add', r.name);
    return reply.status(201).send(recordJson(r, []));
  });

  app.put<{ Params: { name: string }; Body: DefinitionBody }>('/api/v1/runtime-envs/:name', {
    schema: {
      tags,
      summary: 'Replace a runtime environment\'s definition (administrators; same name, refused while providing resources would no longer match)',
      params: nameParams,
      body: bodySchema,
      response: { 200: recordSchema, ...responses },
    },
  }, async (request) => {
    const admin = requireAdmin(request);
    const name = normalizeRuntimeEnvironmentName(request.params.name);
    const definition = definitionOf(request.body);
    const renamed = (definition as { RENAME?: unknown } | null)?.RENAME;
    if (typeof renamed !== 'string' || renamed.trim().toUpperCase() !== name) {
      throw new InvalidInputError('The definition\'s RENAME must be the name in the address; a runtime environment cannot be renamed (publish a new one instead).');
    }
    const r = await site.runtimeEnvs.replace(definition, adminPrincipal(admin));
    await audit(ctx, request, admin, 'runtime-env.replace', r.name);
    return recordJson(r, await site.runtimeEnvs.providers(r.name));
  });

  app.delete<{ Params: { name: string } }>('/api/v1/runtime-envs/:name', {
    schema: { tags, summary: 'Remove a runtime environment (administrators; refused while resources provide it)', params: nameParams, response: { 200: okSchema, ...responses } },
  }, async (request) => {
    const admin = requireAdmin(request);
    const name = normalizeRuntimeEnvironmentName(request.params.name);
    await site.runtimeEnvs.remove(name);
    await audit(ctx, request, admin, 'runtime-env.remove', name);
    return { ok: true };
  });
}
