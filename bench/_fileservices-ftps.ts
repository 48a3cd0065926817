/**
 * FTPS throughput: our server (`@migrid/fileservices`) against a private `vsftpd` on free ports,
 * with the same client (`lftp`), the same certificate and key, TLS on control and data on both
 * sides and the same TLS version and cipher (TLS 1.2, ECDHE-RSA-AES128-GCM: vsftpd refuses some
 * TLS 1.3 data connections, so both are pinned). vsftpd serves an anonymous upload folder (no
 * system user needed) with TLS forced for logins and data. Cases: one big file up and down (MB/s),
 * many small files up and down with `mirror` (files/s). Called by `bench/fileservices.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pino } from 'pino';
import { FtpsServer } from '@migrid/fileservices';
import { freePort, freePortRange } from '../test/support/free-port.js';
import { createTestUser, openTestSite } from '../test/support/test-site.js';

/** One measured case. */
export interface FtpsBenchResult {
  protocol: 'ftps';
  case: string;
  unit: 'MB/s' | 'files/s';
  ours: number;
  native: number;
}

/** GnuTLS priority string lftp uses against both servers. */
const TLS_PRIORITY = process.env.BENCH_FTPS_PRIORITY ?? 'NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM';

async function writeRandom(file: string, bytes: number): Promise<void> {
  const chunk = 8 * 1024 * 1024;
  await pipeline(
    (async function* () {
      for (let done = 0; done < bytes; done += chunk) yield randomBytes(Math.min(chunk, bytes - done));
    })(),
    createWriteStream(file),
  );
}

function lftpQuote(text: string): string {
  return `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

interface Target {
  readonly name: 'ours' | 'native';
  readonly port: number;
  readonly login: string;
  readonly password: string;
  /** Remote folder the bench works in. */
  readonly remote: string;
  /** The same folder on disk. */
  readonly disk: string;
}

/** Runs lftp with `commands` against `target`; returns the wall time in seconds. */
async function timedLftp(target: Target, caFile: string, commands: readonly string[], cwd: string): Promise<number> {
  const script = [
    'set ftp:ssl-force true',
    'set ftp:ssl-protect-data true',
    'set ftp:ssl-protect-list true',
    'set ftp:ssl-allow-anonymous true',
    'set ftp:passive-mode true',
    `set ssl:ca-file ${caFile}`,
    `set ssl:priority ${TLS_PRIORITY}`,
    'set net:max-retries 1',
    'set net:timeout 60',
    'set cmd:fail-exit true',
    'set xfer:clobber true',
    `open -u ${lftpQuote(target.login)},${lftpQuote(target.password)} ftp://127.0.0.1:${target.port}`,
    `cd ${target.remote}`,
    ...commands,
  ].join('\n');
  const start = performance.now();
  const child = spawn('lftp', ['-c', script], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: cwd } });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // A stuck transfer fails the bench instead of hanging it.
  const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const seconds = (performance.now() - start) / 1000;
  if (code !== 0) throw new Error(`lftp against ${target.name} failed (${code}): ${stderr}`);
  return seconds;
}

/** Starts a private vsftpd (foreground, its own config) serving `root/data` to anonymous over forced TLS. */
async function startVsftpd(dir: string, root: string, cert: string, key: string): Promise<{ port: number; stop(): Promise<void> }> {
  await mkdir(join(root, 'data'), { recursive: true });
  // vsftpd refuses a writable anonymous root; the upload folder inside belongs to the ftp user.
  await chown(join(root, 'data'), ftpUid(), -1).catch(() => undefined);
  const port = await freePort();
  const passive = await freePortRange(100);
  const config = join(dir, 'vsftpd.conf');
  await writeFile(
    config,
    [
      'listen=YES',
      'listen_ipv6=NO',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'background=NO',
      'anonymous_enable=YES',
      'local_enable=NO',
      'write_enable=YES',
      'anon_upload_enable=YES',
      'anon_mkdir_write_enable=YES',
      'anon_other_write_enable=YES',
      'anon_umask=022',
      `anon_root=${root}`,
      'no_anon_password=YES',
      'ssl_enable=YES',
      'allow_anon_ssl=YES',
      'force_anon_logins_ssl=YES',
      'force_anon_data_ssl=YES',
      `rsa_cert_file=${cert}`,
      `rsa_private_key_file=${key}`,
      'ssl_ciphers=HIGH',
      'pasv_enable=YES',
      `pasv_min_port=${passive.first}`,
      `pasv_max_port=${passive.last}`,
      'pasv_address=127.0.0.1',
      'secure_chroot_dir=/var/run/vsftpd/empty',
      'seccomp_sandbox=NO',
      'isolate=NO',
      'isolate_network=NO',
      'xferlog_enable=NO',
      'max_clients=0',
      'max_per_ip=0',
      '',
    ].join('\n'),
  );
  await mkdir('/var/run/vsftpd/empty', { recursive: true });
  const child: ChildProcess = spawn('vsftpd', [config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  // vsftpd prints nothing when ready: wait until the port answers.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`vsftpd did not start: ${log}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100) throw new Error(`vsftpd did not listen on ${port}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

/** The uid of the `ftp` user vsftpd runs anonymous sessions as (from /etc/passwd; else ours). */
function ftpUid(): number {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('ftp:'));
    const uid = Number(line?.split(':')[2]);
    return Number.isInteger(uid) ? uid : userInfo().uid;
  } catch {
    return userInfo().uid;
  }
}

/**
 * Measures our FTPS server against vsftpd: `big up`, `big down` (MB/s, one file of `bigBytes`),
 * `small up`, `small down` (files/s, `smallFiles` files of `smallBytes`, with lftp `mirror`).
 */
export async function benchFtps(o: { workDir: string; bigBytes: number; smallFiles: number; smallBytes: number }): Promise<Array<{ protocol: 'ftps'; case: string; unit: 'MB/s' | 'files/s'; ours: number; native: number }>> {
  const local = join(o.workDir, 'ftps-local');
  await mkdir(join(local, 'small'), { recursive: true });
  await writeRandom(join(local, 'big.bin'), o.bigBytes);
  for (let i = 0; i < o.smallFiles; i++) await writeFile(join(local, 'small', `f${String(i).padStart(6, '0')}.bin`), randomBytes(o.smallBytes));

  // Ours: a real site, a user with a password, the site's host certificate.
  const passive = await freePortRange(100);
  const t = await openTestSite({ config: { ftps: { passive_ports: `${passive.first}-${passive.last}` } }, open: { logger: pino({ level: 'silent' }) } });
  const { user, password } = await createTestUser(t.site);
  const home = await t.site.users.homeDir(user.id);
  const ours = await FtpsServer.fromSite(t.site);
  const oursPort = (await ours.listen(0, '127.0.0.1')).port;

  // Native: vsftpd with the same certificate and key.
  const nativeRoot = join(o.workDir, 'ftps-native-root');
  const vsftpd = await startVsftpd(o.workDir, nativeRoot, t.site.config.ftps.cert_file, t.site.config.ftps.key_file);

  const targets: Target[] = [
    { name: 'ours', port: oursPort, login: user.email, password, remote: '/', disk: home },
    { name: 'native', port: vsftpd.port, login: 'anonymous', password: 'bench@', remote: '/data', disk: join(nativeRoot, 'data') },
  ];
  const results: Record<string, { ours: number; native: number }> = {
    'big up': { ours: 0, native: 0 },
    'big down': { ours: 0, native: 0 },
    'small up': { ours: 0, native: 0 },
    'small down': { ours: 0, native: 0 },
  };
  try {
    for (const target of targets) {
      const r = (c: string): { ours: number; native: number } => results[c] as { ours: number; native: number };
      const lftp = (commands: string[]): Promise<number> => timedLftp(target, t.caCertPath, commands, local);
      await rm(join(local, 'down'), { recursive: true, force: true });
      await mkdir(join(local, 'down'));

      r('big up')[target.name] = o.bigBytes / 1e6 / (await lftp(['put big.bin -o big.bin']));
      r('big down')[target.name] = o.bigBytes / 1e6 / (await lftp(['get big.bin -o down/big.bin']));
      await rm(join(local, 'down', 'big.bin'), { force: true });
      await rm(join(target.disk, 'big.bin'), { force: true });
      r('small up')[target.name] = o.smallFiles / (await lftp(['mirror -R --no-perms small small']));
      r('small down')[target.name] = o.smallFiles / (await lftp(['mirror --no-perms small down/small']));
      await rm(join(target.disk, 'small'), { recursive: true, force: true });
    }
  } finally {
    await ours.close();
    await vsftpd.stop();
    await t.close();
    await rm(local, { recursive: true, force: true });
    await rm(nativeRoot, { recursive: true, force: true });
  }
  return Object.entries(results).map(([name, v]) => ({
    protocol: 'ftps' as const,
    case: name,
    unit: name.startsWith('big') ? ('MB/s' as const) : ('files/s' as const),
    ours: v.ours,
    native: v.native,
  }));
}
