/**
 * An open OpenSSH `sftp` session driven through a stdin pipe (batch commands from `-b -`, through
 * `sshpass -e` for the password), for tests that change something on the server between two
 * commands of the SAME session (e.g. a VGrid member removed, a share link revoked).
 *
 * The client's stdout is line-buffered (`stdbuf -oL`) so each command's output arrives as soon as
 * it is printed; {@link InteractiveSftp.run} ends every batch with `ls` of a name that does not
 * exist and `pwd`: the refusal of the one marks the end of the batch's errors on stderr, the
 * answer of the other the end of its output on stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** What one {@link InteractiveSftp.run} printed. */
export interface SftpBatchOutput {
  /** Standard output of the batch's commands (the `sftp>` echo lines included). */
  readonly stdout: string;
  /** Standard error printed while the batch ran (refusals, errors). */
  readonly stderr: string;
}

const MARK = 'Remote working directory:';

/** An open `sftp` session logged in with a password. */
export class InteractiveSftp {
  private readonly child: ChildProcess;
  private stdout = '';
  private stderr = '';
  private exited = false;
  private wake: (() => void) | undefined;
  private marks = 0;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      this.wake?.();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.wake?.();
    });
    child.once('exit', () => {
      this.exited = true;
      this.wake?.();
    });
  }

  /**
   * Logs in as `login` on `127.0.0.1:port` and waits until the session answers a first `pwd`.
   * @throws Error when the client exits or does not answer within `timeoutMs`.
   */
  static async open(port: number, login: string, password: string, cwd: string, timeoutMs = 30_000): Promise<InteractiveSftp> {
    const args = [
      '-e', 'stdbuf', '-oL', 'sftp',
      '-P', String(port),
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', `User=${login}`, '-o', 'ConnectTimeout=20',
      '-o', 'BatchMode=no', '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1',
      '-b', '-', '127.0.0.1',
    ];
    const child = spawn('sshpass', args, { cwd, env: { ...process.env, SSHPASS: password }, stdio: ['pipe', 'pipe', 'pipe'] });
    const session = new InteractiveSftp(child);
    await session.run([], timeoutMs);
    return session;
  }

  /**
   * Sends `commands` (give them a `-` prefix so a refusal does not end the batch) followed by the
   * two end marks, and returns what they printed once both marks arrived.
   * @throws Error when the session ended or did not answer within `timeoutMs`.
   */
  async run(commands: readonly string[], timeoutMs = 30_000): Promise<SftpBatchOutput> {
    const outFrom = this.stdout.length;
    const errFrom = this.stderr.length;
    this.marks += 1;
    const want = this.marks;
    const errMark = `mig-batch-end-${want}`;
    this.child.stdin?.write(`${[...commands, `-ls /${errMark}`, 'pwd'].join('\n')}\n`);
    const deadline = Date.now() + timeoutMs;
    while (this.stdout.split(MARK).length - 1 < want || !this.stderr.includes(errMark, errFrom)) {
      if (this.exited) throw new Error(`sftp ended: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`sftp did not answer in time: ${this.stdout}\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return { stdout: this.stdout.slice(outFrom), stderr: this.stderr.slice(errFrom) };
  }

  /** Ends the session (closes stdin and waits for the client to exit; kills it after `timeoutMs`). */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.end('bye\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await done;
    clearTimeout(timer);
  }
}
