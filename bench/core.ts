/**
 * `npm run bench -- core`: user lookups/s and password verifications/s on SQLite and PostgreSQL.
 *
 * Peers measured in the same run:
 * - lookups: the same query through the raw driver (better-sqlite3 prepared statement; pg pool),
 *   so the ratio is the cost of our store layer;
 * - password verification: MiG's own scheme (PBKDF2-HMAC-SHA256, 10,000 rounds) in Python's
 *   hashlib, as MiG runs it. Our default KDF (scrypt N=2^15, r=8, p=3) is deliberately much more
 *   expensive per guess; the ratio shows the price of that.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { defaultConfig, hashPassword, openSite, verifyPassword, type Site, type SiteConfig } from '@migrid/core';
import { startPostgresCluster } from '../test/support/postgres-cluster.js';

const USERS = Number(process.env.BENCH_USERS ?? 5000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = 16;

/** Runs `op` from `concurrency` loops for `seconds`; returns operations per second. */
async function rate(op: (i: number) => Promise<unknown>, seconds = SECONDS, concurrency = CONCURRENCY): Promise<number> {
  let count = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await op(count++);
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

function syncRate(op: (i: number) => unknown, seconds = SECONDS): number {
  let count = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  while (performance.now() < deadline) op(count++);
  return count / ((performance.now() - start) / 1000);
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

function withConfig(base: SiteConfig, stateDir: string, url: string | undefined): SiteConfig {
  return {
    ...base,
    site: { ...base.site, state_dir: stateDir },
    database: { ...base.database, url, sqlite_file: join(stateDir, 'mig.db') },
    logging: { ...base.logging, level: 'warn', dir: join(stateDir, 'log') },
  };
}

async function populate(site: Site): Promise<string[]> {
  const emails: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const email = `user${i}@bench.example.org`;
    emails.push(email);
    await site.users.create({ fullName: `Bench User ${i}`, organization: 'Bench', country: 'DK', state: '', email, comment: '' });
  }
  return emails;
}

interface Row {
  db: string;
  lookups: number;
  rawLookups: number;
  logins: number;
}

async function benchDatabase(kind: 'sqlite' | 'postgres', url: string | undefined, passwordHash: string): Promise<Row> {
  const dir = await mkdtemp(join(tmpdir(), `mig-bench-${kind}-`));
  const config = withConfig(defaultConfig(dir), join(dir, 'state'), url);
  const site = await openSite(config, { service: 'bench' });
  try {
    process.stdout.write(`  ${kind}: creating ${USERS} users … `);
    const t0 = performance.now();
    const emails = await populate(site);
    console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // One user gets a real password for the login benchmark.
    const loginUser = await site.users.find(emails[0] as string);
    if (loginUser === undefined) throw new Error('bench user missing');
    await site.users.updatePasswordHash(loginUser.id, passwordHash);

    const pick = (i: number): string => emails[(i * 7919) % emails.length] as string;
    const lookups = await rate(async (i) => {
      const u = await site.users.find(pick(i));
      if (u === undefined) throw new Error('lookup failed');
    });

    let rawLookups: number;
    if (kind === 'sqlite') {
      const raw = new SqliteDatabase(config.database.sqlite_file, { readonly: true });
      const stmt = raw.prepare('select * from users where email = ?');
      rawLookups = syncRate((i) => {
        if (stmt.get(pick(i)) === undefined) throw new Error('raw lookup failed');
      });
      raw.close();
    } else {
      const pool = new pg.Pool({ connectionString: url, max: 10 });
      rawLookups = await rate(async (i) => {
        const r = await pool.query('select * from users where email = $1', [pick(i)]);
        if (r.rowCount !== 1) throw new Error('raw lookup failed');
      });
      await pool.end();
    }

    // Logins through the authenticator: defender check, lookup, scrypt verify, success record.
    const logins = await rate(
      () => site.auth.authenticatePassword({ login: emails[0] as string, password: 'Bench-Passw0rd!', address: '127.0.0.1', protocol: 'bench' }),
      SECONDS,
      8,
    );
    return { db: kind, lookups, rawLookups, logins };
  } finally {
    await site.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function pythonPbkdf2Rate(): number | undefined {
  const script = [
    'import hashlib, time',
    'salt = b"MDAwMDAwMDAwMDAw"',
    'n = 0; t = time.perf_counter(); end = t + 3',
    'while time.perf_counter() < end:',
    '    hashlib.pbkdf2_hmac("sha256", b"foobar", salt, 10000, 24); n += 1',
    'print(n / (time.perf_counter() - t))',
  ].join('\n');
  try {
    return Number(execFileSync('python3', ['-c', script], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

console.log(`core benchmark: ${USERS} users, ${SECONDS} s per measurement, ${CONCURRENCY} concurrent lookups, ${availableParallelism()} cores`);
const hash = await hashPassword('Bench-Passw0rd!');
const migHash = 'PBKDF2$sha256$10000$MDAwMDAwMDAwMDAw$epib2rEg/HYTQZFnCp7hmIGZ6rzHnViy';

const rows: Row[] = [];
rows.push(await benchDatabase('sqlite', undefined, hash));
const cluster = await startPostgresCluster();
try {
  rows.push(await benchDatabase('postgres', cluster.url, hash));
} finally {
  await cluster.stop();
}

const scryptSingle = await rate(() => verifyPassword('Bench-Passw0rd!', hash), SECONDS, 1);
const scryptParallel = await rate(() => verifyPassword('Bench-Passw0rd!', hash), SECONDS, 8);
const pbkdf2Ours = await rate(() => verifyPassword('foobar', migHash), SECONDS, 8);
const pbkdf2Python = pythonPbkdf2Rate();

console.log('');
console.log('user lookups by email (site.users.find) vs the same query on the raw driver');
console.log('  db        ours/s     raw driver/s   ratio');
for (const r of rows) {
  console.log(`  ${r.db.padEnd(9)} ${fmt(r.lookups).padStart(9)}  ${fmt(r.rawLookups).padStart(13)}   ${(r.lookups / r.rawLookups).toFixed(2)}×`);
}
console.log('');
console.log('repeat password logins through site.auth.authenticatePassword, 8 concurrent');
console.log('(defender check + lookup + remembered verification + success record; a first login costs one scrypt, below)');
for (const r of rows) console.log(`  ${r.db.padEnd(9)} ${fmt(r.logins).padStart(9)} /s`);
console.log('');
console.log('password verification alone');
console.log(`  scrypt (ours, N=2^15 r=8 p=3), 1 at a time   ${fmt(scryptSingle).padStart(8)} /s`);
console.log(`  scrypt (ours), 8 concurrent (libuv pool)      ${fmt(scryptParallel).padStart(8)} /s`);
console.log(`  MiG PBKDF2-SHA256×10000 in our verifier       ${fmt(pbkdf2Ours).padStart(8)} /s`);
if (pbkdf2Python === undefined) {
  console.log('  MiG PBKDF2 in Python hashlib (native peer)    python3 not available');
} else {
  console.log(`  MiG PBKDF2 in Python hashlib (native peer)    ${fmt(pbkdf2Python).padStart(8)} /s, one core`);
  console.log(`  ratio ours scrypt (8 concurrent) / MiG peer   ${(scryptParallel / pbkdf2Python).toFixed(2)}× (lower = costlier for an attacker per guess)`);
  console.log(`  ratio ours PBKDF2 (8 concurrent) / MiG peer   ${(pbkdf2Ours / pbkdf2Python).toFixed(2)}×`);
}
