/**
 * `mig runtime-env …` as an admin meets it, on a real site made by `mig init`: publish from MiG
 * text and from JSON, list, show (text that adds back, and JSON), remove, and the refusals:
 * duplicates, invalid and oversized files, unknown names, removal while a resource provides it.
 * Then what it is for: a job naming an unknown runtime environment is refused at submit.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, openSite, parseMrsl, type Site } from '@migrid/core';
import { runMig, type RunResult } from '../../test/support/run-mig.js';
import { codeOf } from '../../test/support/errors.js';
import { migInProcess } from './support/run-cli-in-process.js';

const WAIT = 120_000;

const POVRAY = [
  '::RENAME::', 'povray-3.6', '',
  '::DESCRIPTION::', 'Support execution of POVRAY-3.6 jobs.', '',
  '::SOFTWARE::', 'name=povray', 'version=3.6', 'url=http://www.povray.org/download/', 'description=The raytracer', 'icon=http://www.povray.org/icon.png', '',
  '::ENVIRONMENTVARIABLE::', 'name=POVRAY_HOME', 'example=/usr/local/povray/', 'description=Path to Povray home.', '',
].join('\n');

/** `mig runtime-env …` in this process; the executable itself is run once below. */
const migIn = (dir: string, args: readonly string[]): Promise<RunResult> => migInProcess(dir, ['runtime-env', ...args]);

/** A resource configuration (JSON form) providing `provides`. */
function resourceConfig(provides: unknown[]): unknown {
  return { HOSTURL: 'r1', NODECOUNT: 1, CPUCOUNT: 1, MEMORY: 1024, DISK: 10, ARCHITECTURE: 'AMD64', EXECONFIG: [{ name: 'exe0' }], RUNTIMEENVIRONMENT: provides };
}

describe('mig runtime-env', () => {
  let dir: string;
  const mig = (...args: string[]) => migIn(dir, args);
  const withSite = async <T>(body: (site: Site) => Promise<T>): Promise<T> => {
    const site = await openSite(await loadConfig(join(dir, 'mig.toml')), { service: 'test' });
    try {
      return await body(site);
    } finally {
      await site.close();
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mig-re-cli-'));
    const init = await runMig(['init'], { cwd: dir });
    expect(init.code, init.stderr).toBe(0);
    await writeFile(join(dir, 'povray.re'), POVRAY);
    await writeFile(join(dir, 'python.json'), JSON.stringify({ RENAME: 'python-3', ENVIRONMENTVARIABLE: [{ name: 'PYTHON', example: '/usr/bin/python3', description: 'The interpreter' }] }));
    await writeFile(join(dir, 'bad.re'), '::RENAME::\n../../etc\n\n::DESCRIPTION::\n<script>\n');
    await writeFile(join(dir, 'bad.json'), '{"RENAME": "X", ');
    await writeFile(join(dir, 'huge.re'), `::RENAME::\nHUGE\n\n::VERIFYSTDOUT::\n${'x\n'.repeat(300_000)}`);
  }, WAIT);
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('publishes from text and JSON, lists, shows text that adds back, and refuses duplicates and bad files', async () => {
    const [text, json] = [await mig('add', 'povray.re'), await mig('add', 'python.json')];
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Runtime environment POVRAY-3.6 published.');
    expect(json.code, json.stderr).toBe(0);
    const [again, bad, badJson, huge, missingFile, list, listJson, show, showJson, unknown] = await Promise.all([
      mig('add', 'povray.re'),
      mig('add', 'bad.re'),
      mig('add', 'bad.json'),
      mig('add', 'huge.re'),
      mig('add', 'no-such-file.re'),
      mig('list'),
      mig('list', '--json'),
      mig('show', 'povray-3.6'),
      mig('show', 'PYTHON-3', '--json'),
      mig('show', 'NOSUCH'),
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('MIG_E_RUNTIME_ENV_EXISTS');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('MIG_E_RUNTIME_ENV_INVALID');
    expect(bad.stderr).not.toContain('<script>');
    expect(badJson.stderr).toContain('not valid JSON');
    expect(huge.stderr).toContain('MIG_E_TOO_LARGE');
    expect(missingFile.stderr).toContain('ENOENT');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.trim().split('\n').map((l) => l.split('\t')[0])).toEqual(['POVRAY-3.6', 'PYTHON-3']);
    const parsed = JSON.parse(listJson.stdout) as { name: string; createdBy: string | null; providers: string[] }[];
    expect(parsed.map((r) => [r.name, r.createdBy, r.providers])).toEqual([['POVRAY-3.6', null, []], ['PYTHON-3', null, []]]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('::RENAME::\nPOVRAY-3.6\n');
    expect(show.stdout).toContain('name=POVRAY_HOME');
    expect((JSON.parse(showJson.stdout) as { definition: { ENVIRONMENTVARIABLE: { name: string }[] } }).definition.ENVIRONMENTVARIABLE[0]?.name).toBe('PYTHON');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('MIG_E_RUNTIME_ENV_NOT_FOUND');
    // What show prints is a file add --replace reads back.
    await writeFile(join(dir, 'shown.re'), show.stdout);
    const replaced = await mig('add', '--replace', 'shown.re');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(await withSite(async (site) => (await site.runtimeEnvs.get('POVRAY-3.6')).definition)).toMatchObject({ RENAME: 'POVRAY-3.6', SOFTWARE: [{ name: 'povray' }] });
  }, WAIT);

  it('refuses jobs naming unknown runtime environments and removal while a resource provides one', async () => {
    await withSite(async (site) => {
      const user = await site.users.create({ email: 'renv-owner@example.org', fullName: 'Re Owner', organization: 'NBI', country: 'DK', password: 'Correct-Horse-7' });
      const job = (names: string) => parseMrsl(`::EXECUTE::\ntrue\n\n::RUNTIMEENVIRONMENT::\n${names}\n`);
      expect(await codeOf(site.jobs.submit({ ownerId: user.id, spec: job('povray-3.6\nmatlab') }))).toBe('MIG_E_MRSL_INVALID');
      expect((await site.jobs.submit({ ownerId: user.id, spec: job('povray-3.6\npython-3') })).state).toBe('QUEUED');
      expect(await codeOf(site.resources.add({ name: 'r1', ownerId: user.id, config: resourceConfig(['MATLAB']) })))
        .toBe('MIG_E_RESOURCE_CONFIG_INVALID');
      await site.resources.add({
        name: 'r1', ownerId: user.id,
        config: resourceConfig([{ name: 'PYTHON-3', variables: [{ name: 'PYTHON', value: '/usr/bin/python3' }] }]),
      });
    });
    const inUse = await mig('remove', 'python-3');
    expect(inUse.code).not.toBe(0);
    expect(inUse.stderr).toContain('MIG_E_RUNTIME_ENV_IN_USE');
    expect(inUse.stderr).toContain('"r1"');
    const [removed, hostile] = await Promise.all([mig('remove', 'povray-3.6'), mig('remove', '../../etc/passwd')]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('POVRAY-3.6 removed');
    expect(hostile.code).not.toBe(0);
    expect(hostile.stderr).toContain('MIG_E_INVALID_INPUT');
    // The real executable has the command too.
    const real = await runMig(['runtime-env', 'list'], { cwd: dir });
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout.trim()).toMatch(/^PYTHON-3\tresources=1\t/);
  }, WAIT);
});
