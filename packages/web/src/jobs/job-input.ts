/**
 * The ways a job description reaches the web app, turned into one {@link JobSpec}: mRSL text, an
 * mRSL file in the user's home (read through the user's file view), the keyword form of the
 * submit page, and the API body (`{ mrsl }` or `{ spec }`). Errors are the core's (`MrslError`
 * names line and keyword), never re-worded here.
 * @packageDocumentation
 */
import {
  InvalidInputError, MRSL_LIMITS, MrslError, jobSpecFromJson, parseMrsl, type FileView, type JobSpec, type MrslKeywordName, type MrslOptions, type MrslProblem,
} from '@migrid/core';

/** A field of the submit page's keyword form. */
export interface JobFormField {
  readonly keyword: MrslKeywordName;
  readonly label: string;
  /** `lines`: a textarea, one value per line; `number`/`text`: one value. */
  readonly kind: 'lines' | 'number' | 'text';
  readonly hint: string;
}

/** The keywords the submit page's form offers (the common ones; the text form takes them all). */
export const JOB_FORM_FIELDS: readonly JobFormField[] = [
  { keyword: 'JOBNAME', label: 'Job name', kind: 'text', hint: 'free text, available as +JOBNAME+' },
  { keyword: 'EXECUTE', label: 'Commands', kind: 'lines', hint: 'one shell command a line, run in order' },
  { keyword: 'INPUTFILES', label: 'Input files', kind: 'lines', hint: '"home-path [name-in-job]" a line' },
  { keyword: 'EXECUTABLES', label: 'Executables', kind: 'lines', hint: 'like input files, made executable' },
  { keyword: 'OUTPUTFILES', label: 'Output files', kind: 'lines', hint: '"name-in-job [home-path]" a line' },
  { keyword: 'CPUTIME', label: 'CPU time (seconds)', kind: 'number', hint: 'default 600' },
  { keyword: 'MEMORY', label: 'Memory (MB)', kind: 'number', hint: 'default 64' },
  { keyword: 'DISK', label: 'Disk (GB)', kind: 'number', hint: 'default 0' },
  { keyword: 'CPUCOUNT', label: 'CPU cores', kind: 'number', hint: 'default 1' },
  { keyword: 'NODECOUNT', label: 'Nodes', kind: 'number', hint: 'default 1' },
  { keyword: 'RUNTIMEENVIRONMENT', label: 'Runtime environments', kind: 'lines', hint: 'one name a line' },
  { keyword: 'ENVIRONMENT', label: 'Environment', kind: 'lines', hint: 'NAME=value a line' },
  { keyword: 'VGRID', label: 'VGrids', kind: 'lines', hint: 'default Generic' },
  { keyword: 'RETRIES', label: 'Retries', kind: 'number', hint: 'after a resource failure' },
  { keyword: 'NOTIFY', label: 'Notify', kind: 'lines', hint: 'email addresses, one a line' },
];

/** The largest mRSL file read from a home. */
export const MAX_MRSL_FILE_BYTES = MRSL_LIMITS.maxBytes;

/** The problems of an error, when it is the core's mRSL error. */
export function mrslProblems(err: unknown): readonly MrslProblem[] {
  return err instanceof MrslError ? err.problems : [];
}

/**
 * The keyword form's values (`kw_<KEYWORD>` fields, as typed) turned into a job: each line of a
 * textarea one value, an empty single value "not given".
 * @throws MrslError naming each bad field by its keyword.
 */
export function jobSpecFromForm(values: Readonly<Record<string, string>>, options: MrslOptions): JobSpec {
  const json: Record<string, unknown> = {};
  for (const field of JOB_FORM_FIELDS) {
    const text = values[field.keyword] ?? '';
    if (field.kind === 'lines') {
      const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
      if (lines.length > 0) json[field.keyword] = lines;
    } else if (text.trim() !== '') {
      json[field.keyword] = text.trim();
    }
  }
  if (json.EXECUTE === undefined) throw new MrslError([{ keyword: 'EXECUTE', path: 'EXECUTE', message: 'give at least one command to run' }]);
  return jobSpecFromJson(json, options);
}

/**
 * An mRSL file from the user's home, read through their view (at most {@link MAX_MRSL_FILE_BYTES}).
 * @throws the view's errors (`MIG_E_PATH_NOT_FOUND` …), `MIG_E_TOO_LARGE`.
 */
export async function readMrslFile(view: FileView, path: string): Promise<string> {
  const info = await view.stat(path);
  if (info.type !== 'file') throw new InvalidInputError('That path is not a file; give the path of an mRSL file in your home, e.g. /jobs/hello.mRSL.');
  if (info.size > MAX_MRSL_FILE_BYTES) throw new InvalidInputError(`The mRSL file is larger than ${MAX_MRSL_FILE_BYTES} bytes.`, { code: 'MIG_E_TOO_LARGE' });
  if (info.size === 0) return '';
  const stream = await view.createReadStream(path, { start: 0, end: Math.min(info.size, MAX_MRSL_FILE_BYTES) - 1 });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The API body of a submission or feasibility check: either `mrsl` (the text) or `spec` (the JSON
 * form), not both.
 */
export function jobSpecFromBody(body: { readonly mrsl?: string | undefined; readonly spec?: unknown }, options: MrslOptions): JobSpec {
  const { mrsl, spec } = body;
  if ((mrsl === undefined) === (spec === undefined)) throw new InvalidInputError('Send either "mrsl" (the job file\'s text) or "spec" (its keywords as JSON), not both.');
  return mrsl !== undefined ? parseMrsl(mrsl, options) : jobSpecFromJson(spec, options);
}
