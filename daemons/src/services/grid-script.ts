import type { Site } from '@migrid/core';
import { GridEngine } from '@migrid/scheduler';
import type { RunningService, SiteService } from './site-service.js';

/** The engine each site runs in this process, for the web service to serve agents with. */
const engines = new WeakMap<Site, GridEngine>();

/** The grid engine started for `site` in this process, if any. */
export function gridEngineOf(site: Site): GridEngine | undefined {
  return engines.get(site);
}

/**
 * `grid_script`: the grid engine (`@migrid/scheduler`): the job queue, scheduling and dispatch.
 * Resources reach it through the web service's agent API in the same process (`mig start`), so it
 * starts before `grid_web`.
 */
export const gridScriptService: SiteService = {
  name: 'grid_script',
  enabled: (site: Site) => site.config.scheduler.enabled,
  async start(site: Site): Promise<RunningService> {
    const engine = new GridEngine({ site, siteUrl: site.config.web.base_url });
    await engine.start();
    engines.set(site, engine);
    const { queued, executing } = engine.stats();
    return {
      name: 'grid_script',
      endpoint: `${site.config.scheduler.algorithm} scheduler, ${queued} queued, ${executing} executing`,
      async stop() {
        engines.delete(site);
        await engine.stop();
      },
    };
  },
};
