import type { Command } from 'commander';
import { initSite } from '@migrid/core';
import { println, type CliIo } from '../io.js';

interface InitOptions {
  dir?: string;
  fqdn?: string;
  adminEmail?: string;
  adminName?: string;
  organization?: string;
  country?: string;
  databaseUrl?: string;
}

/** `mig init`: a new site in a folder — config, state, certificates and a first admin. */
export function registerInitCommand(program: Command, io: CliIo): void {
  program
    .command('init')
    .description('create ./mig.toml, the state folder, a site CA and host certificate, and a first admin account')
    .option('--dir <dir>', 'folder to create the site in', '.')
    .option('--fqdn <name>', 'the host name users reach the site by', 'localhost')
    .option('--admin-email <email>', 'email (login) of the first admin', 'admin@localhost.localdomain')
    .option('--admin-name <name>', 'full name of the first admin', 'Site Admin')
    .option('--organization <org>', 'organisation of the first admin', 'MiG Site')
    .option('--country <cc>', 'two-letter country code of the first admin', 'DK')
    .option('--database-url <url>', 'postgres:// URL (default: SQLite in the state folder)')
    .action(async (opts: InitOptions) => {
      const result = await initSite({
        dir: opts.dir ?? io.cwd,
        cwd: io.cwd,
        fqdn: opts.fqdn,
        databaseUrl: opts.databaseUrl,
        admin: {
          email: opts.adminEmail,
          fullName: opts.adminName,
          organization: opts.organization,
          country: opts.country,
        },
      });
      println(io, `Created ${result.configPath}`);
      println(io, `State folder: ${result.stateDir}`);
      println(io, `Site CA certificate (give it to clients to trust the site): ${result.caCertPath}`);
      println(io, `First admin: ${result.adminEmail}`);
      println(io, `Admin password (shown only now; change it after the first sign-in): ${result.adminPassword}`);
      println(io, 'Start the site with: mig start');
    });
}
