/**
 * `mig checkconf`: every problem of a config file, without starting anything.
 * @packageDocumentation
 */
import { dirname } from 'node:path';
import type { ConfigProblem } from './config-problem.js';
import { analyseConfigText } from './parse-config.js';
import { configPathArgument, readConfigFile } from './read-config-file.js';

/** Config text to check in memory, with the folder its relative paths refer to. */
export interface ConfigTextSource {
  /** The TOML text. */
  readonly text: string;
  /** Folder relative paths are resolved against; default the current folder. */
  readonly baseDir?: string;
}

/**
 * Lists every problem of a config: TOML syntax (with line and column), unknown sections and keys
 * (with the closest known key), wrong types, out-of-range and bad enum values, bad database URL,
 * unusable state folder, bad password policies and ports shared by enabled services. An empty
 * list means the config loads.
 *
 * A string is the path of a config file; pass `{ text, baseDir }` to check text in memory.
 *
 * @throws ConfigError `MIG_E_CONFIG_NOT_FOUND` when the file does not exist.
 *
 * @example
 * ```ts
 * for (const p of await checkConfig('/srv/mig/mig.toml')) console.log(formatProblem(p));
 * ```
 */
export async function checkConfig(source: string | ConfigTextSource): Promise<ConfigProblem[]> {
  if (typeof source === 'object' && source !== null) {
    return [...analyseConfigText(source.text, { baseDir: source.baseDir ?? process.cwd() }).problems];
  }
  const file = configPathArgument(source);
  const read = await readConfigFile(file);
  if (read.text === undefined) return [read.problem];
  return [...analyseConfigText(read.text, { baseDir: dirname(file), configFile: file }).problems];
}
