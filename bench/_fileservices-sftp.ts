/**
 * SFTP throughput: our server (`@migrid/fileservices`) against OpenSSH's own sftp-server behind a
 * private `sshd` on a free port, with the same client (`sftp -b`), cipher, buffer size (`-B`) and
 * key login. Cases: one big file up and down (MB/s), many small files up and down (files/s).
 * Called by `bench/fileservices.ts`; each number is the median of `runs` runs.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { SftpServer } from '@migrid/fileservices';
import { createTestUser, openTestSite } from '../test/support/test-site.js';
import { freePort } from '../test/support/free-port.js';

const exec = promisify(execFile);

/** One measured case. */
export interface SftpBenchResult {
  protocol: 'sftp';
  case: string;
  unit: 'MB/s' | 'files/s';
  ours: number;
  native: number;
}

/** The client options both servers get. */
const CIPHER = 'aes128-gcm@openssh.com';
/** OpenSSH's own buffer size against its own server (it learns it from limits@openssh.com); ours needs -B to match. */
const BUFFER = Number(process.env.BENCH_SFTP_BUFFER ?? 261_120);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
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

/** Runs `sftp -b` with `commands`; returns the wall time in seconds. */
async function timedSftp(port: number, user: string, key: string, commands: readonly string[], cwd: string): Promise<number> {
  const batch = join(cwd, 'bench-batch.txt');
  await writeFile(batch, `${commands.join('\n')}\n`);
  const args = [
    '-q',
    '-P', String(port),
    '-i', key,
    '-c', CIPHER,
    '-B', String(BUFFER),
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
    '-o', `User=${user}`,
    '-b', batch,
    '127.0.0.1',
  ];
  const start = performance.now();
  const child = spawn('sftp', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SSH_AUTH_SOCK: '' } });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // A stuck transfer fails the bench instead of hanging it.
  const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const seconds = (performance.now() - start) / 1000;
  if (code !== 0) throw new Error(`sftp failed (${code}): ${stderr}`);
  return seconds;
}

/** A private sshd serving OpenSSH's sftp-server on a free port, logging in with `publicKey`. */
async function startSshd(dir: string, publicKey: string): Promise<{ port: number; stop(): Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await writeFile(join(dir, 'authorized_keys'), `${publicKey}\n`, { mode: 0o600 });
  // Privilege separation needs this folder when sshd starts as root.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-f', config, '-D', '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; i < 100; i++) {
    if (log.includes('Server listening')) break;
    if (child.exitCode !== null) throw new Error(`sshd did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

/**
 * Measures our SFTP server against OpenSSH's sftp-server: `big up`, `big down` (MB/s, one file of
 * `bigBytes`), `small up`, `small down` (files/s, `smallFiles` files of `smallBytes`).
 */
export async function benchSftp(o: { workDir: string; bigBytes: number; smallFiles: number; smallBytes: number; runs?: number }): Promise<Array<{ protocol: 'sftp'; case: string; unit: 'MB/s' | 'files/s'; ours: number; native: number }>> {
  const runs = o.runs ?? Number(process.env.BENCH_SFTP_RUNS ?? 3);
  const local = join(o.workDir, 'sftp-local');
  await mkdir(join(local, 'small'), { recursive: true });
  await writeRandom(join(local, 'big.bin'), o.bigBytes);
  for (let i = 0; i < o.smallFiles; i++) await writeFile(join(local, 'small', `f${String(i).padStart(6, '0')}.bin`), randomBytes(o.smallBytes));
  const key = join(o.workDir, 'sftp-bench-key');
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const publicKey = (await readFile(`${key}.pub`, 'utf8')).trim();

  // Ours: a real site, the user's key registered in their settings.
  const t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
  const { user } = await createTestUser(t.site);
  await t.site.sshKeys.add(user.id, publicKey);
  const home = await t.site.users.homeDir(user.id);
  const ours = await SftpServer.fromSite(t.site);
  const oursPort = (await ours.listen(0, '127.0.0.1')).port;

  // Native: OpenSSH's sftp-server; the remote folder is a temp folder we address absolutely.
  const sshd = await startSshd(join(o.workDir, 'sshd'), publicKey);
  const nativeRemote = join(o.workDir, 'sftp-native-remote');
  await mkdir(nativeRemote, { recursive: true });
  const me = userInfo().username;

  const targets = [
    { name: 'ours' as const, port: oursPort, user: user.email, remote: '/', disk: home },
    { name: 'native' as const, port: sshd.port, user: me, remote: nativeRemote, disk: nativeRemote },
  ];
  const samples: Record<string, { ours: number[]; native: number[] }> = {
    'big up': { ours: [], native: [] },
    'big down': { ours: [], native: [] },
    'small up': { ours: [], native: [] },
    'small down': { ours: [], native: [] },
  };
  try {
    for (let run = 0; run < runs; run++) {
      for (const target of targets) {
        const s = (c: string): number[] => (samples[c] as { ours: number[]; native: number[] })[target.name];
        const sftp = (commands: string[]): Promise<number> => timedSftp(target.port, target.user, key, [`cd ${target.remote}`, ...commands], local);
        await rm(join(target.disk, 'big.bin'), { force: true });
        await rm(join(target.disk, 'small'), { recursive: true, force: true });
        await rm(join(local, 'down'), { recursive: true, force: true });
        await mkdir(join(local, 'down'));

        s('big up').push(o.bigBytes / 1e6 / (await sftp(['put big.bin big.bin'])));
        s('big down').push(o.bigBytes / 1e6 / (await sftp(['get big.bin down/big.bin'])));
        s('small up').push(o.smallFiles / (await sftp(['put -r small'])));
        s('small down').push(o.smallFiles / (await sftp(['get -r small down/small'])));
      }
    }
  } finally {
    await ours.close();
    await sshd.stop();
    await t.close();
    await rm(local, { recursive: true, force: true });
    await rm(nativeRemote, { recursive: true, force: true });
  }
  return Object.entries(samples).map(([name, v]) => ({
    protocol: 'sftp' as const,
    case: name,
    unit: name.startsWith('big') ? ('MB/s' as const) : ('files/s' as const),
    ours: median(v.ours),
    native: median(v.native),
  }));
}
