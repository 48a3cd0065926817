import type { Site } from '@migrid/core';
import { FtpsServer } from '@migrid/fileservices';
import type { RunningService, SiteService } from './site-service.js';

/** `grid_ftps`: the FTPS server (`@migrid/fileservices`) on `[ftps] host`/`port`. */
export const ftpsService: SiteService = {
  name: 'grid_ftps',
  enabled: (site: Site) => site.config.ftps.enabled,
  async start(site: Site): Promise<RunningService> {
    const server = await FtpsServer.fromSite(site);
    const { address, port } = await server.listen(site.config.ftps.port, site.config.ftps.host);
    const host = address.includes(':') ? `[${address}]` : address;
    return { name: 'grid_ftps', endpoint: `ftps://${host}:${port}`, stop: () => server.close() };
  },
};
