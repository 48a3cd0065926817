/**
 * Loading the site configuration from its file.
 * @packageDocumentation
 */
import { dirname } from 'node:path';
import { configInvalidError } from './config-problem.js';
import { analyseConfigText } from './parse-config.js';
import { configPathArgument, readConfigFile } from './read-config-file.js';
import type { SiteConfig } from './site-config.js';

/**
 * Reads, checks and resolves the config file at `path`. Relative paths inside the file are
 * resolved against the file's folder.
 *
 * @throws ConfigError `MIG_E_CONFIG_NOT_FOUND` when the file is missing, `MIG_E_CONFIG_INVALID`
 *   with every problem in `details.problems` (and one line per problem in the message) otherwise.
 *
 * @example
 * ```ts
 * const config = await loadConfig(await findConfigFile({ explicitPath: options.config }));
 * ```
 */
export async function loadConfig(path: string): Promise<SiteConfig> {
  const file = configPathArgument(path);
  const read = await readConfigFile(file);
  if (read.text === undefined) throw configInvalidError([read.problem], file);
  const { problems, config } = analyseConfigText(read.text, { baseDir: dirname(file), configFile: file });
  if (config === undefined) throw configInvalidError(problems, file);
  return config;
}
