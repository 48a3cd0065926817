import { createResumableUploads, type Site } from '@migrid/core';
import { pruneSessions } from '@migrid/web';
import type { RunningService, SiteService } from './site-service.js';

/**
 * Periodic site maintenance: the core's `site.housekeeping()` (defender records, accounts past
 * expiry, half-built homes), expired web sessions and abandoned resumable uploads. This only schedules the work.
 */
export const housekeepingService: SiteService = {
  name: 'housekeeping',
  enabled: () => true,
  async start(site: Site): Promise<RunningService> {
    const intervalMs = site.config.monitor.interval_seconds * 1000;
    const uploads = createResumableUploads({ db: site.db });
    const run = (): void => {
      site.housekeeping().catch((err: unknown) => site.logger.error({ err }, 'housekeeping failed'));
      pruneSessions(site.db).catch((err: unknown) => site.logger.error({ err }, 'pruning expired web sessions failed'));
      uploads.sweep(site.files).catch((err: unknown) => site.logger.error({ err }, 'sweeping abandoned uploads failed'));
    };
    run();
    const timer = setInterval(run, intervalMs);
    timer.unref();
    return {
      name: 'housekeeping',
      endpoint: `every ${site.config.monitor.interval_seconds} s`,
      stop: async () => clearInterval(timer),
    };
  },
};
