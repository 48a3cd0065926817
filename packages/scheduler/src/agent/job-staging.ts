/**
 * The agent's side of an agent-staged job (`transfers: 'agent'`): fetching its inputs into the
 * job folder before the commands run, and sending its outputs and results afterwards, over the
 * agent's own keep-alive connection and through the same session URLs
 * (`/sid_redirect/<session-id>/<path>`) the full job script uses with `curl`.
 *
 * The guarantees are the job script's:
 * - every fetch and send is noted in the job's `.io-status` as `get <file> <code>` /
 *   `send <file> <code>` (`missing` for an output the job did not make), with curl's codes
 *   (0 done, 7 no connection, 22 HTTP error, 23 local write error, 28 timeout);
 * - transient failures (no connection, timeout, HTTP 408/429/500/502/503/504) are tried again
 *   three times with growing pauses, like `curl --retry 3`;
 * - a failed input stops the job before it runs ({@link fetchInputs} returns the failure, the
 *   agent reports it and the site requeues the job);
 * - outputs, stdout, stderr and `.io-status` go first; the `.status` file goes last, since its
 *   arrival completes the job; a failed `.status` send is a failure the agent reports.
 *
 * `http(s)://` and `ftp://` sources and destinations are fetched and sent with `curl`, as the job
 * script does (with the site's CA only for the site's own origin), in a minimal environment.
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { StagedInput, StagedOutput } from '@migrid/core';
import type { SiteClient, SiteRequestOptions } from './site-client.js';

/** What a transfer needs to know about its job. */
export interface StagingContext {
  readonly client: SiteClient;
  readonly jobId: string;
  readonly sessionId: string;
  /** The job folder (absolute). */
  readonly dir: string;
  /** The site's CA file, for `curl` transfers to the site's own origin. */
  readonly caFile?: string;
  /** Gives up every transfer (the job was cancelled or the agent stops). */
  readonly signal: AbortSignal;
  /** The first pause before a retry, ms (default 1000; doubled each time). */
  readonly retryDelayMs?: number;
}

/** How a staging step ended. */
export type StagingResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** One try: `code` 0 is success; otherwise curl's code for what went wrong. */
interface Try {
  readonly code: number;
  readonly message: string;
  readonly transient: boolean;
}

const OK: Try = { code: 0, message: '', transient: false };
const RETRIES = 3;
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/** Errors of the local file system while writing a download (curl's 23). */
const LOCAL_ERRORS = new Set(['EACCES', 'EISDIR', 'ENOSPC', 'ENOTDIR', 'EEXIST', 'EROFS', 'EDQUOT', 'EFBIG', 'EPERM']);
/** Files up to this size are read into memory and sent in one write; larger ones are streamed. */
const BUFFERED_BYTES = 1024 * 1024;

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function retrying(ctx: StagingContext, once: () => Promise<Try>): Promise<Try> {
  let last = await once();
  for (let i = 0; i < RETRIES && last.code !== 0 && last.transient && !ctx.signal.aborted; i++) {
    await delay((ctx.retryDelayMs ?? 1000) * 2 ** i, ctx.signal);
    if (ctx.signal.aborted) break;
    last = await once();
  }
  return last;
}

/** One request below the session URL (`path` URL-encoded, relative). */
async function sessionRequest(ctx: StagingContext, method: string, path: string, options: SiteRequestOptions): Promise<Try> {
  try {
    const { status, text } = await ctx.client.request(method, `/sid_redirect/${ctx.sessionId}/${path}`, { ...options, signal: ctx.signal });
    if (status >= 200 && status < 300) return OK;
    return { code: 22, message: `HTTP ${status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`, transient: TRANSIENT_STATUS.has(status) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (ctx.signal.aborted) return { code: 42, message: 'cancelled', transient: false };
    if (/did not answer/.test(message)) return { code: 28, message, transient: true };
    if (LOCAL_ERRORS.has(String((err as NodeJS.ErrnoException).code))) return { code: 23, message, transient: false };
    return { code: 7, message, transient: true };
  }
}

/** `curl` for an external URL, in the job folder, with a minimal environment; its exit code. */
function curl(ctx: StagingContext, args: readonly string[], url: string): Promise<Try> {
  const sameSite = (() => {
    try {
      return new URL(url).origin === ctx.client.origin;
    } catch {
      return false;
    }
  })();
  const ca = sameSite && ctx.caFile !== undefined ? ['--cacert', ctx.caFile] : [];
  return new Promise((resolve) => {
    const child = spawn('curl', ['--silent', '--show-error', '--fail', '--retry', String(RETRIES), '--connect-timeout', '30', ...ca, ...args, '--url', url], {
      cwd: ctx.dir,
      env: { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' },
      stdio: ['ignore', 'ignore', 'pipe'],
      signal: ctx.signal,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    child.once('error', (err) => resolve({ code: ctx.signal.aborted ? 42 : 127, message: err.message, transient: false }));
    child.once('close', (code) => resolve(code === 0 ? OK : { code: code ?? 42, message: stderr.trim() || `curl ended with ${code ?? 'a signal'}`, transient: false }));
  });
}

/** Fetches one session file into `dest` (absolute, inside the job folder). */
async function fetchSessionFile(ctx: StagingContext, source: string, dest: string, mode: number): Promise<Try> {
  try {
    await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
  } catch (err) {
    return { code: 23, message: (err as Error).message, transient: false };
  }
  return retrying(ctx, async () => {
    let file;
    try {
      file = await open(dest, 'w', mode);
    } catch (err) {
      return { code: 23, message: (err as Error).message, transient: false };
    }
    const sink = file.createWriteStream();
    try {
      return await sessionRequest(ctx, 'GET', source, { sink });
    } finally {
      sink.destroy();
      await file.close().catch(() => undefined);
    }
  });
}

/**
 * Fetches the job's inputs (INPUTFILES, then EXECUTABLES, which are made executable) into the job
 * folder, noting each in `notes` (the job's `.io-status` lines). Stops at the first failure.
 */
export async function fetchInputs(ctx: StagingContext, inputs: readonly StagedInput[], notes: string[]): Promise<StagingResult> {
  for (const input of inputs) {
    const dest = join(ctx.dir, input.destination);
    let result: Try;
    if (input.kind === 'url') {
      try {
        await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
        result = await curl(ctx, ['-o', input.destination], input.source);
      } catch (err) {
        result = { code: 23, message: (err as Error).message, transient: false };
      }
    } else {
      result = await fetchSessionFile(ctx, input.source, dest, 0o600);
    }
    notes.push(`get ${input.destination} ${result.code}`);
    if (result.code !== 0) return { ok: false, reason: `could not fetch ${input.kind === 'url' ? input.source : decodeURIComponent(input.source)}: ${result.message}` };
    if (input.executable) await chmod(dest, 0o700);
  }
  return { ok: true };
}

/**
 * A small file of the job folder read at once, synchronously (a local file of at most
 * {@link BUFFERED_BYTES}: cheaper than four thread-pool round trips); `missing` when it is not a
 * regular file, `large` when it is bigger.
 */
function readSmallFile(path: string): Buffer | 'missing' | 'large' {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 'missing';
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return 'missing';
    if (info.size > BUFFERED_BYTES) return 'large';
    const body = Buffer.allocUnsafe(info.size);
    let got = 0;
    while (got < body.length) {
      const n = readSync(fd, body, got, body.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return got === body.length ? body : body.subarray(0, got);
  } catch {
    return 'missing';
  } finally {
    closeSync(fd);
  }
}

/** Sends one file of the job folder (`path`, absolute) to a session path; large files are streamed. */
async function sendSessionFile(ctx: StagingContext, path: string, target: string): Promise<Try | 'missing'> {
  const headers = { 'content-type': 'application/octet-stream' };
  const small = readSmallFile(path);
  if (small === 'missing') return 'missing';
  if (small !== 'large') return retrying(ctx, () => sessionRequest(ctx, 'PUT', target, { body: small, headers }));
  let file;
  try {
    file = await open(path, 'r');
  } catch {
    return 'missing';
  }
  try {
    const info = await file.stat();
    if (!info.isFile()) return 'missing';
    const size = info.size;
    return await retrying(ctx, () => sessionRequest(ctx, 'PUT', target, { body: file.createReadStream({ start: 0, end: size - 1, autoClose: false }), length: size, headers }));
  } finally {
    await file.close().catch(() => undefined);
  }
}

/** Sends a buffer to a session path. */
function sendSessionBytes(ctx: StagingContext, body: Buffer, target: string): Promise<Try> {
  return retrying(ctx, () => sessionRequest(ctx, 'PUT', target, { body, headers: { 'content-type': 'application/octet-stream' } }));
}

/**
 * Sends the job's OUTPUTFILES, then its stdout, stderr and `.io-status` (`notes` plus what this
 * sends) to `job_output/<id>/`, and last its `.status`, which completes the job on the site.
 * Fails only when the `.status` could not be sent.
 */
export async function sendResults(ctx: StagingContext, outputs: readonly StagedOutput[], notes: string[]): Promise<StagingResult> {
  for (const output of outputs) {
    const path = join(ctx.dir, output.source);
    let result: Try | 'missing';
    if (output.kind === 'url') {
      const info = await open(path, 'r').then(async (f) => {
        const s = await f.stat();
        await f.close();
        return s;
      }, () => undefined);
      result = info === undefined || !info.isFile() ? 'missing' : await curl(ctx, ['-o', '/dev/null', '-T', output.source], output.destination);
    } else {
      result = await sendSessionFile(ctx, path, output.destination);
    }
    notes.push(`send ${output.source} ${result === 'missing' ? 'missing' : result.code}`);
  }
  const id = encodeURIComponent(ctx.jobId);
  const result = (kind: string): string => `job_output/${id}/${encodeURIComponent(`${ctx.jobId}.${kind}`)}`;
  for (const kind of ['stdout', 'stderr']) {
    const sent = await sendSessionFile(ctx, join(ctx.dir, `${ctx.jobId}.${kind}`), result(kind));
    if (sent === 'missing' || sent.code !== 0) notes.push(`send ${kind} failed`);
  }
  await sendSessionBytes(ctx, Buffer.from(notes.map((n) => `${n}\n`).join('')), result('io-status'));
  const status = await sendSessionFile(ctx, join(ctx.dir, `${ctx.jobId}.status`), result('status'));
  if (status === 'missing') return { ok: false, reason: 'the job left no .status file' };
  if (status.code !== 0) return { ok: false, reason: `could not send the .status file: ${status.message}` };
  return { ok: true };
}
