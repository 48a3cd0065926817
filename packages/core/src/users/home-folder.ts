/**
 * A user's home folder: created from a skeleton when the account is created, moved aside (not
 * destroyed) when it is deleted.
 *
 * The skeleton is what a modern site needs of MiG's `create_user_in_fs`:
 * - `welcome.txt`: MiG's greeting (site name, support address);
 * - `job_output/`: where each job's results land (`job_output/<job id>/`);
 * - `transfer_output/`: logs of background data transfers;
 * - `cron_output/`: output of the user's cron and at jobs;
 * - `.trash/`: the web file manager's trash (hidden by the file layer's default hidden names).
 *
 * Left out on purpose: `.htaccess` (no Apache: the file layer decides access), `.ssh/`, `.davs/`,
 * `.ftps/` (keys and protocol passwords live in the database), `.default.css`/`.default.mrsl`
 * (the web app owns its look and job templates) and the DN-named compatibility links (homes are
 * named by stable id).
 *
 * The skeleton is built under a temporary hidden name and renamed into place, so a home either
 * exists complete or not at all.
 * @packageDocumentation
 */
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MigError } from '../errors.js';

/** The folders of a new home, in creation order. */
export const HOME_SKELETON_DIRS: readonly string[] = Object.freeze(['job_output', 'transfer_output', 'cron_output', '.trash']);
/** The welcome file's name. */
export const WELCOME_FILE = 'welcome.txt';

/** What the welcome text mentions. */
export interface WelcomeOptions {
  /** The site's short title. */
  readonly siteTitle?: string | undefined;
  /** Where users get help. */
  readonly supportEmail?: string | undefined;
}

/** The greeting written to `welcome.txt`. */
export function welcomeText(options: WelcomeOptions = {}): string {
  const title = options.siteTitle ?? 'this site';
  const support = options.supportEmail === undefined ? 'the site support' : `the site support (${options.supportEmail})`;
  return [
    `Welcome to ${title}!`,
    '',
    'This is your home folder. You can reach it on the web pages and, when the site offers them,',
    'over SFTP, FTPS and WebDAVS with your login name.',
    '',
    '- job_output/ holds the results of your jobs,',
    '- transfer_output/ the logs of your background transfers,',
    '- cron_output/ the output of your scheduled tasks.',
    '',
    `Feel free to contact ${support} if you have any questions.`,
    '',
  ].join('\n');
}

function homeError(action: string, path: string, cause: unknown): MigError {
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : 'error';
  return new MigError('MIG_E_HOME_FOLDER', `Cannot ${action} ${path} (${code}). Check that the state folder exists and is writable by the site.`, { cause });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Creates `<homeRoot>/<id>/` with the skeleton, atomically (built aside, then renamed). Creates
 * `homeRoot` itself if missing.
 *
 * @throws MigError `MIG_E_HOME_FOLDER` when the folder cannot be made (the root is a file, no
 *   permission, the home exists already). Nothing is left behind in that case.
 */
export async function createHomeFolder(homeRoot: string, id: string, welcome: WelcomeOptions = {}): Promise<string> {
  const home = join(homeRoot, id);
  const staging = join(homeRoot, `${HOME_STAGING_PREFIX}${id}`);
  try {
    await mkdir(homeRoot, { recursive: true, mode: 0o755 });
  } catch (cause) {
    throw homeError('create the home root', homeRoot, cause);
  }
  try {
    if (await exists(home)) throw Object.assign(new Error('the home folder exists already'), { code: 'EEXIST' });
    await mkdir(staging, { mode: 0o700 });
  } catch (cause) {
    throw homeError('create the home folder', home, cause);
  }
  try {
    for (const dir of HOME_SKELETON_DIRS) await mkdir(join(staging, dir), { mode: 0o700 });
    await writeFile(join(staging, WELCOME_FILE), welcomeText(welcome), { mode: 0o600, flag: 'wx' });
    await rename(staging, home);
    return home;
  } catch (cause) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw homeError('create the home folder', home, cause);
  }
}

/** The prefix of a home being built (see {@link createHomeFolder}); hidden from everyone. */
export const HOME_STAGING_PREFIX = '.new-home-';

/**
 * Removes homes left half-built by a process that died during {@link createHomeFolder}: staging
 * folders older than `olderThanMs` (a live creation takes milliseconds). Returns how many went.
 */
export async function sweepAbandonedHomeStaging(homeRoot: string, olderThanMs: number, now: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(homeRoot);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw homeError('read the home root', homeRoot, cause);
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(HOME_STAGING_PREFIX)) continue;
    const path = join(homeRoot, name);
    const info = await lstat(path).catch(() => undefined);
    if (info === undefined || !info.isDirectory() || now - info.mtimeMs < olderThanMs) continue;
    await rm(path, { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}

/** Removes a home for good (used to undo a creation, and by a purging delete). Missing is fine. */
export async function removeHomeFolder(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (cause) {
    throw homeError('remove', path, cause);
  }
}

/**
 * Moves `<homeRoot>/<id>` to `<deletedRoot>/<id>-<timestamp>` and returns the new path, or
 * `undefined` when there was no home to move.
 */
export async function moveHomeAside(homeRoot: string, deletedRoot: string, id: string, now: number): Promise<string | undefined> {
  const home = join(homeRoot, id);
  if (!(await exists(home).catch(() => true))) return undefined;
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const target = join(deletedRoot, `${id}-${stamp}`);
  try {
    await mkdir(deletedRoot, { recursive: true, mode: 0o700 });
    if (await exists(target)) throw Object.assign(new Error('target exists'), { code: 'EEXIST' });
    await rename(home, target);
  } catch (cause) {
    throw homeError('move the home folder aside to', target, cause);
  }
  return target;
}

/** Puts a home moved by {@link moveHomeAside} back (when the deletion could not be completed). */
export async function restoreHome(movedTo: string, homeRoot: string, id: string): Promise<void> {
  try {
    await rename(movedTo, join(homeRoot, id));
  } catch (cause) {
    throw homeError('restore the home folder from', movedTo, cause);
  }
}
