/**
 * `@migrid/scheduler`: MiG's grid engine and the resource side.
 *
 * - Matchmaking (`jobFitsUnit`), the scheduling policies (FIFO, FirstFit, BestFit, FairFit,
 *   MaxThroughput, Random; register your own in a `PolicyRegistry`) and the in-memory
 *   `JobQueueIndex` whose cost per decision does not grow with the queue.
 * - The job script a resource runs (`generateJobScript`: POSIX sh + curl), and the agent-staged
 *   form (`generateStagedJob`: a transfer manifest and the commands alone) for agents that move
 *   the files themselves.
 * - Executors, the resource side's seam: `LocalExecutor`, `SlurmExecutor`.
 *
 * @packageDocumentation
 */
// Scheduling: matchmaking, policies and the in-memory queue index.
export type { QueuedJob } from './scheduling/queued-job.js';
export type { UnitOffer, UnitJobType } from './scheduling/unit-offer.js';
export type { ScheduleContext } from './scheduling/schedule-context.js';
export { expiryCutoff } from './scheduling/schedule-context.js';
export type { CompiledPattern } from './scheduling/fnmatch.js';
export { fnmatch, compilePattern, matchPattern } from './scheduling/fnmatch.js';
export type { NeedField } from './scheduling/job-requirements.js';
export { NEED_FIELDS } from './scheduling/job-requirements.js';
export type { FitResult } from './scheduling/job-fits-unit.js';
export { jobFitsUnit, matchingVgrid } from './scheduling/job-fits-unit.js';
export type { SchedulingPolicy, CandidateScope } from './scheduling/scheduling-policy.js';
export { selectByScore } from './scheduling/scheduling-policy.js';
export { fifoPolicy } from './scheduling/fifo-policy.js';
export { firstFitPolicy } from './scheduling/first-fit-policy.js';
export { bestFitPolicy, bestFitScore, BEST_FIT_WEIGHTS, SANDBOX_MISMATCH_FACTOR } from './scheduling/best-fit-policy.js';
export { fairFitPolicy, fairFitScore, FAIR_FIT_AGE_WEIGHT } from './scheduling/fair-fit-policy.js';
export { maxThroughputPolicy } from './scheduling/max-throughput-policy.js';
export { randomPolicy } from './scheduling/random-policy.js';
export type { PolicyRegistry, RegisterPolicyOptions } from './scheduling/policy-registry.js';
export { createPolicyRegistry, BUILT_IN_POLICIES } from './scheduling/policy-registry.js';
export { selectByFullScan } from './scheduling/select-by-full-scan.js';
export type { JobQueueIndexStats } from './scheduling/job-queue-index.js';
export { JobQueueIndex } from './scheduling/job-queue-index.js';
export * from './executors/index.js';
export type { JobScriptInput } from './job-script/generate-job-script.js';
export { generateJobScript, shellQuote } from './job-script/generate-job-script.js';
export { generateStagedJob } from './job-script/generate-staged-job.js';
// The grid engine (grid_script).
export type { GridEngineOptions } from './engine/grid-engine.js';
export { GridEngine } from './engine/grid-engine.js';
export { feasibilityOf, feasibilityReport, configuredUnitOffer } from './engine/feasibility.js';
// The resource agent (mig-resource).
export type { AgentUnit, ResourceAgentOptions } from './agent/resource-agent.js';
export { ResourceAgent, SiteRequestError } from './agent/resource-agent.js';
// grid_script's socket, for web servers in other processes.
export type { EngineSocketServerOptions } from './remote/engine-socket-server.js';
export { EngineSocketServer } from './remote/engine-socket-server.js';
export type { RemoteGridDispatcherOptions } from './remote/remote-grid-dispatcher.js';
export { RemoteGridDispatcher } from './remote/remote-grid-dispatcher.js';
