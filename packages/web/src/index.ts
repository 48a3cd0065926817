/**
 * `@migrid/web`: the HTTPS portal, the JSON API under /api/v1 and the resource endpoints. Built by the web-portal issue.
 *
 * The package exists so the workspace, build and dependency rules are in place from the start; its
 * public API is added by the issue named above.
 *
 * @packageDocumentation
 */
export {};
