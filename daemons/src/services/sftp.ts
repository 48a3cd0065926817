import type { Site } from '@migrid/core';
import { SftpServer } from '@migrid/fileservices';
import type { RunningService, SiteService } from './site-service.js';

/** `grid_sftp`: the SFTP server (`@migrid/fileservices`) on `[sftp] host`/`port`. */
export const sftpService: SiteService = {
  name: 'grid_sftp',
  enabled: (site: Site) => site.config.sftp.enabled,
  async start(site: Site): Promise<RunningService> {
    const server = await SftpServer.fromSite(site);
    const { address, port } = await server.listen(site.config.sftp.port, site.config.sftp.host);
    const host = address.includes(':') ? `[${address}]` : address;
    return { name: 'grid_sftp', endpoint: `sftp://${host}:${port}`, stop: () => server.close() };
  },
};
