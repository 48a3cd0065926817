/**
 * `@migrid/core`: the MiG site model. Config, database, identity, users, auth (passwords, keys,
 * TOTP, API tokens, the brute-force defender), audit, and the file-system layer every protocol
 * goes through. No network servers live here.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export { parseInput } from './validation/parse-input.js';
