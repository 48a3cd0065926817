/**
 * Virtual paths on the site: `/`-rooted, `/`-separated. The client only tidies them (a missing
 * leading slash, doubled or trailing slashes); whether a path is allowed is the site's decision.
 * @packageDocumentation
 */

/**
 * A remote path in the site's form: `docs//a/` → `/docs/a`, `` → `/`.
 * @example
 * ```ts
 * normalizeRemotePath('results/run1/'); // '/results/run1'
 * ```
 */
export function normalizeRemotePath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  return `/${parts.join('/')}`;
}

/** `dir` + `/` + `name`, normalized. */
export function joinRemotePath(dir: string, ...names: string[]): string {
  return normalizeRemotePath([dir, ...names].join('/'));
}

/** The last part of a remote path (`''` for the root). */
export function remoteBaseName(path: string): string {
  const normal = normalizeRemotePath(path);
  return normal.slice(normal.lastIndexOf('/') + 1);
}

/** The folder that holds a remote path (`/` for top-level entries and the root). */
export function remoteDirName(path: string): string {
  const normal = normalizeRemotePath(path);
  const cut = normal.lastIndexOf('/');
  return cut <= 0 ? '/' : normal.slice(0, cut);
}
