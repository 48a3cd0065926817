/**
 * Executors: how a resource runs the jobs it pulls (see `executor.ts` for the seam).
 *
 * @example
 * ```ts
 * import { LocalExecutor, SlurmExecutor, type Executor } from '@migrid/scheduler';
 * const executor: Executor = useSlurm ? new SlurmExecutor({ slurmConf: '/etc/slurm/slurm.conf' }) : new LocalExecutor();
 * ```
 * @packageDocumentation
 */
export {
  EXECUTOR_LIMIT_BOUNDS,
  effectiveWallTimeSeconds,
  type Executor,
  type ExecutorJob,
  type ExecutorJobRef,
  type ExecutorLimits,
  type ExecutorOutcome,
  type ExecutorOutcomeKind,
  type ExecutorStartOptions,
  type RunningJob,
} from './executor.js';
export { ExecutorError } from './executor-error.js';
export { exitRecordPath, readExitRecord, signalOfStatus, type ExitRecord } from './exit-record.js';
export { LocalExecutor, type LocalExecutorOptions } from './local-executor.js';
export { validateExecutorJob } from './validate-executor-job.js';
export { SlurmExecutor, type SlurmExecutorOptions } from './slurm-executor.js';
export { isSlurmActiveState, isSlurmEndedState, isSlurmTimeoutState } from './slurm-state.js';
