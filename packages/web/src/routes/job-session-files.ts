/**
 * Job file traffic in MiG's URL shape: `GET`/`PUT /sid_redirect/<session-id>/<path>`. The session
 * id is the running job's only credential; it opens the owner's home through the core's file view
 * (quota, hidden names, path rules) and only while the job executes under that dispatch. The PUT of
 * `job_output/<job-id>/<job-id>.status` completes the job.
 * @packageDocumentation
 */
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { MigError, type GridDispatcher, type JobSession } from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { contentTypeFor } from '../files/content-type.js';
import { registerRawBodyRoutes } from '../files/raw-body.js';

const SESSION = /^[0-9a-f]{64}$/;

function gridOf(ctx: WebContext): GridDispatcher {
  if (ctx.grid === undefined) throw new MigError('MIG_E_GRID_UNAVAILABLE', 'The grid engine does not run with this web server.');
  return ctx.grid;
}

/** The live session, or a 404 that says nothing about why (unknown, finished or requeued). */
async function sessionOf(ctx: WebContext, sid: string): Promise<JobSession> {
  const session = SESSION.test(sid) ? await gridOf(ctx).openSession(sid) : undefined;
  if (session === undefined) throw new MigError('MIG_E_NOT_FOUND', 'No running job has this session; it may have finished, been cancelled or moved to another resource.');
  return session;
}

/** The path inside the owner's home (MiG's clients may send `//job_output/…`). */
function homePath(rest: string): string {
  return `/${rest.split('/').filter((p) => p !== '').join('/')}`;
}

async function sendFile(reply: FastifyReply, session: JobSession, path: string): Promise<FastifyReply> {
  const info = await session.view.stat(path);
  if (info.type !== 'file') throw new MigError('MIG_E_NOT_FOUND', 'Only files can be fetched through a job session.');
  reply.header('content-length', info.size).type(contentTypeFor(path));
  if (info.size === 0) return reply.send('');
  return reply.send(await session.view.createReadStream(path, { start: 0, end: info.size - 1 }, { highWaterMark: 1024 * 1024 }));
}

/** Registers `/sid_redirect/…`. */
export async function registerJobSessionFileRoutes(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const config = { csrf: false, selfAuthenticated: true };
  app.get<{ Params: { sid: string; '*': string } }>('/sid_redirect/:sid/*', { config, schema: { hide: true } }, async (request, reply) => {
    const session = await sessionOf(ctx, request.params.sid);
    return sendFile(reply, session, homePath(request.params['*']));
  });

  await registerRawBodyRoutes(app, (scope) => {
    scope.put<{ Params: { sid: string; '*': string } }>('/sid_redirect/:sid/*', { config, schema: { hide: true } }, async (request, reply) => {
      const sid = request.params.sid;
      const session = await sessionOf(ctx, sid);
      const path = homePath(request.params['*']);
      const parts = path.split('/').filter((p) => p !== '');
      let out;
      try {
        out = await session.view.createWriteStream(path, { overwrite: true });
      } catch (err) {
        // The folders are made only when missing (a job's first file in job_output/<id>/): most
        // uploads go to a folder that exists, and making it again costs a walk of the path.
        if (!(err instanceof MigError && err.code === 'MIG_E_PATH_NOT_FOUND' && parts.length > 1)) throw err;
        await session.view.mkdir(`/${parts.slice(0, -1).join('/')}`, { recursive: true });
        out = await session.view.createWriteStream(path, { overwrite: true });
      }
      await pipeline(request.raw, out);
      const statusPath = `/job_output/${session.job.id}/${session.job.id}.status`;
      if (path === statusPath) await gridOf(ctx).completeSession(sid, session);
      return reply.status(201).send('0\n');
    });
  });
}
