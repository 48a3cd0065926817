/**
 * The body of every single-service daemon (`grid_web`, `grid_sftp`, …): find the config
 * (`--config FILE`, `MIG_CONF`, `./mig.toml`), open the site under the daemon's name, run the one
 * service until SIGINT/SIGTERM. Several daemons of one site may run as separate processes (DESIGN §4).
 */
import { Command } from 'commander';
import { findConfigFile, isMigError, loadConfig, openSite } from '@migrid/core';
import type { SiteService } from './services/site-service.js';
import { runServicesUntilSignal } from './services/run-services.js';

/** Runs `service` as its own process; resolves with the exit code. */
export async function daemonMain(service: SiteService, argv: readonly string[] = process.argv): Promise<number> {
  const program = new Command(service.name)
    .description(`MiG daemon ${service.name}: runs one service of the site`)
    .option('-c, --config <file>', 'config file (default: $MIG_CONF, then ./mig.toml)')
    .exitOverride();
  try {
    program.parse([...argv]);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code ?? 2;
  }
  const opts = program.opts<{ config?: string }>();
  try {
    const path = await findConfigFile({ explicitPath: opts.config, env: process.env, cwd: process.cwd() });
    const site = await openSite(await loadConfig(path), { service: service.name });
    if (!service.enabled(site)) {
      await site.close();
      process.stderr.write(`${service.name}: disabled in ${path}; enable it there first.\n`);
      return 1;
    }
    await runServicesUntilSignal(site, [service], {
      onStarted: (running) => {
        for (const r of running) process.stdout.write(`${r.name} listening on ${r.endpoint} (pid ${process.pid})\n`);
      },
    });
    return 0;
  } catch (err) {
    process.stderr.write(`${service.name}: ${isMigError(err) ? `${err.message} (${err.code})` : (err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
