import type { Command } from 'commander';
import { InvalidInputError, NotFoundError, type ResourceRecord } from '@migrid/core';
import { println, type CliIo } from '../io.js';
import { withSite, type ConfigOption } from '../site-from-options.js';

interface AddOptions extends ConfigOption {
  name: string;
  owner: string;
  units?: string;
  executor?: string;
}

const CONFIG_OPTION = ['-c, --config <file>', 'config file (default: $MIG_CONF, then ./mig.toml)'] as const;

function describe(r: ResourceRecord): string {
  const units = r.config.EXECONFIG.map((u) => u.name).join(',');
  const seen = r.lastSeenAt === null ? 'never seen' : `seen ${new Date(r.lastSeenAt).toISOString()}`;
  return `${r.id}\t${r.status}\t${r.executor}\tunits=${units}\t${seen}`;
}

/**
 * `mig resource add|list|pause|resume|remove|token`: the site's resources. `add` prints the new
 * resource's agent token alone on the last line (it is shown only once); `token` replaces it.
 */
export function registerResourceCommands(program: Command, io: CliIo): void {
  const resource = program.command('resource').description('compute resources that pull jobs from this site');
  resource
    .command('add')
    .description('register a resource and print its agent token (once, on the last line)')
    .requiredOption('--name <name>', 'the resource name (host-name characters, e.g. cluster1.example.org)')
    .requiredOption('--owner <user>', 'the owner: email, login alias, DN or user id')
    .option('--units <n>', 'execution units (exe0, exe1, …)', '1')
    .option('--executor <kind>', 'how its agent runs jobs: local or slurm', 'local')
    .option(...CONFIG_OPTION)
    .action(async (opts: AddOptions) => {
      const units = Number(opts.units ?? '1');
      if (!/^\d+$/.test(opts.units ?? '1') || units < 1) throw new InvalidInputError('--units must be a whole number from 1.');
      if (opts.executor !== 'local' && opts.executor !== 'slurm') throw new InvalidInputError('--executor is "local" or "slurm".');
      const executor = opts.executor;
      await withSite(opts, io, async (site) => {
        const owner = await site.users.find(opts.owner);
        if (owner === undefined) throw new NotFoundError('MIG_E_USER_NOT_FOUND', `No user matches "${opts.owner.slice(0, 256)}" (see mig user list).`);
        const { resource: r, token } = await site.resources.add({ name: opts.name, ownerId: owner.id, units, executor });
        println(io, `Resource ${r.id} registered for ${owner.email} with ${units} unit(s), executor ${executor}.`);
        println(io, 'Run its agent with: mig-resource run --site <site URL> --token <the token below>');
        println(io, 'The token is shown only now; "mig resource token NAME" makes a new one.');
        println(io, token);
      });
    });
  resource
    .command('list')
    .description('list resources')
    .option('--json', 'JSON output')
    .option(...CONFIG_OPTION)
    .action(async (opts: ConfigOption & { json?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const all = await site.resources.list();
        if (opts.json === true) {
          println(io, JSON.stringify(all.map((r) => ({ id: r.id, ownerId: r.ownerId, status: r.status, executor: r.executor, units: r.config.EXECONFIG.map((u) => u.name), lastSeenAt: r.lastSeenAt }))));
          return;
        }
        for (const r of all) println(io, describe(r));
      });
    });
  for (const [name, status, text] of [['pause', 'paused', 'stop handing out work to'], ['resume', 'active', 'hand out work again to']] as const) {
    resource
      .command(`${name} <name>`)
      .description(`${text} a resource (its running jobs continue)`)
      .option(...CONFIG_OPTION)
      .action(async (id: string, opts: ConfigOption) => {
        await withSite(opts, io, async (site) => println(io, describe(await site.resources.setStatus(id, status))));
      });
  }
  resource
    .command('remove <name>')
    .description('remove a resource; its token stops working at once')
    .option('--yes', 'confirm')
    .option(...CONFIG_OPTION)
    .action(async (id: string, opts: ConfigOption & { yes?: boolean }) => {
      if (opts.yes !== true) throw new InvalidInputError('Removing a resource cannot be undone: add --yes.');
      await withSite(opts, io, async (site) => {
        await site.resources.remove(id);
        println(io, `Resource ${id} removed.`);
      });
    });
  resource
    .command('token <name>')
    .description('issue a new agent token (the old one stops working); printed alone on the last line')
    .option(...CONFIG_OPTION)
    .action(async (id: string, opts: ConfigOption) => {
      await withSite(opts, io, async (site) => {
        const token = await site.resources.rotateToken(id);
        println(io, `New agent token for ${id} (the old one no longer works):`);
        println(io, token);
      });
    });
}
