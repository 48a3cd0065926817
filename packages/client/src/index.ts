/**
 * `@migrid/client`: a typed client of a MiG site's `/api/v1` JSON API, and the `miguser` tool.
 * @packageDocumentation
 */
export {};
