/**
 * Issue 6's permission matrix: who may do what in a VGrid's shared folder and through share links,
 * over every protocol (JSON API / share pages, SFTP, FTPS, WebDAVS), with the real clients
 * (OpenSSH `sftp`, `lftp`, `curl`, node's https against the real web server).
 *
 * The table {@link ALLOWED} (principal × operation → allowed?) drives the loops; every cell is
 * its own test named `principal × protocol × operation`. A cell passes when an allowed operation
 * took effect in the host folders (or returned the file / listed it) and a refused one left
 * everything as it was (nothing lost, nothing created).
 *
 * What VGrid mounts look like comes from `packages/core/src/vgrids/vgrid-view-roots.ts`: each
 * VGrid a user takes part in (directly or inherited from a parent) is mounted at `/<name>`,
 * read-write for owners and for members unless the VGrid is read-only. So a member of `Lab` sees
 * `/Lab` and, inheriting membership of `Lab/Sub`, `/Lab/Sub` read-write; a member of only
 * `Lab/Sub` sees `/Lab` as a view-only folder holding `Sub` and nothing of `Lab`'s own files.
 *
 * Plus: open sessions lose a removed member's share and a revoked link at their next operation.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Site } from '@migrid/core';
import { FtpsServer, SftpServer, WebdavServer } from '@migrid/fileservices';
import { WebServer } from '@migrid/web';
import { freePortRange } from '../support/free-port.js';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';
import { InteractiveSftp } from './support/interactive-sftp.js';
import { apiActions, davActions, lftpActions, sftpActions, sharePageActions, type ActionOutcome, type MatrixAction, type MatrixClient } from './support/matrix-clients.js';

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/** The operations of the matrix. */
type Op =
  | 'list-root' // `/` shows the share's top folder
  | 'list' // the share's folder lists its files
  | 'read' // a file in it downloads
  | 'write' // a new file can be made in it
  | 'overwrite' // an existing file in it can be replaced
  | 'delete' // a file in it can be deleted
  | 'rename-in' // a home file can be moved INTO the share
  | 'rename-out' // a share file can be moved OUT to the home
  | 'rename' // (links) a file can be renamed within the share
  | 'parent-list' // (sub-VGrid only member) `/Lab` lists Lab's own files
  | 'parent-read' // (sub-VGrid only member) a file of Lab itself downloads
  | 'parent-write' // (sub-VGrid only member) a new file can be made in Lab itself
  | 'sibling-read' // (file link) another file of the folder downloads
  | 'escape-read' // (links) `../` reaches a file outside the link's folder
  | 'escape-write'; // (links) `../` writes a file outside the link's folder

type Principal = 'owner' | 'member' | 'inherited' | 'sub-only' | 'read-only' | 'non-member' | 'removed' | 'link-ro' | 'link-wo' | 'link-rw' | 'file-link';
type Protocol = 'api' | 'sftp' | 'ftps' | 'webdavs';

const USER_OPS: readonly Op[] = ['list-root', 'list', 'read', 'write', 'overwrite', 'delete', 'rename-in', 'rename-out'];
const LINK_OPS: readonly Op[] = ['list', 'read', 'write', 'overwrite', 'delete', 'rename', 'escape-read', 'escape-write'];
const FILE_LINK_OPS: readonly Op[] = ['list', 'read', 'sibling-read', 'write', 'overwrite', 'delete', 'rename', 'escape-read'];

/** Which operations each principal tries. */
const OPS: Record<Principal, readonly Op[]> = {
  owner: USER_OPS,
  member: USER_OPS,
  inherited: USER_OPS,
  'sub-only': [...USER_OPS, 'parent-list', 'parent-read', 'parent-write'],
  'read-only': USER_OPS,
  'non-member': USER_OPS,
  removed: USER_OPS,
  'link-ro': LINK_OPS,
  'link-wo': LINK_OPS,
  'link-rw': LINK_OPS,
  'file-link': FILE_LINK_OPS,
};

/** THE MATRIX: what each principal may do (the same on every protocol). Everything else is refused. */
const ALLOWED: Record<Principal, readonly Op[]> = {
  owner: USER_OPS,
  member: USER_OPS,
  inherited: USER_OPS,
  'sub-only': USER_OPS,
  'read-only': ['list-root', 'list', 'read'],
  'non-member': [],
  removed: [],
  'link-ro': ['list', 'read'],
  'link-wo': ['write'],
  'link-rw': ['list', 'read', 'write', 'overwrite', 'delete', 'rename'],
  'file-link': ['list', 'read'],
};

/** Cells that do not exist: the share pages never overwrite on upload (no such control). */
function applies(principal: Principal, protocol: Protocol, op: Op): boolean {
  return !(protocol === 'api' && isLink(principal) && op === 'overwrite');
}

/**
 * Cells failing because of a bug in core/fileservices/web, reported to the lead (`it.fails`
 * until fixed), keyed `principal × protocol × op`.
 */
const KNOWN_BUGS: ReadonlySet<string> = new Set<string>([]);

const PRINCIPALS = Object.keys(OPS) as Principal[];
const PROTOCOLS: readonly Protocol[] = ['api', 'sftp', 'ftps', 'webdavs'];
const isLink = (p: Principal): boolean => p.startsWith('link-') || p === 'file-link';

// ---------------------------------------------------------------------------------------------
// The site
// ---------------------------------------------------------------------------------------------

const UPLOAD = 'uploaded by the matrix\n';
const SEED = { lab: 'seed of Lab\n', sub: 'seed of Lab/Sub\n', ro: 'seed of Ro\n', shared: 'seed of shared-folder\n', report: 'the report\n' } as const;

let t: TestSite;
let site: Site;
let work: string;
let sftpServer: SftpServer;
let ftpsServer: FtpsServer;
let davServer: WebdavServer;
let web: WebServer;
const ports = { sftp: 0, ftps: 0, webdavs: 0, web: 0 };
let labDir: string;

interface Account {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly token: string;
  readonly home: string;
}
const accounts = new Map<Principal | 'leaver', Account>();
const links = new Map<Principal, string>();

const asOwner = (): { kind: 'user'; userId: string } => ({ kind: 'user', userId: account('owner').id });
function account(p: Principal | 'leaver'): Account {
  const a = accounts.get(p);
  if (a === undefined) throw new Error(`no account ${p}`);
  return a;
}

beforeAll(async () => {
  const { first, last } = await freePortRange(10);
  t = await openTestSite({ config: { ftps: { passive_ports: `${first}-${last}` } }, open: { logger: pino({ level: 'silent' }) } });
  site = t.site;
  sftpServer = await SftpServer.fromSite(site);
  ftpsServer = await FtpsServer.fromSite(site);
  davServer = await WebdavServer.fromSite(site);
  web = new WebServer({ site });
  ports.sftp = (await sftpServer.listen(0, '127.0.0.1')).port;
  ports.ftps = (await ftpsServer.listen(0, '127.0.0.1')).port;
  ports.webdavs = (await davServer.listen(0, '127.0.0.1')).port;
  ports.web = (await web.listen(0, '127.0.0.1')).port;
  work = await mkdtemp(join(tmpdir(), 'mig-vgrid-matrix-'));

  for (const p of ['owner', 'member', 'inherited', 'sub-only', 'read-only', 'non-member', 'removed', 'leaver'] as const) {
    const { user, password } = await createTestUser(site, { fullName: `Matrix ${p}` });
    const { token } = await site.apiTokens.create(user.id, { name: 'matrix', scopes: ['files:read', 'files:write'] });
    accounts.set(p, { id: user.id, email: user.email, password, token, home: await site.users.homeDir(user.id) });
  }
  const actor = asOwner();
  await site.vgrids.create({ actor, name: 'Lab' });
  await site.vgrids.create({ actor, name: 'Lab/Sub' });
  await site.vgrids.create({ actor, name: 'Ro', settings: { readOnly: true } });
  await site.vgrids.addMember('Lab', account('member').id, { actor });
  await site.vgrids.addMember('Lab', account('inherited').id, { actor });
  await site.vgrids.addMember('Lab', account('leaver').id, { actor });
  await site.vgrids.addMember('Lab/Sub', account('sub-only').id, { actor });
  await site.vgrids.addMember('Ro', account('read-only').id, { actor });
  await site.vgrids.addMember('Lab', account('removed').id, { actor });
  await site.vgrids.removeMember('Lab', account('removed').id, { actor: { kind: 'admin', userId: null } });

  labDir = join(site.paths.vgridFilesHome, 'Lab');
  await writeFile(join(labDir, 'seed.txt'), SEED.lab);
  await writeFile(join(labDir, 'Sub', 'seed.txt'), SEED.sub);
  await writeFile(join(site.paths.vgridFilesHome, 'Ro', 'seed.txt'), SEED.ro);
  await mkdir(join(labDir, 'shared-folder'));
  await writeFile(join(labDir, 'shared-folder', 'seed.txt'), SEED.shared);
  await writeFile(join(labDir, 'shared-folder', 'report.txt'), SEED.report);
  const owner = account('owner').id;
  for (const mode of ['ro', 'wo', 'rw'] as const) {
    links.set(`link-${mode}`, (await site.shareLinks.create({ ownerId: owner, path: '/Lab/shared-folder', mode })).id);
  }
  links.set('file-link', (await site.shareLinks.create({ ownerId: owner, path: '/Lab/shared-folder/report.txt', mode: 'ro' })).id);
}, 60_000);

afterAll(async () => {
  await web?.close();
  await sftpServer?.close();
  await ftpsServer?.close();
  await davServer?.close();
  await t?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// One principal's plan: the paths it works on, as its view names them and on the host
// ---------------------------------------------------------------------------------------------

interface Plan {
  /** The share folder in the principal's view. */
  readonly target: string;
  /** The same folder on the host. */
  readonly hostTarget: string;
  /** The principal's home on the host (users). */
  readonly hostHome?: string;
  /** The name `/` must show (users). */
  readonly rootEntry?: string;
  /** The file read and expected in the listing, and its text. */
  readonly readName: string;
  readonly readText: string;
  /** Per-cell file names (tagged with protocol and principal, so cells never meet). */
  readonly names: { readonly new: string; readonly over: string; readonly del: string; readonly in: string; readonly out: string; readonly from: string; readonly to: string; readonly esc: string; readonly parent: string };
  /** What the seeded files hold. */
  readonly seeded: string;
}

function planOf(p: Principal, protocol: Protocol): Plan {
  const tag = `${protocol}-${p}`;
  const names = { new: `new-${tag}.txt`, over: `over-${tag}.txt`, del: `del-${tag}.txt`, in: `in-${tag}.txt`, out: `out-${tag}.txt`, from: `ren-${tag}.txt`, to: `renamed-${tag}.txt`, esc: `esc-${tag}.txt`, parent: `parent-${tag}.txt` };
  const seeded = `seeded for ${tag}\n`;
  const shared = join(labDir, 'shared-folder');
  if (p === 'file-link') return { target: '/', hostTarget: shared, readName: 'report.txt', readText: SEED.report, names: { ...names, over: 'report.txt', del: 'report.txt', from: 'report.txt' }, seeded };
  if (isLink(p)) return { target: '/', hostTarget: shared, readName: 'seed.txt', readText: SEED.shared, names, seeded };
  const home = account(p).home;
  if (p === 'inherited' || p === 'sub-only') return { target: '/Lab/Sub', hostTarget: join(labDir, 'Sub'), hostHome: home, rootEntry: 'Lab', readName: 'seed.txt', readText: SEED.sub, names, seeded };
  if (p === 'read-only') return { target: '/Ro', hostTarget: join(site.paths.vgridFilesHome, 'Ro'), hostHome: home, rootEntry: 'Ro', readName: 'seed.txt', readText: SEED.ro, names, seeded };
  return { target: '/Lab', hostTarget: labDir, hostHome: home, rootEntry: 'Lab', readName: 'seed.txt', readText: SEED.lab, names, seeded };
}

const inside = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/** The client action of an operation. */
function actionOf(op: Op, plan: Plan): MatrixAction {
  const n = plan.names;
  const at = (name: string): string => inside(plan.target, name);
  switch (op) {
    case 'list-root':
      return { kind: 'list', path: '/' };
    case 'list':
      return { kind: 'list', path: plan.target };
    case 'read':
      return { kind: 'read', path: at(plan.readName) };
    case 'write':
      return { kind: 'put', path: at(n.new), overwrite: false };
    case 'overwrite':
      return { kind: 'put', path: at(n.over), overwrite: true };
    case 'delete':
      return { kind: 'remove', path: at(n.del) };
    case 'rename-in':
      return { kind: 'move', from: `/${n.in}`, to: at(n.in) };
    case 'rename-out':
      return { kind: 'move', from: at(n.out), to: `/${n.out}` };
    case 'rename':
      return { kind: 'move', from: at(n.from), to: at(n.to) };
    case 'parent-list':
      return { kind: 'list', path: '/Lab' };
    case 'parent-read':
      return { kind: 'read', path: '/Lab/seed.txt' };
    case 'parent-write':
      return { kind: 'put', path: `/Lab/${n.parent}`, overwrite: false };
    case 'sibling-read':
      return { kind: 'read', path: '/seed.txt' };
    case 'escape-read':
      return { kind: 'read', path: '/../seed.txt' };
    case 'escape-write':
      return { kind: 'put', path: `/../${n.esc}`, overwrite: false };
  }
}

/** Seeds the files the operations of `p` over `protocol` work on. */
async function seed(p: Principal, plan: Plan): Promise<void> {
  if (p === 'file-link') return;
  const n = plan.names;
  for (const name of [n.over, n.del, n.out, n.from]) await writeFile(join(plan.hostTarget, name), plan.seeded);
  if (plan.hostHome !== undefined) await writeFile(join(plan.hostHome, n.in), plan.seeded);
}

const text = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);

/**
 * What happened to an operation: `done` (took effect), `refused` (nothing changed), or `damaged`
 * (half done: e.g. a refused move lost its source, a refused overwrite truncated the file).
 */
type Effect = 'done' | 'refused' | 'damaged';

interface CellResult {
  readonly effect: Effect;
  readonly detail: string;
  /** What the client was told, for changes. */
  readonly reported?: 'ok' | 'error';
}

async function effectOf(op: Op, p: Principal, plan: Plan, seen: ActionOutcome): Promise<CellResult> {
  const n = plan.names;
  const host = (name: string): string => join(plan.hostTarget, name);
  const home = (name: string): string => join(plan.hostHome ?? '/nonexistent', name);
  const listed = (name: string | undefined): { effect: Effect; detail: string } => ({ effect: name !== undefined && (seen.names ?? []).includes(name) ? 'done' : 'refused', detail: `listed ${JSON.stringify(seen.names)}` });
  const got = (want: string): { effect: Effect; detail: string } => ({ effect: seen.text === want ? 'done' : 'refused', detail: `got ${JSON.stringify(seen.text)}` });
  const keptOrChanged = async (path: string, original: string | undefined): Promise<{ effect: Effect; detail: string }> => {
    const now = await text(path);
    return { effect: now === UPLOAD ? 'done' : now === original ? 'refused' : 'damaged', detail: `${path} holds ${JSON.stringify(now)}` };
  };
  const moved = async (from: string, to: string): Promise<{ effect: Effect; detail: string }> => {
    const [a, b] = [await text(from), await text(to)];
    const effect: Effect = a === undefined && b === plan.seeded ? 'done' : a === plan.seeded && b === undefined ? 'refused' : 'damaged';
    return { effect, detail: `${from}: ${JSON.stringify(a)}, ${to}: ${JSON.stringify(b)}` };
  };
  switch (op) {
    case 'list-root':
      return listed(plan.rootEntry);
    case 'list':
      return listed(plan.readName);
    case 'parent-list':
      return listed('seed.txt');
    case 'read':
      return got(plan.readText);
    case 'parent-read':
    case 'escape-read':
      return got(SEED.lab);
    case 'sibling-read':
      return got(SEED.shared);
    case 'write':
      return keptOrChanged(host(n.new), undefined);
    case 'overwrite':
      return keptOrChanged(host(n.over), p === 'file-link' ? SEED.report : plan.seeded);
    case 'parent-write':
      return keptOrChanged(join(labDir, n.parent), undefined);
    case 'escape-write': {
      // `/..` above the root may be taken as the root itself (as POSIX does): landing inside the
      // link's folder is no escape; only a file outside it is.
      const outside = await keptOrChanged(join(labDir, n.esc), undefined);
      return { ...outside, detail: `${outside.detail}; inside the link: ${JSON.stringify(await text(host(n.esc)))}` };
    }
    case 'delete': {
      const now = await text(host(n.del));
      const original = p === 'file-link' ? SEED.report : plan.seeded;
      return { effect: now === undefined ? 'done' : now === original ? 'refused' : 'damaged', detail: `${host(n.del)} holds ${JSON.stringify(now)}` };
    }
    case 'rename-in':
      return moved(home(n.in), host(n.in));
    case 'rename-out':
      return moved(host(n.out), home(n.out));
    case 'rename':
      if (p === 'file-link') {
        const [a, b] = [await text(host(n.from)), await text(host(n.to))];
        return { effect: a === undefined && b === SEED.report ? 'done' : a === SEED.report && b === undefined ? 'refused' : 'damaged', detail: `${JSON.stringify(a)} → ${JSON.stringify(b)}` };
      }
      return moved(host(n.from), host(n.to));
  }
}

const DRIVERS: Record<Protocol, (c: MatrixClient, actions: readonly MatrixAction[]) => Promise<ActionOutcome[]>> = {
  api: apiActions,
  sftp: sftpActions,
  ftps: lftpActions,
  webdavs: davActions,
};

function clientOf(p: Principal, protocol: Protocol, localDir: string): MatrixClient {
  const port = protocol === 'api' ? ports.web : ports[protocol];
  const common = { port, caFile: t.caCertPath, localDir, upload: 'up.txt' };
  const link = links.get(p);
  if (link !== undefined) return { ...common, login: link, password: link };
  const a = account(p);
  return { ...common, login: a.email, password: protocol === 'api' ? a.token : a.password };
}

// ---------------------------------------------------------------------------------------------
// The loops: one session per principal and protocol, one test per cell
// ---------------------------------------------------------------------------------------------

describe('VGrid and share-link permission matrix', () => {
  for (const protocol of PROTOCOLS) {
    describe(protocol, () => {
      for (const p of PRINCIPALS) {
        describe(p, () => {
          const ops = OPS[p].filter((op) => applies(p, protocol, op));
          const effects = new Map<Op, CellResult>();
          beforeAll(async () => {
            const plan = planOf(p, protocol);
            await seed(p, plan);
            const localDir = await mkdtemp(join(work, `${protocol}-${p}-`));
            await writeFile(join(localDir, 'up.txt'), UPLOAD);
            const drive = protocol === 'api' && isLink(p) ? sharePageActions : DRIVERS[protocol];
            const outcomes = await drive(clientOf(p, protocol, localDir), ops.map((op) => actionOf(op, plan)));
            for (const [i, op] of ops.entries()) {
              const seen = outcomes[i] ?? {};
              effects.set(op, { ...(await effectOf(op, p, plan, seen)), ...(seen.reported !== undefined && { reported: seen.reported }) });
            }
          }, 60_000);

          for (const op of ops) {
            const allowed = ALLOWED[p].includes(op);
            const cell = `${p} × ${protocol} × ${op}`;
            const test = KNOWN_BUGS.has(cell) ? it.fails : it;
            test(`${cell}: ${allowed ? 'allowed' : 'refused'}`, () => {
              const got = effects.get(op);
              expect(got, 'the session ran').toBeDefined();
              expect({ cell, effect: got?.effect }, got?.detail).toEqual({ cell, effect: allowed ? 'done' : 'refused' });
              // The client is told the truth: a change that was refused reports an error, one made
              // reports success (an escaping write is refused by every protocol and the share page).
              if (got?.reported !== undefined) expect({ cell, reported: got.reported }).toEqual({ cell, reported: allowed ? 'ok' : 'error' });
            });
          }
        });
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Open sessions
// ---------------------------------------------------------------------------------------------

/** The names an `ls -1` command of an sftp batch printed (its section of stdout, after its echo line). */
function listingOf(stdout: string, command: string): string[] {
  const section = stdout.split(/^sftp> /m).find((sec) => sec.split('\n', 1)[0]?.trim() === command);
  if (section === undefined) throw new Error(`no output of ${command} in ${stdout}`);
  return section.split('\n').slice(1).map((l) => l.trim()).filter((l) => l !== '').map((l) => l.slice(l.lastIndexOf('/') + 1));
}

describe('open sessions lose access at their next operation', () => {
  it('a removed member\'s open SFTP session (OpenSSH sftp) loses /Lab', async () => {
    const leaver = account('leaver');
    const cwd = await mkdtemp(join(work, 'leaver-'));
    const s = await InteractiveSftp.open(ports.sftp, leaver.email, leaver.password, cwd);
    try {
      const before = await s.run(['-ls -1 /Lab', '-get /Lab/seed.txt before.txt']);
      expect(listingOf(before.stdout, '-ls -1 /Lab')).toContain('seed.txt');
      expect(await text(join(cwd, 'before.txt'))).toBe(SEED.lab);
      await site.vgrids.removeMember('Lab', leaver.id, { actor: asOwner() });
      const after = await s.run(['-ls -1 /Lab', '-get /Lab/seed.txt after.txt', '-put before.txt /Lab/sneaked.txt', '-ls -1 /']);
      expect(listingOf(after.stdout, '-ls -1 /Lab')).toEqual([]);
      expect(after.stderr).toMatch(/\/Lab/);
      expect(existsSync(join(cwd, 'after.txt'))).toBe(false);
      expect(existsSync(join(labDir, 'sneaked.txt'))).toBe(false);
      const root = listingOf(after.stdout, '-ls -1 /');
      expect(root).toContain('welcome.txt');
      expect(root).not.toContain('Lab');
    } finally {
      await s.close();
    }
  });

  it('a revoked share link\'s open SFTP session fails its next operation', async () => {
    const id = (await site.shareLinks.create({ ownerId: account('owner').id, path: '/Lab/shared-folder', mode: 'rw' })).id;
    const cwd = await mkdtemp(join(work, 'revoked-'));
    const s = await InteractiveSftp.open(ports.sftp, id, id, cwd);
    try {
      const before = await s.run(['-ls -1 /', '-get /seed.txt before.txt']);
      expect(listingOf(before.stdout, '-ls -1 /')).toContain('seed.txt');
      expect(await text(join(cwd, 'before.txt'))).toBe(SEED.shared);
      await site.shareLinks.revoke(id, { userId: account('owner').id });
      const after = await s.run(['-ls -1 /', '-get /seed.txt after.txt', '-put before.txt /after-revoke.txt']);
      expect(listingOf(after.stdout, '-ls -1 /')).toEqual([]);
      expect(after.stderr).not.toBe('');
      expect(existsSync(join(cwd, 'after.txt'))).toBe(false);
      expect(existsSync(join(labDir, 'shared-folder', 'after-revoke.txt'))).toBe(false);
    } finally {
      await s.close();
    }
  });
});
