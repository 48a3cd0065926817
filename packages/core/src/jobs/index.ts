/**
 * Grid jobs in the core: MiG's job states and their state machine, job ids, the job store (the
 * database is the truth about every job), the results folder `job_output/<job id>/`, VERIFYFILES
 * and NOTIFY.
 *
 * @example
 * ```ts
 * import { createJobStore, parseMrsl } from '@migrid/core';
 * const jobs = createJobStore(site.db);
 * const job = await jobs.submit({ ownerId: user.id, spec: parseMrsl(text), mrsl: text });
 * for (const queued of await jobs.loadQueued()) engine.enqueue(queued);
 * ```
 * @packageDocumentation
 */
export type { JobState } from './job-state.js';
export {
  JOB_STATES, PENDING_JOB_STATES, FINAL_JOB_STATES, QUEUED_JOB_STATES, JOB_TRANSITIONS,
  isJobState, isPendingJobState, isFinalJobState, canTransition, assertTransition,
} from './job-state.js';
export type { JobIdParts } from './job-id.js';
export {
  JOB_ID_PATTERN, JOB_SERVER_ID_PATTERN, MAX_JOB_ID_LENGTH, isJobId, assertJobId, parseJobId, formatJobId, defaultJobServerId,
} from './job-id.js';
export type { JobRecord, JobEvent } from './job-record.js';
export type {
  JobStore, JobStoreOptions, JobActor, SubmitJobInput, ListJobsFilter, JobPage, JobChanges, TransitionJobInput,
  DispatchJobInput, DispatchedJob, RequeueJobInput,
} from './job-store.js';
export type { JobChangeCursor, JobChangesOptions, JobChangeBatch } from './job-store.js';
export { createJobStore, jobSessionHash } from './job-store.js';
export { jobToJson, jobEventToJson } from './job-json.js';
export type { JobCommandStatus, JobStatusReport, JobIoStep } from './job-status-file.js';
export { parseJobStatus, parseJobIoStatus, JOB_SETUP_FAILED_TEXT } from './job-status-file.js';
export type { JobResultKind, JobResultData, JobResults } from './job-results.js';
export { JOB_OUTPUT_DIR, JOB_RESULT_KINDS, DEFAULT_RESULT_READ_BYTES, jobOutputFolder, jobResultPath, openJobResults } from './job-results.js';
export type { JobVerification, JobVerificationCheck, JobVerificationResult, VerifyJobResultsOptions } from './job-verify.js';
export { verifyJobResults, compareWithTemplate } from './job-verify.js';
export type { NotifyTarget, SkippedNotifyEntry, JobNotifyOutcome, JobNotifyLogger, NotifiableJob, NotifyJobEndedInput } from './job-notify.js';
export {
  IM_NOTIFY_PROTOCOLS, EMAIL_NOTIFY_KEYWORDS, MAX_NOTIFY_RECIPIENTS, isSimpleEmail, parseNotifyEntry, resolveNotifyRecipients, notifyJobEnded,
} from './job-notify.js';
export type { AssignedJob, GridDispatcher, JobSession, UnitCapacity, WorkAnswer, WorkRequest } from './grid-dispatcher.js';
export type { FeasibilityReport, UnitFeasibility } from './grid-dispatcher.js';
export type { JobTransfers, StagedInput, StagedJob, StagedOutput } from './grid-dispatcher.js';
