/**
 * `mig init` in a test folder, through the real CLI, with the file services switched off and the
 * web server on a free port, plus one user made by `mig createuser`: the start of every test that
 * drives a whole site from the outside (`mig start`, `grid_script`, `grid_web`, agents, miguser).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { freePort } from './free-port.js';
import { runMig } from './run-mig.js';

/** Initialises a site in `dir`; returns its web port. Throws with the CLI's output when a step fails. */
export async function initWebOnlySite(dir: string, user: { email: string; password: string; fullName?: string }, config: Record<string, Record<string, unknown>> = {}): Promise<number> {
  const init = await runMig(['init'], { cwd: dir });
  if (init.code !== 0) throw new Error(`mig init failed: ${init.stderr}`);
  const path = join(dir, 'mig.toml');
  const tree = parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
  const web = await freePort();
  for (const section of ['sftp', 'ftps', 'webdavs']) tree[section] = { ...(tree[section] ?? {}), enabled: false };
  tree.web = { ...tree.web, port: web };
  for (const [section, values] of Object.entries(config)) tree[section] = { ...(tree[section] ?? {}), ...values };
  await writeFile(path, stringify(tree));
  const created = await runMig(['createuser', '--full-name', user.fullName ?? 'Jo Bs', '--organization', 'NBI', '--country', 'DK', '--email', user.email, '--password-stdin'], { cwd: dir, stdin: `${user.password}\n` });
  if (created.code !== 0) throw new Error(`mig createuser failed: ${created.stderr}`);
  return web;
}
