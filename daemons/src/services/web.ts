import type { Site } from '@migrid/core';
import { WebServer } from '@migrid/web';
import { gridEngineOf } from './grid-script.js';
import type { RunningService, SiteService } from './site-service.js';

/** `grid_web`: the HTTPS portal, JSON API and resource endpoints (`@migrid/web`). */
export const webService: SiteService = {
  name: 'grid_web',
  enabled: (site: Site) => site.config.web.enabled,
  async start(site: Site): Promise<RunningService> {
    const grid = gridEngineOf(site);
    const server = new WebServer({ site, ...(grid === undefined ? {} : { grid }) });
    const { url } = await server.listen(site.config.web.port, site.config.web.host);
    return { name: 'grid_web', endpoint: `${url}/`, stop: () => server.close() };
  },
};
