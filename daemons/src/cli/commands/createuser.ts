import type { Command } from 'commander';
import { InvalidInputError } from '@migrid/core';
import { createPrompter, println, readFirstLine, type CliIo, type Prompter } from '../io.js';
import { withSite, type ConfigOption } from '../site-from-options.js';
import { printUser, userJson } from '../user-output.js';

/** Flags of `mig createuser` / `mig user create`. */
export interface CreateUserFlags extends ConfigOption {
  fullName?: string;
  organization?: string;
  state?: string;
  country?: string;
  email?: string;
  comment?: string;
  passwordStdin?: boolean;
  password?: boolean; // commander's --no-password
  role?: string[];
  validDays?: string;
  json?: boolean;
}

/** Adds the user-field flags shared by the create commands. */
export function addCreateUserFlags(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (default: $MIG_CONF, then ./mig.toml)')
    .option('--full-name <name>', 'full name (becomes the CN of the DN)')
    .option('--organization <org>', 'organisation')
    .option('--state <st>', 'state or region code (2 letters, optional)')
    .option('--country <cc>', 'two-letter country code')
    .option('--email <email>', 'email address (also the login name)')
    .option('--comment <text>', 'why the account exists')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--no-password', 'create the account without a password (key, certificate or OpenID login only)')
    .option('--role <role...>', 'roles, e.g. admin')
    .option('--valid-days <n>', 'account validity in days (default from the config)')
    .option('--json', 'print the created user as JSON');
}

const REQUIRED: readonly [keyof CreateUserFlags, string, string][] = [
  ['fullName', 'Full Name', '--full-name'],
  ['organization', 'Organization', '--organization'],
  ['state', 'State', '--state'],
  ['country', 'Country', '--country'],
  ['email', 'Email', '--email'],
  ['comment', 'Comment', '--comment'],
];

/**
 * Creates a user from flags, asking (as MiG's createuser.py does) for whatever is missing when
 * `interactive` and standard input is a terminal.
 */
export async function createUserFromFlags(flags: CreateUserFlags, io: CliIo, interactive: boolean): Promise<void> {
  const values: Record<string, string | undefined> = {
    fullName: flags.fullName,
    organization: flags.organization,
    state: flags.state,
    country: flags.country,
    email: flags.email,
    comment: flags.comment,
  };
  const canPrompt = interactive && io.stdin.isTTY === true && flags.passwordStdin !== true;
  const optional = new Set(['state', 'comment']);
  let prompter: Prompter | undefined;
  let password: string | undefined;
  try {
    for (const [key, label, flag] of REQUIRED) {
      if (values[key] !== undefined) continue;
      if (canPrompt) {
        prompter ??= createPrompter(io);
        values[key] = await prompter.ask(label);
      } else if (!optional.has(key)) {
        throw new InvalidInputError(`Missing ${flag}: give every required field (--full-name, --organization, --country, --email) or run on a terminal to be asked.`);
      }
    }
    if (flags.passwordStdin === true) {
      password = await readFirstLine(io);
    } else if (flags.password !== false) {
      if (!canPrompt) {
        throw new InvalidInputError('No password given: use --password-stdin, or --no-password for an account without one.');
      }
      prompter ??= createPrompter(io);
      password = await prompter.ask('Password', { hidden: true });
      const again = await prompter.ask('Password again', { hidden: true });
      if (again !== password) throw new InvalidInputError('The two passwords differ; nothing was created.');
    }
  } finally {
    prompter?.close();
  }
  const validDays = flags.validDays === undefined ? undefined : Number(flags.validDays);
  if (validDays !== undefined && !(Number.isInteger(validDays) && validDays > 0)) {
    throw new InvalidInputError('--valid-days must be a positive whole number of days.');
  }
  await withSite(flags, io, async (site) => {
    const user = await site.users.create({
      fullName: values.fullName ?? '',
      organization: values.organization ?? '',
      state: values.state ?? '',
      country: values.country ?? '',
      email: values.email ?? '',
      comment: values.comment ?? '',
      password,
      roles: flags.role,
      validDays,
    });
    await site.audit.record({ actor: 'admin:local', action: 'user.create', target: user.id, outcome: 'ok', details: { email: user.email } });
    if (flags.json === true) {
      println(io, JSON.stringify(userJson(user), null, 2));
    } else {
      println(io, `Created user ${user.email}`);
      printUser(io, user);
    }
  });
}

/** `mig createuser`: MiG's createuser, asking for missing fields on a terminal. */
export function registerCreateuserCommand(program: Command, io: CliIo): void {
  addCreateUserFlags(
    program.command('createuser').description('create a user account; asks for missing fields when run on a terminal'),
  ).action((flags: CreateUserFlags) => createUserFromFlags(flags, io, true));
}
