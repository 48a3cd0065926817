/**
 * A test site with its grid running in-process: the site (see test-site.ts), a GridEngine with
 * short intervals, and the web server over HTTPS on a free port, handing the engine to the agent
 * API. What the jobs tests share; each adds its own users, resources and agents.
 */
import { pino } from 'pino';
import { join } from 'node:path';
import { GridEngine, LocalExecutor, ResourceAgent, type GridEngineOptions } from '@migrid/scheduler';
import { WebServer } from '@migrid/web';
import type { DatabaseKind } from './databases.js';
import { openTestSite, type ConfigOverrides, type TestSite } from './test-site.js';

export interface GridTestSite {
  readonly t: TestSite;
  readonly engine: GridEngine;
  readonly server: WebServer;
  /** `https://localhost:<port>` (the host certificate is for localhost). */
  readonly base: string;
  /** Stops the web server and the engine, and removes the site. */
  close(): Promise<void>;
}

/** Opens a site and starts its engine and web server. */
export async function openGridTestSite(
  options: { kind?: DatabaseKind; config?: ConfigOverrides; engine?: Partial<Omit<GridEngineOptions, 'site' | 'siteUrl'>> } = {},
): Promise<GridTestSite> {
  const t = await openTestSite({ ...(options.kind === undefined ? {} : { kind: options.kind }), ...(options.config === undefined ? {} : { config: options.config }), open: { logger: pino({ level: 'silent' }) } });
  let port = 0;
  const engine = new GridEngine({ site: t.site, siteUrl: () => `https://localhost:${port}`, sweepIntervalMs: 500, idleRetrySeconds: 1, ...options.engine });
  await engine.start();
  const server = new WebServer({ site: t.site, grid: engine });
  port = (await server.listen(0, '127.0.0.1')).port;
  return {
    t,
    engine,
    server,
    base: `https://localhost:${port}`,
    async close() {
      await server.close();
      await engine.stop();
      await t.close();
    },
  };
}

/**
 * Starts an agent with one unit (`exe0`: 1 CPU, 1 GiB, 3600 s) and the local executor for the
 * resource `token` belongs to, working in `<workDir>/agent`; heartbeats every 300 ms.
 */
export async function startLocalAgent(g: GridTestSite, token: string, workDir: string): Promise<ResourceAgent> {
  const agent = new ResourceAgent({
    siteUrl: g.base,
    token,
    executor: new LocalExecutor(),
    units: [{ name: 'exe0', capacity: { cpuTimeSeconds: 3600, nodeCount: 1, cpuCount: 1, memoryMb: 1024, diskGb: 10 } }],
    workDir: join(workDir, 'agent'),
    caFile: g.t.caCertPath,
    heartbeatMs: 300,
  });
  await agent.start();
  return agent;
}
