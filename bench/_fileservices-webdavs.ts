/**
 * WebDAVS throughput: our server (`@migrid/fileservices`) against a private Apache 2.4 with
 * mod_dav/mod_dav_fs and mod_ssl on a free port (its own `-f` config, `-DFOREGROUND`), both with
 * the same TLS certificate and Basic auth. The client is curl for everything, the same for both
 * servers and always a separate process: big files with `-T` up and `-o /dev/null` down, small
 * files through one curl in parallel mode (4 HTTP/1.1 keep-alive connections, reused). The servers
 * take turns case by case; `BENCH_ROUNDS` (default 1) repeats the whole set and keeps each case's
 * best round, which on a shared machine is the fairest reading of what each server can do. Cases: `big up`, `big down` (MB/s), `small up`, `small down` (files/s).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { WebdavServer } from '@migrid/fileservices';
import { freePort } from '../test/support/free-port.js';
import { createTestUser, openTestSite } from '../test/support/test-site.js';

const exec = promisify(execFile);
const MODULES = '/usr/lib/apache2/modules';
const PARALLEL = 4;

/** One measured case. */
export interface WebdavsBenchResult {
  protocol: 'webdavs';
  case: string;
  unit: 'MB/s' | 'files/s';
  ours: number;
  native: number;
}

/** A server the client talks to. */
export interface Endpoint {
  readonly base: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly ca: string;
}

/** Writes `bytes` random bytes to `file`. */
export async function writeRandom(file: string, bytes: number): Promise<void> {
  const chunk = 8 * 1024 * 1024;
  await pipeline(
    (async function* () {
      for (let done = 0; done < bytes; done += chunk) yield randomBytes(Math.min(chunk, bytes - done));
    })(),
    createWriteStream(file),
  );
}

/** Runs one curl transfer; returns its wall-clock seconds. */
export async function timedCurl(e: Endpoint, args: readonly string[]): Promise<number> {
  const started = process.hrtime.bigint();
  const { stdout } = await exec('curl', ['-sS', '--fail', '--cacert', e.ca, '-u', `${e.user}:${e.password}`, '-w', '%{http_code}', ...(args.includes('-o') ? [] : ['-o', '/dev/null']), ...args], { maxBuffer: 1024 * 1024 });
  if (!/^2\d\d$/.test(stdout.trim())) throw new Error(`curl got ${stdout.trim()}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * Runs `count` PUTs (of `bodyFile`) or GETs of `/<dir>/f<i>.bin` through ONE curl process in
 * parallel mode: at most `PARALLEL` HTTP/1.1 keep-alive connections, each reused for the next
 * transfer. The client is a separate C process for both servers, so it neither shares the event
 * loop with our server nor limits either side. Returns files per second (wall clock of the curl
 * run: the few TLS handshakes and the first logins are included, the same for both servers).
 */
export async function timedSmall(e: Endpoint, method: 'PUT' | 'GET', count: number, bodyFile: string, dir: string, workDir: string): Promise<number> {
  const config = join(workDir, `small-${method}-${e.port}.curl`);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(`url = "${e.base}/${dir}/f${i}.bin"`, 'output = "/dev/null"');
    if (method === 'PUT') lines.push(`upload-file = "${bodyFile}"`);
  }
  await writeFile(config, `${lines.join('\n')}\n`);
  try {
    const args = ['-sS', '--http1.1', '--parallel', '--parallel-immediate', '--parallel-max', String(PARALLEL), '--cacert', e.ca, '-u', `${e.user}:${e.password}`, '-w', '%{http_code}\n', '-K', config];
    const started = process.hrtime.bigint();
    const { stdout } = await exec('curl', args, { maxBuffer: 16 * 1024 * 1024 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const codes = stdout.split('\n').filter((l) => l.length > 0);
    const bad = codes.filter((c) => !/^2\d\d$/.test(c));
    if (codes.length !== count || bad.length > 0) throw new Error(`small ${method}: ${codes.length} answers, ${bad.length} not 2xx (${bad.slice(0, 3).join(', ')})`);
    return count / seconds;
  } finally {
    await rm(config, { force: true });
  }
}

async function startApache(dir: string, certFile: string, keyFile: string, user: string, password: string): Promise<{ port: number; docRoot: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const docRoot = join(dir, 'htdocs');
  const lockDir = join(dir, 'davlock');
  await mkdir(docRoot, { recursive: true });
  await mkdir(lockDir, { recursive: true });
  // Apache drops to www-data when started as root; its files must then be writable by it.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    await chown(docRoot, 33, 33);
    await chown(lockDir, 33, 33);
  }
  await exec('htpasswd', ['-b', '-c', '-m', join(dir, 'htpasswd'), user, password]);
  const conf = [
    'ServerRoot /usr/lib/apache2',
    'ServerName localhost',
    `PidFile ${join(dir, 'httpd.pid')}`,
    `ErrorLog ${join(dir, 'error.log')}`,
    'LogLevel warn',
    `Listen 127.0.0.1:${port}`,
    ...['mpm_event', 'authz_core', 'authz_user', 'authn_core', 'authn_file', 'auth_basic', 'dav', 'dav_fs', 'ssl', 'socache_shmcb', 'mime'].map(
      (m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`,
    ),
    ...(asRoot ? ['User www-data', 'Group www-data'] : []),
    `Mutex file:${dir} default`,
    'TypesConfig /etc/mime.types',
    `SSLSessionCache shmcb:${join(dir, 'ssl_scache')}(512000)`,
    'SSLEngine on',
    `SSLCertificateFile ${certFile}`,
    `SSLCertificateKeyFile ${keyFile}`,
    'SSLProtocol -all +TLSv1.2 +TLSv1.3',
    'KeepAlive On',
    'MaxKeepAliveRequests 0',
    'KeepAliveTimeout 300',
    `DavLockDB ${join(lockDir, 'DavLock')}`,
    `DocumentRoot ${docRoot}`,
    `<Directory ${docRoot}>`,
    '  Dav On',
    '  AuthType Basic',
    '  AuthName "bench"',
    `  AuthUserFile ${join(dir, 'htpasswd')}`,
    '  Require valid-user',
    '</Directory>',
    '',
  ].join('\n');
  await writeFile(join(dir, 'httpd.conf'), conf);
  const child: ChildProcess = spawn('/usr/sbin/apache2', ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, APACHE_RUN_DIR: dir } });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  for (let i = 0; i < 100; i++) {
    try {
      await exec('curl', ['-sk', '-o', '/dev/null', `https://127.0.0.1:${port}/`]);
      break;
    } catch {
      if (child.exitCode !== null) throw new Error(`apache2 did not start: ${stderr}${await readFile(join(dir, 'error.log'), 'utf8').catch(() => '')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    docRoot,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Our WebDAVS server against Apache mod_dav; see the file comment. */
export async function benchWebdavs(o: { workDir: string; bigBytes: number; smallFiles: number; smallBytes: number; rounds?: number }): Promise<WebdavsBenchResult[]> {
  const rounds = o.rounds ?? Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
  const dir = join(o.workDir, 'webdavs');
  await mkdir(dir, { recursive: true });
  const t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
  const server = await WebdavServer.fromSite(t.site);
  const apacheDir = join(dir, 'apache');
  await mkdir(apacheDir, { recursive: true });
  let apache: Awaited<ReturnType<typeof startApache>> | undefined;
  try {
    const { port } = await server.listen(0, '127.0.0.1');
    const { user, password } = await createTestUser(t.site);
    apache = await startApache(apacheDir, t.site.config.webdavs.cert_file, t.site.config.webdavs.key_file, 'bench', password);
    const ours: Endpoint = { base: `https://localhost:${port}`, port, user: user.email, password, ca: t.caCertPath };
    const native: Endpoint = { base: `https://localhost:${apache.port}`, port: apache.port, user: 'bench', password, ca: t.caCertPath };

    const big = join(dir, 'big.bin');
    await writeRandom(big, o.bigBytes);
    const small = join(dir, 'small.bin');
    await writeFile(small, randomBytes(o.smallBytes));
    const results: WebdavsBenchResult[] = [];
    const mb = o.bigBytes / 1e6;
    // The two servers take turns case by case (Apache first, then ours, then the other way round
    // in the next round), so that load from elsewhere on the machine falls on both alike; with
    // `BENCH_ROUNDS` above 1 each case reports its best round.
    const best = { ours: new Map<string, number>(), native: new Map<string, number>() };
    const note = (side: 'ours' | 'native', name: string, value: number): void => {
      best[side].set(name, Math.max(best[side].get(name) ?? 0, value));
    };
    for (let r = 0; r < rounds; r++) {
      const sides: Array<['ours' | 'native', Endpoint]> = r % 2 === 0 ? [['native', native], ['ours', ours]] : [['ours', ours], ['native', native]];
      // Each upload starts with no dirty pages left by the previous one (`sync`, untimed).
      for (const [side, e] of sides) {
        await exec('sync');
        note(side, 'big up', mb / (await timedCurl(e, ['-T', big, `${e.base}/big.bin`])));
      }
      for (const [side, e] of sides) note(side, 'big down', mb / (await timedCurl(e, ['-o', '/dev/null', `${e.base}/big.bin`])));
      for (const [, e] of sides) await timedCurl(e, ['-X', 'DELETE', `${e.base}/big.bin`]);
      for (const [, e] of sides) await timedCurl(e, ['-X', 'MKCOL', `${e.base}/small${r}/`]);
      for (const [side, e] of sides) {
        await exec('sync');
        note(side, 'small up', await timedSmall(e, 'PUT', o.smallFiles, small, `small${r}`, dir));
      }
      for (const [side, e] of sides) note(side, 'small down', await timedSmall(e, 'GET', o.smallFiles, small, `small${r}`, dir));
    }
    const round = (x: number): number => Math.round(x * 10) / 10;
    for (const [name, unit] of [['big up', 'MB/s'], ['big down', 'MB/s'], ['small up', 'files/s'], ['small down', 'files/s']] as const) {
      results.push({ protocol: 'webdavs', case: name, unit, ours: round(best.ours.get(name) ?? 0), native: round(best.native.get(name) ?? 0) });
    }
    return results;
  } finally {
    await apache?.stop();
    await server.close();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  }
}
