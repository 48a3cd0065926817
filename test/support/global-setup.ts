/**
 * Vitest global setup: one throwaway PostgreSQL cluster for the whole run, so every store test runs
 * on SQLite and PostgreSQL. A missing PostgreSQL fails the run; set MIG_TEST_SKIP_PG=1 to run the
 * SQLite half alone on a machine without it (never honoured under CI=true).
 */
import type { TestProject } from 'vitest/node';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
  }
}

let cluster: PostgresCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  const skip = process.env.MIG_TEST_SKIP_PG === '1' && process.env.CI !== 'true';
  if (skip) {
    console.warn('MIG_TEST_SKIP_PG=1: PostgreSQL halves of the store tests are skipped.');
    project.provide('pgUrl', null);
    return;
  }
  cluster = await startPostgresCluster();
  project.provide('pgUrl', cluster.url);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}
