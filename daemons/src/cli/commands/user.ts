import type { Command } from 'commander';
import { InvalidInputError, NotFoundError, SIGNUP_STATUSES, type SignupStatus, type Site, type UserRecord, type UserStatus } from '@migrid/core';
import { acceptSignup, rejectSignup } from '@migrid/web';
import { createPrompter, println, readFirstLine, type CliIo } from '../io.js';
import { withSite, type ConfigOption } from '../site-from-options.js';
import { printUser, printUserTable, userJson } from '../user-output.js';
import { addCreateUserFlags, createUserFromFlags, type CreateUserFlags } from './createuser.js';

const configFlag = ['-c, --config <file>', 'config file (default: $MIG_CONF, then ./mig.toml)'] as const;

async function mustFind(site: Site, login: string): Promise<UserRecord> {
  const user = await site.users.find(login);
  if (user === undefined) {
    throw new NotFoundError('MIG_E_USER_NOT_FOUND', `No user matches "${login.slice(0, 256)}": give an email, login alias, DN or user id (see mig user list).`);
  }
  return user;
}

function output(io: CliIo, user: UserRecord, json: boolean | undefined, headline: string): void {
  if (json === true) println(io, JSON.stringify(userJson(user), null, 2));
  else {
    println(io, headline);
    printUser(io, user);
  }
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 100_000) throw new InvalidInputError(`${flag} must be a whole number from 1 to 100000.`);
  return n;
}

/** `mig user …`: create, edit, delete, list, show, renew, suspend, reactivate, requests, accept, reject. */
export function registerUserCommands(program: Command, io: CliIo): void {
  const user = program.command('user').description('manage user accounts');

  addCreateUserFlags(user.command('create').description('create a user account from flags (never asks)')).action(
    (flags: CreateUserFlags) => createUserFromFlags(flags, io, false),
  );

  user
    .command('list')
    .description('list users')
    .option(...configFlag)
    .option('--status <status>', 'only users with this status (active, temporal, suspended, retired)')
    .option('--search <text>', 'only users whose email, name or organisation contains this text')
    .option('--role <role>', 'only users with this role')
    .option('--limit <n>', 'at most this many users', '1000')
    .option('--offset <n>', 'skip this many users', '0')
    .option('--json', 'print a JSON array')
    .action(async (opts: ConfigOption & { status?: string; search?: string; role?: string; limit: string; offset: string; json?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const offset = Number(opts.offset);
        if (!Number.isInteger(offset) || offset < 0) throw new InvalidInputError('--offset must be a whole number ≥ 0.');
        const users = await site.users.list({
          status: opts.status as UserStatus | undefined,
          search: opts.search,
          role: opts.role,
          limit: positiveInt(opts.limit, '--limit'),
          offset,
        });
        if (opts.json === true) println(io, JSON.stringify(users.map(userJson), null, 2));
        else printUserTable(io, users);
      });
    });

  user
    .command('show <login>')
    .description('show one user (by email, alias, DN or id)')
    .option(...configFlag)
    .option('--json', 'print JSON')
    .action(async (login: string, opts: ConfigOption & { json?: boolean }) => {
      await withSite(opts, io, async (site) => output(io, await mustFind(site, login), opts.json, ''));
    });

  user
    .command('edit <login>')
    .description('change a user\'s details; the DN follows, the home folder stays')
    .option(...configFlag)
    .option('--full-name <name>', 'new full name')
    .option('--organization <org>', 'new organisation')
    .option('--state <st>', 'new state code')
    .option('--country <cc>', 'new country code')
    .option('--email <email>', 'new email (the login name follows)')
    .option('--comment <text>', 'new comment')
    .option('--add-role <role...>', 'add roles')
    .option('--remove-role <role...>', 'remove roles')
    .option('--password-stdin', 'set a new password read from standard input')
    .option('--json', 'print the result as JSON')
    .action(async (login: string, opts: ConfigOption & { fullName?: string; organization?: string; state?: string; country?: string; email?: string; comment?: string; addRole?: string[]; removeRole?: string[]; passwordStdin?: boolean; json?: boolean }) => {
      const password = opts.passwordStdin === true ? await readFirstLine(io) : undefined;
      await withSite(opts, io, async (site) => {
        const current = await mustFind(site, login);
        const roles = new Set(current.roles);
        for (const r of opts.addRole ?? []) roles.add(r);
        for (const r of opts.removeRole ?? []) roles.delete(r);
        const changes = {
          ...(opts.fullName !== undefined && { fullName: opts.fullName }),
          ...(opts.organization !== undefined && { organization: opts.organization }),
          ...(opts.state !== undefined && { state: opts.state }),
          ...(opts.country !== undefined && { country: opts.country }),
          ...(opts.email !== undefined && { email: opts.email }),
          ...(opts.comment !== undefined && { comment: opts.comment }),
          ...((opts.addRole !== undefined || opts.removeRole !== undefined) && { roles: [...roles] }),
        };
        if (Object.keys(changes).length === 0 && password === undefined) {
          throw new InvalidInputError('Nothing to change: give at least one of --full-name, --organization, --state, --country, --email, --comment, --add-role, --remove-role, --password-stdin.');
        }
        let updated = current;
        if (Object.keys(changes).length > 0) updated = await site.users.edit(current.id, changes);
        if (password !== undefined) {
          await site.users.setPassword(current.id, password);
          updated = await mustFind(site, current.id);
        }
        await site.audit.record({ actor: 'admin:local', action: 'user.edit', target: current.id, outcome: 'ok', details: { fields: [...Object.keys(changes), ...(password === undefined ? [] : ['password'])] } });
        output(io, updated, opts.json, `Updated user ${updated.email}`);
      });
    });

  user
    .command('delete <login>')
    .description('delete a user; the home folder is kept under deleted_homes/ unless --purge')
    .option(...configFlag)
    .option('--purge', 'also remove the home folder for good')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (login: string, opts: ConfigOption & { purge?: boolean; yes?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const target = await mustFind(site, login);
        if (opts.yes !== true) {
          if (io.stdin.isTTY !== true) throw new InvalidInputError('Refusing to delete without confirmation: add --yes.');
          const prompter = createPrompter(io);
          const answer = await prompter.ask(`Delete ${target.email}${opts.purge === true ? ' AND its files' : ''}? Type the email to confirm`).finally(() => prompter.close());
          if (answer !== target.email) throw new InvalidInputError('Not confirmed; nothing was deleted.');
        }
        const result = await site.users.delete(target.id, { purge: opts.purge === true });
        await site.audit.record({ actor: 'admin:local', action: 'user.delete', target: target.id, outcome: 'ok', details: { email: target.email, purge: opts.purge === true } });
        println(io, `Deleted user ${target.email}`);
        if (result.keptHome !== undefined) println(io, `Home folder kept at ${result.keptHome}`);
      });
    });

  user
    .command('renew <login>')
    .description('extend a user\'s access')
    .option(...configFlag)
    .option('--days <n>', 'extend by this many days (default [accounts] renew_days)')
    .option('--json', 'print the result as JSON')
    .action(async (login: string, opts: ConfigOption & { days?: string; json?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const target = await mustFind(site, login);
        const updated = await site.users.renew(target.id, { days: positiveInt(opts.days, '--days') });
        await site.audit.record({ actor: 'admin:local', action: 'user.renew', target: target.id, outcome: 'ok' });
        output(io, updated, opts.json, `Renewed ${updated.email} until ${updated.expiresAt === null ? 'never' : new Date(updated.expiresAt).toISOString().slice(0, 10)}`);
      });
    });

  user
    .command('suspend <login>')
    .description('suspend a user: every login is refused until reactivated')
    .option(...configFlag)
    .option('--reason <text>', 'why (kept with the account status and in the audit log)')
    .option('--json', 'print the result as JSON')
    .action(async (login: string, opts: ConfigOption & { reason?: string; json?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const target = await mustFind(site, login);
        const updated = await site.users.suspend(target.id, opts.reason);
        await site.audit.record({ actor: 'admin:local', action: 'user.suspend', target: target.id, outcome: 'ok', details: { reason: opts.reason ?? '' } });
        output(io, updated, opts.json, `Suspended ${updated.email}`);
      });
    });

  user
    .command('reactivate <login>')
    .description('lift a suspension')
    .option(...configFlag)
    .option('--json', 'print the result as JSON')
    .action(async (login: string, opts: ConfigOption & { json?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const target = await mustFind(site, login);
        const updated = await site.users.reactivate(target.id);
        await site.audit.record({ actor: 'admin:local', action: 'user.reactivate', target: target.id, outcome: 'ok' });
        output(io, updated, opts.json, `Reactivated ${updated.email}`);
      });
    });

  user
    .command('requests')
    .description('list sign-up requests (pending by default)')
    .option(...configFlag)
    .option('--status <status>', 'pending, accepted or rejected', 'pending')
    .option('--json', 'print a JSON array')
    .action(async (opts: ConfigOption & { status: string; json?: boolean }) => {
      await withSite(opts, io, async (site) => {
        if (!(SIGNUP_STATUSES as readonly string[]).includes(opts.status)) throw new InvalidInputError('--status must be pending, accepted or rejected.');
        const requests = await site.signups.list({ status: opts.status as SignupStatus });
        if (opts.json === true) {
          println(io, JSON.stringify(requests, null, 2));
          return;
        }
        if (requests.length === 0) println(io, `No ${opts.status} sign-up requests.`);
        for (const r of requests) println(io, `${r.id}  ${new Date(r.createdAt).toISOString().slice(0, 16).replace('T', ' ')}  ${r.email}  ${r.fullName} (${r.organization}, ${r.country})${r.reason === null ? '' : `  reason: ${r.reason}`}`);
      });
    });

  user
    .command('accept <request-id>')
    .description('accept a sign-up request: creates the account and emails the person')
    .option(...configFlag)
    .option('--json', 'print the new account as JSON')
    .action(async (id: string, opts: ConfigOption & { json?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const { user: created } = await acceptSignup(site, id, 'admin:local');
        output(io, created, opts.json, `Accepted: created ${created.email}`);
      });
    });

  user
    .command('reject <request-id>')
    .description('reject a sign-up request and email the person')
    .option(...configFlag)
    .option('--reason <text>', 'why (sent to the person)')
    .action(async (id: string, opts: ConfigOption & { reason?: string }) => {
      await withSite(opts, io, async (site) => {
        const request = await rejectSignup(site, id, 'admin:local', opts.reason);
        println(io, `Rejected the request of ${request.email}`);
      });
    });
}
