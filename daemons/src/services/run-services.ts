import type { Site } from '@migrid/core';
import type { RunningService, SiteService } from './site-service.js';

/**
 * Starts `services` on `site` (stopping the started ones again if one fails to start), reports
 * them through `onStarted`, waits for SIGINT/SIGTERM, then stops them in reverse order and closes
 * the site. Shared by `mig start` and the single-service daemons.
 */
export async function runServicesUntilSignal(
  site: Site,
  services: readonly SiteService[],
  hooks: { onStarted(running: readonly RunningService[]): void; onStopping?(): void },
): Promise<void> {
  const running: RunningService[] = [];
  try {
    for (const service of services) running.push(await service.start(site));
  } catch (err) {
    for (const r of running.reverse()) await r.stop().catch(() => undefined);
    await site.close();
    throw err;
  }
  hooks.onStarted(running);
  await new Promise<void>((resolve) => {
    // Signal listeners alone do not keep Node running; this handle does, until a signal comes.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const stop = (): void => {
      clearInterval(keepAlive);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  hooks.onStopping?.();
  for (const r of running.reverse()) {
    await r.stop().catch((err: unknown) => site.logger.error({ err, service: r.name }, 'service did not stop cleanly'));
  }
  await site.close();
}
