import type { Command } from 'commander';
import { checkConfig, findConfigFile, formatProblem } from '@migrid/core';
import { println, type CliIo } from '../io.js';

/** `mig checkconf`: every problem of the config file with its key path and a hint. */
export function registerCheckconfCommand(program: Command, io: CliIo): void {
  program
    .command('checkconf')
    .description('check the site configuration and report every problem; exits 1 when there are any')
    .option('-c, --config <file>', 'config file (default: $MIG_CONF, then ./mig.toml)')
    .option('--json', 'print the problems as JSON')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const path = await findConfigFile({ explicitPath: opts.config, env: io.env, cwd: io.cwd });
      const problems = await checkConfig(path);
      if (opts.json === true) {
        println(io, JSON.stringify({ file: path, ok: problems.length === 0, problems }, null, 2));
      } else if (problems.length === 0) {
        println(io, `${path}: OK`);
      } else {
        io.stderr.write(`${path}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
        for (const p of problems) io.stderr.write(`  ${formatProblem(p)}\n`);
      }
      io.status.exitCode = problems.length === 0 ? 0 : 1;
    });
}
