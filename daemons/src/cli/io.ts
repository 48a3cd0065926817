import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** The streams a command talks to; injectable so tests can drive commands in-process. */
export interface CliIo {
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The exit code a command sets when it finishes without throwing (e.g. checkconf's 1). */
  readonly status: { exitCode: number };
}

/** The real process streams. */
export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), status: { exitCode: 0 } };
}

/** Writes a line to standard output. */
export function println(io: CliIo, text = ''): void {
  io.stdout.write(`${text}\n`);
}

/** Reads all of standard input (bounded) and returns its first line, without the line break. */
export async function readFirstLine(io: CliIo, maxBytes = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > maxBytes) throw new Error(`standard input is longer than ${maxBytes} bytes; pass a single line`);
    chunks.push(buf);
    if (buf.includes(10)) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const nl = text.search(/\r?\n/);
  return nl === -1 ? text : text.slice(0, nl);
}

/**
 * Asks a question on a terminal. With `hidden`, typed characters are not echoed (for passwords).
 */
export async function ask(io: CliIo, question: string, options: { hidden?: boolean; defaultValue?: string } = {}): Promise<string> {
  const suffix = options.defaultValue !== undefined && options.defaultValue !== '' ? ` [${options.defaultValue}]` : '';
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: io.stdin.isTTY === true });
  if (options.hidden === true) {
    // Mute the echo of what is typed after the prompt itself is shown.
    const out = rl as unknown as { _writeToOutput?: (s: string) => void; output: Writable };
    let prompted = false;
    out._writeToOutput = (s: string): void => {
      if (!prompted) {
        out.output.write(s);
        prompted = true;
      } else if (s.includes('\n') || s.includes('\r')) {
        out.output.write('\n');
      }
    };
  }
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      rl.once('close', () => reject(new Error('input ended before an answer was given')));
      rl.question(`${question}${suffix}: `, resolve);
    });
    return answer === '' && options.defaultValue !== undefined ? options.defaultValue : answer;
  } finally {
    rl.removeAllListeners('close');
    rl.close();
  }
}
