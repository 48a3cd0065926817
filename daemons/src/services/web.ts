import type { Site } from '@migrid/core';
import { WebServer } from '@migrid/web';
import type { RunningService, SiteService } from './site-service.js';

/** `grid_web`: the HTTPS portal, JSON API and resource endpoints (`@migrid/web`). */
export const webService: SiteService = {
  name: 'grid_web',
  enabled: (site: Site) => site.config.web.enabled,
  async start(site: Site): Promise<RunningService> {
    const server = new WebServer({ site });
    const { url } = await server.listen(site.config.web.port, site.config.web.host);
    return { name: 'grid_web', endpoint: `${url}/`, stop: () => server.close() };
  },
};
