/**
 * `miguser vgrid …`: list, show and create VGrids (MiG's workgroups), ask to join one, decide on
 * requests, add and remove owners and members, and leave. Every rule is the site's; these commands
 * only call the API. `vgrid request` prints the request's id alone on its last line, so a script
 * (or an owner it is passed to) can take it with `tail -n 1`.
 * @packageDocumentation
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { MigClientError } from '../errors.js';
import type { MigClient } from '../mig-client.js';
import type {
  VgridDetails, VgridInfo, VgridParticipantInfo, VgridRequestInfo, VgridRequestKind, VgridRequestStatus, VgridSettingsInfo, VgridVisibility,
} from '../types.js';

/** What the VGrid commands need of a `miguser` run. */
export interface VgridCommandContext {
  client(): Promise<MigClient>;
  out(text: string): void;
  json(value: unknown): void;
}

const day = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** One line per VGrid: your role (or `-`), name, description's first line. */
export function formatVgridList(vgrids: readonly VgridInfo[]): string {
  return vgrids
    .map((v) => {
      const description = v.settings.description.split('\n')[0]?.slice(0, 80) ?? '';
      return `${(v.role ?? '-').padEnd(6)}  ${v.name}${description === '' ? '' : `  ${description}`}\n`;
    })
    .join('');
}

const people = (list: readonly VgridParticipantInfo[] | null): string =>
  list === null ? '(not shown to you)' : list.length === 0 ? '(none)' : list.map((p) => `${p.email}${p.inherited ? ` (via ${p.via})` : ''}`).join(', ');

/** A VGrid for people, one field a line. */
export function formatVgrid(v: VgridDetails): string {
  const lines = [
    `name:        ${v.name}`,
    ...(v.parent === null ? [] : [`parent:      ${v.parent}`]),
    `your role:   ${v.role ?? 'none'}`,
    ...(v.settings.description === '' ? [] : [`description: ${v.settings.description}`]),
    `owners:      ${people(v.owners)}`,
    `members:     ${people(v.members)}`,
    ...(v.resources === null || v.resources.length === 0 ? [] : [`resources:   ${v.resources.map((r) => r.resourceId).join(', ')}`]),
    `read-only:   ${v.settings.readOnly ? 'yes (members read, owners write)' : 'no'}`,
    `hidden:      ${v.settings.hidden ? 'yes' : 'no'}`,
    `created:     ${day(v.createdAt)}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** One line per request: id, status, kind, VGrid, who, when, message. */
export function formatVgridRequests(requests: readonly VgridRequestInfo[]): string {
  return requests
    .map((r) => `${r.id}  ${r.status.padEnd(8)}  ${r.kind.padEnd(6)}  ${r.vgrid}  ${r.user}  ${day(r.createdAt)}${r.message === '' ? '' : `  ${JSON.stringify(r.message.slice(0, 80))}`}\n`)
    .join('');
}

/** The options of `vgrid settings` as commander hands them over. */
interface SettingsOptions {
  readonly description?: string;
  readonly hidden?: boolean;
  readonly readOnly?: boolean;
  readonly visibleOwners?: VgridVisibility;
  readonly visibleMembers?: VgridVisibility;
  readonly visibleResources?: VgridVisibility;
  readonly requestRecipients?: number;
  readonly shareLinks?: VgridSettingsInfo['createShareLink'];
  readonly json?: boolean;
}

function recipients(value: string): number {
  const n = Number(value);
  if (!/^\d{1,4}$/.test(value) || n < 1 || n > 1000) throw new InvalidArgumentError('--request-recipients must be a whole number from 1 to 1000.');
  return n;
}

/** The settings change the options ask for (empty: just show). */
function settingsChanges(opts: SettingsOptions): Partial<VgridSettingsInfo> {
  const out: { -readonly [K in keyof VgridSettingsInfo]?: VgridSettingsInfo[K] } = {};
  if (opts.description !== undefined) out.description = opts.description;
  if (opts.hidden !== undefined) out.hidden = opts.hidden;
  if (opts.readOnly !== undefined) out.readOnly = opts.readOnly;
  if (opts.visibleOwners !== undefined) out.visibleOwners = opts.visibleOwners;
  if (opts.visibleMembers !== undefined) out.visibleMembers = opts.visibleMembers;
  if (opts.visibleResources !== undefined) out.visibleResources = opts.visibleResources;
  if (opts.requestRecipients !== undefined) out.requestRecipients = opts.requestRecipients;
  if (opts.shareLinks !== undefined) out.createShareLink = opts.shareLinks;
  return out;
}

/** A VGrid's settings for people, one a line. */
export function formatVgridSettings(settings: VgridSettingsInfo): string {
  const lines = [
    `description:        ${settings.description === '' ? '(none)' : settings.description}`,
    `hidden:             ${settings.hidden ? 'yes' : 'no'}`,
    `read-only:          ${settings.readOnly ? 'yes (members read, owners write)' : 'no'}`,
    `visible owners:     ${settings.visibleOwners}`,
    `visible members:    ${settings.visibleMembers}`,
    `visible resources:  ${settings.visibleResources}`,
    `request recipients: ${settings.requestRecipients}`,
    `share links:        ${settings.createShareLink}`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Adds `vgrid list|show|create|request|requests|accept|reject|add-member|remove-member|add-owner|remove-owner|settings|remove|participants|add-resource|remove-resource|leave` to `program`.
 */
export function addVgridCommands(program: Command, run: VgridCommandContext): void {
  const vgrid = program.command('vgrid').description('VGrids (workgroups): shared folders and job groups of several users');

  vgrid
    .command('list')
    .description('the VGrids you can see, with your role (- for none)')
    .option('--mine', 'only those you take part in')
    .option('--json', 'print the VGrids as a JSON array')
    .action(async (opts: { mine?: boolean; json?: boolean }) => {
      const list = await (await run.client()).listVgrids({ mine: opts.mine === true });
      if (opts.json === true) run.json(list);
      else run.out(formatVgridList(list));
    });

  vgrid
    .command('show')
    .description('one VGrid with the owners and members its settings let you see')
    .argument('<name>', 'VGrid name, e.g. Physics/Optics')
    .option('--json', 'print the VGrid as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const found = await (await run.client()).getVgrid(name);
      if (opts.json === true) run.json(found);
      else run.out(formatVgrid(found));
    });

  vgrid
    .command('create')
    .description('create a VGrid (Parent/Child under one you own); you become its owner')
    .argument('<name>', 'VGrid name')
    .option('--description <text>', 'a description shown on its pages')
    .option('--json', 'print the VGrid as JSON')
    .action(async (name: string, opts: { description?: string; json?: boolean }) => {
      const made = await (await run.client()).createVgrid(name, opts.description === undefined ? {} : { description: opts.description });
      if (opts.json === true) run.json(made);
      else run.out(`Created ${made.name}; its shared folder is /${made.name}/ in your files.\n`);
    });

  vgrid
    .command('request')
    .description("ask to become a member (or owner) of a VGrid; prints the request's id alone on the last line")
    .argument('<name>', 'VGrid name')
    .addOption(new Option('--kind <kind>', 'what to ask for').choices(['member', 'owner']).default('member'))
    .option('--message <text>', 'a note for the owners')
    .option('--json', 'print the request as JSON')
    .action(async (name: string, opts: { kind: VgridRequestKind; message?: string; json?: boolean }) => {
      const asked = await (await run.client()).requestVgrid(name, opts.kind, opts.message);
      if (opts.json === true) return run.json(asked);
      run.out(`Asked to become ${asked.kind === 'owner' ? 'an owner' : 'a member'} of ${asked.vgrid}; its owners decide.\n${asked.id}\n`);
    });

  vgrid
    .command('requests')
    .description("the requests to a VGrid you own, or (without a name) your own requests")
    .argument('[name]', 'VGrid name')
    .addOption(new Option('--status <status>', 'only these (with a name)').choices(['pending', 'accepted', 'rejected']))
    .option('--json', 'print the requests as a JSON array')
    .action(async (name: string | undefined, opts: { status?: VgridRequestStatus; json?: boolean }) => {
      const client = await run.client();
      if (name === undefined && opts.status !== undefined) throw new MigClientError('MIG_E_USAGE', '--status needs a VGrid name.');
      const list = name === undefined ? await client.myVgridRequests() : await client.listVgridRequests(name, opts.status === undefined ? {} : { status: opts.status });
      if (opts.json === true) run.json(list);
      else run.out(formatVgridRequests(list));
    });

  for (const decision of ['accept', 'reject'] as const) {
    vgrid
      .command(decision)
      .description(`${decision} a pending request to a VGrid you own`)
      .argument('<id>', 'request id (see `miguser vgrid requests NAME`)')
      .option('--json', 'print the request as JSON')
      .action(async (id: string, opts: { json?: boolean }) => {
        const decided = await (await run.client()).decideVgridRequest(id, decision);
        if (opts.json === true) return run.json(decided);
        run.out(`${decision === 'accept' ? 'Accepted' : 'Rejected'}: ${decided.user} as ${decided.kind} of ${decided.vgrid}.\n`);
      });
  }

  for (const role of ['member', 'owner'] as const) {
    vgrid
      .command(`add-${role}`)
      .description(`add ${role === 'owner' ? 'an owner' : 'a member'} to a VGrid you own`)
      .argument('<name>', 'VGrid name')
      .argument('<user>', "the user's email (or login alias)")
      .action(async (name: string, user: string) => {
        await (await run.client()).addVgridParticipant(name, role, user);
        run.out(`Added ${user} as ${role} of ${name}.\n`);
      });
    const remove = vgrid
      .command(`remove-${role}`)
      .description(`remove ${role === 'owner' ? 'an owner' : 'a member'} of a VGrid you own`)
      .argument('<name>', 'VGrid name')
      .argument('<user>', "the user's email (or login alias)");
    if (role === 'owner') remove.option('--force', 'also the last owner, which removes the VGrid');
    remove.action(async (name: string, user: string, opts: { force?: boolean }) => {
      await (await run.client()).removeVgridParticipant(name, role, user, { force: opts.force === true });
      run.out(`Removed ${user} as ${role} of ${name}.\n`);
    });
  }

  const visibility = (flag: string, what: string): Option => new Option(`${flag} <who>`, `who may see the ${what}`).choices(['owners', 'members', 'everyone']);
  vgrid
    .command('settings')
    .description('show the settings of a VGrid, or change some (owners); options left out keep their value')
    .argument('<name>', 'VGrid name')
    .option('--description <text>', 'the description shown on its pages')
    .option('--hidden', 'leave it out of listings for people who do not take part')
    .option('--no-hidden', 'list it for everyone')
    .option('--read-only', 'members may read but not change the shared folder (owners always write)')
    .option('--no-read-only', 'members may write the shared folder')
    .addOption(visibility('--visible-owners', 'owners list'))
    .addOption(visibility('--visible-members', 'members list'))
    .addOption(visibility('--visible-resources', 'resources list'))
    .addOption(new Option('--request-recipients <n>', 'how many owners are told of each request (1-1000)').argParser(recipients))
    .addOption(new Option('--share-links <who>', 'who may make share links inside the shared folder').choices(['owners', 'members', 'none']))
    .option('--json', 'print the settings as JSON')
    .action(async (name: string, opts: SettingsOptions) => {
      const client = await run.client();
      const changes = settingsChanges(opts);
      const settings = Object.keys(changes).length === 0 ? (await client.getVgrid(name)).settings : (await client.updateVgridSettings(name, changes)).settings;
      if (opts.json === true) return run.json(settings);
      run.out(formatVgridSettings(settings));
    });

  vgrid
    .command('remove')
    .description('remove a VGrid you own; its folders are kept aside by the site, never deleted')
    .argument('<name>', 'VGrid name')
    .option('--force', 'also remove its sub-VGrids')
    .option('--json', 'print what was removed as JSON')
    .action(async (name: string, opts: { force?: boolean; json?: boolean }) => {
      const removal = await (await run.client()).removeVgrid(name, { force: opts.force === true });
      if (opts.json === true) return run.json(removal);
      run.out(`Removed ${removal.removed.join(', ')}.\n`);
    });

  vgrid
    .command('participants')
    .description("a VGrid's owners and members, as far as its settings show them to you")
    .argument('<name>', 'VGrid name')
    .option('--json', 'print them as JSON (a list not shown to you is null)')
    .action(async (name: string, opts: { json?: boolean }) => {
      const found = await (await run.client()).vgridParticipants(name);
      if (opts.json === true) return run.json(found);
      run.out(`owners:      ${people(found.owners)}\nmembers:     ${people(found.members)}\n`);
    });

  for (const adding of [true, false]) {
    vgrid
      .command(adding ? 'add-resource' : 'remove-resource')
      .description(adding ? "let a resource run the jobs of a VGrid you own (and of its sub-VGrids')" : 'stop a resource running the jobs of a VGrid you own')
      .argument('<name>', 'VGrid name')
      .argument('<resource>', "the resource's id")
      .action(async (name: string, resourceId: string) => {
        const client = await run.client();
        if (adding) await client.addVgridResource(name, resourceId);
        else await client.removeVgridResource(name, resourceId);
        run.out(adding ? `Resource ${resourceId} now runs jobs of ${name}.\n` : `Resource ${resourceId} no longer runs jobs of ${name}.\n`);
      });
  }

  vgrid
    .command('leave')
    .description('stop taking part in a VGrid (its shared folder leaves your files)')
    .argument('<name>', 'VGrid name')
    .option('--force', 'also as its last owner, which removes the VGrid')
    .action(async (name: string, opts: { force?: boolean }) => {
      const client = await run.client();
      const [me, found] = await Promise.all([client.account(), client.getVgrid(name)]);
      if (found.role === null) throw new MigClientError('MIG_E_USAGE', `You do not take part in ${found.name}.`);
      await client.removeVgridParticipant(found.name, found.role, me.email, { force: opts.force === true });
      run.out(`Left ${found.name}.\n`);
    });
}
