/**
 * `miguser vgrid …` and the client's VGrid calls against a real site over HTTPS: an owner creates
 * VGrids, a second user asks to join, the owner accepts, and the member's file view then holds the
 * shared folder; leaving takes it away. Refusals come back as one error line with the site's code.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VgridDetails, VgridInfo, VgridRequestInfo } from '@migrid/client';
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
