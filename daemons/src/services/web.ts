import type { GridDispatcher, Site } from '@migrid/core';
import { RemoteGridDispatcher } from '@migrid/scheduler';
import { WebServer } from '@migrid/web';
import { gridEngineOf } from './grid-script.js';
import type { RunningService, SiteService } from './site-service.js';

/**
 * `grid_web`: the HTTPS portal, JSON API and resource endpoints (`@migrid/web`). Resources are
 * served by the grid engine of this process when `grid_script` runs here (`mig start`), otherwise
 * by `grid_script` in its own process, through its socket.
 */
export const webService: SiteService = {
  name: 'grid_web',
  enabled: (site: Site) => site.config.web.enabled,
  async start(site: Site): Promise<RunningService> {
    const local = gridEngineOf(site);
    const remote = local === undefined && site.config.scheduler.enabled ? new RemoteGridDispatcher({ site, socketPath: site.config.scheduler.socket_file }) : undefined;
    const grid: GridDispatcher | undefined = local ?? remote;
    const server = new WebServer({ site, ...(grid === undefined ? {} : { grid }) });
    const { url } = await server.listen(site.config.web.port, site.config.web.host);
    return {
      name: 'grid_web',
      endpoint: `${url}/`,
      async stop() {
        await server.close();
        remote?.close();
      },
    };
  },
};
