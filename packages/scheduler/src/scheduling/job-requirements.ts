/**
 * A job's and a unit's scheduling-relevant properties in one normalised form, shared by the
 * fitness test and the queue index so both apply exactly the same rules.
 * @packageDocumentation
 */
import type { QueuedJob } from './queued-job.js';
import type { UnitJobType, UnitOffer } from './unit-offer.js';

/**
 * The numeric requests a job makes of a unit, in the order the index uses them. A job fits when
 * each is at most what the unit offers.
 */
export const NEED_FIELDS = ['CPUTIME', 'CPUCOUNT', 'NODECOUNT', 'MEMORY', 'DISK'] as const;

/** One of {@link NEED_FIELDS}. */
export type NeedField = (typeof NEED_FIELDS)[number];

/**
 * @internal The non-numeric part of a job's requirements (its "signature"): jobs with equal
 * signatures fit exactly the same units as far as these rules go.
 */
export interface JobSignature {
  readonly architecture: string;
  /** Upper-cased. */
  readonly platform: string;
  readonly jobType: string;
  readonly sandbox: boolean;
  /** Upper-cased, unique, sorted. */
  readonly runtimeEnvironments: readonly string[];
  /** Unique, sorted (the order of preference matters only for choosing the VGrid, not for fitting). */
  readonly vgrids: readonly string[];
  /** Unique, sorted. */
  readonly resourcePatterns: readonly string[];
}

/** @internal A unit offer prepared for repeated checks. */
export interface OfferView {
  readonly publicName: string;
  readonly architecture: string;
  /** Upper-cased. */
  readonly platform: string;
  readonly jobType: UnitJobType;
  readonly sandbox: boolean;
  /** Upper-cased. */
  readonly runtimeEnvironments: ReadonlySet<string>;
  readonly vgrids: ReadonlySet<string>;
  /** In {@link NEED_FIELDS} order. */
  readonly needs: readonly number[];
}

function uniqueSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/** @internal The signature of a job. */
export function signatureOf(job: QueuedJob): JobSignature {
  const spec = job.spec;
  return {
    architecture: spec.ARCHITECTURE,
    platform: spec.PLATFORM.toUpperCase(),
    jobType: spec.JOBTYPE,
    sandbox: spec.SANDBOX,
    runtimeEnvironments: uniqueSorted(spec.RUNTIMEENVIRONMENT.map((re) => re.toUpperCase())),
    vgrids: uniqueSorted(job.vgrids),
    resourcePatterns: uniqueSorted(spec.RESOURCE),
  };
}

/** @internal A string that is equal for two signatures exactly when they are equal. */
export function signatureKey(sig: JobSignature): string {
  return JSON.stringify([
    sig.architecture,
    sig.platform,
    sig.jobType,
    sig.sandbox,
    sig.runtimeEnvironments,
    sig.vgrids,
    sig.resourcePatterns,
  ]);
}

/** @internal A job's numeric requests in {@link NEED_FIELDS} order. */
export function needsOf(job: QueuedJob): number[] {
  const spec = job.spec;
  return [spec.CPUTIME, spec.CPUCOUNT, spec.NODECOUNT, spec.MEMORY, spec.DISK];
}

/** @internal An offer's numeric capacities in {@link NEED_FIELDS} order. */
export function offerNeeds(offer: UnitOffer): number[] {
  return [offer.cpuTime, offer.cpuCount, offer.nodeCount, offer.memory, offer.disk];
}

/** @internal Prepares an offer for checks. */
export function viewOf(offer: UnitOffer): OfferView {
  return {
    publicName: offer.publicName,
    architecture: offer.architecture,
    platform: offer.platform.toUpperCase(),
    jobType: offer.jobType,
    sandbox: offer.sandbox,
    runtimeEnvironments: new Set(offer.runtimeEnvironments.map((re) => re.toUpperCase())),
    vgrids: new Set(offer.vgrids),
    needs: offerNeeds(offer),
  };
}

/** @internal A string equal for two offers whose non-numeric properties are equal. */
export function offerSignatureKey(offer: UnitOffer): string {
  return JSON.stringify([
    offer.publicName,
    offer.architecture,
    offer.platform.toUpperCase(),
    offer.jobType,
    offer.sandbox,
    offer.runtimeEnvironments,
    offer.vgrids,
  ]);
}
