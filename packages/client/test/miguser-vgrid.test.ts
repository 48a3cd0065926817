/**
 * `miguser vgrid …` and the client's VGrid calls against a real site over HTTPS: an owner creates
 * VGrids, a second user asks to join, the owner accepts, and the member's file view then holds the
 * shared folder; leaving takes it away. Refusals come back as one error line with the site's code.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VgridDetails, VgridInfo, VgridParticipantsInfo, VgridRequestInfo } from '@migrid/client';
import { createTestUser } from '../../../test/support/test-site.js';
import { openClientTestSite, type ClientTestSite } from './support/client-site.js';
import { runInProcess, runMiguserCli } from './support/miguser-io.js';

let env: ClientTestSite;
let ownerConf: string;
let bobConf: string;
let bob: { id: string; email: string };

const as = (conf: string) => (args: string[], stdin?: string) => runInProcess(args, { conf, cwd: env.work, ...(stdin !== undefined && { stdin }) });
const owner = (args: string[]) => as(ownerConf)(args);
const asBob = (args: string[]) => as(bobConf)(args);
const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';
const rootNames = async (userId: string): Promise<string[]> => {
  const view = await env.testSite.site.files.viewFor({ kind: 'user', userId });
  return (await view.list('/')).map((e) => e.name);
};

beforeAll(async () => {
  env = await openClientTestSite();
  ownerConf = join(env.work, 'owner.conf');
  bobConf = join(env.work, 'bob.conf');
  const made = await createTestUser(env.testSite.site);
  bob = { id: made.user.id, email: made.user.email };
  const login = await as(ownerConf)(['login', env.url, '--username', env.email, '--ca', env.testSite.caCertPath], `${env.password}\n`);
  expect(login.code).toBe(0);
  const login2 = await as(bobConf)(['login', env.url, '--username', bob.email, '--ca', env.testSite.caCertPath], `${made.password}\n`);
  expect(login2.code).toBe(0);
}, 60_000);
afterAll(async () => {
  await env?.close();
});

describe('miguser vgrid: create, request, accept, list, leave', () => {
  it('runs the whole round trip, and the member sees /Physics/ only while taking part', async () => {
    const created = await runMiguserCli(['vgrid', 'create', 'Physics', '--description', 'The physics group'], { conf: ownerConf, cwd: env.work });
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toContain('Created Physics');
    const child = await owner(['vgrid', 'create', 'Physics/Optics', '--json']);
    expect(child.code).toBe(0);
    expect(JSON.parse(child.stdout) as VgridInfo).toMatchObject({ name: 'Physics/Optics', parent: 'Physics', role: 'owner' });

    // Bob sees it (not hidden) without a role, asks, and asking twice is refused.
    const seen = JSON.parse((await asBob(['vgrid', 'list', '--json'])).stdout) as VgridInfo[];
    expect(seen.map((v) => [v.name, v.role])).toEqual([['Physics', null], ['Physics/Optics', null]]);
    const asked = await asBob(['vgrid', 'request', 'Physics', '--message', 'Let me in, please']);
    expect(asked.code).toBe(0);
    const id = lastLine(asked.stdout);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const again = await asBob(['vgrid', 'request', 'Physics']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('MIG_E_VGRID_REQUEST_EXISTS');
    const mine = JSON.parse((await asBob(['vgrid', 'requests', '--json'])).stdout) as VgridRequestInfo[];
    expect(mine.map((r) => [r.id, r.status, r.kind])).toEqual([[id, 'pending', 'member']]);

    // Only owners see a VGrid's requests and decide on them.
    const bobLooks = await asBob(['vgrid', 'requests', 'Physics']);
    expect(bobLooks.code).toBe(1);
    expect(bobLooks.stderr).toContain('MIG_E_VGRID_NOT_ALLOWED');
    expect((await asBob(['vgrid', 'accept', id])).code).toBe(1);
    const pending = await owner(['vgrid', 'requests', 'Physics', '--status', 'pending']);
    expect(pending.code).toBe(0);
    expect(pending.stdout).toContain(id);
    expect(pending.stdout).toContain(bob.email);
    expect(pending.stdout).toContain('"Let me in, please"');
    expect(await rootNames(bob.id)).not.toContain('Physics');
    const accepted = await owner(['vgrid', 'accept', id]);
    expect(accepted).toMatchObject({ code: 0, stdout: `Accepted: ${bob.email} as member of Physics.\n` });

    // Bob is a member, of the child too (inherited), and his files hold the share.
    const mineOut = await asBob(['vgrid', 'list', '--mine', '--json']);
    const now = JSON.parse(mineOut.stdout) as VgridInfo[];
    expect(now.map((v) => [v.name, v.role])).toEqual([['Physics', 'member'], ['Physics/Optics', 'member']]);
    expect(await rootNames(bob.id)).toContain('Physics');
    const shown = await asBob(['vgrid', 'show', 'Physics/Optics', '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout) as VgridDetails).toMatchObject({ name: 'Physics/Optics', role: 'member' });
    const text = await owner(['vgrid', 'show', 'Physics']);
    expect(text.stdout).toContain(`members:     ${bob.email}`);
    expect(text.stdout).toContain('description: The physics group');

    const left = await asBob(['vgrid', 'leave', 'Physics']);
    expect(left).toMatchObject({ code: 0, stdout: 'Left Physics.\n' });
    expect(await rootNames(bob.id)).not.toContain('Physics');
    expect(JSON.parse((await asBob(['vgrid', 'list', '--mine', '--json'])).stdout)).toEqual([]);
  });
});

describe('miguser vgrid: owners manage people; refusals', () => {
  it('adds and removes a member by email; a member cannot add people; unknown users and names are refused', async () => {
    expect((await owner(['vgrid', 'create', 'Chem'])).code).toBe(0);
    expect(await owner(['vgrid', 'add-member', 'Chem', bob.email])).toMatchObject({ code: 0, stdout: `Added ${bob.email} as member of Chem.\n` });
    expect(await rootNames(bob.id)).toContain('Chem');

    const byMember = await asBob(['vgrid', 'add-member', 'Chem', env.email]);
    expect(byMember.code).toBe(1);
    expect(byMember.stderr).toContain('MIG_E_VGRID_NOT_ALLOWED');
    const nobody = await owner(['vgrid', 'add-owner', 'Chem', 'nobody@example.org']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('MIG_E_USER_NOT_FOUND');

    expect((await owner(['vgrid', 'remove-member', 'Chem', bob.email])).code).toBe(0);
    expect(await rootNames(bob.id)).not.toContain('Chem');

    for (const bad of ['Generic', '../x', 'x'.repeat(300)]) {
      const r = await owner(['vgrid', 'create', bad]);
      expect(r.code, bad).toBe(1);
      expect(r.stderr, bad).toMatch(/MIG_E_VGRID_NAME|MIG_E_INVALID_INPUT/);
    }
    const missing = await asBob(['vgrid', 'show', 'No/Such']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('MIG_E_VGRID_NOT_FOUND');
    const usage = await owner(['vgrid', 'request', 'Chem', '--kind', 'king']);
    expect(usage.code).toBe(2);

    // The last owner leaves only with --force, which removes the VGrid.
    const last = await owner(['vgrid', 'leave', 'Chem']);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain('MIG_E_VGRID_LAST_OWNER');
    const forced = await owner(['vgrid', 'leave', 'Chem', '--force']);
    expect(forced.code).toBe(0);
    expect((await owner(['vgrid', 'show', 'Chem'])).stderr).toContain('MIG_E_VGRID_NOT_FOUND');
  });
});

describe('miguser vgrid: participants and resources', () => {
  it('shows the participants as far as the settings allow, and lets only owners add and remove resources', async () => {
    expect((await owner(['vgrid', 'create', 'Geo'])).code).toBe(0);
    expect((await owner(['vgrid', 'add-member', 'Geo', bob.email])).code).toBe(0);
    const byOwner = JSON.parse((await owner(['vgrid', 'participants', 'Geo', '--json'])).stdout) as VgridParticipantsInfo;
    expect([byOwner.role, byOwner.owners?.map((p) => p.email), byOwner.members?.map((p) => p.email)]).toEqual(['owner', [env.email], [bob.email]]);
    // The defaults keep both lists from members; text output says so.
    const byBob = await asBob(['vgrid', 'participants', 'Geo']);
    expect(byBob).toMatchObject({ code: 0, stdout: 'owners:      (not shown to you)\nmembers:     (not shown to you)\n' });
    const viaClient = await asBob(['vgrid', 'participants', 'Geo', '--json']);
    expect(JSON.parse(viaClient.stdout)).toMatchObject({ name: 'Geo', role: 'member', owners: null, members: null });

    const site = env.testSite.site;
    const me = await site.users.find(env.email);
    const { resource } = await site.resources.add({ name: 'geo-cluster', ownerId: me?.id ?? '', units: 1, executor: 'local' });
    const byMember = await asBob(['vgrid', 'add-resource', 'Geo', resource.id]);
    expect(byMember.code).toBe(1);
    expect(byMember.stderr).toContain('MIG_E_VGRID_NOT_ALLOWED');
    const unknown = await owner(['vgrid', 'add-resource', 'Geo', 'no-such-resource']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('MIG_E_RESOURCE_NOT_FOUND');
    expect(await owner(['vgrid', 'add-resource', 'Geo', resource.id])).toMatchObject({ code: 0, stdout: `Resource ${resource.id} now runs jobs of Geo.\n` });
    expect((await site.vgrids.resources('Geo')).map((r) => r.resourceId)).toEqual([resource.id]);
    const shown = JSON.parse((await owner(['vgrid', 'show', 'Geo', '--json'])).stdout) as VgridDetails;
    expect(shown.resources).toEqual([{ resourceId: resource.id, inherited: false }]);
    expect((await owner(['vgrid', 'remove-resource', 'Geo', resource.id])).code).toBe(0);
    expect(await site.vgrids.resources('Geo')).toEqual([]);
    const missing = await owner(['vgrid', 'participants', 'No%2FSuch']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('MIG_E_VGRID_NOT_FOUND');
  });
});

describe('miguser vgrid: settings and removal', () => {
  it('shows and changes settings as an owner only, refuses bad values, and removes a VGrid with sub-VGrids only with --force', async () => {
    expect((await owner(['vgrid', 'create', 'Astro'])).code).toBe(0);
    expect((await owner(['vgrid', 'create', 'Astro/Stars'])).code).toBe(0);
    expect((await owner(['vgrid', 'add-member', 'Astro', bob.email])).code).toBe(0);
    const shown = await owner(['vgrid', 'settings', 'Astro']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('read-only:          no');
    expect(shown.stdout).toContain('visible members:    owners');

    const changed = await owner(['vgrid', 'settings', 'Astro', '--read-only', '--visible-members', 'members', '--request-recipients', '3', '--description', 'Sky <watch>', '--json']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(JSON.parse(changed.stdout)).toMatchObject({ readOnly: true, visibleMembers: 'members', requestRecipients: 3, description: 'Sky <watch>', hidden: false });
    expect((await env.testSite.site.vgrids.get('Astro')).settings).toMatchObject({ readOnly: true, visibleMembers: 'members', requestRecipients: 3 });
    // The member's share is read-only now; --no-read-only turns it back.
    const bobView = await env.testSite.site.files.viewFor({ kind: 'user', userId: bob.id });
    await expect(bobView.mkdir('/Astro/new')).rejects.toMatchObject({ code: 'MIG_E_PERMISSION_DENIED' });
    expect((await owner(['vgrid', 'settings', 'Astro', '--no-read-only'])).stdout).toContain('read-only:          no');
    await bobView.mkdir('/Astro/new');

    const byMember = await asBob(['vgrid', 'settings', 'Astro', '--hidden']);
    expect(byMember.code).toBe(1);
    expect(byMember.stderr).toContain('MIG_E_VGRID_NOT_ALLOWED');
    expect((await asBob(['vgrid', 'settings', 'Astro', '--json'])).code).toBe(0);
    for (const bad of [['--visible-owners', 'all'], ['--request-recipients', '0'], ['--request-recipients', '1e3'], ['--share-links', 'anyone']]) {
      const r = await owner(['vgrid', 'settings', 'Astro', ...bad]);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr, bad.join(' ')).toContain('MIG_E_USAGE');
    }
    const tooLong = await owner(['vgrid', 'settings', 'Astro', '--description', 'x'.repeat(5000)]);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('MIG_E_INVALID_INPUT');
    expect((await env.testSite.site.vgrids.get('Astro')).settings.hidden).toBe(false);

    const byMemberRemove = await asBob(['vgrid', 'remove', 'Astro/Stars']);
    expect(byMemberRemove.code).toBe(1);
    expect(byMemberRemove.stderr).toContain('MIG_E_VGRID_NOT_ALLOWED');
    const withChild = await owner(['vgrid', 'remove', 'Astro']);
    expect(withChild.code).toBe(1);
    expect(withChild.stderr).toContain('MIG_E_VGRID_NOT_ALLOWED');
    const removed = await owner(['vgrid', 'remove', 'Astro', '--force', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect([...(JSON.parse(removed.stdout) as { removed: string[] }).removed].sort()).toEqual(['Astro', 'Astro/Stars']);
    expect(await rootNames(bob.id)).not.toContain('Astro');
  });
});
