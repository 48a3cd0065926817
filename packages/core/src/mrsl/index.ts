/**
 * mRSL, MiG's job description language: parse and validate job descriptions as MiG does, write
 * them back canonically, read and write their JSON form, and expand `+JOBID+`/`+JOBNAME+`.
 *
 * @example
 * ```ts
 * import { parseMrsl, formatMrsl, expandJobVariables } from '@migrid/core';
 * const spec = parseMrsl('::EXECUTE::\necho hello > +JOBID+.out\n\n::OUTPUTFILES::\n+JOBID+.out\n');
 * const text = formatMrsl(spec);                       // canonical mRSL, parses back to `spec`
 * const run = expandJobVariables(spec, { jobId: '1_1_1_2025__0_0_0_site' });
 * ```
 * @packageDocumentation
 */
export type { JobSpec, FileTransfer, EnvironmentVariable, MaxFillField, MrslKeywordName } from './job-spec.js';
export { MAXFILL_FIELDS } from './job-spec.js';
export type { MrslKeyword, MrslValueKind } from './mrsl-keywords.js';
export { MRSL_KEYWORDS, MRSL_KEYWORD_NAMES, mrslKeyword } from './mrsl-keywords.js';
export type { MrslOptions } from './mrsl-options.js';
export { MIG_ARCHITECTURES, MIG_JOB_TYPES, MIG_DEFAULT_JOB_RETRIES } from './mrsl-options.js';
export { MRSL_LIMITS } from './mrsl-limits.js';
export type { MrslProblem } from './mrsl-error.js';
export { MrslError } from './mrsl-error.js';
export { DEFAULT_VGRID } from './build-job-spec.js';
export { parseMrsl } from './parse-mrsl.js';
export { formatMrsl } from './format-mrsl.js';
export type { JobSpecJson } from './job-spec-json.js';
export { jobSpecFromJson, jobSpecToJson } from './job-spec-json.js';
export type { JobVariables } from './expand-job-variables.js';
export { expandJobVariables, JOBID_VARIABLE, JOBNAME_VARIABLE } from './expand-job-variables.js';
