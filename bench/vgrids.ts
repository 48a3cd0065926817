/**
 * `npm run bench -- vgrids`: how the time to build a user's file view and to list the home root
 * grows with the number of VGrids on the site (10, 1,000, 10,000) and the user's memberships
 * (1, 100, 1,000), on SQLite (the embedded default) and, at the largest size, PostgreSQL.
 *
 * Each cell is the median of several runs of: `site.files.viewFor(user)` (the store's membership
 * query plus the view's mount table: share, private and public web folder per VGrid) and then
 * `view.list('/')` on that fresh view, as a new SFTP session or web request does. A live view's
 * reload after a VGrid change is measured too.
 *
 * The peer measured in the same run is the listing MiG itself does for the same home: MiG puts a
 * symlink per VGrid into the home (and into `private_base`/`public_base`), so its root listing is a
 * readdir plus one stat per entry following the link. We do that with Node's synchronous calls, the
 * cheapest form there is. The site's VGrid rows are written in bulk (as an import from MiG would);
 * every VGrid the user is in gets its three real folders.
 *
 * Aim (issue 6): listing the root < 50 ms at 10,000 VGrids and 1,000 memberships.
 */
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openSite, parseConfig, type Site } from '@migrid/core';
import { startPostgresCluster } from '../test/support/postgres-cluster.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const SIZES: readonly { vgrids: number; memberships: number }[] = [
  { vgrids: 10, memberships: 1 },
  { vgrids: 1_000, memberships: 1 },
  { vgrids: 1_000, memberships: 100 },
  { vgrids: 1_000, memberships: 1_000 },
  { vgrids: 10_000, memberships: 1 },
  { vgrids: 10_000, memberships: 100 },
  { vgrids: 10_000, memberships: 1_000 },
];
const AIM_MS = 50;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function ms(n: number): string {
  return n.toFixed(1).padStart(8);
}

interface Cell {
  readonly build: number;
  readonly list: number;
  readonly total: number;
  readonly reload: number;
  readonly peer: number;
  readonly entries: number;
}

/** Fills a fresh site with `vgrids` VGrids, the user in `memberships` of them; measures. */
async function measure(dir: string, databaseSection: string, size: { vgrids: number; memberships: number }): Promise<Cell> {
  const stateDir = join(dir, 'state');
  const site: Site = await openSite(
    parseConfig(`[site]\nstate_dir = "${stateDir}"\n[logging]\nlevel = "silent"\n${databaseSection}`, { baseDir: dir }),
    { service: 'bench' },
  );
  try {
    const user = await site.users.create({ fullName: 'Bench User', organization: 'NBI', country: 'DK', email: 'bench@example.org' });
    const owner = await site.users.create({ fullName: 'Owner User', organization: 'NBI', country: 'DK', email: 'owner@example.org' });
    const at = Date.now();
    const names = Array.from({ length: size.vgrids }, (_, i) => `Group${String(i).padStart(5, '0')}`);
    const step = Math.floor(size.vgrids / size.memberships);
    const mine = new Set(names.filter((_, i) => i % step === 0).slice(0, size.memberships));
    for (let i = 0; i < names.length; i += 500) {
      const chunk = names.slice(i, i + 500);
      await site.db.insertInto('vgrids').values(chunk.map((name) => ({ name, parent: null, settings: '{}', created_at: at, created_by: 'bench', updated_at: at }))).execute();
      await site.db.insertInto('vgrid_lineage').values(chunk.map((name) => ({ ancestor: name, vgrid: name, depth: 0 }))).execute();
      await site.db.insertInto('vgrid_participants').values(chunk.map((vgrid) => ({ vgrid, user_id: owner.id, role: 'owner', added_at: at, added_by: 'bench' }))).execute();
      const members = chunk.filter((n) => mine.has(n));
      if (members.length > 0) {
        await site.db.insertInto('vgrid_participants').values(members.map((vgrid) => ({ vgrid, user_id: user.id, role: 'member', added_at: at, added_by: 'bench' }))).execute();
      }
    }
    const bases = [site.paths.vgridFilesHome, site.paths.vgridPrivateBase, site.paths.vgridPublicBase];
    for (const name of mine) for (const base of bases) await mkdir(join(base, name), { recursive: true });
    // A VGrid change bumps the generation (rows were written around the store).
    await site.vgrids.updateSettings(names[0] as string, { description: 'bench' }, { actor: { kind: 'admin', userId: null } });

    // The peer: a MiG-style home with a symlink per VGrid (and in private_base/public_base).
    const migHome = join(dir, 'mig-home');
    await mkdir(join(migHome, 'private_base'), { recursive: true });
    await mkdir(join(migHome, 'public_base'), { recursive: true });
    for (const name of mine) {
      await symlink(join(site.paths.vgridFilesHome, name), join(migHome, name));
      await symlink(join(site.paths.vgridPrivateBase, name), join(migHome, 'private_base', name));
      await symlink(join(site.paths.vgridPublicBase, name), join(migHome, 'public_base', name));
    }

    const builds: number[] = [];
    const lists: number[] = [];
    const totals: number[] = [];
    const peers: number[] = [];
    let entries = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const t0 = performance.now();
      const view = await site.files.viewFor({ kind: 'user', userId: user.id });
      const t1 = performance.now();
      const listed = await view.list('/');
      const t2 = performance.now();
      builds.push(t1 - t0);
      lists.push(t2 - t1);
      totals.push(t2 - t0);
      entries = listed.length;
      const p0 = performance.now();
      let peerCount = 0;
      for (const name of readdirSync(migHome)) {
        statSync(join(migHome, name));
        peerCount += 1;
      }
      peers.push(performance.now() - p0);
      if (peerCount < size.memberships) throw new Error('the peer home is incomplete');
    }
    if (entries < size.memberships) throw new Error(`the root lists ${entries} entries, fewer than ${size.memberships} VGrids`);
    const live = await site.files.viewFor({ kind: 'user', userId: user.id });
    await live.list('/');
    const reloads: number[] = [];
    for (let run = 0; run < Math.min(RUNS, 5); run += 1) {
      await site.vgrids.updateSettings(names[0] as string, { description: `bench ${run}` }, { actor: { kind: 'admin', userId: null } });
      const t0 = performance.now();
      await live.list('/');
      reloads.push(performance.now() - t0);
    }
    return { build: median(builds), list: median(lists), total: median(totals), reload: median(reloads), peer: median(peers), entries };
  } finally {
    await site.close();
  }
}

async function runAll(label: string, databaseSection: () => Promise<string>, sizes: readonly { vgrids: number; memberships: number }[]): Promise<number | undefined> {
  console.log(`\n${label}`);
  console.log('  VGrids  member of   view build   list /   build+list   after a change   MiG-style readdir+stat   entries');
  let largest: number | undefined;
  for (const size of sizes) {
    const dir = await mkdtemp(join(tmpdir(), 'mig-bench-vgrids-'));
    try {
      const cell = await measure(dir, await databaseSection(), size);
      console.log(
        `  ${String(size.vgrids).padStart(6)}  ${String(size.memberships).padStart(9)}  ${ms(cell.build)} ms ${ms(cell.list)} ms ${ms(cell.total)} ms   ${ms(cell.reload)} ms     ${ms(cell.peer)} ms (${(cell.total / cell.peer).toFixed(1)}×)   ${cell.entries}`,
      );
      if (size.vgrids === 10_000 && size.memberships === 1_000) largest = cell.total;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return largest;
}

const sqliteLargest = await runAll('SQLite (embedded default), median of runs, times in ms:', async () => '', SIZES);
const cluster = await startPostgresCluster();
let postgresLargest: number | undefined;
try {
  let counter = 0;
  postgresLargest = await runAll(
    'PostgreSQL, largest size:',
    async () => {
      const name = `vgb${(counter += 1)}`;
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      return `[database]\nurl = "${cluster.url.replace(/\/[^/]*$/, `/${name}`)}"\n`;
    },
    [{ vgrids: 10_000, memberships: 1_000 }],
  );
} finally {
  await cluster.stop();
}
for (const [label, value] of [['SQLite', sqliteLargest], ['PostgreSQL', postgresLargest]] as const) {
  if (value === undefined) continue;
  console.log(`aim: a new view and its root listing < ${AIM_MS} ms at 10,000 VGrids / 1,000 memberships (${label}): ${value < AIM_MS ? 'MET' : 'NOT MET'} (${value.toFixed(1)} ms)`);
}
