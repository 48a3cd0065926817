/**
 * A job's results folder, `job_output/<job id>/` in its owner's home, reached only through the
 * owner's file view (so quota, hidden names, symlink checks and file events all apply).
 * @packageDocumentation
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidInputError, isMigError } from '../errors.js';
import type { FileView } from '../fs/file-view.js';
import type { ViewProvider } from '../fs/view-provider.js';
import { assertJobId } from './job-id.js';
import { parseJobIoStatus, parseJobStatus, type JobIoStep, type JobStatusReport } from './job-status-file.js';

/**
 * The folder of a home that holds every job's results (MiG's `job_output_dir`).
 *
 * @example
 * ```ts
 * `${JOB_OUTPUT_DIR}/${job.id}/${job.id}.stdout`;
 * ```
 */
export const JOB_OUTPUT_DIR = 'job_output';

/**
 * The result files MiG's job script uploads, by their suffix.
 *
 * @example
 * ```ts
 * JOB_RESULT_KINDS.includes('io-status'); // true
 * ```
 */
export const JOB_RESULT_KINDS = ['stdout', 'stderr', 'status', 'io-status'] as const;

/**
 * One kind of result file: `<job id>.stdout`, `.stderr`, `.status` or `.io-status`.
 *
 * @example
 * ```ts
 * const kind: JobResultKind = 'status';
 * ```
 */
export type JobResultKind = (typeof JOB_RESULT_KINDS)[number];

/** Default bound on what {@link JobResults.read} reads into memory (8 MiB). */
export const DEFAULT_RESULT_READ_BYTES = 8 * 1024 * 1024;

/**
 * The virtual path (in the owner's view) of a job's results folder.
 *
 * @throws {@link InvalidInputError} for a malformed job id.
 *
 * @example
 * ```ts
 * jobOutputFolder('42_7_2_2025__12_57_15_myhost'); // '/job_output/42_7_2_2025__12_57_15_myhost'
 * ```
 */
export function jobOutputFolder(jobId: string): string {
  return `/${JOB_OUTPUT_DIR}/${assertJobId(jobId)}`;
}

/**
 * The virtual path of one result file of a job.
 *
 * @example
 * ```ts
 * jobResultPath('42_7_2_2025__12_57_15_myhost', 'status');
 * // '/job_output/42_7_2_2025__12_57_15_myhost/42_7_2_2025__12_57_15_myhost.status'
 * ```
 */
export function jobResultPath(jobId: string, kind: JobResultKind): string {
  if (!(JOB_RESULT_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidInputError(`Unknown job result file kind; use one of ${JOB_RESULT_KINDS.join(', ')}.`);
  }
  return `${jobOutputFolder(jobId)}/${jobId}.${kind}`;
}

/**
 * What a result file may be written from: text (written as UTF-8), bytes, or a stream of bytes.
 *
 * @example
 * ```ts
 * const data: JobResultData = 'echo hello 0\n';
 * ```
 */
export type JobResultData = string | Uint8Array | Readable;

/**
 * One job's results folder, bound to the owner's view.
 *
 * @example
 * ```ts
 * const results = await openJobResults(site.files, job);
 * await results.ensureFolder();
 * await results.write('status', 'echo hello 0\n');
 * (await results.readStatus())?.success; // true
 * ```
 */
export interface JobResults {
  readonly jobId: string;
  /** The folder's virtual path in the owner's view, `/job_output/<job id>`. */
  readonly folder: string;
  /** The owner's view (for OUTPUTFILES and the like). */
  readonly view: FileView;
  /** Creates `job_output/<job id>/` (and `job_output/` when the owner removed it). Idempotent. */
  ensureFolder(): Promise<void>;
  /**
   * Writes one result file, replacing an earlier one, through a temporary name renamed into place
   * (a reader never sees half a file). Creates the folder when missing.
   */
  write(kind: JobResultKind, data: JobResultData): Promise<void>;
  /**
   * The text of one result file, or `undefined` when it does not exist.
   * @throws InvalidInputError `MIG_E_TOO_LARGE` when it is longer than `maxBytes` (default 8 MiB).
   */
  read(kind: JobResultKind, options?: { readonly maxBytes?: number }): Promise<string | undefined>;
  /** The parsed `.status` file, or `undefined` when none was uploaded. */
  readStatus(): Promise<JobStatusReport | undefined>;
  /** The parsed `.io-status` file, or `undefined` when none was uploaded. */
  readIoStatus(): Promise<JobIoStep[] | undefined>;
}

/**
 * Binds a job's results folder to its owner's file view (`files.viewFor({ kind: 'user', userId })`).
 *
 * @throws {@link InvalidInputError} for a malformed job id; whatever the view provider throws
 *   for an unknown owner.
 *
 * @example
 * ```ts
 * const results = await openJobResults(site.files, { id: job.id, ownerId: job.ownerId });
 * ```
 */
export async function openJobResults(files: ViewProvider, job: { readonly id: string; readonly ownerId: string }): Promise<JobResults> {
  const jobId = assertJobId(job.id);
  const folder = jobOutputFolder(jobId);
  const view = await files.viewFor({ kind: 'user', userId: job.ownerId });
  const ensureFolder = (): Promise<void> => view.mkdir(folder, { recursive: true });
  const read = async (kind: JobResultKind, options: { readonly maxBytes?: number } = {}): Promise<string | undefined> =>
    readViewText(view, jobResultPath(jobId, kind), options.maxBytes ?? DEFAULT_RESULT_READ_BYTES);
  return {
    jobId,
    folder,
    view,
    ensureFolder,
    async write(kind, data) {
      const path = jobResultPath(jobId, kind);
      await ensureFolder();
      const source = typeof data === 'string' ? Readable.from([Buffer.from(data, 'utf8')]) : data instanceof Uint8Array ? Readable.from([data]) : data;
      await pipeline(source, await view.createWriteStream(path, { overwrite: true }));
    },
    read,
    async readStatus() {
      const text = await read('status');
      return text === undefined ? undefined : parseJobStatus(text);
    },
    async readIoStatus() {
      const text = await read('io-status');
      return text === undefined ? undefined : parseJobIoStatus(text);
    },
  };
}

/**
 * The text of a file in a view (UTF-8, invalid bytes replaced), `undefined` when it does not
 * exist; `MIG_E_TOO_LARGE` when it is over `maxBytes`; `MIG_E_INVALID_INPUT` when it is not a file.
 * Internal to the jobs module.
 */
export async function readViewText(view: FileView, path: string, maxBytes: number): Promise<string | undefined> {
  let info;
  try {
    info = await view.stat(path);
  } catch (err) {
    if (isMigError(err, 'MIG_E_PATH_NOT_FOUND')) return undefined;
    throw err;
  }
  if (info.type !== 'file') throw new InvalidInputError(`${path} is not a file.`);
  if (info.size > maxBytes) throw new InvalidInputError(`${path} is larger than ${maxBytes} bytes.`, { code: 'MIG_E_TOO_LARGE' });
  if (info.size === 0) return '';
  const chunks: Buffer[] = [];
  let total = 0;
  const stream = await view.createReadStream(path);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      stream.destroy();
      throw new InvalidInputError(`${path} is larger than ${maxBytes} bytes.`, { code: 'MIG_E_TOO_LARGE' });
    }
    chunks.push(chunk);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}
