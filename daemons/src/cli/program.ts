import { Command, CommanderError } from 'commander';
import { isMigError } from '@migrid/core';
import { processIo, type CliIo } from './io.js';
import { registerInitCommand } from './commands/init.js';
import { registerStartCommand } from './commands/start.js';
import { registerCheckconfCommand } from './commands/checkconf.js';
import { registerCreateuserCommand } from './commands/createuser.js';
import { registerUserCommands } from './commands/user.js';
import { registerCertCommands } from './commands/cert.js';
import { registerResourceCommands } from './commands/resource.js';
import { registerRuntimeEnvCommands } from './commands/runtime-env.js';
import { registerJobCommands } from './commands/job.js';
import { registerVgridCommands } from './commands/vgrid.js';

/** Builds the `mig` command tree. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('mig')
    .description('Run and administer a MiG site (Minimum intrusion Grid)')
    .version('0.1.0')
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  registerInitCommand(program, io);
  registerStartCommand(program, io);
  registerCheckconfCommand(program, io);
  registerCreateuserCommand(program, io);
  registerUserCommands(program, io);
  registerCertCommands(program, io);
  registerResourceCommands(program, io);
  registerRuntimeEnvCommands(program, io);
  registerJobCommands(program, io);
  registerVgridCommands(program, io);
  return program;
}

/**
 * Runs `mig` with the given argv (as `process.argv`) and returns the exit code: 0 success,
 * 1 a refused or failed action, 2 a usage error.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return io.status.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isMigError(err)) {
      io.stderr.write(`mig: ${err.message} [${err.code}]\n`);
      return 1;
    }
    io.stderr.write(`mig: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
