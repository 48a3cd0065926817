/**
 * Who may see and change a resource: its owner, and site admins (an API token acting on another
 * owner's resource needs the `admin` scope). Anyone else is told the resource does not exist,
 * exactly as for a missing one. Reading needs `account:read` on a token, changing `account:write`.
 * @packageDocumentation
 */
import type { FastifyRequest } from 'fastify';
import { NotFoundError, isMigError, type JobRecord, type ResourceRecord, type Site, type UserRecord } from '@migrid/core';
import { requireUser } from '../plugins/authentication.js';

/** The caller and whether they act as a site admin. */
export interface ResourceCaller {
  readonly user: UserRecord;
  readonly admin: boolean;
}

/** The signed-in caller; `need` picks the token scope (`account:read` / `account:write`). */
export function resourceCaller(request: FastifyRequest, need: 'read' | 'write'): ResourceCaller {
  const user = requireUser(request, need === 'read' ? 'account:read' : 'account:write');
  const auth = request.auth;
  const admin = user.roles.includes('admin') && (auth?.via === 'session' || (auth?.scopes ?? []).includes('admin'));
  return { user, admin };
}

/**
 * The resource if the caller may touch it.
 * @throws InvalidInputError for a malformed name; NotFoundError `MIG_E_RESOURCE_NOT_FOUND` for a
 *   missing resource and for another owner's.
 */
export async function resourceFor(site: Site, caller: ResourceCaller, id: string): Promise<ResourceRecord> {
  const missing = (): NotFoundError => new NotFoundError('MIG_E_RESOURCE_NOT_FOUND', `There is no resource named ${JSON.stringify(id)} among yours.`);
  let resource: ResourceRecord;
  try {
    resource = await site.resources.get(id);
  } catch (err) {
    // Same answer for a missing resource as for another owner's.
    if (!caller.admin && isMigError(err) && err.code === 'MIG_E_RESOURCE_NOT_FOUND') throw missing();
    throw err;
  }
  if (!caller.admin && resource.ownerId !== caller.user.id) throw missing();
  return resource;
}

/** The resources the caller may see: their own, or every one for an admin. */
export async function resourcesOf(site: Site, caller: ResourceCaller): Promise<ResourceRecord[]> {
  return site.resources.list(caller.admin ? {} : { ownerId: caller.user.id });
}

/** The jobs executing on a resource now. */
export async function jobsRunningOn(site: Site, resourceId: string): Promise<JobRecord[]> {
  return (await site.jobs.loadExecuting()).filter((j) => j.resourceId === resourceId);
}
