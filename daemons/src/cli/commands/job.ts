import type { Command } from 'commander';
import {
  InvalidInputError, JOB_STATES, NotFoundError, isJobState, jobEventToJson, jobToJson, notifyJobEnded,
  type JobRecord, type JobState, type Site,
} from '@migrid/core';
import { println, type CliIo } from '../io.js';
import { withSite, type ConfigOption } from '../site-from-options.js';

const CONFIG_OPTION = ['-c, --config <file>', 'config file (default: $MIG_CONF, then ./mig.toml)'] as const;
/** The admin acting from the command line. */
const ADMIN = { kind: 'admin', userId: null } as const;
const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** One line per job: id, state, owner, name, received. */
function line(job: JobRecord, owner: string): string {
  return `${job.id}\t${job.state}\t${owner}\t${job.name === '' ? '-' : job.name}\t${iso(job.receivedAt) ?? ''}`;
}

/** `--state QUEUED,executing` → states; unknown names are refused with the list of known ones. */
function parseStates(text: string): JobState[] {
  const states = text.split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
  const unknown = states.filter((s) => !isJobState(s));
  if (states.length === 0 || unknown.length > 0) {
    const shown = unknown.map((s) => JSON.stringify(s.slice(0, 32))).join(', ');
    throw new InvalidInputError(`--state ${shown === '' ? 'is empty' : `has unknown state(s) ${shown}`}: use ${JOB_STATES.join(', ')} (comma-separated).`);
  }
  return states as JobState[];
}

/** `30s`, `15m`, `12h`, `7d`, `2w` or plain seconds → milliseconds. */
function parseDuration(text: string, flag: string): number {
  const m = /^(\d{1,9})([smhdw]?)$/.exec(text.trim());
  const n = m === null ? Number.NaN : Number(m[1]) * (DURATION_UNITS[m[2] === '' || m[2] === undefined ? 's' : m[2]] ?? Number.NaN);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidInputError(`${flag} must be a positive duration such as 3600, 30m, 12h or 7d.`);
  return n * 1000;
}

/** Owner emails by user id, looked up once each. */
function ownerNames(site: Site): (id: string) => Promise<string> {
  const cache = new Map<string, string>();
  return async (id) => {
    let name = cache.get(id);
    if (name === undefined) {
      name = await site.users.get(id).then((u) => u.email, () => id);
      cache.set(id, name);
    }
    return name;
  };
}

/**
 * `mig job list|show|cancel|freeze|thaw|resubmit|expire`: the site's jobs, as an admin. Changes go
 * to the database; a running grid engine (in this or another process) picks them up at its next
 * sweep, and tells the unit running a cancelled job to stop it.
 */
export function registerJobCommands(program: Command, io: CliIo): void {
  const job = program.command('job').description('grid jobs: list, show, cancel, freeze, thaw, resubmit, expire');

  job
    .command('list')
    .description('list jobs, newest first')
    .option('--state <states>', `only jobs in these states (comma-separated: ${JOB_STATES.join(', ')})`)
    .option('--owner <user>', 'only jobs of this user: email, login alias, DN or user id')
    .option('--limit <n>', 'at most this many jobs (1-1000)', '100')
    .option('--json', 'print a JSON array')
    .option(...CONFIG_OPTION)
    .action(async (opts: ConfigOption & { state?: string; owner?: string; limit: string; json?: boolean }) => {
      const states = opts.state === undefined ? undefined : parseStates(opts.state);
      const limit = Number(opts.limit);
      if (!/^\d+$/.test(opts.limit) || limit < 1 || limit > 1000) throw new InvalidInputError('--limit must be a whole number from 1 to 1000.');
      await withSite(opts, io, async (site) => {
        let ownerId: string | undefined;
        if (opts.owner !== undefined) {
          const owner = await site.users.find(opts.owner);
          if (owner === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', `No user matches "${opts.owner.slice(0, 256)}" (see mig user list).`);
          ownerId = owner.id;
        }
        const page = await site.jobs.list({ ownerId, states, limit });
        if (opts.json === true) {
          println(io, JSON.stringify(page.jobs.map((j) => jobToJson(j, { withOwner: true })), null, 2));
          return;
        }
        const name = ownerNames(site);
        for (const j of page.jobs) println(io, line(j, await name(j.ownerId)));
        if (page.next !== null) io.stderr.write(`(more jobs than --limit ${limit}; narrow with --state or --owner)\n`);
      });
    });

  job
    .command('show <id>')
    .description('show one job and its history')
    .option('--json', 'print JSON: { job, history }')
    .option(...CONFIG_OPTION)
    .action(async (id: string, opts: ConfigOption & { json?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const record = await site.jobs.get(id);
        const history = await site.jobs.history(record.id);
        if (opts.json === true) {
          println(io, JSON.stringify({ job: jobToJson(record, { withOwner: true }), history: history.map(jobEventToJson) }, null, 2));
          return;
        }
        const owner = await ownerNames(site)(record.ownerId);
        const rows: [string, string | number | null][] = [
          ['Job', record.id], ['Name', record.name], ['State', record.state], ['Owner', owner], ['Retries', `${record.retryCount} of ${record.spec.RETRIES}`],
          ['Resource', record.resourceId === null ? null : `${record.resourceId}/${record.unitName ?? ''}`],
          ['Received', iso(record.receivedAt)], ['Queued', iso(record.queuedAt)], ['Executing', iso(record.executingAt)], ['Finished', iso(record.finishedAt)],
          ['Failure', record.failureMessage], ['Verified', record.verified?.summary ?? null],
        ];
        for (const [key, value] of rows) if (value !== null) println(io, `${`${key}:`.padEnd(11)}${value}`);
        println(io, 'History:');
        for (const e of history) {
          const reason = typeof e.detail.reason === 'string' ? ` (${e.detail.reason})` : '';
          println(io, `  ${iso(e.at) ?? ''}  ${e.fromState ?? '-'} -> ${e.toState}  by ${e.actor}${reason}`);
        }
      });
    });

  const steps = [
    ['cancel', 'cancel a pending or running job (its unit is told to stop it)'],
    ['freeze', 'hold a queued job (it is not handed out until thawed)'],
    ['thaw', 'put a frozen job back in the queue'],
  ] as const;
  for (const [name, text] of steps) {
    job
      .command(`${name} <id>`)
      .description(text)
      .option(...CONFIG_OPTION)
      .action(async (id: string, opts: ConfigOption) => {
        await withSite(opts, io, async (site) => {
          const record = await site.jobs[name](id, ADMIN);
          println(io, line(record, await ownerNames(site)(record.ownerId)));
        });
      });
  }

  job
    .command('resubmit <id>')
    .description('submit a job again for its owner (a new job with the same description); prints the new job')
    .option(...CONFIG_OPTION)
    .action(async (id: string, opts: ConfigOption) => {
      await withSite(opts, io, async (site) => {
        const old = await site.jobs.get(id);
        const record = await site.jobs.submit({ ownerId: old.ownerId, spec: old.spec, mrsl: old.mrsl ?? undefined, actor: 'admin:local' });
        println(io, line(record, await ownerNames(site)(record.ownerId)));
      });
    });

  job
    .command('expire')
    .description('expire queued jobs that have waited longer than a duration (NOTIFY recipients are mailed)')
    .requiredOption('--older-than <duration>', 'e.g. 3600, 30m, 12h, 7d')
    .option(...CONFIG_OPTION)
    .action(async (opts: ConfigOption & { olderThan: string }) => {
      const age = parseDuration(opts.olderThan, '--older-than');
      await withSite(opts, io, async (site) => {
        const name = ownerNames(site);
        let total = 0;
        for (let round = 0; round < 1000; round++) {
          const expired = await site.jobs.expireQueuedBefore(Date.now() - age, { limit: 1000, actor: 'admin:local' });
          for (const j of expired) {
            const owner = await name(j.ownerId);
            println(io, line(j, owner));
            if (j.spec.NOTIFY.length > 0) {
              await notifyJobEnded({ notifier: site.notifier, job: j, ownerEmail: owner.includes('@') ? owner : undefined, siteTitle: site.config.site.short_title, logger: site.logger });
            }
          }
          total += expired.length;
          if (expired.length < 1000) break;
        }
        io.stderr.write(`${total} job(s) expired.\n`);
      });
    });
}
