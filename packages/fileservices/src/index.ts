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
export { SftpServer } from './sftp/sftp-server.js';
export type { SftpServerOptions, SftpSite } from './sftp/sftp-server.js';
export type { SftpSessionLimits } from './sftp/sftp-session.js';
export { loadOrCreateHostKey, SFTP_HOST_KEY_FILE } from './sftp/host-key.js';
export { WebdavServer, createWebdavServer } from './webdav/webdav-server.js';
export type { WebdavServerOptions, WebdavSite } from './webdav/webdav-server.js';
export { FtpsServer } from './ftp/ftp-server.js';
export type { FtpsServerOptions, FtpsSite } from './ftp/ftp-server.js';
export type { PassivePortRange } from './ftp/ftp-passive.js';
