import type { Site } from '@migrid/core';
import type { RunningService, SiteService } from './site-service.js';

/**
 * Periodic site maintenance (prunes the defender's old records, reports accounts past expiry).
 * The work is the core's `site.housekeeping()`; this only schedules it.
 */
export const housekeepingService: SiteService = {
  name: 'housekeeping',
  enabled: () => true,
  async start(site: Site): Promise<RunningService> {
    const intervalMs = site.config.monitor.interval_seconds * 1000;
    const run = (): void => {
      site.housekeeping().catch((err: unknown) => site.logger.error({ err }, 'housekeeping failed'));
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
