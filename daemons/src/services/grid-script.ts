import type { Site } from '@migrid/core';
import { EngineSocketServer, GridEngine } from '@migrid/scheduler';
import type { RunningService, SiteService } from './site-service.js';

/** The engine each site runs in this process, for the web service to serve agents with. */
const engines = new WeakMap<Site, GridEngine>();

/** The grid engine started for `site` in this process, if any. */
export function gridEngineOf(site: Site): GridEngine | undefined {
  return engines.get(site);
}

/**
 * `grid_script`: the grid engine (`@migrid/scheduler`): the job queue, scheduling and dispatch.
 * A web service in the same process (`mig start`) uses it directly, so it starts before
 * `grid_web`; web servers in other processes reach it through its socket
 * (`[scheduler] socket_file`). Only one engine may run per site: a second one refuses to start.
 */
export const gridScriptService: SiteService = {
  name: 'grid_script',
  enabled: (site: Site) => site.config.scheduler.enabled,
  async start(site: Site): Promise<RunningService> {
    const engine = new GridEngine({ site, siteUrl: site.config.web.base_url });
    const door = new EngineSocketServer({ site, engine, socketPath: site.config.scheduler.socket_file });
    // The socket first: it fails when another engine serves this site, before this one loads anything.
    await door.listen();
    try {
      await engine.start();
    } catch (err) {
      await door.close();
      throw err;
    }
    engines.set(site, engine);
    const { queued, executing } = engine.stats();
    return {
      name: 'grid_script',
      endpoint: `${site.config.scheduler.socket_file} (${site.config.scheduler.algorithm} scheduler, ${queued} queued, ${executing} executing)`,
      async stop() {
        engines.delete(site);
        await door.close();
        await engine.stop();
      },
    };
  },
};
