/**
 * MiG's fitness test (`job_fits_resource`): can this job run on this execution unit, and if not,
 * why not. The rules, in MiG's order:
 *
 * - `RESOURCE`: when the job lists patterns, one must match the unit's public name (shell-style,
 *   see {@link fnmatch});
 * - `ARCHITECTURE`: when the job names one, it equals the unit's;
 * - `JOBTYPE`: a unit of type `all` takes any job, `bulk` takes bulk and batch jobs, others only
 *   their own type;
 * - `SANDBOX`: a job that does not allow sandboxes never runs on a sandbox unit (a sandbox job may
 *   run anywhere);
 * - `PLATFORM`: equal to the unit's, ignoring case (both default to `''`);
 * - `NODECOUNT`, `CPUCOUNT`, `CPUTIME`, `DISK`, `MEMORY`: the job's request is at most the unit's
 *   offer (a request that is not a number fits nothing);
 * - `RUNTIMEENVIRONMENT`: the unit provides every one the job needs (names compared upper-cased);
 * - `VGRID`: the unit serves at least one of the job's VGrids.
 *
 * MiG's price filter is not applied: with its default prices (`MAXPRICE` 0, `MINPRICE` 0) every
 * fitting unit qualifies, which is what this test answers.
 * @packageDocumentation
 */
import { compilePattern, matchPattern, type CompiledPattern } from './fnmatch.js';
import { NEED_FIELDS, needsOf, signatureOf, viewOf, type JobSignature, type OfferView } from './job-requirements.js';
import type { QueuedJob } from './queued-job.js';
import type { UnitOffer } from './unit-offer.js';

/**
 * The answer of {@link jobFitsUnit}: either it fits, or the reasons it does not (one per failed
 * rule, each starting with the mRSL keyword it concerns).
 */
export type FitResult = { readonly fits: true } | { readonly fits: false; readonly reasons: readonly string[] };

const MAX_SHOWN = 64;
const MAX_LISTED = 5;

/** A value fit for a message: quoted, cut to a readable length. */
function shown(value: string): string {
  const cut = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
  return JSON.stringify(cut);
}

function listed(values: readonly string[]): string {
  const head = values.slice(0, MAX_LISTED).map(shown).join(', ');
  return values.length > MAX_LISTED ? `${head} and ${values.length - MAX_LISTED} more` : head;
}

function shownNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : Number.isNaN(n) ? 'not a number' : String(n);
}

/** Whether a unit of `unitType` accepts a job of `jobType`. */
export function jobTypeAccepted(unitType: string, jobType: string): boolean {
  return unitType === 'all' || unitType === jobType || (unitType === 'bulk' && jobType === 'batch');
}

/**
 * @internal The non-numeric rules. With `reasons` given, collects every failure; without, stops
 * at the first. `patterns` are the compiled `sig.resourcePatterns`.
 */
export function signatureFits(
  sig: JobSignature,
  patterns: readonly CompiledPattern[],
  offer: OfferView,
  reasons?: string[],
): boolean {
  let ok = true;
  const fail = (reason: string): boolean => {
    ok = false;
    reasons?.push(reason);
    return reasons !== undefined;
  };
  if (patterns.length > 0 && !patterns.some((p) => matchPattern(p, offer.publicName))) {
    if (!fail(`RESOURCE: none of the job's patterns (${listed(sig.resourcePatterns)}) matches the unit ${shown(offer.publicName)}`)) return false;
  }
  if (sig.architecture !== '' && sig.architecture !== offer.architecture) {
    if (!fail(`ARCHITECTURE: the job needs ${shown(sig.architecture)}, the unit is ${shown(offer.architecture)}`)) return false;
  }
  if (!jobTypeAccepted(offer.jobType, sig.jobType)) {
    if (!fail(`JOBTYPE: the unit accepts ${shown(offer.jobType)} jobs, the job is ${shown(sig.jobType)}`)) return false;
  }
  if (!sig.sandbox && offer.sandbox) {
    if (!fail('SANDBOX: the unit is a sandbox and the job does not allow sandboxes')) return false;
  }
  if (sig.platform !== offer.platform) {
    if (!fail(`PLATFORM: the job needs platform ${shown(sig.platform)}, the unit has ${shown(offer.platform)}`)) return false;
  }
  const missing = sig.runtimeEnvironments.filter((re) => !offer.runtimeEnvironments.has(re));
  if (missing.length > 0) {
    if (!fail(`RUNTIMEENVIRONMENT: the unit does not provide ${listed(missing)}`)) return false;
  }
  if (!sig.vgrids.some((v) => offer.vgrids.has(v))) {
    const which = sig.vgrids.length === 0 ? 'the job may run in no VGrid' : `the unit serves none of the job's VGrids (${listed(sig.vgrids)})`;
    if (!fail(`VGRID: ${which}`)) return false;
  }
  return ok;
}

/** @internal Whether every numeric request is at most the offer (both in {@link NEED_FIELDS} order). */
export function needsFit(needs: readonly number[], offered: readonly number[]): boolean {
  for (let d = 0; d < needs.length; d++) {
    // Written as a negated `<=` so that NaN on either side fails.
    if (!((needs[d] ?? NaN) <= (offered[d] ?? NaN))) return false;
  }
  return true;
}

function needReasons(needs: readonly number[], offered: readonly number[], reasons: string[]): void {
  for (let d = 0; d < NEED_FIELDS.length; d++) {
    const need = needs[d] ?? NaN;
    const offer = offered[d] ?? NaN;
    if (!(need <= offer)) {
      reasons.push(`${NEED_FIELDS[d]}: the job needs ${shownNumber(need)}, the unit offers ${shownNumber(offer)}`);
    }
  }
}

/**
 * MiG's fitness test of one job against one unit, with every reason it fails.
 *
 * @example
 * ```ts
 * const result = jobFitsUnit(job, offer);
 * if (!result.fits) console.log(result.reasons.join('\n'));
 * // CPUTIME: the job needs 7200, the unit offers 3600
 * // RUNTIMEENVIRONMENT: the unit does not provide "PYTHON3"
 * ```
 */
export function jobFitsUnit(job: QueuedJob, offer: UnitOffer): FitResult {
  const reasons: string[] = [];
  const sig = signatureOf(job);
  const view = viewOf(offer);
  signatureFits(sig, sig.resourcePatterns.map(compilePattern), view, reasons);
  needReasons(needsOf(job), view.needs, reasons);
  return reasons.length === 0 ? { fits: true } : { fits: false, reasons };
}

/** @internal The fitness test without reasons, for an offer already prepared. */
export function fitsView(job: QueuedJob, view: OfferView): boolean {
  const sig = signatureOf(job);
  return needsFit(needsOf(job), view.needs) && signatureFits(sig, sig.resourcePatterns.map(compilePattern), view);
}

/**
 * The VGrid a job runs in on a unit: the first of the job's VGrids (in its order of preference)
 * that the unit serves, as MiG records in `RESOURCE_VGRID`; `undefined` when none.
 *
 * @example
 * ```ts
 * matchingVgrid({ ...job, vgrids: ['Physics', 'Generic'] }, { ...offer, vgrids: ['Generic', 'Physics'] }); // 'Physics'
 * ```
 */
export function matchingVgrid(job: QueuedJob, offer: UnitOffer): string | undefined {
  const served = new Set(offer.vgrids);
  return job.vgrids.find((v) => served.has(v));
}
