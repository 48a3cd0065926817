import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '@migrid/core';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor, type TestSession } from './support/sessions.js';

// The VGrid pages through the real app over a real site: list, create, ask to join, accept,
// add and remove people, settings, leave and removal, with CSRF and escaping; refusals come from
// the core VGrid store.

let t: TestSite;
let app: FastifyInstance;
let ann: UserRecord;
let bob: UserRecord;
let cy: UserRecord;
let s: { ann: TestSession; bob: TestSession; cy: TestSession };

beforeAll(async () => {
  t = await openTestSite({ config: { logging: { level: 'warn' } } });
  ann = (await createTestUser(t.site)).user;
  bob = (await createTestUser(t.site)).user;
  cy = (await createTestUser(t.site)).user;
  app = await createWebApp({ site: t.site, baseUrl: 'https://mig.example.org' });
  s = { ann: await sessionFor(t.site, ann.id), bob: await sessionFor(t.site, bob.id), cy: await sessionFor(t.site, cy.id) };
}, 60_000);
afterAll(async () => {
  await app?.close();
  await t?.close();
});

async function page(who: TestSession, url: string): Promise<{ status: number; body: string }> {
  const res = await app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
  return { status: res.statusCode, body: res.body };
}

async function form(who: TestSession, url: string, fields: Record<string, string>, csrf = true): Promise<{ status: number; location: string | undefined; body: string }> {
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ ...fields, ...(csrf ? { _csrf: who.csrf } : {}) }).toString(),
  });
  return { status: res.statusCode, location: res.headers.location as string | undefined, body: res.body };
}

async function rootOf(user: UserRecord): Promise<string[]> {
  return (await (await t.site.files.viewFor({ kind: 'user', userId: user.id })).list('/')).map((e) => e.name);
}

describe('VGrid pages', () => {
  it('creates a VGrid from /vgrids; the page escapes the description and the owner gets the share', async () => {
    const made = await form(s.ann, '/vgrids', { name: 'Physics', description: '<script>alert(1)</script>' });
    expect(made.status, made.body).toBe(303);
    expect(made.location).toBe('/vgrids/Physics?done=created');
    const shown = await page(s.ann, '/vgrids/Physics?done=created');
    expect(shown.status).toBe(200);
    expect(shown.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(shown.body).not.toContain('<script>alert(1)');
    expect(shown.body).toContain('id="vgrid-settings"');
    expect(shown.body).toContain('href="/vgrid/Physics/"');
    expect(shown.body).toContain('href="/vgrid-private/Physics/"');
    expect(await rootOf(ann)).toContain('Physics');
    const list = await page(s.ann, '/vgrids');
    expect(list.body).toMatch(/data-vgrid="Physics"[\s\S]*owner/);
    expect(list.body).toContain('href="/vgrids"');
  });

  it('lets another user ask to join; the owner accepts on the VGrid page and the member gets the folder', async () => {
    const listed = await page(s.bob, '/vgrids');
    expect(listed.body).toContain('Ask to join');
    const asked = await form(s.bob, '/vgrids/Physics/request', { kind: 'member', message: 'data <please>' });
    expect([asked.status, asked.location]).toEqual([303, '/vgrids?done=requested']);
    expect((await page(s.bob, '/vgrids')).body).toContain('request pending');
    const ownerPage = await page(s.ann, '/vgrids/Physics');
    expect(ownerPage.body).toContain(`${bob.email} asks to become member`);
    expect(ownerPage.body).toContain('data &lt;please&gt;');
    const [request] = await t.site.vgrids.listRequests('Physics', { actor: { kind: 'user', userId: ann.id }, status: 'pending' });
    // A member cannot decide it; the owner can.
    const refused = await form(s.bob, `/vgrids/Physics/requests/${request?.id}/accept`, {});
    expect(refused.status).toBe(403);
    const accepted = await form(s.ann, `/vgrids/Physics/requests/${request?.id}/accept`, {});
    expect([accepted.status, accepted.location]).toEqual([303, '/vgrids/Physics?done=accepted']);
    expect(await rootOf(bob)).toContain('Physics');
    // A link the member makes into the share is listed for the owner (not for the member).
    await t.site.vgrids.updateSettings('Physics', { createShareLink: 'members' }, { actor: { kind: 'user', userId: ann.id } });
    await t.site.shareLinks.create({ ownerId: bob.id, path: '/Physics', mode: 'ro' });
    expect((await page(s.ann, '/vgrids/Physics')).body).toMatch(new RegExp(`id="vgrid-links"[\\s\\S]*/Physics[\\s\\S]*${bob.email.replace(/[.+]/g, '\\$&')}`));
    const memberPage = await page(s.bob, '/vgrids/Physics');
    expect(memberPage.body).not.toContain('id="vgrid-links"');
    expect(memberPage.body).toContain('You are a member');
    expect(memberPage.body).not.toContain('id="vgrid-settings"');
  });

  it('adds and removes people, saves settings, lets a member leave, and needs CSRF', async () => {
    expect((await form(s.ann, '/vgrids/Physics/add', { user: cy.email, role: 'member' }, false)).status).toBe(403);
    expect(await rootOf(cy)).not.toContain('Physics');
    expect((await form(s.ann, '/vgrids/Physics/add', { user: cy.email, role: 'member' })).location).toBe('/vgrids/Physics?done=added');
    expect(await rootOf(cy)).toContain('Physics');
    expect((await form(s.bob, '/vgrids/Physics/add', { user: 'x@example.org', role: 'member' })).status).toBe(404);
    expect((await form(s.bob, '/vgrids/Physics/settings', { readOnly: 'on' })).status).toBe(403);
    const saved = await form(s.ann, '/vgrids/Physics/settings', { description: 'Optics', visibleOwners: 'members', visibleMembers: 'owners', readOnly: 'on', requestRecipients: '3', createShareLink: 'owners' });
    expect(saved.location).toBe('/vgrids/Physics?done=settings');
    expect((await t.site.vgrids.get('Physics')).settings).toMatchObject({ description: 'Optics', visibleOwners: 'members', readOnly: true, requestRecipients: 3, createShareLink: 'owners', hidden: false });
    // A member now sees the owners, not the members.
    const memberPage = await page(s.bob, '/vgrids/Physics');
    expect(memberPage.body).toContain('id="vgrid-owners"');
    expect(memberPage.body).not.toContain('id="vgrid-members"');
    const left = await form(s.cy, '/vgrids/Physics/remove', { user: cy.email, role: 'member' });
    expect(left.location).toBe('/vgrids?done=left');
    expect(await rootOf(cy)).not.toContain('Physics');
    const removed = await form(s.ann, '/vgrids/Physics/remove', { user: bob.email, role: 'member' });
    expect(removed.location).toBe('/vgrids/Physics?done=removed');
    expect(await rootOf(bob)).not.toContain('Physics');
  });

  it('lets owners add and remove resources on the page; members may not', async () => {
    const { resource } = await t.site.resources.add({ name: 'cluster9', ownerId: ann.id, units: 1, executor: 'local' });
    await t.site.vgrids.addMember('Physics', bob.id, { actor: { kind: 'user', userId: ann.id } });
    expect((await form(s.bob, '/vgrids/Physics/resources/add', { resource: resource.id })).status).toBe(403);
    expect((await form(s.ann, '/vgrids/Physics/resources/add', { resource: resource.id })).location).toBe('/vgrids/Physics?done=added');
    expect((await t.site.vgrids.resources('Physics')).map((r) => r.resourceId)).toEqual([resource.id]);
    expect((await page(s.ann, '/vgrids/Physics')).body).toMatch(new RegExp(`id="vgrid-resources"[\\s\\S]*${resource.id.replace(/[.]/g, '\\.')}`));
    expect((await form(s.ann, '/vgrids/Physics/resources/add', { resource: 'no-such' })).status).toBe(404);
    expect((await form(s.ann, '/vgrids/Physics/resources/remove', { resource: resource.id })).location).toBe('/vgrids/Physics?done=removed');
    expect(await t.site.vgrids.resources('Physics')).toEqual([]);
  });

  it('refuses bad names and unknown VGrids, and removes a VGrid from its page', async () => {
    const bad = await form(s.cy, '/vgrids', { name: '../etc' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('MIG_E_VGRID_NAME');
    expect((await page(s.cy, '/vgrids/Nowhere')).status).toBe(404);
    expect((await form(s.cy, '/vgrids/Physics/delete', {})).status).toBe(403);
    const gone = await form(s.ann, '/vgrids/Physics/delete', {});
    expect([gone.status, gone.location]).toEqual([303, '/vgrids?done=deleted']);
    expect(await t.site.vgrids.find('Physics')).toBeUndefined();
    expect(await rootOf(ann)).not.toContain('Physics');
  });
});
