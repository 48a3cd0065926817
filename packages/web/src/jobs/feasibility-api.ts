/**
 * `POST /api/v1/jobs/feasibility`: which registered resources could run a job, and why the others
 * could not (MiG's `jobfeasible`), asked of the grid engine through the `GridDispatcher` seam.
 * The body is the submit body (`mrsl` text or `spec` JSON); nothing is stored.
 * @packageDocumentation
 */
import type { FastifyInstance } from 'fastify';
import { MigError, type FeasibilityReport, type JobSpec } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { fileErrorResponses, fileErrorSchema } from '../files/file-json.js';
import { requireUser } from '../plugins/authentication.js';
import { jobSpecFromBody } from './job-input.js';

/** Asks the engine; 503 `MIG_E_GRID_UNAVAILABLE` when none runs with this server (or it cannot answer). */
export async function feasibilityFor(ctx: WebContext, spec: JobSpec, ownerId: string): Promise<FeasibilityReport> {
  const grid = ctx.grid;
  if (grid?.feasibility === undefined) {
    throw new MigError('MIG_E_GRID_UNAVAILABLE', 'The grid engine does not run with this web server (or cannot check feasibility); start grid_script (mig start runs both) and try again.');
  }
  return grid.feasibility(spec, ownerId);
}

/** The API form of a report. */
export function feasibilityJson(report: FeasibilityReport): Record<string, unknown> {
  return {
    verdict: report.verdict,
    runnable: report.runnable,
    units: report.units.map((u) => ({
      resource: u.resourceId,
      unit: u.unit,
      publicName: u.publicName,
      resourceStatus: u.resourceStatus,
      lastSeenAt: u.lastSeenAt === null ? null : new Date(u.lastSeenAt).toISOString(),
      fits: u.fits,
      reasons: u.reasons,
    })),
  };
}

const reportSchema = {
  type: 'object',
  required: ['verdict', 'runnable', 'units'],
  properties: {
    verdict: { type: 'string', enum: ['ready', 'paused', 'none'], description: 'ready: an active unit fits; paused: only paused ones do; none: no unit fits' },
    runnable: { type: 'integer' },
    units: {
      type: 'array',
      items: {
        type: 'object',
        required: ['resource', 'unit', 'fits', 'reasons'],
        properties: {
          resource: { type: 'string' },
          unit: { type: 'string' },
          publicName: { type: 'string' },
          resourceStatus: { type: 'string', enum: ['active', 'paused'] },
          lastSeenAt: { type: 'string', format: 'date-time', nullable: true },
          fits: { type: 'boolean' },
          reasons: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

/** Registers `POST /api/v1/jobs/feasibility`. */
export function registerFeasibilityApiRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.post<{ Body: { mrsl?: string; spec?: Record<string, unknown> } }>('/api/v1/jobs/feasibility', {
    schema: {
      tags: ['jobs'],
      summary: 'Which resources could run a job, and why not (nothing is submitted)',
      body: { type: 'object', additionalProperties: false, properties: { mrsl: { type: 'string', maxLength: 1024 * 1024 }, spec: { type: 'object', additionalProperties: true } } },
      response: { 200: reportSchema, ...fileErrorResponses, 503: fileErrorSchema },
    },
  }, async (request) => {
    const user = requireUser(request, 'jobs:read');
    const spec = jobSpecFromBody(request.body ?? {}, { defaultRetries: ctx.site.config.scheduler.job_retries });
    return feasibilityJson(await feasibilityFor(ctx, spec, user.id));
  });
}
