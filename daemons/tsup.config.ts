import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { mig: 'src/mig.ts', grid_script: 'src/bin/grid_script.ts', grid_web: 'src/bin/grid_web.ts', grid_sftp: 'src/bin/grid_sftp.ts', grid_ftps: 'src/bin/grid_ftps.ts', grid_webdavs: 'src/bin/grid_webdavs.ts' },
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  tsconfig: 'tsconfig.json',
  // The @migrid packages are workspace dependencies, loaded from their own builds.
  external: [/^@migrid\//],
});
