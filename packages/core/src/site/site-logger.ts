import { pino, type Logger } from 'pino';
import type { SiteConfig } from '../config/index.js';

/** The structured logger type every package and daemon shares (pino, as Fastify uses). */
export type SiteLogger = Logger;

/**
 * A JSON logger at the configured level, writing to standard output (daemons are run under a
 * supervisor that collects it) and tagged with the service name.
 */
export function createSiteLogger(config: Pick<SiteConfig, 'logging'>, service: string): SiteLogger {
  return pino({ level: config.logging.level, base: { service } });
}
