/**
 * Checks an {@link ExecutorJob} before any executor touches the system with it, and returns it
 * with every path made absolute.
 *
 * The rules: the job id is a safe name; the work folder is an absolute, normalised path of an
 * existing folder; the script is a file inside it; the output paths are absolute (or relative to
 * the work folder, in an existing folder) and free of control characters and of `%` and `\` (which Slurm would read as
 * file-name patterns); environment names match `[A-Za-z_][A-Za-z0-9_]*` and values hold no NUL;
 * limits are positive integers within {@link EXECUTOR_LIMIT_BOUNDS}. Anything else is an
 * `InvalidInputError` (`MIG_E_INVALID_INPUT`) naming the field.
 *
 * @example
 * ```ts
 * const job = await validateExecutorJob({ ...input, script: 'job.sh' });
 * job.script; // '/var/lib/mig-agent/jobs/42/job.sh'
 * ```
 * @packageDocumentation
 */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import { InvalidInputError } from '@migrid/core';
import { EXECUTOR_LIMIT_BOUNDS, type ExecutorJob, type ExecutorLimits } from './executor.js';

const JOB_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Control characters (including NUL and newlines), and Slurm's pattern characters.
const BAD_PATH_CHARS = /[\u0000-\u001f\u007f%\\]/;
const MAX_PATH = 4096;
const MAX_ENV_NAMES = 4096;
const MAX_ENV_NAME = 256;
const MAX_ENV_BYTES = 4 * 1024 * 1024;

/** Throws unless `jobId` is a safe job id (see {@link validateExecutorJob}). */
export function assertJobId(jobId: unknown): asserts jobId is string {
  if (typeof jobId !== 'string' || !JOB_ID.test(jobId)) {
    throw new InvalidInputError('The job id must be 1 to 128 of A-Z a-z 0-9 _ . - and not start with . or -.', { details: { field: 'jobId' } });
  }
}

/** Throws unless `path` is a clean absolute path (normalised, no control, `%` or `\` characters). */
export function assertCleanAbsolutePath(path: unknown, field: string): asserts path is string {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH) {
    throw new InvalidInputError(`${field} must be a path of 1 to ${MAX_PATH} characters.`, { details: { field } });
  }
  if (BAD_PATH_CHARS.test(path)) {
    throw new InvalidInputError(`${field} must not contain control characters, % or \\.`, { details: { field } });
  }
  if (!isAbsolute(path) || normalize(path) !== path || (path.length > 1 && path.endsWith(sep))) {
    throw new InvalidInputError(`${field} must be an absolute, normalised path (no ., .. or trailing /).`, { details: { field } });
  }
}

/** `path` made absolute against `workDir`, then checked as in {@link assertCleanAbsolutePath}. */
function resolveIn(workDir: string, path: unknown, field: string): string {
  if (typeof path !== 'string') throw new InvalidInputError(`${field} must be a path.`, { details: { field } });
  if (BAD_PATH_CHARS.test(path)) {
    throw new InvalidInputError(`${field} must not contain control characters, % or \\.`, { details: { field } });
  }
  const absolute = resolve(workDir, path);
  assertCleanAbsolutePath(absolute, field);
  return absolute;
}

/** True when `path` is strictly below `dir`. */
function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

function assertLimit(limits: ExecutorLimits, key: keyof ExecutorLimits, required: boolean): void {
  const value: unknown = limits[key];
  if (value === undefined && !required) return;
  const max = EXECUTOR_LIMIT_BOUNDS[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidInputError(`limits.${key} must be an integer from 1 to ${max}.`, { details: { field: `limits.${key}`, max } });
  }
}

/** Throws unless `limits` are positive integers within {@link EXECUTOR_LIMIT_BOUNDS}. */
export function assertExecutorLimits(limits: unknown): asserts limits is ExecutorLimits {
  if (typeof limits !== 'object' || limits === null) {
    throw new InvalidInputError('limits must be an object with at least cpuTimeSeconds.', { details: { field: 'limits' } });
  }
  const l = limits as ExecutorLimits;
  assertLimit(l, 'cpuTimeSeconds', true);
  assertLimit(l, 'wallTimeSeconds', false);
  assertLimit(l, 'memoryMb', false);
  assertLimit(l, 'cpus', false);
  assertLimit(l, 'nodes', false);
}

/** Throws unless every name is a shell variable name and no value holds a NUL; returns a copy. */
export function assertExecutorEnv(env: unknown): Record<string, string> {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new InvalidInputError('env must be an object of name → value strings.', { details: { field: 'env' } });
  }
  const entries = Object.entries(env as Record<string, unknown>);
  if (entries.length > MAX_ENV_NAMES) {
    throw new InvalidInputError(`env may hold at most ${MAX_ENV_NAMES} variables.`, { code: 'MIG_E_TOO_LARGE', details: { field: 'env' } });
  }
  const copy: Record<string, string> = Object.create(null) as Record<string, string>;
  let bytes = 0;
  for (const [name, value] of entries) {
    if (name.length > MAX_ENV_NAME || !ENV_NAME.test(name)) {
      throw new InvalidInputError(`The environment name ${JSON.stringify(name.slice(0, 64))} is not [A-Za-z_][A-Za-z0-9_]*.`, { details: { field: 'env' } });
    }
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new InvalidInputError(`The environment value of ${name} must be a string without NUL characters.`, { details: { field: `env.${name}` } });
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
    if (bytes > MAX_ENV_BYTES) {
      throw new InvalidInputError(`The environment may hold at most ${MAX_ENV_BYTES} bytes.`, { code: 'MIG_E_TOO_LARGE', details: { field: 'env' } });
    }
    copy[name] = value;
  }
  return copy;
}

/**
 * Validates `job` (see the module description) and returns a copy with absolute `script`,
 * `stdoutPath` and `stderrPath` and a copied `env`.
 */
export async function validateExecutorJob(job: ExecutorJob): Promise<ExecutorJob> {
  if (typeof job !== 'object' || job === null) throw new InvalidInputError('The job must be an object.');
  assertJobId(job.jobId);
  assertCleanAbsolutePath(job.workDir, 'workDir');
  const script = resolveIn(job.workDir, job.script, 'script');
  if (!isInside(job.workDir, script)) {
    throw new InvalidInputError('script must be a file inside workDir.', { details: { field: 'script' } });
  }
  const stdoutPath = resolveIn(job.workDir, job.stdoutPath, 'stdoutPath');
  const stderrPath = resolveIn(job.workDir, job.stderrPath, 'stderrPath');
  const env = assertExecutorEnv(job.env);
  assertExecutorLimits(job.limits);
  const dir = await stat(job.workDir).catch(() => undefined);
  if (dir === undefined || !dir.isDirectory()) {
    throw new InvalidInputError('workDir must be an existing folder.', { details: { field: 'workDir' } });
  }
  const file = await stat(script).catch(() => undefined);
  if (file === undefined || !file.isFile()) {
    throw new InvalidInputError('script must be an existing file inside workDir.', { details: { field: 'script' } });
  }
  for (const [field, path] of [['stdoutPath', stdoutPath], ['stderrPath', stderrPath]] as const) {
    const parent = await stat(dirname(path)).catch(() => undefined);
    if (parent === undefined || !parent.isDirectory()) {
      throw new InvalidInputError(`The folder of ${field} must exist.`, { details: { field } });
    }
  }
  const { cpuTimeSeconds, wallTimeSeconds, memoryMb, cpus, nodes } = job.limits;
  const limits: ExecutorLimits = {
    cpuTimeSeconds,
    ...(wallTimeSeconds === undefined ? {} : { wallTimeSeconds }),
    ...(memoryMb === undefined ? {} : { memoryMb }),
    ...(cpus === undefined ? {} : { cpus }),
    ...(nodes === undefined ? {} : { nodes }),
  };
  return { jobId: job.jobId, workDir: job.workDir, script, env, limits, stdoutPath, stderrPath };
}
