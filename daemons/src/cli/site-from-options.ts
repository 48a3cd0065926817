import { findConfigFile, loadConfig, openSite, type Site, type SiteConfig } from '@migrid/core';
import type { CliIo } from './io.js';

/** The option every command that reads the site accepts. */
export interface ConfigOption {
  config?: string;
}

/** Finds and loads the config: `--config FILE`, then `MIG_CONF`, then `./mig.toml`. */
export async function loadConfigFromOptions(opts: ConfigOption, io: CliIo): Promise<SiteConfig> {
  const path = await findConfigFile({ explicitPath: opts.config, env: io.env, cwd: io.cwd });
  return loadConfig(path);
}

/** Loads the config and opens the site; the callback's result is returned and the site closed. */
export async function withSite<T>(opts: ConfigOption, io: CliIo, body: (site: Site) => Promise<T>): Promise<T> {
  const config = await loadConfigFromOptions(opts, io);
  const site = await openSite(config);
  try {
    return await body(site);
  } finally {
    await site.close();
  }
}
