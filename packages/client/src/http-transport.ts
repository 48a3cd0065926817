/**
 * The one place the client speaks HTTP: an undici `Agent` per client (keep-alive; the site CA
 * when given), the bearer token, and turning error answers into {@link MigApiError}s.
 * @packageDocumentation
 */
import { rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { MigApiError, MigClientError, toClientError, type MigErrorDetails } from './errors.js';

/** TLS trust for a site: PEM text or bytes of one or more CA certificates. */
export type CaCertificates = string | Buffer | readonly (string | Buffer)[];

/** Options of {@link HttpTransport}. */
export interface HttpTransportOptions {
  /** The site's base URL, e.g. `https://mig.example.org` (a path prefix is kept). */
  readonly url: string;
  /** An API token, sent as `Authorization: Bearer …`. */
  readonly token?: string;
  /** CA certificates to trust in addition to the system's. */
  readonly ca?: CaCertificates;
  /** The `User-Agent` header. */
  readonly userAgent?: string;
}

/** A request body the transport can send. */
export type RequestBody = string | Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array>;

/** Options of one request. */
export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON body (sent as `application/json`). */
  readonly json?: unknown;
  /** A raw body (sent as `application/octet-stream` unless a content type is given). */
  readonly body?: RequestBody;
  readonly signal?: AbortSignal;
}

/** A response with a success status; `body` must be read or dumped. */
export type RawResponse = Dispatcher.ResponseData;

const MAX_ERROR_BODY = 64 * 1024;

async function readBounded(body: RawResponse['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    total += chunk.length;
    if (total >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** The error a failed answer stands for. */
async function apiErrorOf(response: RawResponse): Promise<MigApiError> {
  const text = await readBounded(response.body, MAX_ERROR_BODY).catch(() => '');
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof parsed.code === 'string' && typeof parsed.message === 'string') {
      const details = parsed.details !== null && typeof parsed.details === 'object' ? (parsed.details as MigErrorDetails) : undefined;
      return new MigApiError(response.statusCode, parsed.code, parsed.message, details);
    }
  } catch {
    // not JSON: fall through
  }
  const reason = response.statusText === '' ? '' : ` ${response.statusText}`;
  return new MigApiError(response.statusCode, `MIG_E_HTTP_${response.statusCode}`, `The site answered HTTP ${response.statusCode}${reason} (is the URL the site's address?)`);
}

/** HTTP to one site, reused by all calls of a client. */
export class HttpTransport {
  /** The site's base URL. */
  readonly baseUrl: URL;
  readonly #agent: Agent;
  readonly #token: string | undefined;
  readonly #userAgent: string;

  constructor(options: HttpTransportOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new MigClientError('MIG_E_USAGE', `"${options.url}" is not a URL; give the site's address, e.g. https://mig.example.org.`);
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new MigClientError('MIG_E_USAGE', `The site URL must start with https:// (got ${base.protocol}).`);
    }
    base.search = '';
    base.hash = '';
    this.baseUrl = base;
    this.#token = options.token;
    this.#userAgent = options.userAgent ?? 'migrid-client/0.1';
    const extra = options.ca === undefined ? [] : Array.isArray(options.ca) ? (options.ca as readonly (string | Buffer)[]) : [options.ca as string | Buffer];
    this.#agent = new Agent({
      keepAliveTimeout: 30_000,
      headersTimeout: 600_000,
      bodyTimeout: 600_000,
      connect: extra.length === 0 ? {} : { ca: [...rootCertificates, ...extra.map((c) => c.toString())] },
    });
  }

  /** The absolute URL of an API path with a query. */
  urlOf(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(this.baseUrl.href);
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === false) continue;
      url.searchParams.append(key, value === true ? '1' : String(value));
    }
    return url.href;
  }

  /** Sends a request; answers ≥ 400 become {@link MigApiError}, failures {@link MigClientError}. */
  async send(method: Dispatcher.HttpMethod, path: string, options: RequestOptions = {}): Promise<RawResponse> {
    const url = this.urlOf(path, options.query);
    const headers: Record<string, string> = { 'user-agent': this.#userAgent, ...options.headers };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    let body: RequestBody | undefined = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (body !== undefined && headers['content-type'] === undefined) {
      headers['content-type'] = 'application/octet-stream';
    }
    let response: RawResponse;
    try {
      response = await request(url, { method, headers, body: body as Dispatcher.DispatchOptions['body'], dispatcher: this.#agent, signal: options.signal });
    } catch (err) {
      throw toClientError(err, url);
    }
    if (response.statusCode >= 400) throw await apiErrorOf(response);
    if (response.statusCode >= 300) {
      response.body.dump().catch(() => undefined);
      throw new MigApiError(response.statusCode, `MIG_E_HTTP_${response.statusCode}`, `The site redirected ${method} ${path} to ${String(response.headers.location ?? 'elsewhere')}; check the site URL.`);
    }
    return response;
  }

  /** Sends a request and parses the JSON answer. */
  async json<T>(method: Dispatcher.HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, { ...options, headers: { accept: 'application/json', ...options.headers } });
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      throw toClientError(err, this.urlOf(path));
    }
    if (response.statusCode === 204 || text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new MigClientError('MIG_E_PROTOCOL', `${method} ${path} did not answer JSON; is ${this.baseUrl.origin} a MiG site?`);
    }
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await this.#agent.close();
  }
}
