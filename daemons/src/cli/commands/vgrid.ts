import type { Command } from 'commander';
import { NotFoundError, type AdminPrincipal, type Site, type UserRecord, type VgridRecord, type VgridRemoval } from '@migrid/core';
import { println, type CliIo } from '../io.js';
import { withSite, type ConfigOption } from '../site-from-options.js';

const CONFIG_OPTION = ['-c, --config <file>', 'config file (default: $MIG_CONF, then ./mig.toml)'] as const;

/** The site's operator at the console acts as the local admin (no user id); the store audit-logs it. */
const OPERATOR: AdminPrincipal = { kind: 'admin', userId: null };

/** A user named by email, login alias, DN or id; a clear error otherwise. */
async function userNamed(site: Site, who: string): Promise<UserRecord> {
  const user = await site.users.find(who);
  if (user === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', `No user matches "${who.slice(0, 256)}" (see mig user list).`);
  return user;
}

function describeRemoval(io: CliIo, removal: VgridRemoval): void {
  println(io, `Removed: ${removal.removed.join(', ')}.`);
  if (removal.movedTo !== null) println(io, `Its folders were moved to ${removal.movedTo} (nothing was deleted).`);
  for (const folder of removal.notMoved) println(io, `Not moved (left in place): ${folder}`);
}

function recordJson(record: VgridRecord): Record<string, unknown> {
  return { name: record.name, parent: record.parent, settings: record.settings, createdAt: record.createdAt, createdBy: record.createdBy, updatedAt: record.updatedAt };
}

/**
 * `mig vgrid …`: the site operator's VGrid (workgroup) administration — MiG's `createvgrid`,
 * `addvgridowner`, `addvgridmember`, `rmvgridmember`, `rmvgridowner`, `addvgridres`, `rmvgridres`,
 * `vgridman`. Every change goes through the core's VGrid store as the local admin, so the same
 * rules (names, hierarchy, last owner), audit entries and live-view updates apply as from the
 * portal: an open SFTP session of a removed member loses the share at its next operation.
 */
export function registerVgridCommands(program: Command, io: CliIo): void {
  const vgrid = program.command('vgrid').description('workgroups (VGrids): create, list, owners, members, resources, removal');
  vgrid
    .command('create <name>')
    .description('create a VGrid (Parent/Child for a sub-VGrid) with its first owner')
    .requiredOption('--owner <user>', 'the first owner: email, login alias, DN or user id')
    .option('--description <text>', 'a description shown on its page')
    .option(...CONFIG_OPTION)
    .action(async (name: string, opts: ConfigOption & { owner: string; description?: string }) => {
      await withSite(opts, io, async (site) => {
        const owner = await userNamed(site, opts.owner);
        const record = await site.vgrids.create({ actor: OPERATOR, name, ...(opts.description === undefined ? {} : { settings: { description: opts.description } }) });
        if ((await site.vgrids.roleOf(owner.id, record.name)) !== 'owner') await site.vgrids.addOwner(record.name, owner.id, { actor: OPERATOR });
        println(io, `VGrid ${record.name} created; owner ${owner.email}. Its share appears as /${record.name}/ in its participants' homes.`);
      });
    });
  vgrid
    .command('list')
    .description('list VGrids with their direct owners and members')
    .option('--under <name>', 'only the VGrids below this one')
    .option('--json', 'JSON output')
    .option(...CONFIG_OPTION)
    .action(async (opts: ConfigOption & { json?: boolean; under?: string }) => {
      await withSite(opts, io, async (site) => {
        const all = await site.vgrids.list(opts.under === undefined ? {} : { under: opts.under });
        if (opts.json === true) {
          println(io, JSON.stringify(all.map(recordJson)));
          return;
        }
        for (const record of all) {
          const direct = (await site.vgrids.participants(record.name)).filter((p) => !p.inherited);
          const owners = direct.filter((p) => p.role === 'owner').length;
          println(io, `${record.name}\towners=${owners}\tmembers=${direct.length - owners}${record.settings.hidden ? '\thidden' : ''}\t${record.settings.description}`);
        }
      });
    });
  vgrid
    .command('show <name>')
    .description('a VGrid: settings, owners, members (direct and inherited) and resources')
    .option('--json', 'JSON output')
    .option(...CONFIG_OPTION)
    .action(async (name: string, opts: ConfigOption & { json?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const record = await site.vgrids.get(name);
        const [participants, resources] = await Promise.all([site.vgrids.participants(record.name), site.vgrids.resources(record.name)]);
        const people = await Promise.all(participants.map(async (p) => ({ ...p, email: (await site.users.find(p.userId))?.email ?? null })));
        if (opts.json === true) {
          println(io, JSON.stringify({ ...recordJson(record), participants: people, resources }));
          return;
        }
        println(io, `VGrid ${record.name}${record.parent === null ? '' : ` (under ${record.parent})`}`);
        if (record.settings.description !== '') println(io, `  ${record.settings.description}`);
        for (const p of people) println(io, `  ${p.role}\t${p.email ?? p.userId}${p.inherited ? `\t(through ${p.via})` : ''}`);
        for (const r of resources) println(io, `  resource\t${r.resourceId}${r.inherited ? `\t(through ${r.via})` : ''}`);
      });
    });
  for (const [verb, role] of [['add-owner', 'owner'], ['add-member', 'member']] as const) {
    vgrid
      .command(`${verb} <name> <user>`)
      .description(`make a user ${role === 'owner' ? 'an owner' : 'a member'} of a VGrid`)
      .option(...CONFIG_OPTION)
      .action(async (name: string, who: string, opts: ConfigOption) => {
        await withSite(opts, io, async (site) => {
          const user = await userNamed(site, who);
          if (role === 'owner') await site.vgrids.addOwner(name, user.id, { actor: OPERATOR });
          else await site.vgrids.addMember(name, user.id, { actor: OPERATOR });
          println(io, `${user.email} is now ${role === 'owner' ? 'an owner' : 'a member'} of ${name}.`);
        });
      });
  }
  vgrid
    .command('remove-member <name> <user>')
    .description('remove a member; their open sessions lose the share at their next operation')
    .option(...CONFIG_OPTION)
    .action(async (name: string, who: string, opts: ConfigOption) => {
      await withSite(opts, io, async (site) => {
        const user = await userNamed(site, who);
        await site.vgrids.removeMember(name, user.id, { actor: OPERATOR });
        println(io, `${user.email} is no longer a member of ${name}.`);
      });
    });
  vgrid
    .command('remove-owner <name> <user>')
    .description('remove an owner; removing the last owner needs --force and removes the VGrid (folders kept aside)')
    .option('--force', 'allow removing the last owner, which removes the VGrid and its sub-VGrids')
    .option(...CONFIG_OPTION)
    .action(async (name: string, who: string, opts: ConfigOption & { force?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const user = await userNamed(site, who);
        const removal = await site.vgrids.removeOwner(name, user.id, { actor: OPERATOR, force: opts.force === true });
        println(io, `${user.email} is no longer an owner of ${name}.`);
        if (removal !== null) describeRemoval(io, removal);
      });
    });
  vgrid
    .command('remove <name>')
    .description('remove a VGrid; its folders are moved to state/vgrid_removed/, never deleted')
    .option('--force', 'also remove its sub-VGrids')
    .option(...CONFIG_OPTION)
    .action(async (name: string, opts: ConfigOption & { force?: boolean }) => {
      await withSite(opts, io, async (site) => {
        describeRemoval(io, await site.vgrids.remove(name, { actor: OPERATOR, force: opts.force === true }));
      });
    });
  for (const [verb, adding] of [['add-resource', true], ['remove-resource', false]] as const) {
    vgrid
      .command(`${verb} <name> <resource>`)
      .description(adding ? 'let a resource run the VGrid\'s jobs (and its sub-VGrids\')' : 'stop a resource running the VGrid\'s jobs')
      .option(...CONFIG_OPTION)
      .action(async (name: string, resourceId: string, opts: ConfigOption) => {
        await withSite(opts, io, async (site) => {
          const resource = await site.resources.get(resourceId);
          if (adding) await site.vgrids.addResource(name, resource.id, { actor: OPERATOR });
          else await site.vgrids.removeResource(name, resource.id, { actor: OPERATOR });
          println(io, adding ? `Resource ${resource.id} now runs jobs of ${name}.` : `Resource ${resource.id} no longer runs jobs of ${name}.`);
        });
      });
  }
}
