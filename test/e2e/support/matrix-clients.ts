/**
 * Protocol drivers for the permission-matrix e2e test: each runs a list of file actions (list,
 * read, put, remove, move; paths as the principal's view names them) in as few client sessions as
 * it can and reports what each listing showed and each read returned. Whether a change happened is
 * judged by the test from the host folders, never from the client's say-so.
 *
 * - SFTP: one OpenSSH `sftp -b` batch (through `sshpass`), every command `-`-prefixed so a refusal
 *   does not end the batch; listings are cut out of stdout at the `sftp>` echo lines.
 * - FTPS: one `lftp` script with `cmd:fail-exit false`; listings are cut at `echo` marks.
 * - WebDAVS: one `curl` per action (PROPFIND, GET, PUT, DELETE, MOVE).
 * - API: the JSON API (`/api/v1/files…`) of the real web server with an API token, or, for a
 *   share link, its `/share/<id>/…` pages (session cookie and CSRF token from the first page).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runLftp } from '../ftp-client.js';
import { runSftp } from '../sftp-client.js';

const execFileP = promisify(execFile);

/** One file action, paths as the principal's view names them. */
export type MatrixAction =
  | { readonly kind: 'list'; readonly path: string }
  | { readonly kind: 'read'; readonly path: string }
  | { readonly kind: 'put'; readonly path: string; readonly overwrite: boolean }
  | { readonly kind: 'remove'; readonly path: string }
  | { readonly kind: 'move'; readonly from: string; readonly to: string };

/** What one action showed: the names a listing gave, the text a read returned (undefined when refused). */
export interface ActionOutcome {
  readonly names?: readonly string[];
  readonly text?: string;
  /**
   * For changes (put, remove, move): whether the client was told it worked (`ok`) or was refused
   * (`error`): by the HTTP status, or for sftp/lftp by an error line naming the action's file.
   */
  readonly reported?: 'ok' | 'error';
}

/** The file name a change action is about (unique per cell in the matrix). */
function changedName(a: MatrixAction): string {
  return lastName(a.kind === 'move' ? a.from : a.path);
}

/** `error` when `stderr` has a line naming `name`. */
function reportedIn(stderr: string, name: string): 'ok' | 'error' {
  return stderr.split('\n').some((l) => l.includes(name)) ? 'error' : 'ok';
}

const byStatus = (status: number): 'ok' | 'error' => (status >= 200 && status < 400 ? 'ok' : 'error');

/** Where and as whom a driver connects. */
export interface MatrixClient {
  readonly port: number;
  /** The site CA (PEM file). */
  readonly caFile: string;
  /** Login name (email, or a share link's id) and password. */
  readonly login: string;
  readonly password: string;
  /** A local scratch folder of this session holding `upload` (the file every put sends). */
  readonly localDir: string;
  readonly upload: string;
}

/** The last path component (trailing `/` ignored). */
export function lastName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** Local file a read action `i` downloads into. */
const localOf = (i: number): string => `got-${i}.out`;

async function localText(dir: string, i: number): Promise<string | undefined> {
  return readFile(join(dir, localOf(i)), 'utf8').catch(() => undefined);
}

/** Runs the actions in one OpenSSH `sftp -b` session. */
export async function sftpActions(c: MatrixClient, actions: readonly MatrixAction[]): Promise<ActionOutcome[]> {
  const lines = actions.map((a, i) => {
    switch (a.kind) {
      case 'list':
        return `-ls -1 ${a.path}`;
      case 'read':
        return `-get ${a.path} ${localOf(i)}`;
      case 'put':
        return `-put ${c.upload} ${a.path}`;
      case 'remove':
        return `-rm ${a.path}`;
      case 'move':
        return `-rename ${a.from} ${a.to}`;
    }
  });
  const r = await runSftp(c.port, { login: c.login, password: c.password }, lines, c.localDir);
  // stdout: each command echoed as `sftp> <command>`, then what it printed.
  const sections = r.stdout.split(/^sftp> /m).slice(1);
  const out: ActionOutcome[] = [];
  for (const [i, a] of actions.entries()) {
    if (a.kind === 'list') {
      const section = sections.find((s) => s.split('\n', 1)[0]?.trim() === (lines[i] ?? ''));
      const body = section === undefined ? [] : section.split('\n').slice(1).map((l) => l.trim()).filter((l) => l !== '');
      out.push({ names: body.map(lastName) });
    } else if (a.kind === 'read') out.push({ text: await localText(c.localDir, i) });
    else out.push({ reported: reportedIn(r.stderr, changedName(a)) });
  }
  return out;
}

/** Runs the actions in one `lftp` session over FTPS. */
export async function lftpActions(c: MatrixClient, actions: readonly MatrixAction[]): Promise<ActionOutcome[]> {
  const lines = ['set cmd:fail-exit false'];
  for (const [i, a] of actions.entries()) {
    switch (a.kind) {
      case 'list':
        lines.push(`echo @@begin-${i}`, `cls -1 ${a.path}`, `echo @@end-${i}`);
        break;
      case 'read':
        lines.push(`get ${a.path} -o ${localOf(i)}`);
        break;
      case 'put':
        lines.push(`put ${c.upload} -o ${a.path}`);
        break;
      case 'remove':
        lines.push(`rm ${a.path}`);
        break;
      case 'move':
        lines.push(`mv ${a.from} ${a.to}`);
        break;
    }
  }
  const r = await runLftp(c.port, { login: c.login, password: c.password }, c.caFile, lines, c.localDir);
  const out: ActionOutcome[] = [];
  for (const [i, a] of actions.entries()) {
    if (a.kind === 'list') {
      const m = new RegExp(`^@@begin-${i}\\n([\\s\\S]*?)^@@end-${i}$`, 'm').exec(r.stdout);
      const body = (m?.[1] ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
      out.push({ names: body.map(lastName) });
    } else if (a.kind === 'read') out.push({ text: await localText(c.localDir, i) });
    else out.push({ reported: reportedIn(r.stderr, changedName(a)) });
  }
  return out;
}

/** One `curl` call: status and body. */
async function curl(c: MatrixClient, args: readonly string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await execFileP('curl', ['-sS', '--path-as-is', '--cacert', c.caFile, '-u', `${c.login}:${c.password}`, '-w', '\n%{http_code}', ...args]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

/** Runs the actions over WebDAVS, one `curl` each. */
export async function davActions(c: MatrixClient, actions: readonly MatrixAction[]): Promise<ActionOutcome[]> {
  const url = (path: string): string => `https://localhost:${c.port}${path}`;
  const out: ActionOutcome[] = [];
  for (const a of actions) {
    switch (a.kind) {
      case 'list': {
        const dir = a.path.endsWith('/') ? a.path : `${a.path}/`;
        const r = await curl(c, ['-X', 'PROPFIND', '-H', 'Depth: 1', url(dir)]);
        const hrefs = r.status === 207 ? [...r.body.matchAll(/<(?:[\w-]+:)?href>([^<]*)<\//g)].map((m) => decodeURIComponent(m[1] ?? '')) : [];
        out.push({ names: hrefs.map((h) => new URL(h, url('/')).pathname).filter((p) => p.replace(/\/+$/, '') !== dir.replace(/\/+$/, '')).map(lastName) });
        break;
      }
      case 'read': {
        const r = await curl(c, [url(a.path)]);
        out.push({ text: r.status === 200 ? r.body : undefined });
        break;
      }
      case 'put':
        out.push({ reported: byStatus((await curl(c, ['-T', join(c.localDir, c.upload), ...(a.overwrite ? [] : ['-H', 'If-None-Match: *']), url(a.path)])).status) });
        break;
      case 'remove':
        out.push({ reported: byStatus((await curl(c, ['-X', 'DELETE', url(a.path)])).status) });
        break;
      case 'move':
        out.push({ reported: byStatus((await curl(c, ['-X', 'MOVE', '-H', `Destination: ${url(a.to)}`, '-H', 'Overwrite: F', url(a.from)])).status) });
        break;
    }
  }
  return out;
}

/** An HTTPS answer. */
interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  readonly setCookies: readonly string[];
}

/** One HTTPS request to the web server on 127.0.0.1 (verifying the site CA for `localhost`). */
export async function https(port: number, ca: string | Buffer, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<HttpAnswer> {
  const all: Record<string, string> = { host: `localhost:${port}`, ...headers };
  if (body !== undefined) all['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, ca, method, path, headers: all, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const sc = res.headers['set-cookie'];
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), setCookies: sc ?? [] });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs the actions through the JSON files API with a bearer token (`c.password` is the token). */
export async function apiActions(c: MatrixClient, actions: readonly MatrixAction[]): Promise<ActionOutcome[]> {
  const ca = await readFile(c.caFile);
  const auth = { authorization: `Bearer ${c.password}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const q = encodeURIComponent;
  const data = await readFile(join(c.localDir, c.upload));
  const out: ActionOutcome[] = [];
  for (const a of actions) {
    switch (a.kind) {
      case 'list': {
        const r = await https(c.port, ca, 'GET', `/api/v1/files/list?path=${q(a.path)}`, auth);
        const entries = r.status === 200 ? (JSON.parse(r.body) as { entries: Array<{ name: string }> }).entries : [];
        out.push({ names: entries.map((e) => e.name) });
        break;
      }
      case 'read': {
        const r = await https(c.port, ca, 'GET', `/api/v1/files/content?path=${q(a.path)}`, auth);
        out.push({ text: r.status === 200 ? r.body : undefined });
        break;
      }
      case 'put':
        out.push({ reported: byStatus((await https(c.port, ca, 'PUT', `/api/v1/files/content?path=${q(a.path)}${a.overwrite ? '&overwrite=1' : ''}`, { ...auth, 'content-type': 'application/octet-stream' }, data)).status) });
        break;
      case 'remove':
        out.push({ reported: byStatus((await https(c.port, ca, 'POST', '/api/v1/files/delete', json, JSON.stringify({ paths: [a.path] }))).status) });
        break;
      case 'move':
        out.push({ reported: byStatus((await https(c.port, ca, 'POST', '/api/v1/files/move', json, JSON.stringify({ from: a.from, to: a.to }))).status) });
        break;
    }
  }
  return out;
}

/**
 * Runs the actions through a share link's web pages (`/share/<id>/…`; `c.login` is the id): the
 * first page opens the link (session and share cookies, CSRF token), then GETs read and list
 * (names are the entries the folder page links to), uploads, deletes and renames post as the
 * page's scripts and forms do. Puts never overwrite there (the page offers no such thing).
 */
export async function sharePageActions(c: MatrixClient, actions: readonly MatrixAction[]): Promise<ActionOutcome[]> {
  const ca = await readFile(c.caFile);
  const base = `/share/${c.login}`;
  const jar = new Map<string, string>();
  const keep = (r: HttpAnswer): HttpAnswer => {
    for (const sc of r.setCookies) {
      const [pair] = sc.split(';');
      const eq = (pair ?? '').indexOf('=');
      if (eq > 0) jar.set((pair ?? '').slice(0, eq), (pair ?? '').slice(eq + 1));
    }
    return r;
  };
  const cookie = (): Record<string, string> => ({ cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') });
  const first = keep(await https(c.port, ca, 'GET', `${base}/`, { accept: 'text/html' }));
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(first.body)?.[1] ?? '';
  const form = (fields: Record<string, string>): string => new URLSearchParams({ ...fields, _csrf: csrf }).toString();
  const formHeaders = (): Record<string, string> => ({ ...cookie(), 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' });
  const data = await readFile(join(c.localDir, c.upload));
  const out: ActionOutcome[] = [];
  for (const a of actions) {
    switch (a.kind) {
      case 'list': {
        const dir = a.path.endsWith('/') ? a.path : `${a.path}/`;
        const r = keep(await https(c.port, ca, 'GET', `${base}${dir}`, { ...cookie(), accept: 'text/html' }));
        const prefix = `${base}${dir}`;
        const names = r.status === 200
          ? [...r.body.matchAll(/href="([^"?#]+)"/g)].map((m) => m[1] ?? '').filter((h) => h.startsWith(prefix) && h.length > prefix.length && !h.slice(prefix.length).startsWith('_/')).map((h) => decodeURIComponent(lastName(h)))
          : [];
        out.push({ names: [...new Set(names)] });
        break;
      }
      case 'read': {
        const r = keep(await https(c.port, ca, 'GET', `${base}${a.path}`, { ...cookie(), accept: '*/*' }));
        out.push({ text: r.status === 200 || r.status === 206 ? r.body : undefined });
        break;
      }
      case 'put': {
        const query = new URLSearchParams({ dir: parentOf(a.path), name: lastName(a.path) }).toString();
        const r = keep(await https(c.port, ca, 'POST', `${base}/_/upload?${query}`, { ...cookie(), 'x-csrf-token': csrf, 'content-type': 'application/octet-stream', accept: 'application/json' }, data));
        out.push({ reported: byStatus(r.status) });
        break;
      }
      case 'remove':
        out.push({ reported: byStatus(keep(await https(c.port, ca, 'POST', `${base}/_/delete`, formHeaders(), form({ path: a.path }))).status) });
        break;
      case 'move':
        out.push({ reported: byStatus(keep(await https(c.port, ca, 'POST', `${base}/_/rename`, formHeaders(), form({ path: a.from, to: lastName(a.to) }))).status) });
        break;
    }
  }
  return out;
}
