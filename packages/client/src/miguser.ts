#!/usr/bin/env node
/**
 * `miguser`: the command-line client for researchers. See `miguser --help`.
 * @packageDocumentation
 */
import { runMiguser } from './cli/program.js';

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  // `miguser cat big | head` closes the pipe early: not an error.
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
process.once('SIGINT', () => {
  // A progress bar hides the cursor; give it back before leaving.
  if (process.stderr.isTTY) process.stderr.write('\u001b[?25h\n');
  process.exit(130);
});

const code = await runMiguser(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
process.exitCode = code;
