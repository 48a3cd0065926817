/**
 * The agent's HTTP(S) client for the site: keep-alive connections (idle ones close after 30 s,
 * before the site's 65 s), the site's CA when one was given, a bounded answer, bodies from memory
 * or streamed from a file, and answers streamed into a file. Node built-ins only (the agent ships
 * as one file).
 * @packageDocumentation
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What {@link SiteClient.request} sends and where the answer goes. */
export interface SiteRequestOptions {
  /** The body: bytes, or a stream (then give `length`). */
  readonly body?: Buffer | Readable;
  /** The body's length when it is a stream. */
  readonly length?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A 2xx answer's body is streamed here instead of being collected (large downloads). */
  readonly sink?: Writable;
  /** Gives up the request. */
  readonly signal?: AbortSignal;
  /** Inactivity timeout, ms (default 60 s). */
  readonly timeoutMs?: number;
}

/** The status and (unless it went to a sink) the body text of an answer. */
export interface SiteAnswer {
  readonly status: number;
  readonly text: string;
}

/** Longest answer text kept (agent API answers carry a job script; error pages are cut). */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** A keep-alive client of one site. See the module description. */
export class SiteClient {
  readonly #base: URL;
  readonly #ca: Buffer | undefined;
  readonly #connections: HttpsAgent | HttpAgent;

  constructor(base: URL, ca?: Buffer) {
    this.#base = base;
    this.#ca = ca;
    const keepAlive = { keepAlive: true, timeout: 30_000 };
    this.#connections = base.protocol === 'https:' ? new HttpsAgent({ ...keepAlive, ...(ca === undefined ? {} : { ca }) }) : new HttpAgent(keepAlive);
  }

  /** The site's origin, e.g. `https://mig.example.org:8443`. */
  get origin(): string {
    return this.#base.origin;
  }

  /** Closes the idle connections. */
  close(): void {
    this.#connections.destroy();
  }

  /** One request to `path` (absolute, below the site's origin). */
  request(method: string, path: string, options: SiteRequestOptions = {}): Promise<SiteAnswer> {
    const url = new URL(path, this.#base);
    const { body } = options;
    const length = Buffer.isBuffer(body) ? body.length : options.length;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const timeout = options.timeoutMs ?? 60_000;
    return new Promise<SiteAnswer>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          headers: { ...(length === undefined ? {} : { 'content-length': String(length) }), ...options.headers },
          ...(this.#ca === undefined ? {} : { ca: this.#ca }),
          agent: this.#connections,
          timeout,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (options.sink !== undefined && status >= 200 && status < 300) {
            pipeline(res, options.sink).then(() => resolve({ status, text: '' }), reject);
            return;
          }
          collect(res).then((text) => resolve({ status, text }), reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`the site did not answer ${method} ${url.pathname.slice(0, 200)} in ${Math.round(timeout / 1000)} s`)));
      req.on('error', reject);
      if (body === undefined || Buffer.isBuffer(body)) req.end(body);
      else pipeline(body, req).catch((err: unknown) => req.destroy(err instanceof Error ? err : new Error(String(err))));
    });
  }
}

/** An answer's body as text, at most {@link MAX_ANSWER_BYTES} (the rest is read and dropped). */
function collect(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size + c.length <= MAX_ANSWER_BYTES) chunks.push(c);
      size += c.length;
    });
    res.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
