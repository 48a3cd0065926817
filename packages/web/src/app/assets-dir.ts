import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's `assets/` folder (CSS, browser scripts), found from this module whether it runs
 * from `src/app/` (tests) or from the bundled `dist/`.
 */
export function assetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'assets'))) return join(dir, 'assets');
    dir = dirname(dir);
  }
  throw new Error('@migrid/web: the assets folder is missing from the installation');
}
