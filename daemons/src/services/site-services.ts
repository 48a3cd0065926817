import { ftpsService } from './ftp-service.js';
import { housekeepingService } from './housekeeping.js';
import type { SiteService } from './site-service.js';
import { sftpService } from './sftp.js';
import { webService } from './web.js';
import { gridScriptService } from './grid-script.js';
import { webdavsService } from './webdavs.js';

/**
 * Every service `mig start` knows, in start order. The file-service and grid-engine daemons
 * register here as their packages land.
 */
export const siteServices: readonly SiteService[] = [housekeepingService, gridScriptService, webService, sftpService, ftpsService, webdavsService];
