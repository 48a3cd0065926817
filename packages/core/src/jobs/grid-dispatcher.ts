/**
 * The seam between the grid engine (`@migrid/scheduler`, the only writer of scheduling decisions)
 * and the servers that talk to users and resources (`@migrid/web`): resources ask for work and
 * report through it, job sessions are opened through it, and submissions and user actions are
 * announced to it. The web app takes any implementation, so a custom engine plugs in here.
 * @packageDocumentation
 */
import type { FileView } from '../fs/index.js';
import type { JobSpec } from '../mrsl/job-spec.js';
import type { ResourceRecord, ResourceStatus } from '../resources/resource-store.js';
import type { JobRecord } from './job-record.js';

/** What one execution unit can take now. */
export interface UnitCapacity {
  readonly cpuTimeSeconds: number;
  readonly nodeCount: number;
  readonly cpuCount: number;
  readonly memoryMb: number;
  readonly diskGb: number;
}

/** A unit asking for work (`POST /api/v1/agent/work`). */
export interface WorkRequest {
  readonly resource: ResourceRecord;
  readonly unit: string;
  readonly capacity: UnitCapacity;
  /** The jobs the unit still runs. */
  readonly running: readonly string[];
  /**
   * Who moves the job's files. `agent`: the agent fetches inputs and sends results itself over
   * its own connection (the local executor), so the answer also carries {@link AssignedJob.staged}.
   * Absent or `script`: the job script does it with `curl` (any executor, MiG's way).
   */
  readonly transfers?: JobTransfers;
}

/** Who moves a job's files: the job script (`curl`) or the agent. See {@link WorkRequest.transfers}. */
export type JobTransfers = 'script' | 'agent';

/** One file the agent fetches before the job's commands run (INPUTFILES, EXECUTABLES). */
export interface StagedInput {
  /**
   * `session`: `source` is a path below the job's session URL, each component already
   * URL-encoded (`/sid_redirect/<session-id>/<source>`); `url`: an `http(s)://` or `ftp://` URL.
   */
  readonly kind: 'session' | 'url';
  readonly source: string;
  /** Where the file lands, relative to the job folder (no `..`, no leading `/`). */
  readonly destination: string;
  /** An EXECUTABLES entry: made executable after the fetch. */
  readonly executable: boolean;
}

/** One file the agent sends after the job's commands ran (OUTPUTFILES). */
export interface StagedOutput {
  /** The file in the job folder (relative, no `..`). */
  readonly source: string;
  /** `session`: a URL-encoded path below the session URL; `url`: an `http(s)://` or `ftp://` URL. */
  readonly kind: 'session' | 'url';
  readonly destination: string;
}

/**
 * A job whose files the agent moves (`transfers: 'agent'`): the transfer manifest and the
 * commands-only script. The agent fetches `inputs` into the job folder (a failed fetch: the job
 * does not run, the agent reports the failure), runs `commands` (POSIX sh: exports and EXECUTE
 * lines, writing `<id>.stdout`, `<id>.stderr` and `<id>.status` in the job folder), then sends
 * `outputs`, and last the stdout, stderr, `.io-status` and `.status` to `job_output/<id>/` through
 * the same session URLs the job script uses.
 */
export interface StagedJob {
  readonly inputs: readonly StagedInput[];
  readonly outputs: readonly StagedOutput[];
  /** The commands part of the job script. */
  readonly commands: string;
}

/** A job handed to a unit. */
export interface AssignedJob {
  readonly id: string;
  readonly name: string;
  /** The job's session id: its only credential, shown once. */
  readonly sessionId: string;
  /** The job script (POSIX sh + curl). */
  readonly script: string;
  /** The transfer manifest and commands-only script, when the unit asked for `transfers: 'agent'`. */
  readonly staged?: StagedJob;
  readonly limits: { readonly cpuTimeSeconds: number; readonly wallTimeSeconds: number; readonly memoryMb: number; readonly cpus: number; readonly nodes: number };
}

/** The answer to a work request or heartbeat. */
export interface WorkAnswer {
  /** The job to run, or `null` when there is none for this unit now. */
  readonly job: AssignedJob | null;
  /** When an idle unit should ask again. */
  readonly retryAfterSeconds: number;
  /** Jobs the unit runs that it must stop (cancelled, frozen, timed out or running elsewhere). */
  readonly cancel: readonly string[];
}

/** An open job session: the job and the owner's files as the session sees them. */
export interface JobSession {
  readonly job: JobRecord;
  readonly view: FileView;
}

/**
 * One execution unit of a registered resource, judged against a job: whether the job fits what
 * the unit's configuration offers (MiG's fitness test), and if not, every reason why.
 */
export interface UnitFeasibility {
  /** The resource's id (its unique name). */
  readonly resourceId: string;
  /** The execution unit within the resource. */
  readonly unit: string;
  /** The name the job's RESOURCE patterns are matched against (`<public name>_<unit>`). */
  readonly publicName: string;
  /** A paused resource takes no new work even when the job fits. */
  readonly resourceStatus: ResourceStatus;
  /** When the resource's agent last asked for work or reported (epoch ms), `null` if never. */
  readonly lastSeenAt: number | null;
  /** Whether the job fits the unit's offer (regardless of the resource's status). */
  readonly fits: boolean;
  /** Why it does not fit, one per failed rule, each starting with its mRSL keyword; empty when it fits. */
  readonly reasons: readonly string[];
}

/**
 * The answer to "which resources could run this job, and why not" (MiG's `jobfeasible`), for
 * every registered resource and unit. `verdict`: `ready` when an active unit fits, `paused` when
 * only paused ones do, `none` when no unit fits (or none is registered).
 */
export interface FeasibilityReport {
  readonly verdict: 'ready' | 'paused' | 'none';
  /** Active units the job fits. */
  readonly runnable: number;
  /** Every unit, resources in name order. */
  readonly units: readonly UnitFeasibility[];
}

/** The grid engine as the servers see it. */
export interface GridDispatcher {
  /** A unit asks for one job. */
  requestWork(request: WorkRequest): Promise<WorkAnswer>;
  /** A unit reports what it runs; the answer lists jobs to stop. */
  heartbeat(request: Omit<WorkRequest, 'capacity'>): Promise<WorkAnswer>;
  /** A unit reports that a job ended without its `.status` upload (crash, timeout, lost). */
  reportFailure(input: { readonly resource: ResourceRecord; readonly jobId: string; readonly sessionId: string; readonly reason: string }): Promise<JobRecord>;
  /** The job a live session id belongs to, with the owner's view; `undefined` for any other id. */
  openSession(sessionId: string): Promise<JobSession | undefined>;
  /**
   * The session's `.status` file arrived: the job is finished (VERIFYFILES, NOTIFY). `opened`: the
   * session as {@link openSession} returned it for this request, so it need not be looked up
   * again (the finish is still a compare-and-set on the job's version).
   */
  completeSession(sessionId: string, opened?: JobSession): Promise<JobRecord>;
  /** A job was submitted, or changed by its owner or an admin (a hint; the engine also polls). */
  jobChanged(job: JobRecord): void;
  /**
   * Which registered units could run `spec` for its owner `ownerId`, and why the others could not.
   * Optional: a dispatcher without it makes the web app answer `MIG_E_GRID_UNAVAILABLE`.
   */
  feasibility?(spec: JobSpec, ownerId: string): Promise<FeasibilityReport>;
}
