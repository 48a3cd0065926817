/**
 * The `miguser` config: where the site is, the API token, and the CA file to trust. A small JSON
 * file (`MIGUSER_CONF`, default `~/.mig/miguser.conf`), mode 0600 in a folder made with 0700,
 * written atomically.
 * @packageDocumentation
 */
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { MigClientError } from '../errors.js';

/** What `miguser login` stores. */
export interface MiguserConfig {
  /** The site's base URL. */
  readonly url: string;
  /** The API token secret. */
  readonly token: string;
  /** The token's id (for `logout`). */
  readonly tokenId?: string;
  /** The account the token belongs to. */
  readonly username?: string;
  /** Absolute path of a CA certificate (PEM) to trust. */
  readonly ca?: string;
}

/** The config path: `MIGUSER_CONF`, or `~/.mig/miguser.conf`. */
export function configPathOf(env: NodeJS.ProcessEnv = process.env): string {
  const set = env.MIGUSER_CONF;
  return set !== undefined && set !== '' ? set : join(homedir(), '.mig', 'miguser.conf');
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** Parses the config text; throws `MIG_E_NOT_LOGGED_IN` when it is not a usable config. */
export function parseConfig(text: string, path: string): MiguserConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new MigClientError('MIG_E_NOT_LOGGED_IN', `${path} is not a miguser config (not JSON); run \`miguser login URL --username NAME\` again.`);
  }
  const r = (raw ?? {}) as Record<string, unknown>;
  if (!isString(r.url) || !isString(r.token)) {
    throw new MigClientError('MIG_E_NOT_LOGGED_IN', `${path} lacks the site URL or token; run \`miguser login URL --username NAME\` again.`);
  }
  return {
    url: r.url,
    token: r.token,
    ...(isString(r.tokenId) && { tokenId: r.tokenId }),
    ...(isString(r.username) && { username: r.username }),
    ...(isString(r.ca) && { ca: r.ca }),
  };
}

/** The stored config, plus a warning when others may read the file. */
export async function readConfig(path: string): Promise<{ config: MiguserConfig; warning?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MigClientError('MIG_E_NOT_LOGGED_IN', `Not logged in (no ${path}); run \`miguser login URL --username NAME\` first.`);
    }
    throw new MigClientError('MIG_E_NOT_LOGGED_IN', `Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const config = parseConfig(text, path);
  const mode = (await stat(path)).mode & 0o777;
  const warning = (mode & 0o077) !== 0 ? `${path} can be read by others (mode ${mode.toString(8)}); run \`chmod 600 ${path}\`: it holds your API token.` : undefined;
  return { config, ...(warning !== undefined && { warning }) };
}

/** Writes the config: mode 0600, via a temporary file renamed into place; a missing folder is made with mode 0700. */
export async function writeConfig(path: string, config: MiguserConfig): Promise<void> {
  const folder = dirname(path);
  try {
    const made = await mkdir(folder, { recursive: true, mode: 0o700 });
    if (made !== undefined) await chmod(folder, 0o700);
    const temp = join(folder, `.miguser-${process.pid}-${Date.now()}.tmp`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(config, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await chmod(path, 0o600);
  } catch (err) {
    throw new MigClientError('MIG_E_LOCAL_IO', `Cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Removes the config file (no error when it is gone). */
export async function removeConfig(path: string): Promise<void> {
  await rm(path, { force: true });
}
