import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSite, parseConfig, type FileView, type Site } from '@migrid/core';
import { createTestDatabase, databaseKinds } from '../../../test/support/databases.js';
import { codeOf } from '../../../test/support/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-vgrid-view-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(view: FileView, path: string, text: string): Promise<void> {
  await pipeline(Readable.from([text]), await view.createWriteStream(path));
}

async function get(view: FileView, path: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of await view.createReadStream(path)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function names(view: FileView, path: string): Promise<string[]> {
  return (await view.list(path)).map((e) => e.name).sort();
}

describe.each(databaseKinds())('VGrid folders in users\' views on %s', (kind) => {
  let drop: (() => Promise<void>) | undefined;
  let site: Site | undefined;
  afterEach(async () => {
    await site?.close();
    site = undefined;
    await drop?.();
    drop = undefined;
  });

  async function newSite(): Promise<{ s: Site; owner: string; member: string; other: string }> {
    let url = '';
    if (kind === 'postgres') {
      const db = await createTestDatabase('postgres');
      drop = db.drop;
      url = `[database]\nurl = "${db.url ?? ''}"\n`;
    }
    const config = parseConfig(`[site]\nstate_dir = "${join(dir, 'state')}"\n[logging]\nlevel = "silent"\n${url}`, { baseDir: dir });
    site = await openSite(config, { service: 'test' });
    const mk = async (name: string) => (await site!.users.create({ fullName: `${name} Doe`, organization: 'NBI', country: 'DK', email: `${name.toLowerCase()}@example.org` })).id;
    return { s: site, owner: await mk('Olivia'), member: await mk('Mark'), other: await mk('Otto') };
  }

  it('mounts the share at /NAME for members, read-only when the VGrid says so, and removes it from new and live views', async () => {
    const { s, owner, member } = await newSite();
    const asOwner = { kind: 'user', userId: owner } as const;
    await s.vgrids.create({ actor: asOwner, name: 'Lab' });
    await s.vgrids.addMember('Lab', member, { actor: asOwner });
    const ownerView = await s.files.viewFor(asOwner);
    await put(ownerView, '/Lab/plan.txt', 'plan\n');
    const memberView = await s.files.viewFor({ kind: 'user', userId: member });
    expect(await names(memberView, '/')).toContain('Lab');
    expect(await names(memberView, '/Lab')).toEqual(['plan.txt']);
    await put(memberView, '/Lab/notes.txt', 'from the member\n');
    expect(await readFile(join(s.paths.vgridFilesHome, 'Lab', 'notes.txt'), 'utf8')).toBe('from the member\n');
    expect(await codeOf(memberView.remove('/Lab'))).toBe('MIG_E_PROTECTED_PATH');
    // Web folders: owners write, members read.
    await put(ownerView, '/public_base/Lab/index.html', '<p>Lab</p>');
    expect(await get(memberView, '/public_base/Lab/index.html')).toBe('<p>Lab</p>');
    expect(await codeOf(put(memberView, '/public_base/Lab/x.html', 'x'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await names(memberView, '/private_base')).toEqual(['Lab']);
    // Read-only: members read, cannot write; owners still write (the live view notices at once).
    await s.vgrids.updateSettings('Lab', { readOnly: true }, { actor: asOwner });
    expect(await get(memberView, '/Lab/plan.txt')).toBe('plan\n');
    expect(await codeOf(put(memberView, '/Lab/more.txt', 'x'))).toBe('MIG_E_PERMISSION_DENIED');
    expect(await codeOf(memberView.remove('/Lab/notes.txt'))).toBe('MIG_E_PERMISSION_DENIED');
    await put(ownerView, '/Lab/owner.txt', 'ok');
    // Removal: a new view has no /Lab, and the open (live) view loses it at its next operation.
    await s.vgrids.removeMember('Lab', member, { actor: asOwner });
    const fresh = await s.files.viewFor({ kind: 'user', userId: member });
    expect(await names(fresh, '/')).not.toContain('Lab');
    expect(await codeOf(fresh.stat('/Lab/plan.txt'))).toBe('MIG_E_PATH_NOT_FOUND');
    expect(await names(memberView, '/')).not.toContain('Lab');
    expect(await codeOf(get(memberView, '/Lab/plan.txt'))).toMatch(/MIG_E_PATH_NOT_FOUND|MIG_E_PERMISSION_DENIED/);
    expect(await names(memberView, '/')).not.toContain('private_base');
  });

  it('notices changes made by another process sharing the database (a second open site)', async () => {
    const { s, owner, member } = await newSite();
    const asOwner = { kind: 'user', userId: owner } as const;
    await s.vgrids.create({ actor: asOwner, name: 'Far' });
    const view = await s.files.viewFor({ kind: 'user', userId: member });
    expect(await names(view, '/')).not.toContain('Far');
    const second = await openSite(s.config, { service: 'second' });
    try {
      await second.vgrids.addMember('Far', member, { actor: asOwner });
      expect(await names(view, '/')).toContain('Far');
      await second.vgrids.remove('Far', { actor: asOwner });
      expect(await names(view, '/')).not.toContain('Far');
    } finally {
      await second.close();
    }
  });

  it('nests sub-VGrids: a member of only A/B sees /A as a view folder holding B; members of A reach A/B too', async () => {
    const { s, owner, member, other } = await newSite();
    const asOwner = { kind: 'user', userId: owner } as const;
    await s.vgrids.create({ actor: asOwner, name: 'A' });
    await s.vgrids.create({ actor: asOwner, name: 'A/B' });
    await s.vgrids.addMember('A/B', member, { actor: asOwner });
    await s.vgrids.addMember('A', other, { actor: asOwner });
    const ownerView = await s.files.viewFor(asOwner);
    await put(ownerView, '/A/top.txt', 'top');
    await put(ownerView, '/A/B/inner.txt', 'inner');
    const m = await s.files.viewFor({ kind: 'user', userId: member });
    expect(await names(m, '/A')).toEqual(['B']);
    expect(await get(m, '/A/B/inner.txt')).toBe('inner');
    expect(await codeOf(m.stat('/A/top.txt'))).toMatch(/MIG_E_PATH_NOT_FOUND|MIG_E_PERMISSION_DENIED/);
    expect(await codeOf(put(m, '/A/sneak.txt', 'x'))).toMatch(/MIG_E_PERMISSION_DENIED|MIG_E_PATH_NOT_FOUND/);
    const o = await s.files.viewFor({ kind: 'user', userId: other });
    expect(await names(o, '/A')).toEqual(['B', 'top.txt']);
    expect(await get(o, '/A/B/inner.txt')).toBe('inner');
    expect(await codeOf(o.remove('/A/B'))).toBe('MIG_E_PROTECTED_PATH');
  });

  it('shadows a home entry of the same name while joined, and shows it again after leaving (never touched)', async () => {
    const { s, owner, member } = await newSite();
    const asOwner = { kind: 'user', userId: owner } as const;
    await s.vgrids.create({ actor: asOwner, name: 'Shared' });
    const home = await s.users.homeDir(member);
    await mkdir(join(home, 'Shared'));
    await writeFile(join(home, 'Shared', 'mine.txt'), 'private');
    const view = await s.files.viewFor({ kind: 'user', userId: member });
    expect(await names(view, '/Shared')).toEqual(['mine.txt']);
    await s.vgrids.addMember('Shared', member, { actor: asOwner });
    expect(await names(view, '/Shared')).toEqual([]);
    await s.vgrids.removeMember('Shared', member, { actor: { kind: 'user', userId: member } });
    expect(await names(view, '/Shared')).toEqual(['mine.txt']);
    expect(await readFile(join(home, 'Shared', 'mine.txt'), 'utf8')).toBe('private');
  });
});
