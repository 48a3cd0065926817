import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';

/** The only part of @migrid/core the agent uses: its error classes. */
const CORE_ERRORS = fileURLToPath(new URL('../core/src/errors.ts', import.meta.url));

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: { entry: 'src/index.ts' },
    sourcemap: true,
    clean: true,
    target: 'node20',
    tsconfig: 'tsconfig.json',
  },
  {
    // `mig-resource` as one self-contained file: copied to a resource front-end, it runs with
    // nothing but Node.js (no node_modules, no site code). The build fails if the agent ever
    // imports more of @migrid/core than its errors, rather than dragging the site's code along.
    entry: { 'mig-resource': 'src/bin/mig-resource.ts' },
    outDir: 'bundle',
    format: ['esm'],
    dts: false,
    sourcemap: false,
    clean: true,
    target: 'node20',
    tsconfig: 'tsconfig.json',
    noExternal: [/.*/],
    banner: { js: '#!/usr/bin/env node' },
    esbuildOptions(options) {
      options.alias = { '@migrid/core': CORE_ERRORS };
    },
  },
]);
