/**
 * Reading the password for `miguser login`: the first line of standard input when it is not a
 * terminal (scripts: `echo "$PW" | miguser login …`), or a prompt without echo on a terminal.
 * @packageDocumentation
 */
import type { Readable, Writable } from 'node:stream';
import type { ReadStream } from 'node:tty';
import { MigClientError } from '../errors.js';

const MAX_PASSWORD = 4096;

/** The first line of a non-terminal stream (without its line ending). */
export async function readFirstLine(input: Readable): Promise<string> {
  let text = '';
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    text += chunk.toString();
    const end = text.search(/\r?\n/);
    if (end >= 0) {
      text = text.slice(0, end);
      break;
    }
    if (text.length > MAX_PASSWORD) throw new MigClientError('MIG_E_USAGE', 'The password on standard input is too long.');
  }
  return text.replace(/\r?\n$/, '');
}

/** Prompts on a terminal and reads a line without echoing it. */
export function promptHidden(prompt: string, input: ReadStream, output: Writable): Promise<string> {
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = input.isRaw;
    output.write(prompt);
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const finish = (error?: Error): void => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (error === undefined) resolve(value);
      else reject(error);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new MigClientError('MIG_E_USAGE', 'Cancelled.'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ' && value.length < MAX_PASSWORD) value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The password: from a pipe, or asked for on the terminal. */
export async function readPassword(input: Readable, output: Writable, prompt = 'Password: '): Promise<string> {
  const tty = input as ReadStream;
  const password = tty.isTTY === true && typeof tty.setRawMode === 'function' ? await promptHidden(prompt, tty, output) : await readFirstLine(input);
  if (password === '') throw new MigClientError('MIG_E_USAGE', 'No password given (pipe it on standard input, or run in a terminal to be asked).');
  return password;
}
