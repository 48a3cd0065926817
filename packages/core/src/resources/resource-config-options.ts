/**
 * The site settings the resource configuration rules depend on, with MiG's defaults.
 * @packageDocumentation
 */
import { InvalidInputError } from '../errors.js';
import { MIG_ARCHITECTURES, MIG_JOB_TYPES } from '../mrsl/index.js';

/**
 * MiG's job script languages (`scriptlanguages` of `configuration.py`). SCRIPTLANGUAGE must be
 * one of them; the first is the default.
 *
 * @example
 * ```ts
 * MIG_SCRIPT_LANGUAGES[0]; // 'sh'
 * ```
 */
export const MIG_SCRIPT_LANGUAGES: readonly string[] = ['sh', 'python', 'java'];

/**
 * MiG's local resource manager types (`lrmstypes` of `configuration.py`). LRMSTYPE must be one of
 * them; the first is the default.
 *
 * @example
 * ```ts
 * MIG_LRMS_TYPES.includes('Batch'); // true
 * ```
 */
export const MIG_LRMS_TYPES: readonly string[] = ['Native', 'Native-execution-leader', 'Batch', 'Batch-execution-leader'];

/**
 * Site settings a resource configuration is judged against. Pass the site's lists so that a
 * resource is judged the way the site will use it. Each list must be non-empty; its first entry
 * is the default.
 *
 * @example
 * ```ts
 * parseResourceConfig(text, { architectures: ['AMD64', 'ARM64'] });
 * ```
 */
export interface ResourceConfigOptions {
  /** Allowed ARCHITECTURE values (default MiG's architectures, first `X86`). */
  readonly architectures?: readonly string[];
  /** Allowed JOBTYPE values (default MiG's job types, first `batch`). */
  readonly jobTypes?: readonly string[];
  /** Allowed SCRIPTLANGUAGE values (default {@link MIG_SCRIPT_LANGUAGES}). */
  readonly scriptLanguages?: readonly string[];
  /** Allowed LRMSTYPE values (default {@link MIG_LRMS_TYPES}). */
  readonly lrmsTypes?: readonly string[];
}

/** {@link ResourceConfigOptions} with every default filled in. */
export interface ResolvedResourceConfigOptions {
  readonly architectures: readonly string[];
  readonly jobTypes: readonly string[];
  readonly scriptLanguages: readonly string[];
  readonly lrmsTypes: readonly string[];
}

function list(name: string, value: readonly string[] | undefined, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v === '')) {
    throw new InvalidInputError(`ResourceConfigOptions.${name} must be a non-empty list of names; pass the site's list or leave it out for MiG's`);
  }
  return value;
}

/** Fills in MiG's defaults and checks the lists. */
export function resolveResourceConfigOptions(opts: ResourceConfigOptions = {}): ResolvedResourceConfigOptions {
  return {
    architectures: list('architectures', opts.architectures, MIG_ARCHITECTURES),
    jobTypes: list('jobTypes', opts.jobTypes, MIG_JOB_TYPES),
    scriptLanguages: list('scriptLanguages', opts.scriptLanguages, MIG_SCRIPT_LANGUAGES),
    lrmsTypes: list('lrmsTypes', opts.lrmsTypes, MIG_LRMS_TYPES),
  };
}
