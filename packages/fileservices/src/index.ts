/**
 * `@migrid/fileservices`: SFTP, FTPS and WebDAVS servers as importable classes over the core's auth and file-system layer. Built by the file-services issue.
 *
 * The package exists so the workspace, build and dependency rules are in place from the start; its
 * public API is added by the issue named above.
 *
 * @packageDocumentation
 */
export {};
