/**
 * A VGrid's folders on disk, in MiG's layout: the shared folder `<state>/vgrid_files_home/<name>/`,
 * the private web folder `<state>/vgrid_private_base/<name>/` and the public web folder
 * `<state>/vgrid_public_base/<name>/`. A sub-VGrid's folders lie inside its parent's
 * (`vgrid_files_home/A/B`), as in MiG.
 *
 * Removal never deletes: the three folders are MOVED into
 * `<state>/vgrid_removed/<name with "/" as ":">-<UTC time>/` as `share`, `private_web` and
 * `public_web` (a sub-VGrid's folders travel inside its parent's), where an admin can restore them.
 * @packageDocumentation
 */
import { lstat, mkdir, rename, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { flatVgridName } from './vgrid-name.js';

/** Where VGrid folders live. All absolute. */
export interface VgridFolderPaths {
  /** Shared folders: `<state>/vgrid_files_home`. */
  readonly filesHome: string;
  /** Private web folders: `<state>/vgrid_private_base`. */
  readonly privateBase: string;
  /** Public web folders: `<state>/vgrid_public_base`. */
  readonly publicBase: string;
  /** Where removed VGrids' folders are kept: `<state>/vgrid_removed`. */
  readonly removedHome: string;
}

/** The three folders of one VGrid. */
export interface VgridFolders {
  readonly share: string;
  readonly privateWeb: string;
  readonly publicWeb: string;
}

/**
 * The host folders of VGrid `name` (a checked name: no `..`, no empty levels).
 *
 * @example
 * ```ts
 * vgridFolders(paths, 'A/B').share; // '<state>/vgrid_files_home/A/B'
 * ```
 */
export function vgridFolders(paths: VgridFolderPaths, name: string): VgridFolders {
  return { share: join(paths.filesHome, name), privateWeb: join(paths.privateBase, name), publicWeb: join(paths.publicBase, name) };
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

/** The first of a VGrid's folders that exists already (a plain folder of that name in the parent's share, a leftover), or `undefined`. */
export async function existingVgridFolder(paths: VgridFolderPaths, name: string): Promise<string | undefined> {
  const f = vgridFolders(paths, name);
  for (const dir of [f.share, f.privateWeb, f.publicWeb]) if (await exists(dir)) return dir;
  return undefined;
}

/**
 * Makes the three folders. The bases are made when missing (top-level VGrids); the VGrid's own
 * folders must not exist yet (`EEXIST` is thrown), so a race with someone making a folder of the
 * same name inside a parent's share is lost cleanly rather than adopting their folder.
 */
export async function makeVgridFolders(paths: VgridFolderPaths, name: string): Promise<void> {
  await Promise.all([paths.filesHome, paths.privateBase, paths.publicBase].map((d) => mkdir(d, { recursive: true, mode: 0o750 })));
  const f = vgridFolders(paths, name);
  const made: string[] = [];
  try {
    for (const dir of [f.share, f.privateWeb, f.publicWeb]) {
      await mkdir(dir, { mode: 0o750 });
      made.push(dir);
    }
  } catch (err) {
    // Only the empty folders made here are taken back (rmdir never removes content).
    for (const dir of made.reverse()) await rmdir(dir).catch(() => undefined);
    throw err;
  }
}

/**
 * Moves a VGrid's folders to a new folder under `removedHome` (never deletes). Missing folders are
 * skipped; a folder that cannot be moved is reported and left in place.
 */
export async function moveVgridFoldersAside(paths: VgridFolderPaths, name: string, at: number): Promise<{ movedTo: string | null; notMoved: string[] }> {
  const f = vgridFolders(paths, name);
  const present: [string, string][] = [];
  for (const [dir, label] of [[f.share, 'share'], [f.privateWeb, 'private_web'], [f.publicWeb, 'public_web']] as const) {
    if (await exists(dir)) present.push([dir, label]);
  }
  if (present.length === 0) return { movedTo: null, notMoved: [] };
  await mkdir(paths.removedHome, { recursive: true, mode: 0o750 });
  const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let target = '';
  for (let i = 0; i < 1000; i += 1) {
    target = join(paths.removedHome, `${flatVgridName(name)}-${stamp}${i === 0 ? '' : `-${i}`}`);
    try {
      await mkdir(target, { mode: 0o750 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i === 999) throw err;
    }
  }
  const notMoved: string[] = [];
  for (const [dir, label] of present) {
    try {
      await rename(dir, join(target, label));
    } catch {
      notMoved.push(dir);
    }
  }
  return { movedTo: target, notMoved };
}
