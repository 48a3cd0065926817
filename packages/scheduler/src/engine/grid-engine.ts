/**
 * The grid engine (MiG's `grid_script`): keeps the queue index over the durable job store, hands
 * jobs to units that ask for work, finishes jobs whose `.status` arrives, and requeues or fails
 * jobs whose unit timed out, died or reported a failure. The database is the truth: every change
 * is a compare-and-set in the job store, so a decision made on stale memory is simply refused,
 * and a restart rebuilds the index from the database.
 * @packageDocumentation
 */
import type { FeasibilityReport, FileView, GridDispatcher, JobChangeCursor, JobRecord, JobSpec, JobSession, ResourceRecord, Site, UnitCapacity, WorkAnswer, WorkRequest } from '@migrid/core';
import { expandJobVariables, InvalidInputError, MigError, notifyJobEnded, openJobResults, verifyJobResults, vgridsWithResource } from '@migrid/core';
import { generateJobScript } from '../job-script/generate-job-script.js';
import { generateStagedJob } from '../job-script/generate-staged-job.js';
import { configuredUnitOffer, feasibilityReport } from './feasibility.js';
import { JobQueueIndex } from '../scheduling/job-queue-index.js';
import { createPolicyRegistry, type PolicyRegistry } from '../scheduling/policy-registry.js';
import type { QueuedJob } from '../scheduling/queued-job.js';
import type { SchedulingPolicy } from '../scheduling/scheduling-policy.js';
import type { UnitOffer } from '../scheduling/unit-offer.js';

/** How long an owner's file view is reused for job sessions, ms. */
const VIEW_TTL_MS = 5_000;
/** Most owners' views kept at once. */
const MAX_VIEWS = 256;

/** Options of {@link GridEngine}. */
export interface GridEngineOptions {
  readonly site: Site;
  /** The site's public base URL that job scripts reach (`/sid_redirect/…`), e.g. `https://mig.example.org:8443`. */
  readonly siteUrl: string | (() => string);
  /** Policies to choose from (default: the six built-ins); the name comes from `[scheduler] algorithm`. */
  readonly policies?: PolicyRegistry;
  /** Seconds a job may run past its CPUTIME before it is requeued (default 60). */
  readonly graceSeconds?: number;
  /** Seconds a unit may go without asking or reporting before its jobs count as lost (default 120). */
  readonly unitSilenceSeconds?: number;
  /** How often to sweep (timeouts, expiry, submissions from other processes), ms (default 2000). */
  readonly sweepIntervalMs?: number;
  /** How long an idle unit should wait before asking again (default 5 s). */
  readonly idleRetrySeconds?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** The grid engine; a {@link GridDispatcher} for the web app. */
export class GridEngine implements GridDispatcher {
  private readonly site: Site;
  private readonly siteUrl: string | (() => string);
  private readonly policy: SchedulingPolicy;
  private readonly index = new JobQueueIndex();
  /** Executing jobs this engine knows: id → resource, unit, version, start. */
  private readonly executing = new Map<string, { resourceId: string; unit: string; version: number; startedAt: number; cpuTime: number }>();
  /** When each unit last asked or reported (`resource/unit`). */
  private readonly unitSeen = new Map<string, number>();
  /** Jobs units must stop, per `resource/unit`. */
  private readonly toCancel = new Map<string, Set<string>>();
  private readonly graceMs: number;
  private readonly silenceMs: number;
  private readonly sweepMs: number;
  private readonly idleRetry: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private started = false;
  /** Where the last sweep stopped reading the database's job changes (set by the full load at start). */
  private changes: JobChangeCursor | undefined;
  /** Serialises dispatch decisions (the only writer of scheduling decisions). */
  private decisions: Promise<unknown> = Promise.resolve();
  /**
   * Owners' file views for job sessions, reused for {@link VIEW_TTL_MS} (a job sends several files
   * in a row): a view is live (it follows the owner's VGrid memberships by itself), so reuse only
   * saves building it; the session itself is checked against the database on every call.
   */
  private readonly views = new Map<string, { view: FileView; until: number }>();

  constructor(options: GridEngineOptions) {
    this.site = options.site;
    this.siteUrl = options.siteUrl;
    this.policy = (options.policies ?? createPolicyRegistry()).getPolicy(options.site.config.scheduler.algorithm);
    this.graceMs = (options.graceSeconds ?? 60) * 1000;
    this.silenceMs = (options.unitSilenceSeconds ?? 120) * 1000;
    this.sweepMs = options.sweepIntervalMs ?? 2000;
    this.idleRetry = options.idleRetrySeconds ?? 5;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Rebuilds the queue from the database and starts the sweeper. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.loadAll();
    this.timer = setInterval(() => void this.sweep(), this.sweepMs);
    this.timer.unref();
  }

  /** Stops the sweeper (the database keeps everything). */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
    await this.decisions.catch(() => undefined);
  }

  /** How many jobs wait in the index and how many execute. */
  stats(): { queued: number; executing: number } {
    return { queued: this.index.size, executing: this.executing.size };
  }

  private queuedJob(job: JobRecord): QueuedJob {
    return { id: job.id, ownerId: job.ownerId, spec: job.spec, queuedAt: job.queuedAt ?? job.receivedAt, vgrids: job.spec.VGRID };
  }

  /**
   * The full load, at start only: the change cursor first (so a change made during the load is
   * read again by the next sweep), then every queued and executing job.
   */
  private async loadAll(): Promise<void> {
    this.changes = await this.site.jobs.changeCursor();
    await this.reload();
  }

  /**
   * Follows the database: only the jobs changed since the last sweep (by this process or any
   * other, e.g. `grid_web` elsewhere or `mig job cancel`), O(changes) rather than O(queue).
   * Runs in the decision queue, so it never interleaves with a dispatch.
   */
  private async catchUp(): Promise<void> {
    for (let page = 0; page < 1000 && this.changes !== undefined; page++) {
      const batch = await this.site.jobs.changedSince(this.changes);
      for (const job of batch.jobs) this.syncJob(job);
      this.changes = batch.cursor;
      if (!batch.more) return;
    }
  }

  /** Brings what the engine holds about one job in line with its record in the database. */
  private syncJob(job: JobRecord): void {
    if (job.state === 'EXECUTING') {
      this.index.remove(job.id);
      const known = this.executing.get(job.id);
      if (job.resourceId === null || job.unitName === null) return;
      if (known === undefined || known.version !== job.version) {
        this.executing.set(job.id, { resourceId: job.resourceId, unit: job.unitName, version: job.version, startedAt: known?.startedAt ?? job.executingAt ?? this.now(), cpuTime: job.spec.CPUTIME });
      }
      return;
    }
    // Back in the queue (requeued meanwhile): no longer the unit's to run, nothing to cancel.
    if (job.state === 'QUEUED' || job.state === 'RETRY') this.executing.delete(job.id);
    this.jobChanged(job);
  }

  /** Brings the index in line with the database: queued jobs in, others out; executing tracked. */
  private async reload(): Promise<void> {
    const queued = await this.site.jobs.loadQueued();
    const ids = new Set<string>();
    for (const job of queued) {
      ids.add(job.id);
      if (!this.index.has(job.id)) this.index.add(this.queuedJob(job));
    }
    for (const job of [...this.index.jobs()]) if (!ids.has(job.id)) this.index.remove(job.id);
    const executing = await this.site.jobs.loadExecuting();
    const live = new Set<string>();
    for (const job of executing) {
      live.add(job.id);
      if (!this.executing.has(job.id) && job.resourceId !== null && job.unitName !== null) {
        this.executing.set(job.id, { resourceId: job.resourceId, unit: job.unitName, version: job.version, startedAt: job.executingAt ?? this.now(), cpuTime: job.spec.CPUTIME });
      }
    }
    for (const id of [...this.executing.keys()]) if (!live.has(id)) this.executing.delete(id);
  }

  jobChanged(job: JobRecord): void {
    if (job.state === 'QUEUED' || job.state === 'RETRY') {
      if (!this.index.has(job.id)) this.index.add(this.queuedJob(job));
      return;
    }
    this.index.remove(job.id);
    const running = this.executing.get(job.id);
    if (running !== undefined && job.state !== 'EXECUTING') {
      // Cancelled or frozen while it ran: the unit is told to stop it at its next contact.
      this.cancelOn(running.resourceId, running.unit, job.id);
      this.executing.delete(job.id);
    }
  }

  private cancelOn(resourceId: string, unit: string, jobId: string): void {
    const key = `${resourceId}/${unit}`;
    const set = this.toCancel.get(key) ?? new Set<string>();
    set.add(jobId);
    this.toCancel.set(key, set);
  }

  private takeCancels(resourceId: string, unit: string): string[] {
    const key = `${resourceId}/${unit}`;
    const set = this.toCancel.get(key);
    this.toCancel.delete(key);
    return set === undefined ? [] : [...set];
  }

  private checkUnit(resource: ResourceRecord, unit: string): void {
    if (typeof unit !== 'string' || !resource.config.EXECONFIG.some((u) => u.name === unit)) {
      throw new InvalidInputError(`The resource ${resource.id} has no execution unit ${JSON.stringify(String(unit).slice(0, 64))}; its units are ${resource.config.EXECONFIG.map((u) => u.name).join(', ')}.`, { details: { field: 'unit' } });
    }
  }

  /** Jobs the site believes run on this unit but the unit no longer lists: requeued (MiG's "resource died"). */
  private async reconcile(resource: ResourceRecord, unit: string, running: readonly string[]): Promise<string[]> {
    const listed = new Set(running);
    const cancel = this.takeCancels(resource.id, unit);
    for (const [jobId, e] of [...this.executing]) {
      if (e.resourceId !== resource.id || e.unit !== unit) continue;
      if (!listed.has(jobId)) {
        this.executing.delete(jobId);
        await this.requeue(jobId, e.version, `the unit ${resource.id}/${unit} no longer runs the job`).catch(() => undefined);
      }
    }
    // Jobs the unit runs that are not (or no longer) its to run: stop them.
    for (const jobId of listed) {
      const e = this.executing.get(jobId);
      if (e === undefined || e.resourceId !== resource.id || e.unit !== unit) cancel.push(jobId);
    }
    return [...new Set(cancel)];
  }

  /** The unit as configured (VGrids: those that have the resource), narrowed to what it says it can take now. */
  private offerOf(resource: ResourceRecord, unit: string, capacity: UnitCapacity, withResource: readonly string[]): UnitOffer {
    const configured = configuredUnitOffer(resource, unit, withResource);
    const min = (a: number, b: number): number => (Number.isFinite(b) && b >= 0 ? Math.min(a, b) : a);
    return {
      ...configured,
      cpuCount: min(configured.cpuCount, capacity.cpuCount),
      nodeCount: min(configured.nodeCount, capacity.nodeCount),
      cpuTime: min(configured.cpuTime, capacity.cpuTimeSeconds),
      memory: min(configured.memory, capacity.memoryMb),
      disk: min(configured.disk, capacity.diskGb),
    };
  }

  async requestWork(request: WorkRequest): Promise<WorkAnswer> {
    const { resource, unit } = request;
    this.checkUnit(resource, unit);
    this.unitSeen.set(`${resource.id}/${unit}`, this.now());
    await this.site.resources.touch(resource.id);
    const cancel = await this.reconcile(resource, unit, request.running);
    if (resource.status !== 'active') return { job: null, retryAfterSeconds: this.idleRetry * 6, cancel };
    const offer = this.offerOf(resource, unit, request.capacity, await vgridsWithResource(this.site.db, resource.id));
    const run = this.decisions.then(() => this.dispatchOne(resource, unit, offer, request.transfers === 'agent'));
    this.decisions = run.catch(() => undefined);
    const job = await run;
    return { job, retryAfterSeconds: job === null ? this.idleRetry : 0, cancel };
  }

  /** Picks and dispatches one job; a job that moved on meanwhile is dropped from the index and the next tried. */
  private async dispatchOne(resource: ResourceRecord, unit: string, offer: UnitOffer, staged: boolean): Promise<WorkAnswer['job']> {
    const ctx = { now: this.now(), random: this.random, expireAfter: this.site.config.scheduler.expire_after_seconds };
    for (let attempt = 0; attempt < 20; attempt++) {
      const picked = this.index.pick(offer, this.policy, ctx);
      if (picked === undefined) return null;
      this.index.remove(picked.id);
      let record: JobRecord;
      try {
        record = await this.site.jobs.get(picked.id);
        if (record.state !== 'QUEUED' && record.state !== 'RETRY') continue;
        const dispatched = await this.site.jobs.dispatch(record.id, { resourceId: resource.id, unit, expectVersion: record.version, actor: 'grid_script' });
        record = dispatched.record;
        const owner = await this.site.users.get(record.ownerId);
        const scriptInput = { jobId: record.id, sessionId: dispatched.sessionId, siteUrl: typeof this.siteUrl === 'string' ? this.siteUrl : this.siteUrl(), spec: expandJobVariables(record.spec, { jobId: record.id, jobName: record.name }), submitUser: owner.dn, unitName: unit };
        const script = generateJobScript(scriptInput);
        this.executing.set(record.id, { resourceId: resource.id, unit, version: record.version, startedAt: this.now(), cpuTime: record.spec.CPUTIME });
        const cpuTime = record.spec.CPUTIME;
        return {
          id: record.id,
          name: record.name,
          sessionId: dispatched.sessionId,
          script,
          ...(staged ? { staged: generateStagedJob(scriptInput) } : {}),
          limits: { cpuTimeSeconds: cpuTime, wallTimeSeconds: cpuTime + Math.ceil(this.graceMs / 1000), memoryMb: record.spec.MEMORY, cpus: record.spec.CPUCOUNT, nodes: record.spec.NODECOUNT },
        };
      } catch (err) {
        if (err instanceof MigError && (err.code === 'MIG_E_JOB_STATE' || err.code === 'MIG_E_JOB_NOT_FOUND')) continue;
        throw err;
      }
    }
    return null;
  }

  async heartbeat(request: Omit<WorkRequest, 'capacity'>): Promise<WorkAnswer> {
    this.checkUnit(request.resource, request.unit);
    this.unitSeen.set(`${request.resource.id}/${request.unit}`, this.now());
    await this.site.resources.touch(request.resource.id);
    const cancel = await this.reconcile(request.resource, request.unit, request.running);
    return { job: null, retryAfterSeconds: this.idleRetry, cancel };
  }

  async reportFailure(input: { resource: ResourceRecord; jobId: string; sessionId: string; reason: string }): Promise<JobRecord> {
    const session = await this.site.jobs.findBySession(input.sessionId);
    if (session === undefined || session.id !== input.jobId || session.resourceId !== input.resource.id) {
      throw new MigError('MIG_E_NOT_FOUND', 'No job of this resource runs under that session; it may have been requeued or finished already.');
    }
    this.executing.delete(session.id);
    const reason = String(input.reason).slice(0, 1000);
    return this.requeue(session.id, session.version, `the resource reported: ${reason}`);
  }

  private async requeue(jobId: string, version: number, reason: string): Promise<JobRecord> {
    const record = await this.site.jobs.requeue(jobId, { expectVersion: version, reason, actor: 'grid_script' });
    this.jobChanged(record);
    if (record.state === 'FAILED') await this.notify(record);
    return record;
  }

  async openSession(sessionId: string): Promise<JobSession | undefined> {
    const job = await this.site.jobs.findBySession(sessionId);
    if (job === undefined || job.state !== 'EXECUTING') return undefined;
    return { job, view: await this.ownerView(job.ownerId) };
  }

  /** The owner's file view, built again after {@link VIEW_TTL_MS}. */
  private async ownerView(ownerId: string): Promise<FileView> {
    // Real time, not the engine's clock (which tests may hold still).
    const at = Date.now();
    const cached = this.views.get(ownerId);
    if (cached !== undefined && cached.until > at) return cached.view;
    const view = await this.site.files.viewFor({ kind: 'user', userId: ownerId });
    this.views.delete(ownerId);
    this.views.set(ownerId, { view, until: at + VIEW_TTL_MS });
    // Oldest first: a Map keeps insertion order.
    for (const key of this.views.keys()) {
      if (this.views.size <= MAX_VIEWS) break;
      this.views.delete(key);
    }
    return view;
  }

  async completeSession(sessionId: string, opened?: JobSession): Promise<JobRecord> {
    // The web route passes the session it opened for this very upload; the transition below is a
    // compare-and-set on that dispatch's version, so a job that moved on meanwhile is refused.
    const session = opened?.job.state === 'EXECUTING' ? opened : await this.openSession(sessionId);
    if (session === undefined) throw new MigError('MIG_E_NOT_FOUND', 'That job session is not live any more.');
    const { job, view } = session;
    const verified = await verifyJobResults(view, job).catch(() => null);
    const record = await this.site.jobs.transition(job.id, { from: 'EXECUTING', to: 'FINISHED', expectVersion: job.version, actor: `resource:${job.resourceId ?? 'unknown'}`, set: { verified } });
    this.executing.delete(job.id);
    await this.notify(record);
    return record;
  }

  /** Which registered units could run a job, and why the others could not (see `feasibility.ts`). */
  async feasibility(spec: JobSpec, ownerId: string): Promise<FeasibilityReport> {
    return feasibilityReport(this.site, spec, ownerId);
  }

  private async notify(job: JobRecord): Promise<void> {
    if (job.spec.NOTIFY.length === 0) return;
    try {
      const owner = await this.site.users.get(job.ownerId);
      const results = await openJobResults(this.site.files, job);
      const statusText = job.state === 'FINISHED' ? await results.read('status').catch(() => undefined) : undefined;
      await notifyJobEnded({ notifier: this.site.notifier, job, ownerEmail: owner.email, statusText, logger: this.site.logger });
    } catch (err) {
      this.site.logger.warn({ err, jobId: job.id }, 'job notification failed');
    }
  }

  /** Timeouts, silent units, expiry and submissions made by other processes. */
  sweep(): Promise<void> {
    if (this.sweeping !== undefined) return this.sweeping;
    this.sweeping = this.sweepOnce()
      .catch((err: unknown) => this.site.logger.warn({ err }, 'grid engine sweep failed'))
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const at = this.now();
    for (const [jobId, e] of [...this.executing]) {
      const seen = this.unitSeen.get(`${e.resourceId}/${e.unit}`) ?? e.startedAt;
      const overdue = at - e.startedAt > e.cpuTime * 1000 + this.graceMs;
      const silent = at - Math.max(seen, e.startedAt) > this.silenceMs;
      if (!overdue && !silent) continue;
      this.executing.delete(jobId);
      this.cancelOn(e.resourceId, e.unit, jobId);
      await this.requeue(jobId, e.version, overdue ? `the job ran past its CPUTIME of ${e.cpuTime} s` : `the unit ${e.resourceId}/${e.unit} stopped reporting`).catch(() => undefined);
    }
    const expireAfter = this.site.config.scheduler.expire_after_seconds;
    if (expireAfter > 0) {
      for (const job of await this.site.jobs.expireQueuedBefore(at - expireAfter * 1000, { limit: 1000, actor: 'grid_script' })) {
        this.index.remove(job.id);
        await this.notify(job);
      }
    }
    const run = this.decisions.then(() => this.catchUp());
    this.decisions = run.catch(() => undefined);
    await run;
  }
}
