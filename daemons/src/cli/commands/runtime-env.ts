import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  InvalidInputError, RUNTIME_ENVIRONMENT_LIMITS, formatRuntimeEnvironment, parseRuntimeEnvironment, runtimeEnvironmentToJson,
  type AdminPrincipal, type RuntimeEnvRecord, type RuntimeEnvironment,
} from '@migrid/core';
import { println, type CliIo } from '../io.js';
import { withSite, type ConfigOption } from '../site-from-options.js';

const CONFIG_OPTION = ['-c, --config <file>', 'config file (default: $MIG_CONF, then ./mig.toml)'] as const;

/** The site's operator at the console publishes as the local admin (no user id). */
const OPERATOR: AdminPrincipal = { kind: 'admin', userId: null };

/** The JSON form is more verbose than the text (quotes, keys): allow twice the text limit. */
const MAX_FILE_BYTES = RUNTIME_ENVIRONMENT_LIMITS.maxBytes * 2;

/**
 * Reads a runtime environment file: `.json` holds the JSON form, anything else MiG's text form.
 * The file is read only up to the size limit, so a huge or endless file (a FIFO, /dev/zero) costs
 * no more than that.
 */
async function readDefinition(file: string, io: CliIo): Promise<RuntimeEnvironment | unknown> {
  const path = resolve(io.cwd, file);
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw new InvalidInputError(`Cannot read ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}.`, { cause: err });
  });
  let text: string;
  try {
    const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_FILE_BYTES) throw new InvalidInputError(`${JSON.stringify(file)} is larger than ${MAX_FILE_BYTES} bytes; a runtime environment is smaller.`, { code: 'MIG_E_TOO_LARGE' });
    text = buffer.subarray(0, length).toString('utf8');
  } finally {
    await handle.close();
  }
  if (!file.toLowerCase().endsWith('.json')) return parseRuntimeEnvironment(text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidInputError(`${JSON.stringify(file)} is not valid JSON; give the JSON form ({ "RENAME": "…", … }) or a MiG text file not ending in .json.`);
  }
}

function recordJson(r: RuntimeEnvRecord, providers: readonly string[]): Record<string, unknown> {
  return { name: r.name, createdBy: r.createdBy, createdAt: r.createdAt, updatedAt: r.updatedAt, providers, definition: runtimeEnvironmentToJson(r.definition) };
}

/**
 * `mig runtime-env add|list|show|remove`: the runtime environments jobs may require (MiG's
 * `createre`, `redb`, `showre`, `deletere`), managed by the site's operator.
 */
export function registerRuntimeEnvCommands(program: Command, io: CliIo): void {
  const env = program.command('runtime-env').description('runtime environments that jobs require and resources provide');
  env
    .command('add <file>')
    .description('publish a runtime environment from a MiG text file (::RENAME:: …) or its JSON form (FILE ending in .json)')
    .option('--replace', 'replace the definition of an existing runtime environment of the same name')
    .option(...CONFIG_OPTION)
    .action(async (file: string, opts: ConfigOption & { replace?: boolean }) => {
      const definition = await readDefinition(file, io);
      await withSite(opts, io, async (site) => {
        const r = opts.replace === true ? await site.runtimeEnvs.replace(definition, OPERATOR) : await site.runtimeEnvs.add(definition, OPERATOR);
        println(io, `Runtime environment ${r.name} ${opts.replace === true ? 'replaced' : 'published'}.`);
      });
    });
  env
    .command('list')
    .description('list runtime environments: name, resources providing it, description')
    .option('--json', 'JSON output')
    .option(...CONFIG_OPTION)
    .action(async (opts: ConfigOption & { json?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const [all, resources] = await Promise.all([site.runtimeEnvs.list(), site.resources.list()]);
        const providersOf = (name: string): string[] =>
          resources.filter((res) => res.config.RUNTIMEENVIRONMENT.some((p) => p.name === name)).map((res) => res.id);
        if (opts.json === true) {
          println(io, JSON.stringify(all.map((r) => recordJson(r, providersOf(r.name)))));
          return;
        }
        for (const r of all) println(io, `${r.name}\tresources=${providersOf(r.name).length}\t${r.definition.DESCRIPTION}`);
      });
    });
  env
    .command('show <name>')
    .description('print a runtime environment in MiG text form (add reads it back), or with --json its record')
    .option('--json', 'JSON output: name, creator, times, providing resources, definition')
    .option(...CONFIG_OPTION)
    .action(async (name: string, opts: ConfigOption & { json?: boolean }) => {
      await withSite(opts, io, async (site) => {
        const r = await site.runtimeEnvs.get(name);
        if (opts.json === true) {
          println(io, JSON.stringify(recordJson(r, await site.runtimeEnvs.providers(r.name))));
          return;
        }
        io.stdout.write(formatRuntimeEnvironment(r.definition));
      });
    });
  env
    .command('remove <name>')
    .description('remove a runtime environment (refused while resources provide it; jobs requiring it are refused after)')
    .option(...CONFIG_OPTION)
    .action(async (name: string, opts: ConfigOption) => {
      await withSite(opts, io, async (site) => {
        await site.runtimeEnvs.remove(name);
        println(io, `Runtime environment ${name.trim().toUpperCase()} removed.`);
      });
    });
}
