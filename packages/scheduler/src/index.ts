/**
 * `@migrid/scheduler`: the grid engine (job queue, scheduling policies, dispatch, timeouts) and the resource agent with its executors. Built by the jobs issue.
 *
 * The package exists so the workspace, build and dependency rules are in place from the start; its
 * public API is added by the issue named above.
 *
 * @packageDocumentation
 */
export {};
