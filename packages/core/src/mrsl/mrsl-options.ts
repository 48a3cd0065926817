/**
 * The site settings the mRSL rules depend on, with MiG's defaults.
 * @packageDocumentation
 */

import { InvalidInputError } from '../errors.js';

/**
 * MiG's CPU architectures (the `architectures` list of `MiGserver-template.conf`). ARCHITECTURE
 * must be one of them, case-sensitively.
 *
 * @example
 * ```ts
 * MIG_ARCHITECTURES.includes('AMD64'); // true
 * ```
 */
export const MIG_ARCHITECTURES: readonly string[] = [
  'X86', 'AMD64', 'IA64', 'SPARC', 'SPARC64', 'ITANIUM', 'SUN4U', 'SPARC-T1', 'SPARC-T2', 'PS3', 'CELL',
];

/**
 * MiG's job types (the `jobtypes` default of `configuration.py`). JOBTYPE must be one of them.
 *
 * @example
 * ```ts
 * MIG_JOB_TYPES.includes('interactive'); // true
 * ```
 */
export const MIG_JOB_TYPES: readonly string[] = ['batch', 'interactive', 'bulk', 'all'];

/**
 * The default of RETRIES when a job gives none: MiG's template value, which is also the default
 * of this project's `[scheduler] job_retries`.
 *
 * @example
 * ```ts
 * parseMrsl('::EXECUTE::\nls\n').RETRIES === MIG_DEFAULT_JOB_RETRIES; // true
 * ```
 */
export const MIG_DEFAULT_JOB_RETRIES = 2;

/**
 * Site settings that the mRSL rules depend on. Pass the site's values so that a job is judged
 * the way the site will run it.
 *
 * @example
 * ```ts
 * parseMrsl(text, { defaultRetries: site.config.scheduler.job_retries });
 * ```
 */
export interface MrslOptions {
  /** Allowed ARCHITECTURE values (default {@link MIG_ARCHITECTURES}). */
  readonly architectures?: readonly string[];
  /** Allowed JOBTYPE values (default {@link MIG_JOB_TYPES}). */
  readonly jobTypes?: readonly string[];
  /** RETRIES when the job gives none (default {@link MIG_DEFAULT_JOB_RETRIES}). */
  readonly defaultRetries?: number;
}

/** {@link MrslOptions} with every default filled in. */
export interface ResolvedMrslOptions {
  readonly architectures: readonly string[];
  readonly jobTypes: readonly string[];
  readonly defaultRetries: number;
}

/** Fills in MiG's defaults. */
export function resolveMrslOptions(opts: MrslOptions = {}): ResolvedMrslOptions {
  const defaultRetries = opts.defaultRetries ?? MIG_DEFAULT_JOB_RETRIES;
  if (!Number.isSafeInteger(defaultRetries) || defaultRetries < 0) {
    throw new InvalidInputError('MrslOptions.defaultRetries must be a whole number of at least 0; pass the site\'s [scheduler] job_retries');
  }
  return {
    architectures: opts.architectures ?? MIG_ARCHITECTURES,
    jobTypes: opts.jobTypes ?? MIG_JOB_TYPES,
    defaultRetries,
  };
}
