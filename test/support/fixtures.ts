/**
 * Where the shared acceptance fixtures (MiG's own example files, kept outside this repository)
 * are, and what a test does when they are missing: skip with a clear message on a developer
 * machine, fail under CI (`CI=true`), where a missing fixture would silently drop coverage.
 *
 * The fixtures root is `MIG_FIXTURES_DIR`, else `<repo>/../shared/fixtures`.
 *
 * @example
 * ```ts
 * const dir = fixturesDir('mig-mrsl');
 * describe.skipIf(dir === undefined)(fixturesTitle('MiG example jobs', dir), () => { … });
 * ```
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './run-mig.js';

/** The folder that holds every fixture set. */
export function fixturesRoot(): string {
  return process.env.MIG_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures');
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The folder of fixture set `name`, or `undefined` (after a warning) when it is missing.
 * Under `CI=true` a missing set throws instead, so the test file fails.
 */
export function fixturesDir(name: string): string | undefined {
  const dir = join(fixturesRoot(), name);
  if (isDirectory(dir)) return dir;
  const message = `fixtures "${name}" not found at ${dir}; set MIG_FIXTURES_DIR to the folder that holds ${name}/`;
  if (process.env.CI === 'true') throw new Error(`${message} (required when CI=true)`);
  console.warn(`SKIPPED: ${message}`);
  return undefined;
}

/** A suite title that says why it was skipped when the fixtures are missing. */
export function fixturesTitle(title: string, dir: string | undefined): string {
  return dir === undefined ? `${title} (SKIPPED: fixtures not found; set MIG_FIXTURES_DIR)` : title;
}
