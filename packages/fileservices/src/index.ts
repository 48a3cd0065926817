/**
 * `@migrid/fileservices`: SFTP, FTPS and WebDAVS servers as importable classes. Each is a thin
 * adapter over the core: the core's authenticator decides who logs in, the core's file view decides
 * what they may touch.
 *
 * @packageDocumentation
 */
export type { FileServiceContext } from './shared/file-service-context.js';
export { createSessionLimiter } from './shared/session-limiter.js';
export type { SessionLimiter } from './shared/session-limiter.js';
