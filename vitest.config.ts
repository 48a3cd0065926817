import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string): string => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/** Tests import the packages from source, so `npm test` needs no build first. */
const alias = {
  '@migrid/core': src('core'),
  '@migrid/scheduler': src('scheduler'),
  '@migrid/fileservices': src('fileservices'),
  '@migrid/web': src('web'),
  '@migrid/client': src('client'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    globalSetup: ['./test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    passWithNoTests: false,
    projects: [
      { extends: true, test: { name: 'core', include: ['packages/core/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'scheduler', include: ['packages/scheduler/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'fileservices', include: ['packages/fileservices/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'web', include: ['packages/web/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'client', include: ['packages/client/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'daemons', include: ['daemons/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
  },
});
