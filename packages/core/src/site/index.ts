export { openSite } from './open-site.js';
export type { Site, OpenSiteOptions, HousekeepingReport } from './open-site.js';
export { initSite } from './init-site.js';
export type { InitSiteOptions, InitSiteResult } from './init-site.js';
export { sitePaths } from './site-paths.js';
export type { SitePaths } from './site-paths.js';
export { createSiteLogger } from './site-logger.js';
export type { SiteLogger } from './site-logger.js';
