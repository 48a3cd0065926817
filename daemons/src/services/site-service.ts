import type { Site } from '@migrid/core';

/** What a started service reports: its name and where it can be reached. */
export interface RunningService {
  readonly name: string;
  /** e.g. `https://127.0.0.1:8443/`, or a short description for services without a port. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * One daemon's service, startable inside `mig start` (all in one process) or alone by its own
 * daemon executable. Later features add theirs to {@link siteServices}.
 */
export interface SiteService {
  readonly name: string;
  /** True when the config enables it. */
  enabled(site: Site): boolean;
  start(site: Site): Promise<RunningService>;
}
