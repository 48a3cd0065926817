/**
 * Test support for the SFTP e2e tests: runs the real OpenSSH `sftp` client in batch mode against a
 * server on 127.0.0.1, with a password (through `sshpass -e`, never on the command line) or a key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** How the client logs in. */
export type SftpLogin = { readonly login: string; readonly password: string } | { readonly login: string; readonly identityFile: string };

/** The outcome of one `sftp -b` run. */
export interface SftpRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The argv (and environment) of `sftp -b <batch>` for `login` on `port`. */
export function sftpCommand(port: number, who: SftpLogin, batchFile: string, extra: readonly string[] = []): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  const common = ['-P', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', `User=${who.login}`, '-o', 'ConnectTimeout=20'];
  if ('password' in who) {
    return {
      cmd: 'sshpass',
      args: ['-e', 'sftp', ...common, '-o', 'BatchMode=no', '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1', ...extra, '-b', batchFile, '127.0.0.1'],
      env: { ...process.env, SSHPASS: who.password },
    };
  }
  return {
    cmd: 'sftp',
    args: [...common, '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'PreferredAuthentications=publickey', '-i', who.identityFile, ...extra, '-b', batchFile, '127.0.0.1'],
    env: { ...process.env, SSH_AUTH_SOCK: '' },
  };
}

/** Starts `sftp -b` without waiting (e.g. to kill it mid-transfer). */
export function spawnSftp(port: number, who: SftpLogin, batchFile: string, cwd: string, extra: readonly string[] = []): ChildProcess {
  const { cmd, args, env } = sftpCommand(port, who, batchFile, extra);
  return spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the batch `commands` (one per line) and waits for the client to exit (killed after `timeoutMs`). */
export async function runSftp(port: number, who: SftpLogin, commands: readonly string[], cwd: string, options: { extra?: readonly string[]; timeoutMs?: number } = {}): Promise<SftpRun> {
  const batch = join(cwd, `batch-${process.hrtime.bigint()}.txt`);
  await writeFile(batch, `${commands.join('\n')}\n`);
  const child = spawnSftp(port, who, batch, cwd, options.extra);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
