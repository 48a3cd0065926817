/**
 * Where the site configuration is: `--config FILE`, then `$MIG_CONF`, then `./mig.toml`.
 * @packageDocumentation
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, InvalidInputError } from '../errors.js';

/** The environment variable that names the config file, as in MiG. */
export const CONFIG_ENV_VAR = 'MIG_CONF';

/** The config file name looked for in the current folder. */
export const CONFIG_FILE_NAME = 'mig.toml';

/** Where to look for the config file. */
export interface FindConfigFileOptions {
  /** A path given on the command line (`--config FILE`); wins over everything else. */
  readonly explicitPath?: string | undefined;
  /** The environment to read `MIG_CONF` from; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The folder to look for `mig.toml` in; default `process.cwd()`. */
  readonly cwd?: string;
}

function checkPath(value: string, what: string): void {
  if (value.length > 4096 || value.includes('\u0000')) {
    throw new InvalidInputError(`${what} must be a path of at most 4096 characters without NUL bytes`);
  }
}

async function fileKind(path: string): Promise<'file' | 'missing' | 'not-a-file'> {
  try {
    return (await stat(path)).isFile() ? 'file' : 'not-a-file';
  } catch {
    return 'missing';
  }
}

/**
 * Finds the config file and returns its absolute path. The first place that is *given* decides:
 * an explicit path or `MIG_CONF` that does not point at a file is an error, not a reason to look
 * further, so a typo in a flag never silently loads another site's config.
 *
 * @throws ConfigError `MIG_E_CONFIG_NOT_FOUND` naming the places tried and suggesting `mig init`.
 *
 * @example
 * ```ts
 * const file = await findConfigFile({ explicitPath: argv.config }); // '/srv/mig/mig.toml'
 * ```
 */
export async function findConfigFile(options: FindConfigFileOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  checkPath(cwd, 'cwd');
  const explicit = options.explicitPath;
  const fromEnv = env[CONFIG_ENV_VAR];
  let candidate: { path: string; from: string };
  const tried: string[] = [];
  if (explicit !== undefined && explicit !== '') {
    checkPath(explicit, 'The --config path');
    candidate = { path: resolve(cwd, explicit), from: '--config' };
  } else {
    tried.push('--config: not given');
    if (fromEnv !== undefined && fromEnv !== '') {
      checkPath(fromEnv, `The ${CONFIG_ENV_VAR} variable`);
      candidate = { path: resolve(cwd, fromEnv), from: `$${CONFIG_ENV_VAR}` };
    } else {
      tried.push(`$${CONFIG_ENV_VAR}: not set`);
      candidate = { path: resolve(cwd, CONFIG_FILE_NAME), from: 'the current folder' };
    }
  }
  const kind = await fileKind(candidate.path);
  if (kind === 'file') return candidate.path;
  tried.push(`${candidate.from}: ${candidate.path} (${kind === 'missing' ? 'does not exist' : 'is not a file'})`);
  throw new ConfigError(
    `No config file found. Tried ${tried.join('; ')}. Run \`mig init\` to create ${CONFIG_FILE_NAME}, or pass --config FILE or set ${CONFIG_ENV_VAR}.`,
    { code: 'MIG_E_CONFIG_NOT_FOUND', details: { tried } },
  );
}
