import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { initSite, openSite, sitePaths, redactDatabaseUrl } from '@migrid/core';
import { println, type CliIo } from '../io.js';
import { loadConfigFromOptions, type ConfigOption } from '../site-from-options.js';
import { siteServices } from '../../services/site-services.js';
import { runServicesUntilSignal } from '../../services/run-services.js';

/** `mig start`: every enabled service in one process, until SIGINT/SIGTERM. */
export function registerStartCommand(program: Command, io: CliIo): void {
  program
    .command('start')
    .description('start every enabled service of the site in this process (Ctrl-C stops it)')
    .option('-c, --config <file>', 'config file (default: $MIG_CONF, then ./mig.toml)')
    .option('--init', 'run `mig init` first when no config exists in the current folder')
    .action(async (opts: ConfigOption & { init?: boolean }) => {
      if (opts.init === true && opts.config === undefined && io.env.MIG_CONF === undefined && !existsSync(join(io.cwd, 'mig.toml'))) {
        const created = await initSite({ dir: io.cwd, cwd: io.cwd });
        println(io, `Initialised a new site in ${io.cwd}`);
        println(io, `First admin: ${created.adminEmail}`);
        println(io, `Admin password (shown only now): ${created.adminPassword}`);
        println(io, `Site CA certificate: ${created.caCertPath}`);
      }
      const config = await loadConfigFromOptions(opts, io);
      const site = await openSite(config, { service: 'mig' });
      const paths = sitePaths(config);
      await runServicesUntilSignal(site, siteServices.filter((s) => s.enabled(site)), {
        onStarted(running) {
          println(io, `MiG site "${config.site.title}" is running (pid ${process.pid})`);
          println(io, `  config        ${config.config_file ?? '(in memory)'}`);
          println(io, `  state         ${paths.stateDir}`);
          println(io, `  database      ${config.database.url === undefined ? `SQLite ${config.database.sqlite_file}` : redactDatabaseUrl(config.database.url)}`);
          for (const r of running) println(io, `  ${r.name.padEnd(13)} ${r.endpoint}`);
          println(io, 'Ready. Press Ctrl-C to stop.');
        },
        onStopping: () => println(io, 'Stopping…'),
      });
      println(io, 'Stopped.');
    });
}
