/**
 * `@migrid/core`: the MiG site model. Config, database, identity, users, auth (passwords, keys,
 * TOTP, API tokens, the brute-force defender), audit, and the file-system layer every protocol
 * goes through. No network servers live here.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export { parseInput } from './validation/parse-input.js';
export * from './db/index.js';
export type { Principal, UserPrincipal, ShareLinkPrincipal, JobSessionPrincipal, ResourcePrincipal, AdminPrincipal } from './principal.js';
export { describePrincipal } from './principal.js';
export * from './config/index.js';
export * from './certs/index.js';
export * from './fs/index.js';
export * from './identity/index.js';
export * from './users/index.js';
export * from './auth/index.js';
export * from './notify/index.js';
export * from './site/index.js';
export * from './mrsl/index.js';
export * from './resources/index.js';
export * from './runtime-envs/index.js';
export * from './jobs/index.js';
export * from './vgrids/index.js';
export * from './share-links/index.js';
