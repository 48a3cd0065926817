/**
 * `mig vgrid …` as a site operator meets it, on a real site made by `mig init`: create with an
 * owner, add and remove members and owners, sub-VGrids, resources, list/show (text and JSON), and
 * removal with the folders kept aside. What the commands change is checked where users meet it:
 * the `/NAME/` share in their file views, including a view opened before a member was removed. One
 * run goes through a real `mig` process (the contract's command); the rest drive the same command
 * tree in-process.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, openSite, type FileView, type Site } from '@migrid/core';
import { migInProcess } from './support/run-cli-in-process.js';
import { runMig } from '../../test/support/run-mig.js';
import { codeOf } from '../../test/support/errors.js';

const WAIT = 120_000;

async function writeText(view: FileView, path: string, text: string): Promise<void> {
  const out = await view.createWriteStream(path);
  await new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.end(text, () => resolve());
  });
  // Stream 'finish' may come before the file is in place: wait until it can be seen.
  await view.stat(path);
}

async function readText(view: FileView, path: string): Promise<string> {
  let text = '';
  for await (const chunk of await view.createReadStream(path)) text += (chunk as Buffer).toString();
  return text;
}

async function rootNames(view: FileView): Promise<string[]> {
  return (await view.list('/')).map((e) => e.name);
}

describe('mig vgrid', () => {
  let dir: string;
  let site: Site;
  const ids: Record<'ann' | 'bob' | 'cy', string> = { ann: '', bob: '', cy: '' };
  const mig = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => migInProcess(dir, ['vgrid', ...args]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mig-vgrid-cli-'));
    const init = await runMig(['init'], { cwd: dir });
    expect(init.code, init.stderr).toBe(0);
    site = await openSite(await loadConfig(join(dir, 'mig.toml')));
    for (const name of ['ann', 'bob', 'cy'] as const) {
      ids[name] = (await site.users.create({ email: `${name}@example.org`, fullName: `${name[0]?.toUpperCase()}${name.slice(1)} Tester`, organization: 'NBI', country: 'DK' })).id;
    }
  }, WAIT);
  afterAll(async () => {
    await site?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('creates a VGrid with its owner through the real executable; the share appears as /NAME/ for the owner only', async () => {
    const created = await runMig(['vgrid', 'create', 'Physics', '--owner', 'ann@example.org', '--description', 'Optics lab'], { cwd: dir, timeoutMs: 110_000 });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('VGrid Physics created; owner ann@example.org');
    expect(await site.vgrids.roleOf(ids.ann, 'Physics')).toBe('owner');
    const annView = await site.files.viewFor({ kind: 'user', userId: ids.ann });
    expect(await rootNames(annView)).toContain('Physics');
    await writeText(annView, '/Physics/plan.txt', 'plan');
    const bobView = await site.files.viewFor({ kind: 'user', userId: ids.bob });
    expect(await rootNames(bobView)).not.toContain('Physics');
  }, WAIT);

  it('adds a member, who sees and writes the share, and removes them: a view opened before loses it at its next operation', async () => {
    const added = await mig('add-member', 'Physics', 'bob@example.org');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('bob@example.org is now a member of Physics');
    const bobView = await site.files.viewFor({ kind: 'user', userId: ids.bob });
    expect(await rootNames(bobView)).toContain('Physics');
    expect((await readText(bobView, '/Physics/plan.txt'))).toBe('plan');
    await writeText(bobView, '/Physics/bob.txt', 'from bob');

    const again = await mig('add-member', 'Physics', 'bob@example.org');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('MIG_E_VGRID_PARTICIPANT_EXISTS');

    const removed = await mig('remove-member', 'Physics', 'bob@example.org');
    expect(removed.code, removed.stderr).toBe(0);
    expect(await codeOf(readText(bobView, '/Physics/plan.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await rootNames(bobView)).not.toContain('Physics');
    // Nothing of the share was lost: the owner still sees bob's file.
    const annView = await site.files.viewFor({ kind: 'user', userId: ids.ann });
    expect((await readText(annView, '/Physics/bob.txt'))).toBe('from bob');
  }, WAIT);

  it('makes sub-VGrids, lists and shows them as text and JSON, and adds and removes resources', async () => {
    expect((await mig('create', 'Physics/Optics', '--owner', 'cy@example.org')).code).toBe(0);
    expect((await mig('add-member', 'Physics', 'bob@example.org')).code).toBe(0);
    // bob inherits membership of the child from the parent.
    expect(await site.vgrids.roleOf(ids.bob, 'Physics/Optics')).toBe('member');

    const list = await mig('list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^Physics\towners=1\tmembers=1\tOptics lab$/m);
    expect(list.stdout).toMatch(/^Physics\/Optics\towners=1\tmembers=0\t$/m);
    const json = JSON.parse((await mig('list', '--json', '--under', 'Physics')).stdout) as { name: string }[];
    expect(json.map((v) => v.name)).toEqual(['Physics/Optics']);

    const { resource } = await site.resources.add({ name: 'cluster1', ownerId: ids.ann, units: 1, executor: 'local' });
    const addRes = await mig('add-resource', 'Physics', resource.id);
    expect(addRes.code, addRes.stderr).toBe(0);
    const shown = JSON.parse((await mig('show', 'Physics/Optics', '--json')).stdout) as {
      name: string; participants: { email: string; role: string; inherited: boolean }[]; resources: { resourceId: string; inherited: boolean }[];
    };
    expect(shown.name).toBe('Physics/Optics');
    expect(shown.participants).toEqual(expect.arrayContaining([
      expect.objectContaining({ email: 'cy@example.org', role: 'owner', inherited: false }),
      expect.objectContaining({ email: 'ann@example.org', role: 'owner', inherited: true }),
      expect.objectContaining({ email: 'bob@example.org', role: 'member', inherited: true }),
    ]));
    expect(shown.resources).toEqual([expect.objectContaining({ resourceId: resource.id, inherited: true })]);
    const text = await mig('show', 'Physics');
    expect(text.stdout).toContain(`resource\t${resource.id}`);
    expect((await mig('remove-resource', 'Physics', resource.id)).code).toBe(0);
    expect(await site.vgrids.resources('Physics')).toEqual([]);
  }, WAIT);

  it('refuses bad names, unknown users, VGrids and resources, and missing options, with the code and nothing changed', async () => {
    const cases: [string[], number, string][] = [
      [['create', 'Generic', '--owner', 'ann@example.org'], 1, 'MIG_E_VGRID_NAME'],
      [['create', '../etc', '--owner', 'ann@example.org'], 1, 'MIG_E_VGRID_NAME'],
      [['create', 'x'.repeat(300), '--owner', 'ann@example.org'], 1, 'MIG_E_VGRID_NAME'],
      [['create', 'Physics', '--owner', 'ann@example.org'], 1, 'MIG_E_VGRID_EXISTS'],
      [['create', 'Nobody', '--owner', 'nobody@example.org'], 1, 'MIG_E_USER_NOT_FOUND'],
      [['create', 'Missing/Child', '--owner', 'ann@example.org'], 1, 'MIG_E_VGRID_NOT_FOUND'],
      [['add-member', 'Chemistry', 'bob@example.org'], 1, 'MIG_E_VGRID_NOT_FOUND'],
      [['remove-member', 'Physics', 'cy@example.org'], 1, 'MIG_E_VGRID_PARTICIPANT_NOT_FOUND'],
      [['add-resource', 'Physics', 'no-such-resource'], 1, 'MIG_E_RESOURCE_NOT_FOUND'],
    ];
    for (const [args, code, errorCode] of cases) {
      const r = await mig(...args);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr, args.join(' ')).toContain(errorCode);
    }
    const usage = await mig('create', 'Chemistry');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--owner');
    expect((await site.vgrids.list()).map((v) => v.name)).toEqual(['Physics', 'Physics/Optics']);
  }, WAIT);

  it('removes the last owner only with --force, which removes the VGrid and keeps its folders aside', async () => {
    expect((await mig('create', 'Temp', '--owner', 'bob@example.org')).code).toBe(0);
    const bobView = await site.files.viewFor({ kind: 'user', userId: ids.bob });
    await writeText(bobView, '/Temp/keep.txt', 'keep me');
    const refused = await mig('remove-owner', 'Temp', 'bob@example.org');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('MIG_E_VGRID_LAST_OWNER');
    expect(await site.vgrids.roleOf(ids.bob, 'Temp')).toBe('owner');

    const forced = await mig('remove-owner', 'Temp', 'bob@example.org', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Removed: Temp.');
    expect(await site.vgrids.find('Temp')).toBeUndefined();
    expect(await rootNames(bobView)).not.toContain('Temp');
    const removedBase = join(dir, 'state', 'vgrid_removed');
    const [aside] = readdirSync(removedBase).filter((n) => n.startsWith('Temp-'));
    expect(aside).toBeDefined();
    expect(await readFile(join(removedBase, aside as string, 'share', 'keep.txt'), 'utf8')).toBe('keep me');

    // `remove` of a VGrid with sub-VGrids needs --force too.
    const withChild = await mig('remove', 'Physics');
    expect(withChild.code).toBe(1);
    expect(withChild.stderr).toContain('MIG_E_VGRID_NOT_ALLOWED');
    const all = await mig('remove', 'Physics', '--force');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('Physics/Optics');
    expect(existsSync(join(dir, 'state', 'vgrid_files_home', 'Physics'))).toBe(false);
  }, WAIT);
});
