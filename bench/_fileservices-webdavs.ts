/**
 * WebDAVS throughput: our server (`@migrid/fileservices`) against a private Apache 2.4 with
 * mod_dav/mod_dav_fs and mod_ssl on a free port (its own `-f` config, `-DFOREGROUND`), both with
 * the same TLS certificate and Basic auth. Big files go through curl (`-T` up, `-o /dev/null`
 * down); small files through one Node https client with keep-alive (4 parallel connections), the
 * same for both servers. Cases: `big up`, `big down` (MB/s), `small up`, `small down` (files/s).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
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

interface Endpoint {
  readonly base: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly ca: string;
}

async function writeRandom(file: string, bytes: number): Promise<void> {
  const chunk = 8 * 1024 * 1024;
  await pipeline(
    (async function* () {
      for (let done = 0; done < bytes; done += chunk) yield randomBytes(Math.min(chunk, bytes - done));
    })(),
    createWriteStream(file),
  );
}

async function timedCurl(e: Endpoint, args: readonly string[]): Promise<number> {
  const started = process.hrtime.bigint();
  const { stdout } = await exec('curl', ['-sS', '--fail', '--cacert', e.ca, '-u', `${e.user}:${e.password}`, '-w', '%{http_code}', ...(args.includes('-o') ? [] : ['-o', '/dev/null']), ...args], { maxBuffer: 1024 * 1024 });
  if (!/^2\d\d$/.test(stdout.trim())) throw new Error(`curl got ${stdout.trim()}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function oneRequest(agent: Agent, e: Endpoint, method: string, path: string, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Authorization: `Basic ${Buffer.from(`${e.user}:${e.password}`).toString('base64')}` };
    if (body !== undefined) headers['Content-Length'] = String(body.length);
    const req = request({ host: '127.0.0.1', port: e.port, servername: 'localhost', path, method, headers, agent }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`${method} ${path}: ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `count` requests over `PARALLEL` keep-alive connections; returns requests per second. */
async function timedSmall(e: Endpoint, ca: Buffer, method: 'PUT' | 'GET', count: number, body: Buffer, dir: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: PARALLEL, ca });
  try {
    // Warm the connections (TLS handshakes and logins are not what this case measures).
    await Promise.all(Array.from({ length: PARALLEL }, () => oneRequest(agent, e, 'OPTIONS', `/${dir}/`)));
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let i = next++; i < count; i = next++) await oneRequest(agent, e, method, `/${dir}/f${i}.bin`, method === 'PUT' ? body : undefined);
      }),
    );
    return count / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    agent.destroy();
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
export async function benchWebdavs(o: { workDir: string; bigBytes: number; smallFiles: number; smallBytes: number }): Promise<WebdavsBenchResult[]> {
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
    const ca = await readFile(t.caCertPath);
    const ours: Endpoint = { base: `https://localhost:${port}`, port, user: user.email, password, ca: t.caCertPath };
    const native: Endpoint = { base: `https://localhost:${apache.port}`, port: apache.port, user: 'bench', password, ca: t.caCertPath };

    const big = join(dir, 'big.bin');
    await writeRandom(big, o.bigBytes);
    const small = randomBytes(o.smallBytes);
    const results: WebdavsBenchResult[] = [];
    const mb = o.bigBytes / 1e6;
    const measure = async (e: Endpoint): Promise<{ up: number; down: number; smallUp: number; smallDown: number }> => {
      const up = await timedCurl(e, ['-T', big, `${e.base}/big.bin`]);
      const down = await timedCurl(e, ['-o', '/dev/null', `${e.base}/big.bin`]);
      await timedCurl(e, ['-X', 'MKCOL', `${e.base}/small/`]);
      const smallUp = await timedSmall(e, ca, 'PUT', o.smallFiles, small, 'small');
      const smallDown = await timedSmall(e, ca, 'GET', o.smallFiles, small, 'small');
      await timedCurl(e, ['-X', 'DELETE', `${e.base}/big.bin`]);
      return { up: mb / up, down: mb / down, smallUp, smallDown };
    };
    const n = await measure(native);
    const m = await measure(ours);
    const round = (x: number): number => Math.round(x * 10) / 10;
    results.push({ protocol: 'webdavs', case: 'big up', unit: 'MB/s', ours: round(m.up), native: round(n.up) });
    results.push({ protocol: 'webdavs', case: 'big down', unit: 'MB/s', ours: round(m.down), native: round(n.down) });
    results.push({ protocol: 'webdavs', case: 'small up', unit: 'files/s', ours: round(m.smallUp), native: round(n.smallUp) });
    results.push({ protocol: 'webdavs', case: 'small down', unit: 'files/s', ours: round(m.smallDown), native: round(n.smallDown) });
    return results;
  } finally {
    await apache?.stop();
    await server.close();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  }
}
