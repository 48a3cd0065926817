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
  // Signal handlers go in first and stay until the end, so that a signal arriving at any moment
  // (even while services start or stop) ends the run in order instead of killing the process.
  let requestStop: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => {
    requestStop = resolve;
  });
  const onSignal = (): void => requestStop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Signal listeners alone do not keep Node running; this handle does, until a signal comes.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const running: RunningService[] = [];
  try {
    try {
      for (const service of services) running.push(await service.start(site));
    } catch (err) {
      for (const r of running.reverse()) await r.stop().catch(() => undefined);
      await site.close();
      throw err;
    }
    hooks.onStarted(running);
    await stopRequested;
    hooks.onStopping?.();
    for (const r of running.reverse()) {
      await r.stop().catch((err: unknown) => site.logger.error({ err, service: r.name }, 'service did not stop cleanly'));
    }
    await site.close();
  } finally {
    clearInterval(keepAlive);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
