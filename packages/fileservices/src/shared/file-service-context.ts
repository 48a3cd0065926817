/**
 * What every file server needs from a site: the core's authenticator (who may log in), its view
 * provider (what they may touch) and a logger. A `Site` from `openSite` is one; an SDK user can
 * assemble their own (see `examples/embed-sftp.ts`).
 * @packageDocumentation
 */
import type { Authenticator, SiteLogger, ViewProvider } from '@migrid/core';

/** The parts of a site a file server uses. `openSite()`'s `Site` satisfies it. */
export interface FileServiceContext {
  /** Decides every login (defender, status, expiry, protocol switches, auth log). */
  readonly auth: Pick<Authenticator, 'authenticatePassword' | 'authenticatePublicKey'>;
  /** Turns the logged-in principal into the only file view the session may use. */
  readonly files: ViewProvider;
  /** Structured logger (pino). */
  readonly logger: SiteLogger;
}
