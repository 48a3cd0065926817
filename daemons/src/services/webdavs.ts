import type { Site } from '@migrid/core';
import { WebdavServer } from '@migrid/fileservices';
import type { RunningService, SiteService } from './site-service.js';

/** `grid_webdavs`: the WebDAVS server (`@migrid/fileservices`) on `[webdavs] host`/`port`. */
export const webdavsService: SiteService = {
  name: 'grid_webdavs',
  enabled: (site: Site) => site.config.webdavs.enabled,
  async start(site: Site): Promise<RunningService> {
    const server = await WebdavServer.fromSite(site);
    const { address, port } = await server.listen(site.config.webdavs.port, site.config.webdavs.host);
    const host = address.includes(':') ? `[${address}]` : address;
    return { name: 'grid_webdavs', endpoint: `https://${host}:${port}/`, stop: () => server.close() };
  },
};
