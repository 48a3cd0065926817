/**
 * "Which resources could run this job, and why not" (MiG's `jobfeasible`): every registered
 * resource × execution unit, judged by MiG's fitness test ({@link jobFitsUnit}) against what the
 * unit's configuration offers, with the resource's status (a paused resource takes no new work).
 *
 * The offer is the configuration alone: a unit's agent may ask for less at a given moment (its
 * `capacity`), which the engine applies at dispatch; here the question is whether the job could
 * ever run there.
 * @packageDocumentation
 */
import type { FeasibilityReport, JobSpec, ResourceRecord, Site, UnitFeasibility } from '@migrid/core';
import { jobFitsUnit } from '../scheduling/job-fits-unit.js';
import type { QueuedJob } from '../scheduling/queued-job.js';
import type { UnitJobType, UnitOffer } from '../scheduling/unit-offer.js';

const JOB_TYPES: readonly UnitJobType[] = ['batch', 'interactive', 'bulk', 'all'];

/**
 * What one unit of a resource offers by its configuration: the engine's offer without a request's
 * capacity laid over it (MiG's resource keywords; a unit's own `cputime`, `nodecount` and `vgrid`).
 *
 * @example
 * ```ts
 * const offers = resource.config.EXECONFIG.map((u) => configuredUnitOffer(resource, u.name));
 * ```
 */
export function configuredUnitOffer(resource: ResourceRecord, unit: string): UnitOffer {
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
    vgrids: exe?.vgrid ?? ['Generic'],
  };
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
export function feasibilityOf(spec: JobSpec, ownerId: string, resources: readonly ResourceRecord[]): FeasibilityReport {
  const job: QueuedJob = { id: 'feasibility', ownerId, spec, queuedAt: 0, vgrids: spec.VGRID };
  const units: UnitFeasibility[] = [];
  for (const resource of [...resources].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    for (const exe of resource.config.EXECONFIG) {
      const offer = configuredUnitOffer(resource, exe.name);
      const fit = jobFitsUnit(job, offer);
      units.push({
        resourceId: resource.id,
        unit: exe.name,
        publicName: offer.publicName,
        resourceStatus: resource.status,
        lastSeenAt: resource.lastSeenAt,
        fits: fit.fits,
        reasons: fit.fits ? [] : fit.reasons,
      });
    }
  }
  const runnable = units.filter((u) => u.fits && u.resourceStatus === 'active').length;
  const verdict = runnable > 0 ? 'ready' : units.some((u) => u.fits) ? 'paused' : 'none';
  return { verdict, runnable, units };
}

/**
 * The feasibility of `spec` on every resource registered with the site (read fresh from the
 * database).
 *
 * @example
 * ```ts
 * const report = await feasibilityReport(site, spec, user.id);
 * ```
 */
export async function feasibilityReport(site: Site, spec: JobSpec, ownerId: string): Promise<FeasibilityReport> {
  return feasibilityOf(spec, ownerId, await site.resources.list());
}
