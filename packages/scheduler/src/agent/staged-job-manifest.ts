/**
 * The agent's check of a job it got from the site: the ids it builds paths and URLs from, and the
 * transfer manifest of an agent-staged job (`staged`, see `generate-staged-job.ts`). The agent
 * treats the answer as hostile input, as it would be from a compromised or impostor site: job
 * folder paths are relative without `.`/`..` components, session paths are URL-encoded without
 * `.`/`..`, URLs are `http(s)://` or `ftp://`, and counts and sizes are bounded. Anything else
 * refuses the job (`InvalidInputError`), which the agent reports as a failure.
 * @packageDocumentation
 */
import type { StagedInput, StagedJob, StagedOutput } from '@migrid/core';
import { InvalidInputError } from '@migrid/core';

const JOB_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SESSION_ID = /^[0-9a-f]{64}$/;
/** What `encodeURIComponent` leaves, plus the `%` of its escapes. */
const ENCODED_COMPONENT = /^[A-Za-z0-9\-_.!~*'()%]+$/;
/** Most files one job may fetch or send. */
export const MAX_STAGED_FILES = 10_000;
/** Longest path or URL in a manifest. */
export const MAX_STAGED_PATH = 4096;
/** Deepest job-folder path. */
const MAX_DEPTH = 64;
/** Largest commands script. */
export const MAX_COMMANDS_BYTES = 16 * 1024 * 1024;

function refuse(message: string, field: string): never {
  throw new InvalidInputError(`The site's job ${message}`, { details: { field } });
}

/** Throws unless `id` is a job id the agent may use as a folder name. */
export function checkJobId(id: unknown): string {
  if (typeof id !== 'string' || !JOB_ID.test(id)) refuse('id is not a safe job id.', 'job.id');
  return id;
}

/** Throws unless `sid` is a session id (64 lower-case hex characters). */
export function checkSessionId(sid: unknown): string {
  if (typeof sid !== 'string' || !SESSION_ID.test(sid)) refuse('session id is not 64 lower-case hex characters.', 'job.sessionId');
  return sid;
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_STAGED_PATH || value.includes('\0')) refuse(`has a ${field} that is not a path of 1 to ${MAX_STAGED_PATH} characters.`, field);
  return value;
}

/** A path inside the job folder: relative, no empty, `.` or `..` components, no control characters. */
function jobFolderPath(value: unknown, field: string): string {
  const path = text(value, field);
  if (/[\u0000-\u001f\u007f]/.test(path)) refuse(`has a ${field} with control characters.`, field);
  const parts = path.split('/');
  if (parts.length > MAX_DEPTH || parts.some((p) => p === '' || p === '.' || p === '..')) refuse(`has a ${field} that is not a plain relative path inside the job folder: ${JSON.stringify(path.slice(0, 200))}.`, field);
  return path;
}

/** A URL-encoded path below the session URL: encoded components, none `.` or `..` once decoded. */
function sessionPath(value: unknown, field: string): string {
  const path = text(value, field);
  for (const part of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      refuse(`has a ${field} that is not URL-encoded.`, field);
    }
    if (!ENCODED_COMPONENT.test(part) || decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\0')) refuse(`has a ${field} that is not a path in the owner's home: ${JSON.stringify(path.slice(0, 200))}.`, field);
  }
  return path;
}

/** An `http(s)://` or `ftp://` URL. */
function externalUrl(value: unknown, field: string): string {
  const raw = text(value, field);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    refuse(`has a ${field} that is not a URL.`, field);
  }
  if (!['http:', 'https:', 'ftp:'].includes(url.protocol) || /\s/.test(raw)) refuse(`has a ${field} that is not an http(s):// or ftp:// URL.`, field);
  return raw;
}

function list(value: unknown, field: string): Record<string, unknown>[] {
  if (!Array.isArray(value) || value.length > MAX_STAGED_FILES) refuse(`lists no ${field}, or more than ${MAX_STAGED_FILES}.`, field);
  return value.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) refuse(`has a ${field} entry that is not an object.`, field);
    return entry as Record<string, unknown>;
  });
}

function kindOf(value: unknown, field: string): 'session' | 'url' {
  if (value !== 'session' && value !== 'url') refuse(`has a ${field} that is neither "session" nor "url".`, field);
  return value;
}

/**
 * The manifest `raw` checked (see the module description), as a fresh object holding only the
 * checked fields.
 *
 * @example
 * ```ts
 * const staged = checkStagedJob(answer.job.staged); // throws InvalidInputError on '../x' and the like
 * ```
 */
export function checkStagedJob(raw: unknown): StagedJob {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) refuse('manifest is not an object.', 'staged');
  const m = raw as Record<string, unknown>;
  const inputs: StagedInput[] = list(m.inputs, 'staged.inputs').map((e) => {
    const kind = kindOf(e.kind, 'staged.inputs.kind');
    const source = kind === 'url' ? externalUrl(e.source, 'staged.inputs.source') : sessionPath(e.source, 'staged.inputs.source');
    if (typeof e.executable !== 'boolean') refuse('has an input whose executable flag is not true or false.', 'staged.inputs.executable');
    return { kind, source, destination: jobFolderPath(e.destination, 'staged.inputs.destination'), executable: e.executable };
  });
  const outputs: StagedOutput[] = list(m.outputs, 'staged.outputs').map((e) => {
    const kind = kindOf(e.kind, 'staged.outputs.kind');
    const destination = kind === 'url' ? externalUrl(e.destination, 'staged.outputs.destination') : sessionPath(e.destination, 'staged.outputs.destination');
    return { source: jobFolderPath(e.source, 'staged.outputs.source'), kind, destination };
  });
  const { commands } = m;
  if (typeof commands !== 'string' || commands.length === 0 || Buffer.byteLength(commands) > MAX_COMMANDS_BYTES || commands.includes('\0')) {
    refuse(`commands are not a script of at most ${MAX_COMMANDS_BYTES} bytes.`, 'staged.commands');
  }
  return { inputs, outputs, commands };
}
