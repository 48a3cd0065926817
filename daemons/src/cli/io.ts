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

/** Asks questions on a terminal, one after another, over one readline session. */
export interface Prompter {
  /** Shows `question` and returns the answer; with `hidden`, what is typed is not echoed. */
  ask(question: string, options?: { hidden?: boolean; defaultValue?: string }): Promise<string>;
  close(): void;
}

/**
 * A prompter over the command's stdin. One readline interface serves every question, so answers
 * typed (or pasted) ahead are kept for the questions that follow.
 */
export function createPrompter(io: CliIo): Prompter {
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: io.stdin.isTTY === true });
  const buffered: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  let ended = false;
  let muted = false;
  rl.on('line', (line) => {
    const next = waiting.shift();
    if (next !== undefined) next(line);
    else buffered.push(line);
  });
  rl.on('close', () => {
    ended = true;
    for (const next of waiting.splice(0)) next(null);
  });
  // readline echoes through this method; muting it hides a password while it is typed.
  const echo = rl as unknown as { _writeToOutput: (s: string) => void };
  echo._writeToOutput = (s: string): void => {
    if (!muted) io.stdout.write(s);
    else if (s.includes('\n') || s.includes('\r')) io.stdout.write('\n');
  };
  return {
    async ask(question, options = {}) {
      const suffix = options.defaultValue !== undefined && options.defaultValue !== '' ? ` [${options.defaultValue}]` : '';
      muted = false;
      rl.setPrompt(`${question}${suffix}: `);
      rl.prompt();
      muted = options.hidden === true;
      const line = buffered.length > 0 ? (buffered.shift() as string) : ended ? null : await new Promise<string | null>((resolve) => waiting.push(resolve));
      muted = false;
      if (line === null) throw new Error('input ended before every question was answered; nothing was created');
      return line === '' && options.defaultValue !== undefined ? options.defaultValue : line;
    },
    close() {
      rl.close();
    },
  };
}
