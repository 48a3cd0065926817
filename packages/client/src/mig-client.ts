/**
 * `MigClient`: typed calls of a MiG site's `/api/v1` JSON API for scripts and the `miguser` tool.
 * It speaks only HTTP(S) and needs nothing but the site's URL, an API token and (for a site with
 * its own CA) the CA certificate.
 * @packageDocumentation
 */
import { createWriteStream } from 'node:fs';
import { stat as statLocal, rename } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MigApiError, MigClientError } from './errors.js';
import { HttpTransport, type CaCertificates, type RequestBody } from './http-transport.js';
import { normalizeRemotePath } from './remote-path.js';
import type { Account, ChecksumAlgorithm, ChecksumResult, FileEntry, JobInfo, LoginResult, RemoveResult, TokenScope, TrashItem, UploadState } from './types.js';
import type { ShareLinkInfo, ShareLinkMode, VgridDetails, VgridInfo, VgridParticipantsInfo, VgridRequestInfo, VgridRequestKind, VgridRequestStatus, VgridSettingsInfo } from './types.js';
import { fileChunkSource, streamChunkSource, type ChunkSource } from './upload-source.js';

/** Options of {@link MigClient}. */
export interface MigClientOptions {
  /** The site's address, e.g. `https://mig.example.org`. */
  readonly url: string;
  /** An API token (`mig_…`), made in the site's settings or by {@link MigClient.login}. */
  readonly token: string;
  /** The site's CA certificate(s), PEM, for a site whose certificate no public CA signed. */
  readonly ca?: CaCertificates;
  /** The `User-Agent` header. */
  readonly userAgent?: string;
}

/** Options of {@link MigClient.login}. */
export interface LoginOptions {
  /** The account's user name (its email address). */
  readonly username: string;
  readonly password: string;
  /** The current two-factor code, when the account uses 2FA. */
  readonly totp?: string;
  /** The site's CA certificate(s), PEM. */
  readonly ca?: CaCertificates;
  /** A label for the token in the account's token list; default `migrid-client`. */
  readonly tokenName?: string;
  /** What the token may do; default {@link DEFAULT_TOKEN_SCOPES}. */
  readonly scopes?: readonly TokenScope[];
  /** Lifetime in days; default the site's maximum. */
  readonly expiresInDays?: number;
  readonly userAgent?: string;
}

/** Scopes a token from {@link MigClient.login} gets by default: files, and reading and managing the account (so `logout` can revoke it). */
export const DEFAULT_TOKEN_SCOPES: readonly TokenScope[] = ['files:write', 'jobs:write', 'account:write'];

/**
 * When a share link stops working: a `Date`, epoch milliseconds, or text the site reads (an ISO
 * 8601 date `YYYY-MM-DD`, meaning the end of that day in UTC, or a date-time with a zone).
 */
export type ShareLinkExpiry = Date | number | string;

/** Options of {@link MigClient.createShareLink}. */
export interface CreateShareLinkOptions {
  /** Default `ro`; a single file can only be shared `ro`. */
  readonly mode?: ShareLinkMode;
  /** Default: never. */
  readonly expires?: ShareLinkExpiry;
  /** A password of the link's own (8-256 characters); without one the id is the password. */
  readonly password?: string;
  /** Most logins allowed (1 to 1,000,000,000); default no limit. */
  readonly maxUses?: number;
  /** Email addresses to send the link to. */
  readonly invite?: readonly string[];
  /** A note for the invitation mail. */
  readonly message?: string;
}

/** What {@link MigClient.updateShareLink} changes; `null` removes the expiry, password or limit. */
export interface UpdateShareLinkOptions {
  readonly expires?: ShareLinkExpiry | null;
  readonly password?: string | null;
  readonly maxUses?: number | null;
}

/** A VGrid's name as one URL path part (`Physics/Optics` becomes `Physics%2FOptics`). */
const vgridPath = (name: string): string => `/api/v1/vgrids/${encodeURIComponent(name)}`;

/** What {@link MigClient.removeVgrid} did. */
export interface VgridRemovalInfo {
  /** The VGrids removed (with `force`, the sub-VGrids too). */
  readonly removed: readonly string[];
}

const expiryText = (value: ShareLinkExpiry): string => (value instanceof Date ? value.toISOString() : String(value));

/** Progress of a transfer: bytes done so far of `total` (undefined when unknown). */
export type ProgressListener = (done: number, total: number | undefined) => void;

/** Options of {@link MigClient.upload}. */
export interface UploadOptions {
  /** Bytes to upload; required for a stream source above the resumable threshold. */
  readonly size?: number;
  /** Replace an existing file. */
  readonly overwrite?: boolean;
  /** Make missing parent folders (simple uploads only; the site decides for resumable ones). */
  readonly parents?: boolean;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
  /** Files larger than this go through the resumable uploads API; default 64 MiB. */
  readonly resumableThreshold?: number;
  /** Chunk size of resumable uploads; default 64 MiB. */
  readonly chunkSize?: number;
  /** How often one chunk is retried after a network or server error; default 5. */
  readonly retries?: number;
}

/** Options of {@link MigClient.download}. */
export interface DownloadOptions {
  /** First byte to send (a `Range` request). */
  readonly start?: number;
  /** Last byte to send, inclusive. */
  readonly end?: number;
  readonly signal?: AbortSignal;
}

/** Options of {@link MigClient.downloadTo}. */
export interface DownloadToOptions {
  /** Continue a partial local file (`<file>.part`) instead of starting over. */
  readonly resume?: boolean;
  /** The file's size when already known (e.g. from a listing): saves a `stat` request. */
  readonly size?: number;
  readonly onProgress?: ProgressListener;
  readonly signal?: AbortSignal;
}

const DELETE_BATCH = 1000;

/** The default size above which uploads are resumable, and their chunk size. */
export const RESUMABLE_CHUNK_SIZE = 64 * 1024 * 1024;

const isRetryable = (err: unknown): boolean =>
  (err instanceof MigClientError && err.code === 'MIG_E_CONNECTION') || (err instanceof MigApiError && (err.status >= 500 || err.status === 408) && err.status !== 507);

async function* counted(body: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    onBytes(chunk.length);
    yield chunk;
  }
}

/**
 * A client of one site, authenticated by an API token. Reuses connections; call
 * {@link MigClient.close} when done.
 * @example
 * ```ts
 * const { token } = await MigClient.login('https://mig.example.org', { username: 'me@example.org', password });
 * const client = new MigClient({ url: 'https://mig.example.org', token });
 * for (const entry of await client.list('/')) console.log(entry.name, entry.size);
 * await client.upload('/results/run1.csv', './run1.csv', { overwrite: true });
 * await client.close();
 * ```
 */
export class MigClient {
  readonly #http: HttpTransport;

  constructor(options: MigClientOptions) {
    this.#http = new HttpTransport(options);
  }

  /** The site's base URL. */
  get url(): string {
    return this.#http.baseUrl.href;
  }

  /**
   * Signs in with a password (and 2FA code) and makes an API token (`POST /api/v1/auth/token`).
   * The token secret is in the answer only this once.
   * @throws MigApiError `MIG_E_AUTH_FAILED`, `MIG_E_TOTP_INVALID`, `MIG_E_BANNED`, …
   */
  static async login(url: string, options: LoginOptions): Promise<LoginResult> {
    const http = new HttpTransport({ url, ...(options.ca !== undefined && { ca: options.ca }), ...(options.userAgent !== undefined && { userAgent: options.userAgent }) });
    try {
      return await http.json<LoginResult>('POST', '/api/v1/auth/token', {
        json: {
          username: options.username,
          password: options.password,
          ...(options.totp !== undefined && { totp: options.totp }),
          name: options.tokenName ?? 'migrid-client',
          scopes: options.scopes ?? DEFAULT_TOKEN_SCOPES,
          ...(options.expiresInDays !== undefined && { expiresInDays: options.expiresInDays }),
        },
      });
    } finally {
      await http.close();
    }
  }

  /** The entries of a folder. */
  async list(path: string): Promise<FileEntry[]> {
    const answer = await this.#http.json<{ entries: FileEntry[] }>('GET', '/api/v1/files/list', { query: { path: normalizeRemotePath(path) } });
    return answer.entries;
  }

  /** One entry. */
  async stat(path: string): Promise<FileEntry> {
    return this.#http.json<FileEntry>('GET', '/api/v1/files/stat', { query: { path: normalizeRemotePath(path) } });
  }

  /**
   * The bytes of a file as a stream; `start`/`end` ask for a part (a `Range` request).
   * @example
   * ```ts
   * const body = await client.download('/data/big.bin', { start: 1024 });
   * await pipeline(body, createWriteStream('big.bin', { flags: 'a' }));
   * ```
   */
  async download(path: string, options: DownloadOptions = {}): Promise<Readable> {
    const ranged = options.start !== undefined || options.end !== undefined;
    const range = ranged ? `bytes=${options.start ?? 0}-${options.end ?? ''}` : undefined;
    const response = await this.#http.send('GET', '/api/v1/files/content', {
      query: { path: normalizeRemotePath(path) },
      ...(range !== undefined && { headers: { range } }),
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    if (ranged && response.statusCode !== 206 && (options.start ?? 0) > 0) {
      response.body.destroy();
      throw new MigClientError('MIG_E_PROTOCOL', `The site ignored the Range request for ${path}.`);
    }
    return response.body;
  }

  /**
   * Downloads a file to a local path: into `<file>.part`, renamed into place when complete. With
   * `resume`, a `.part` left by an earlier try is continued with a `Range` request.
   * @returns the number of bytes the local file holds.
   */
  async downloadTo(path: string, file: string, options: DownloadToOptions = {}): Promise<number> {
    const partial = `${file}.part`;
    let start = 0;
    if (options.resume === true) start = await statLocal(partial).then((s) => s.size, () => 0);
    const info = options.size !== undefined ? { path, size: options.size } : await this.stat(path);
    if ('type' in info && info.type === 'directory') throw new MigApiError(409, 'MIG_E_IS_A_DIRECTORY', `${info.path} is a folder.`);
    if (start > info.size) start = 0;
    let done = start;
    options.onProgress?.(done, info.size);
    if (start < info.size || info.size === 0) {
      const body = start > 0 ? await this.download(path, { start, ...(options.signal !== undefined && { signal: options.signal }) }) : await this.download(path, options.signal === undefined ? {} : { signal: options.signal });
      body.on('data', (chunk: Buffer) => {
        done += chunk.length;
        options.onProgress?.(done, info.size);
      });
      try {
        await pipeline(body, createWriteStream(partial, { flags: start > 0 ? 'a' : 'w' }));
      } catch (err) {
        if (err instanceof MigApiError || err instanceof MigClientError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        if (typeof code === 'string' && code.startsWith('E') && !code.startsWith('ECONN')) {
          throw new MigClientError('MIG_E_LOCAL_IO', `Cannot write ${partial}: ${(err as Error).message}`, { cause: err });
        }
        throw new MigClientError('MIG_E_CONNECTION', `The download of ${path} broke off after ${done} bytes (${(err as Error).message}); run again with resume to continue.`, { cause: err });
      }
    }
    const got = await statLocal(partial).then((s) => s.size);
    if (got !== info.size) throw new MigClientError('MIG_E_TRANSFER', `Got ${got} bytes of ${path}, expected ${info.size}; the file changed during the download?`);
    await rename(partial, file);
    return got;
  }

  /**
   * Uploads a local file (by path) or a stream to `path`. Up to `resumableThreshold` bytes go in
   * one streamed `PUT`; bigger ones go in chunks through the resumable uploads API, resuming from
   * the site's offset after a network or server error.
   * @throws MigApiError `MIG_E_PATH_EXISTS` without `overwrite`, `MIG_E_QUOTA_EXCEEDED`, …
   */
  async upload(path: string, source: Readable | string, options: UploadOptions = {}): Promise<FileEntry> {
    const target = normalizeRemotePath(path);
    const chunks = typeof source === 'string' ? await fileChunkSource(source) : streamChunkSource(source, options.size);
    const size = chunks.size ?? options.size;
    const threshold = options.resumableThreshold ?? RESUMABLE_CHUNK_SIZE;
    if (size !== undefined && size > threshold) return this.#uploadResumable(target, chunks, size, options);
    let sent = 0;
    options.onProgress?.(0, size);
    const body = counted(chunks.whole(), (n) => {
      sent += n;
      options.onProgress?.(sent, size);
    });
    const entry = await this.#http.json<FileEntry>('PUT', '/api/v1/files/content', {
      query: { path: target, overwrite: options.overwrite === true, parents: options.parents === true },
      body: body as RequestBody,
      ...(size !== undefined && { headers: { 'content-length': String(size) } }),
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    return entry;
  }

  async #uploadResumable(path: string, chunks: ChunkSource, size: number, options: UploadOptions): Promise<FileEntry> {
    const chunkSize = Math.max(1, options.chunkSize ?? RESUMABLE_CHUNK_SIZE);
    const retries = options.retries ?? 5;
    const signal = options.signal;
    const session = await this.#http.json<UploadState>('POST', '/api/v1/uploads', { json: { path, size, overwrite: options.overwrite === true }, ...(signal !== undefined && { signal }) });
    const id = encodeURIComponent(session.id);
    let offset = session.offset;
    options.onProgress?.(offset, size);
    try {
      let failures = 0;
      while (offset < size) {
        const end = Math.min(offset + chunkSize, size);
        let sent = 0;
        const from = offset;
        try {
          const body = counted(await chunks.range(from, end), (n) => {
            sent += n;
            options.onProgress?.(from + sent, size);
          });
          const state = await this.#http.json<UploadState>('PUT', `/api/v1/uploads/${id}`, {
            query: { offset: from },
            body: body as RequestBody,
            headers: { 'content-length': String(end - from) },
            ...(signal !== undefined && { signal }),
          });
          offset = state.offset;
          failures = 0;
        } catch (err) {
          signal?.throwIfAborted();
          const expected = err instanceof MigApiError && err.status === 409 ? err.details?.offset ?? err.details?.expectedOffset : undefined;
          if (typeof expected === 'number' && failures < retries) {
            failures += 1;
            offset = expected;
            continue;
          }
          if (!isRetryable(err) || failures >= retries) throw err;
          failures += 1;
          await sleep(Math.min(250 * 2 ** failures, 5_000));
          offset = (await this.#http.json<UploadState>('GET', `/api/v1/uploads/${id}`, signal === undefined ? {} : { signal })).offset;
        }
        options.onProgress?.(offset, size);
      }
      return await this.#http.json<FileEntry>('POST', `/api/v1/uploads/${id}/complete`, signal === undefined ? {} : { signal });
    } catch (err) {
      await this.#http.send('DELETE', `/api/v1/uploads/${id}`).then((r) => r.body.dump(), () => undefined);
      throw err;
    }
  }

  /** Makes a folder (`parents`: and missing parents, and no error when it exists). */
  async mkdir(path: string, options: { parents?: boolean } = {}): Promise<FileEntry> {
    return this.#http.json<FileEntry>('POST', '/api/v1/files/mkdir', { json: { path: normalizeRemotePath(path), ...(options.parents === true && { parents: true }) } });
  }

  /** Moves or renames an entry. */
  async move(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<FileEntry> {
    return this.#http.json<FileEntry>('POST', '/api/v1/files/move', { json: { from: normalizeRemotePath(from), to: normalizeRemotePath(to), ...(options.overwrite === true && { overwrite: true }) } });
  }

  /** Copies an entry (folders with everything in them). */
  async copy(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<FileEntry> {
    return this.#http.json<FileEntry>('POST', '/api/v1/files/copy', { json: { from: normalizeRemotePath(from), to: normalizeRemotePath(to), ...(options.overwrite === true && { overwrite: true }) } });
  }

  /** Moves entries to the trash, or with `permanent` deletes them for good. */
  async remove(paths: string | readonly string[], options: { permanent?: boolean } = {}): Promise<RemoveResult> {
    const list = (typeof paths === 'string' ? [paths] : [...paths]).map(normalizeRemotePath);
    const trashed: TrashItem[] = [];
    let deleted = 0;
    // The site takes at most DELETE_BATCH paths per request.
    for (let at = 0; at < list.length; at += DELETE_BATCH) {
      const part = await this.#http.json<RemoveResult>('POST', '/api/v1/files/delete', { json: { paths: list.slice(at, at + DELETE_BATCH), ...(options.permanent === true && { permanent: true }) } });
      trashed.push(...(part.trashed ?? []));
      deleted += part.deleted ?? 0;
    }
    return options.permanent === true ? { deleted } : { trashed };
  }

  /** A checksum of a file, computed by the site. */
  async checksum(path: string, algorithm: ChecksumAlgorithm = 'sha256'): Promise<ChecksumResult> {
    return this.#http.json<ChecksumResult>('GET', '/api/v1/files/checksum', { query: { path: normalizeRemotePath(path), algorithm } });
  }

  /** The account the token belongs to. */
  async account(): Promise<Account> {
    return this.#http.json<Account>('GET', '/api/v1/account');
  }

  /** Revokes one of the account's API tokens (e.g. this client's own, on logout). */
  async revokeToken(tokenId: string): Promise<void> {
    const response = await this.#http.send('DELETE', `/api/v1/account/tokens/${encodeURIComponent(tokenId)}`);
    await response.body.dump();
  }

  /** Submits a job from its mRSL text; returns the job (its `id`, `status` `QUEUED`). */
  async submitJob(mrsl: string): Promise<JobInfo> {
    return this.#http.json<JobInfo>('POST', '/api/v1/jobs', { json: { mrsl } });
  }

  /** One of the account's jobs. */
  async job(id: string): Promise<JobInfo> {
    return this.#http.json<JobInfo>('GET', `/api/v1/jobs/${encodeURIComponent(id)}`);
  }

  /** The account's jobs, newest first (`status`: MiG state names, comma-separated). */
  async jobs(options: { status?: string; limit?: number } = {}): Promise<JobInfo[]> {
    const query: Record<string, string> = {};
    if (options.status !== undefined) query.status = options.status;
    if (options.limit !== undefined) query.limit = String(options.limit);
    return (await this.#http.json<{ jobs: JobInfo[] }>('GET', '/api/v1/jobs', { query })).jobs;
  }

  /** Cancels, freezes or thaws a job. */
  async jobAction(id: string, action: 'cancel' | 'freeze' | 'thaw'): Promise<JobInfo> {
    return this.#http.json<JobInfo>('POST', `/api/v1/jobs/${encodeURIComponent(id)}/${action}`, { json: {} });
  }

  /** Submits a job again (a new job with the same description). */
  async resubmitJob(id: string): Promise<JobInfo> {
    return this.#http.json<JobInfo>('POST', `/api/v1/jobs/${encodeURIComponent(id)}/resubmit`, { json: {} });
  }

  /**
   * Makes a share link to a file or folder of your view (`POST /api/v1/share-links`). Anyone with
   * its `id` can use it: on the web at its `url`, and over SFTP/FTPS/WebDAVS with the id as user
   * name (and password, unless the link has its own).
   * @example
   * ```ts
   * const link = await client.createShareLink('/results', { mode: 'ro', expires: '2030-12-31', maxUses: 10 });
   * console.log(link.url);
   * ```
   * @throws MigApiError `MIG_E_PATH_NOT_FOUND`, `MIG_E_INVALID_INPUT`, `MIG_E_SHARE_LINK_NOT_ALLOWED`, …
   */
  async createShareLink(path: string, options: CreateShareLinkOptions = {}): Promise<ShareLinkInfo> {
    return this.#http.json<ShareLinkInfo>('POST', '/api/v1/share-links', {
      json: {
        path: normalizeRemotePath(path),
        mode: options.mode ?? 'ro',
        ...(options.expires !== undefined && { expires: expiryText(options.expires) }),
        ...(options.password !== undefined && { password: options.password }),
        ...(options.maxUses !== undefined && { maxUses: options.maxUses }),
        ...(options.invite !== undefined && options.invite.length > 0 && { invite: [...options.invite] }),
        ...(options.message !== undefined && { message: options.message }),
      },
    });
  }

  /** Your share links, newest first; with `vgrid`, the links anyone made into that VGrid's share (its owners only). */
  async listShareLinks(options: { vgrid?: string } = {}): Promise<ShareLinkInfo[]> {
    const query: Record<string, string> = options.vgrid === undefined ? {} : { vgrid: options.vgrid };
    return (await this.#http.json<{ links: ShareLinkInfo[] }>('GET', '/api/v1/share-links', { query })).links;
  }

  /** One of your share links. @throws MigApiError `MIG_E_SHARE_LINK_NOT_FOUND` (also for someone else's). */
  async getShareLink(id: string): Promise<ShareLinkInfo> {
    return this.#http.json<ShareLinkInfo>('GET', `/api/v1/share-links/${encodeURIComponent(id)}`);
  }

  /** Changes the expiry, password or use limit of one of your share links (only the fields given). */
  async updateShareLink(id: string, changes: UpdateShareLinkOptions): Promise<ShareLinkInfo> {
    return this.#http.json<ShareLinkInfo>('PATCH', `/api/v1/share-links/${encodeURIComponent(id)}`, {
      json: {
        ...(changes.expires !== undefined && { expires: changes.expires === null ? null : expiryText(changes.expires) }),
        ...(changes.password !== undefined && { password: changes.password }),
        ...(changes.maxUses !== undefined && { maxUses: changes.maxUses }),
      },
    });
  }

  /** Revokes one of your share links for good (idempotent); returns it, now `revoked`. */
  async revokeShareLink(id: string): Promise<ShareLinkInfo> {
    return this.#http.json<ShareLinkInfo>('DELETE', `/api/v1/share-links/${encodeURIComponent(id)}`);
  }

  /** Emails one of your share links to people. */
  async inviteToShareLink(id: string, emails: readonly string[], message?: string): Promise<ShareLinkInfo> {
    return this.#http.json<ShareLinkInfo>('POST', `/api/v1/share-links/${encodeURIComponent(id)}/invite`, { json: { emails: [...emails], ...(message !== undefined && { message }) } });
  }

  /** The VGrids you can see, with your role; `mine`: only those you take part in. */
  async listVgrids(options: { mine?: boolean } = {}): Promise<VgridInfo[]> {
    // Spelt out: the site reads `true` (and the transport would send `1`).
    const query = options.mine === true ? { mine: 'true' } : {};
    return (await this.#http.json<{ vgrids: VgridInfo[] }>('GET', '/api/v1/vgrids', { query })).vgrids;
  }

  /**
   * One VGrid with the owners, members and resources its settings let you see.
   * @throws MigApiError `MIG_E_VGRID_NOT_FOUND` (also for a hidden one you are not in)
   */
  async getVgrid(name: string): Promise<VgridDetails> {
    return this.#http.json<VgridDetails>('GET', vgridPath(name));
  }

  /**
   * Creates a VGrid (`Parent/Child` under one you own); you become its owner.
   * @example
   * ```ts
   * await client.createVgrid('Physics', { description: 'The physics group' });
   * ```
   * @throws MigApiError `MIG_E_VGRID_NAME`, `MIG_E_VGRID_EXISTS`, `MIG_E_VGRID_NOT_ALLOWED`
   */
  async createVgrid(name: string, options: { description?: string } = {}): Promise<VgridInfo> {
    return this.#http.json<VgridInfo>('POST', '/api/v1/vgrids', { json: { name, ...(options.description !== undefined && { description: options.description }) } });
  }

  /** Changes some settings of a VGrid you own. */
  async updateVgridSettings(name: string, changes: Partial<VgridSettingsInfo>): Promise<VgridInfo> {
    return this.#http.json<VgridInfo>('PATCH', vgridPath(name), { json: { ...changes } });
  }

  /** Removes a VGrid you own (`force`: with its sub-VGrids); its folders are kept aside by the site. */
  async removeVgrid(name: string, options: { force?: boolean } = {}): Promise<VgridRemovalInfo> {
    return this.#http.json<VgridRemovalInfo>('DELETE', vgridPath(name), { query: options.force === true ? { force: 'true' } : {} });
  }

  /** Adds an owner or member (by email, login alias, DN or user id) to a VGrid you own. */
  async addVgridParticipant(name: string, role: 'owner' | 'member', user: string): Promise<void> {
    await this.#http.json<undefined>('PUT', `${vgridPath(name)}/${role}s/${encodeURIComponent(user)}`);
  }

  /**
   * Removes an owner or member of a VGrid you own, or yourself (leaving). Removing the last owner
   * needs `force` and removes the VGrid.
   */
  async removeVgridParticipant(name: string, role: 'owner' | 'member', user: string, options: { force?: boolean } = {}): Promise<void> {
    await this.#http.json<undefined>('DELETE', `${vgridPath(name)}/${role}s/${encodeURIComponent(user)}`, { query: options.force === true ? { force: 'true' } : {} });
  }

  /**
   * Asks to become a member or owner of a VGrid; its owners are told.
   * @throws MigApiError `MIG_E_VGRID_REQUEST_EXISTS` when you asked already, `MIG_E_VGRID_PARTICIPANT_EXISTS`
   */
  async requestVgrid(name: string, kind: VgridRequestKind, message?: string): Promise<VgridRequestInfo> {
    return this.#http.json<VgridRequestInfo>('POST', `${vgridPath(name)}/requests`, { json: { kind, ...(message !== undefined && { message }) } });
  }

  /** The requests to a VGrid you own, newest first. */
  async listVgridRequests(name: string, options: { status?: VgridRequestStatus } = {}): Promise<VgridRequestInfo[]> {
    const query = options.status === undefined ? {} : { status: options.status };
    return (await this.#http.json<{ requests: VgridRequestInfo[] }>('GET', `${vgridPath(name)}/requests`, { query })).requests;
  }

  /** Your own VGrid requests, newest first. */
  async myVgridRequests(): Promise<VgridRequestInfo[]> {
    return (await this.#http.json<{ requests: VgridRequestInfo[] }>('GET', '/api/v1/vgrid-requests')).requests;
  }

  /**
   * A VGrid's owners and members, as far as its visibility settings show them to you (a list you
   * may not see is `null`).
   * @throws MigApiError `MIG_E_VGRID_NOT_FOUND` (also for a hidden one you are not in)
   */
  async vgridParticipants(name: string): Promise<VgridParticipantsInfo> {
    return this.#http.json<VgridParticipantsInfo>('GET', `${vgridPath(name)}/participants`);
  }

  /**
   * Lets a resource run the jobs of a VGrid you own (and of its sub-VGrids).
   * @throws MigApiError `MIG_E_RESOURCE_NOT_FOUND`, `MIG_E_VGRID_NOT_ALLOWED`
   */
  async addVgridResource(name: string, resourceId: string): Promise<void> {
    await this.#http.json<undefined>('PUT', `${vgridPath(name)}/resources/${encodeURIComponent(resourceId)}`);
  }

  /** Stops a resource running the jobs of a VGrid you own. */
  async removeVgridResource(name: string, resourceId: string): Promise<void> {
    await this.#http.json<undefined>('DELETE', `${vgridPath(name)}/resources/${encodeURIComponent(resourceId)}`);
  }

  /** Accepts or rejects a pending request to a VGrid you own. */
  async decideVgridRequest(id: string, decision: 'accept' | 'reject'): Promise<VgridRequestInfo> {
    return this.#http.json<VgridRequestInfo>('POST', `/api/v1/vgrid-requests/${encodeURIComponent(id)}/${decision}`, { json: {} });
  }

  /** Closes the client's connections. */
  async close(): Promise<void> {
    await this.#http.close();
  }
}

/** The id part of an API token (`mig_<id>_<secret>`), or undefined when it is not one. */
export function tokenIdOf(token: string): string | undefined {
  return /^mig_([0-9a-f]{16})_[0-9a-f]{64}$/.exec(token)?.[1];
}
