/**
 * The commented `mig.toml` that `mig init` writes. It is generated from the schema defaults and
 * the key catalogue, so it always lists every key with its true default.
 * @packageDocumentation
 */
import { z } from 'zod';
import { parseInput } from '../validation/parse-input.js';
import { CONFIG_CATALOGUE } from './config-catalogue.js';
import type { KeyDoc } from './config-catalogue.js';
import { SECTION_NAMES, databaseSchema, siteSchema } from './config-schema.js';
import { SECTION_DEFAULTS, tomlLiteral } from './parse-config.js';

/** What `mig init` knows about the new site. */
export interface ConfigTemplateOptions {
  /** The state folder, absolute or relative to the config file (default `./state`). */
  readonly stateDir?: string;
  /** The site's host name (default `localhost`). */
  readonly fqdn?: string;
  /** The administrators' email address (default: unset). */
  readonly adminEmail?: string;
  /** A PostgreSQL URL; unset uses SQLite in the state folder. */
  readonly databaseUrl?: string;
}

const optionsSchema = z.strictObject({
  stateDir: siteSchema.shape.state_dir.optional(),
  fqdn: siteSchema.shape.fqdn.optional(),
  adminEmail: siteSchema.shape.admin_email,
  databaseUrl: databaseSchema.shape.url,
});

const HEADER = `# mig.toml: the configuration of a MiG site.
#
# Every section and key is listed with a one-line comment. Keys that are commented out show their
# default (or, where the default is derived from other keys, an example); remove the "#" to change
# one. Relative paths are relative to the folder of this file. After editing, run \`mig checkconf\`.
`;

function keyLines(key: string, doc: KeyDoc, fixedDefault: unknown, given: string | undefined): string[] {
  const lines = [`# ${doc.doc}`];
  if (given !== undefined) {
    lines.push(`${key} = ${tomlLiteral(given)}`);
  } else if (fixedDefault !== undefined) {
    lines.push(`${doc.shown === true ? '' : '# '}${key} = ${tomlLiteral(fixedDefault)}`);
  } else {
    lines.push(`# ${key} = ${doc.example ?? '""'}`);
  }
  return lines;
}

/**
 * The text of a commented `mig.toml`. Parsing it yields the default configuration with the given
 * options filled in.
 *
 * @throws InvalidInputError when an option is malformed (bad host name, email or database URL).
 *
 * @example
 * ```ts
 * await writeFile('mig.toml', configTemplate({ fqdn: 'mig.example.org', adminEmail: 'admin@example.org' }), { mode: 0o600 });
 * ```
 */
export function configTemplate(options: ConfigTemplateOptions = {}): string {
  const opts = parseInput(optionsSchema, options, 'config template options');
  const given: Readonly<Record<string, string | undefined>> = {
    'site.state_dir': opts.stateDir,
    'site.fqdn': opts.fqdn,
    'site.admin_email': opts.adminEmail,
    'database.url': opts.databaseUrl,
  };
  const out: string[] = [HEADER];
  for (const section of SECTION_NAMES) {
    const catalogue = CONFIG_CATALOGUE[section];
    const defaults = SECTION_DEFAULTS[section] as Readonly<Record<string, unknown>>;
    out.push(`# ${catalogue.doc}`, `[${section}]`);
    for (const [key, doc] of Object.entries(catalogue.keys) as [string, KeyDoc][]) {
      out.push(...keyLines(key, doc, defaults[key], given[`${section}.${key}`]));
    }
    out.push('');
  }
  return out.join('\n');
}
