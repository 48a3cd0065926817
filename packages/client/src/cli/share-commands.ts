/**
 * `miguser share …`: make, list, show, change and revoke share links. `share create` prints the
 * new link's id alone on its last line, so a script can take it with `tail -n 1` (the id is the
 * link's last URL part and its login name over SFTP, FTPS and WebDAVS).
 * @packageDocumentation
 */
import type { Readable, Writable } from 'node:stream';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { MigClientError } from '../errors.js';
import type { MigClient, ShareLinkExpiry, UpdateShareLinkOptions } from '../mig-client.js';
import type { ShareLinkInfo, ShareLinkMode } from '../types.js';
import { readPassword } from './password-input.js';

/** What the share commands need of a `miguser` run. */
export interface ShareCommandContext {
  readonly io: { readonly stdin: Readable; readonly stderr: Writable };
  client(): Promise<MigClient>;
  out(text: string): void;
  json(value: unknown): void;
  warn(message: string): void;
}

const MODE_TEXT: Record<ShareLinkMode, string> = { ro: 'read-only', wo: 'upload only', rw: 'read and write' };
const MAX_USES = 1_000_000_000;
const HOUR = 3600_000;

function maxUsesArg(value: string): number {
  const n = Number(value);
  if (!/^\d{1,10}$/.test(value) || n < 1 || n > MAX_USES) throw new InvalidArgumentError(`--max-uses must be a whole number from 1 to ${MAX_USES}.`);
  return n;
}

/**
 * An expiry as typed: `7d` / `12h` from now, or what the site reads (`YYYY-MM-DD`, until the end
 * of that day in UTC; an ISO 8601 date-time with a zone; epoch milliseconds).
 */
export function expiryArg(value: string, now: number = Date.now()): ShareLinkExpiry {
  const relative = /^(\d{1,5})([dh])$/.exec(value.trim());
  if (relative !== null) return new Date(now + Number(relative[1]) * (relative[2] === 'd' ? 24 : 1) * HOUR);
  if (value.trim() === '' || value.length > 64) throw new InvalidArgumentError('--expires needs a date (YYYY-MM-DD), a date-time with a zone, or a duration such as 7d or 12h.');
  return value.trim();
}

/** One line per link: id, state, mode, uses, expiry, path. */
export function formatShareLinkList(links: readonly ShareLinkInfo[]): string {
  return links
    .map((l) => {
      const uses = l.maxUses === null ? `${l.uses}` : `${l.uses}/${l.maxUses}`;
      const expires = l.expiresAt === null ? 'never' : l.expiresAt.slice(0, 16).replace('T', ' ');
      return `${l.id}  ${l.state.padEnd(8)}  ${l.mode}  ${uses.padStart(5)}  ${expires.padEnd(16)}  ${l.path}${l.kind === 'folder' && l.path !== '/' ? '/' : ''}${l.mine ? '' : `  (${l.owner})`}\n`;
    })
    .join('');
}

/** A link for people, one field a line. */
export function formatShareLink(l: ShareLinkInfo): string {
  const lines = [
    `id:       ${l.id}`,
    `url:      ${l.url}`,
    `path:     ${l.path} (${l.kind})${l.vgrid === null ? '' : ` in ${l.vgrid}`}`,
    `mode:     ${l.mode} (${MODE_TEXT[l.mode]})`,
    `state:    ${l.state}`,
    `uses:     ${l.uses}${l.maxUses === null ? ' (no limit)' : ` of ${l.maxUses}`}`,
    `expires:  ${l.expiresAt ?? 'never'}`,
    `password: ${l.hasPassword ? "the link's own" : 'the id itself'}`,
    ...(l.invites.length === 0 ? [] : [`invited:  ${l.invites.join(', ')}`]),
    ...(l.mine ? [] : [`owner:    ${l.owner}`]),
    `created:  ${l.createdAt}`,
    ...(l.revokedAt === null ? [] : [`revoked:  ${l.revokedAt}`]),
  ];
  return `${lines.join('\n')}\n`;
}

const readLinkPassword = (run: ShareCommandContext): Promise<string> => readPassword(run.io.stdin, run.io.stderr, 'Password for the share link: ');

/** Adds `share create|list|show|update|revoke|invite` to `program`. */
export function addShareCommands(program: Command, run: ShareCommandContext): void {
  const share = program.command('share').description('make and manage share links (a secret link to a file or folder, usable on the web and as an SFTP/FTPS/WebDAVS login)');

  share
    .command('create')
    .description("make a share link; prints details, then the link's id alone on the last line")
    .argument('<path>', 'remote file or folder')
    .addOption(new Option('-m, --mode <mode>', 'ro: read-only, wo: upload only (drop box), rw: read and write').choices(['ro', 'wo', 'rw']).default('ro'))
    .option('--expires <when>', 'stop working then: YYYY-MM-DD (end of that day, UTC), an ISO date-time, or 7d / 12h from now')
    .option('--password-stdin', "give the link a password of its own, read from standard input (else the id is the password)")
    .addOption(new Option('--max-uses <n>', 'most logins allowed').argParser(maxUsesArg))
    .option('--invite <emails...>', 'email the link to these addresses')
    .option('--message <text>', 'a note for the invitation mail')
    .option('--json', 'print the link as JSON')
    .action(async (path: string, opts: { mode: ShareLinkMode; expires?: string; passwordStdin?: boolean; maxUses?: number; invite?: string[]; message?: string; json?: boolean }) => {
      const expires = opts.expires === undefined ? undefined : expiryArg(opts.expires);
      const password = opts.passwordStdin === true ? await readLinkPassword(run) : undefined;
      const link = await (await run.client()).createShareLink(path, {
        mode: opts.mode,
        ...(expires !== undefined && { expires }),
        ...(password !== undefined && { password }),
        ...(opts.maxUses !== undefined && { maxUses: opts.maxUses }),
        ...(opts.invite !== undefined && { invite: opts.invite }),
        ...(opts.message !== undefined && { message: opts.message }),
      });
      if (link.inviteProblem !== undefined) run.warn(`the link was made, but the invitations were not sent: ${link.inviteProblem.message} (${link.inviteProblem.code})`);
      if (opts.json === true) return run.json(link);
      run.out(
        `Share link to the ${link.kind} ${link.path} (${MODE_TEXT[link.mode]}${link.expiresAt === null ? '' : `, until ${link.expiresAt}`}${link.maxUses === null ? '' : `, at most ${link.maxUses} uses`}):\n` +
          `${link.url}\n` +
          `SFTP/FTPS/WebDAVS: user name = the id below, password = ${link.hasPassword ? "the link's password" : 'the id'}.\n` +
          (link.invites.length === 0 ? '' : `Invited: ${link.invites.join(', ')}\n`) +
          `${link.id}\n`,
      );
    });

  share
    .command('list')
    .description('your share links, newest first (id, state, mode, uses, expiry, path)')
    .option('--vgrid <name>', 'instead: the links anyone made into this VGrid (for its owners)')
    .option('--json', 'print the links as a JSON array')
    .action(async (opts: { vgrid?: string; json?: boolean }) => {
      const links = await (await run.client()).listShareLinks(opts.vgrid === undefined ? {} : { vgrid: opts.vgrid });
      if (opts.json === true) run.json(links);
      else run.out(formatShareLinkList(links));
    });

  share
    .command('show')
    .description('one of your share links')
    .argument('<id>', 'share link id')
    .option('--json', 'print the link as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const link = await (await run.client()).getShareLink(id);
      if (opts.json === true) run.json(link);
      else run.out(formatShareLink(link));
    });

  share
    .command('update')
    .description('change the expiry, password or use limit of one of your share links')
    .argument('<id>', 'share link id')
    .option('--expires <when>', 'stop working then: YYYY-MM-DD (end of that day, UTC), an ISO date-time, or 7d / 12h from now')
    .option('--no-expiry', 'never expire')
    .option('--password-stdin', 'set a new password, read from standard input')
    .option('--no-password', 'remove the password (the id is the password again)')
    .addOption(new Option('--max-uses <n>', 'most logins allowed').argParser(maxUsesArg))
    .option('--no-max-uses', 'no use limit')
    .option('--json', 'print the link as JSON')
    .action(async (id: string, opts: { expires?: string; expiry: boolean; passwordStdin?: boolean; password: boolean; maxUses?: number | false; json?: boolean }) => {
      if (opts.expires !== undefined && !opts.expiry) throw new MigClientError('MIG_E_USAGE', 'Give either --expires or --no-expiry, not both.');
      if (opts.passwordStdin === true && !opts.password) throw new MigClientError('MIG_E_USAGE', 'Give either --password-stdin or --no-password, not both.');
      const changes: { -readonly [K in keyof UpdateShareLinkOptions]: UpdateShareLinkOptions[K] } = {};
      if (opts.expires !== undefined) changes.expires = expiryArg(opts.expires);
      if (!opts.expiry) changes.expires = null;
      if (opts.passwordStdin === true) changes.password = await readLinkPassword(run);
      if (!opts.password) changes.password = null;
      if (opts.maxUses !== undefined) changes.maxUses = opts.maxUses === false ? null : opts.maxUses;
      if (Object.keys(changes).length === 0) throw new MigClientError('MIG_E_USAGE', 'Nothing to change: give --expires, --no-expiry, --password-stdin, --no-password, --max-uses or --no-max-uses.');
      const link = await (await run.client()).updateShareLink(id, changes);
      if (opts.json === true) run.json(link);
      else run.out(formatShareLink(link));
    });

  share
    .command('revoke')
    .description('revoke share links for good')
    .argument('<ids...>', 'share link ids')
    .option('--json', 'print the revoked links as JSON')
    .action(async (ids: string[], opts: { json?: boolean }) => {
      const client = await run.client();
      const done: ShareLinkInfo[] = [];
      for (const id of ids) {
        done.push(await client.revokeShareLink(id));
        if (opts.json !== true) run.out(`Revoked ${id}.\n`);
      }
      if (opts.json === true) run.json(ids.length === 1 ? done[0] : done);
    });

  share
    .command('invite')
    .description('email one of your share links to people')
    .argument('<id>', 'share link id')
    .argument('<emails...>', 'email addresses')
    .option('--message <text>', 'a note for the invitation mail')
    .action(async (id: string, emails: string[], opts: { message?: string }) => {
      const link = await (await run.client()).inviteToShareLink(id, emails, opts.message);
      run.out(`Invited: ${link.invites.join(', ')}\n`);
    });
}
