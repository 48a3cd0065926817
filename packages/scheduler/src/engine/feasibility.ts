/**
 * "Which resources could run this job, and why not" (MiG's `jobfeasible`): every registered
 * resource × execution unit, judged by MiG's fitness test ({@link jobFitsUnit}) against what the
 * unit's configuration offers, with the resource's status (a paused resource takes no new work).
 *
 * VGrids: a unit offers `Generic` when configured and the configured VGrids that added the
 * resource, with their sub-VGrids (`unitVgrids` in core); the job's `VGRID` list is read as submit
 * would store it (`ANY` expanded to the owner's VGrids, VGrids the owner is not in left out), and a
 * unit that fails on `VGRID` says which VGrid did not add the resource or which VGrid the owner is
 * not in.
 *
 * The offer is the configuration alone: a unit's agent may ask for less at a given moment (its
 * `capacity`), which the engine applies at dispatch; here the question is whether the job could
 * ever run there.
 * @packageDocumentation
 */
import type { FeasibilityReport, JobSpec, ResourceRecord, Site, UnitFeasibility } from '@migrid/core';
import { ANY_VGRID, DEFAULT_VGRID, unitVgrids, vgridsNotAccepted, vgridsOfAllResources } from '@migrid/core';
import { jobFitsUnit } from '../scheduling/job-fits-unit.js';
import type { QueuedJob } from '../scheduling/queued-job.js';
import type { UnitJobType, UnitOffer } from '../scheduling/unit-offer.js';

const JOB_TYPES: readonly UnitJobType[] = ['batch', 'interactive', 'bulk', 'all'];

/**
 * What one unit of a resource offers by its configuration: the engine's offer without a request's
 * capacity laid over it (MiG's resource keywords; a unit's own `cputime`, `nodecount` and `vgrid`).
 * `withResource` is every VGrid that has the resource (`vgridsWithResource` in core): of the unit's
 * configured `vgrid` list only `Generic` and those VGrids (with their sub-VGrids) are offered, so
 * that a resource cannot take a VGrid's jobs without the VGrid's owners adding it. Default: none.
 *
 * @example
 * ```ts
 * const withResource = await vgridsWithResource(site.db, resource.id);
 * const offers = resource.config.EXECONFIG.map((u) => configuredUnitOffer(resource, u.name, withResource));
 * ```
 */
export function configuredUnitOffer(resource: ResourceRecord, unit: string, withResource: readonly string[] = []): UnitOffer {
  const cfg = resource.config;
  const exe = cfg.EXECONFIG.find((u) => u.name === unit);
  return {
    resourceId: resource.id,
    unitName: unit,
    publicName: `${cfg.PUBLICNAME !== '' ? cfg.PUBLICNAME : resource.id}_${unit}`,
    architecture: cfg.ARCHITECTURE,
    platform: cfg.PLATFORM,
    jobType: (JOB_TYPES as readonly string[]).includes(cfg.JOBTYPE) ? (cfg.JOBTYPE as UnitJobType) : 'all',
    sandbox: cfg.SANDBOX,
    cpuCount: cfg.CPUCOUNT,
    nodeCount: exe?.nodecount ?? cfg.NODECOUNT,
    cpuTime: exe?.cputime ?? Number.MAX_SAFE_INTEGER,
    memory: cfg.MEMORY,
    disk: cfg.DISK,
    runtimeEnvironments: cfg.RUNTIMEENVIRONMENT.map((r) => r.name),
    vgrids: unitVgrids(exe?.vgrid ?? [DEFAULT_VGRID], withResource),
  };
}

/** What {@link feasibilityOf} knows about VGrids (without it: no resource is in any VGrid). */
export interface FeasibilityVgrids {
  /** Resource id → every VGrid that has the resource (`vgridsOfAllResources` in core). */
  readonly withResource: ReadonlyMap<string, readonly string[]>;
  /**
   * The VGrids the owner takes part in. When given, `ANY` is expanded to `Generic` and these, and
   * other names (except `Generic`) are left out as submit would refuse them; when absent, the
   * job's list is taken as it is.
   */
  readonly ownerVgrids?: readonly string[];
}

/** The job's VGrids as submit would store them, and the ones the owner may not use. */
function jobVgrids(spec: JobSpec, vgrids: FeasibilityVgrids | undefined): { usable: string[]; refused: string[] } {
  const mine = vgrids?.ownerVgrids;
  if (mine === undefined) return { usable: [...spec.VGRID], refused: [] };
  const allowed = new Set([DEFAULT_VGRID, ...mine]);
  const usable: string[] = [];
  const refused: string[] = [];
  for (const name of spec.VGRID.flatMap((v) => (v === ANY_VGRID ? [DEFAULT_VGRID, ...mine] : [v]))) {
    const into = allowed.has(name) ? usable : refused;
    if (!into.includes(name)) into.push(name);
  }
  return { usable, refused };
}

/** Why a unit that fails on `VGRID` does: VGrids it lists that did not add the resource, VGrids the owner is not in. */
function vgridReasons(configured: readonly string[], withResource: readonly string[], usable: readonly string[], refused: readonly string[]): string[] {
  const reasons: string[] = [];
  const covers = (job: string, c: string): boolean => job === c || job.startsWith(`${c}/`);
  for (const c of vgridsNotAccepted(configured, withResource)) {
    if (usable.some((v) => covers(v, c))) reasons.push(`VGRID: the resource is not in VGrid ${JSON.stringify(c)}: the unit lists it, but the VGrid's owners have not added the resource`);
  }
  const served = unitVgrids(configured, withResource);
  for (const v of refused) {
    if (served.includes(v)) reasons.push(`VGRID: the unit serves VGrid ${JSON.stringify(v)}, but the job's owner is not an owner or member of it`);
    else if (!usable.length) reasons.push(`VGRID: the job's owner is not an owner or member of VGrid ${JSON.stringify(v)}`);
  }
  return reasons;
}

/**
 * Judges `spec` against the given resources (every unit of each). Pure: no database, no clock.
 *
 * @example
 * ```ts
 * const report = feasibilityOf(parseMrsl(text), user.id, await site.resources.list());
 * if (report.verdict === 'none') for (const u of report.units) console.log(u.publicName, u.reasons);
 * ```
 */
export function feasibilityOf(spec: JobSpec, ownerId: string, resources: readonly ResourceRecord[], vgrids?: FeasibilityVgrids): FeasibilityReport {
  const { usable, refused } = jobVgrids(spec, vgrids);
  const job: QueuedJob = { id: 'feasibility', ownerId, spec, queuedAt: 0, vgrids: usable };
  const units: UnitFeasibility[] = [];
  for (const resource of [...resources].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const withResource = vgrids?.withResource.get(resource.id) ?? [];
    for (const exe of resource.config.EXECONFIG) {
      const offer = configuredUnitOffer(resource, exe.name, withResource);
      const fit = jobFitsUnit(job, offer);
      const reasons = fit.fits ? [] : [...fit.reasons];
      if (reasons.some((r) => r.startsWith('VGRID:'))) reasons.push(...vgridReasons(exe.vgrid, withResource, usable, refused));
      units.push({
        resourceId: resource.id,
        unit: exe.name,
        publicName: offer.publicName,
        resourceStatus: resource.status,
        lastSeenAt: resource.lastSeenAt,
        fits: fit.fits,
        reasons,
      });
    }
  }
  const runnable = units.filter((u) => u.fits && u.resourceStatus === 'active').length;
  const verdict = runnable > 0 ? 'ready' : units.some((u) => u.fits) ? 'paused' : 'none';
  return { verdict, runnable, units };
}

/**
 * The feasibility of `spec` for `ownerId` on every resource registered with the site (resources,
 * VGrid memberships and the VGrids' resources read fresh from the database).
 *
 * @example
 * ```ts
 * const report = await feasibilityReport(site, spec, user.id);
 * ```
 */
export async function feasibilityReport(site: Site, spec: JobSpec, ownerId: string): Promise<FeasibilityReport> {
  const [resources, withResource, mine] = await Promise.all([site.resources.list(), vgridsOfAllResources(site.db), site.vgrids.vgridsOf(ownerId)]);
  return feasibilityOf(spec, ownerId, resources, { withResource, ownerVgrids: mine.map((m) => m.name) });
}
