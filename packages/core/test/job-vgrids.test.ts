import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMigError, parseMrsl, unitVgrids, vgridsNotAccepted, vgridsOfAllResources, vgridsWithResource, type UserRecord } from '@migrid/core';
import { databaseKinds } from '../../../test/support/databases.js';
import { codeOf } from '../../../test/support/errors.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';

function mrsl(vgrids: readonly string[]): string {
  return `::EXECUTE::\necho hi\n${vgrids.length === 0 ? '' : `\n::VGRID::\n${vgrids.join('\n')}\n`}`;
}

describe.each(databaseKinds())('job VGrids at submit and resources in VGrids on %s', (kind) => {
  let t: TestSite;
  let alice: UserRecord;
  let bob: UserRecord;
  let carol: UserRecord;
  const user = (u: UserRecord): { kind: 'user'; userId: string } => ({ kind: 'user', userId: u.id });

  async function submit(owner: UserRecord, vgrids: readonly string[]): Promise<readonly string[]> {
    const text = mrsl(vgrids);
    const job = await t.site.jobs.submit({ ownerId: owner.id, spec: parseMrsl(text), mrsl: text });
    // What is stored is what the engine reads back.
    return (await t.site.jobs.get(job.id)).spec.VGRID;
  }

  beforeAll(async () => {
    t = await openTestSite({ kind });
    alice = (await createTestUser(t.site)).user;
    bob = (await createTestUser(t.site)).user;
    carol = (await createTestUser(t.site)).user;
    await t.site.vgrids.create({ actor: user(alice), name: 'Physics' });
    await t.site.vgrids.create({ actor: user(alice), name: 'Physics/Optics' });
    await t.site.vgrids.create({ actor: user(bob), name: 'Chemistry' });
    await t.site.vgrids.create({ actor: user(bob), name: 'Secret', settings: { hidden: true } });
    // carol is a member of Physics, so (inherited) of Physics/Optics.
    await t.site.vgrids.addMember('Physics', carol.id, { actor: user(alice) });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('defaults to Generic and keeps VGrids the owner takes part in, directly or through a parent', async () => {
    expect(await submit(carol, [])).toEqual(['Generic']);
    expect(await submit(alice, ['Physics/Optics', 'Generic'])).toEqual(['Physics/Optics', 'Generic']);
    expect(await submit(carol, ['Physics/Optics'])).toEqual(['Physics/Optics']);
    // Repeated names are kept once, first place wins.
    expect(await submit(carol, ['Physics', 'Generic', 'Physics'])).toEqual(['Physics', 'Generic']);
  });

  it('expands ANY where it stands to Generic and every VGrid of the owner, at submit time', async () => {
    expect(await submit(carol, ['ANY'])).toEqual(['Generic', 'Physics', 'Physics/Optics']);
    expect(await submit(carol, ['Physics/Optics', 'ANY'])).toEqual(['Physics/Optics', 'Generic', 'Physics']);
    expect(await submit(bob, ['ANY'])).toEqual(['Chemistry', 'Generic', 'Secret'].sort((a, b) => (a === 'Generic' ? -1 : b === 'Generic' ? 1 : a < b ? -1 : 1)));
    const dave = (await createTestUser(t.site)).user;
    expect(await submit(dave, ['ANY'])).toEqual(['Generic']);
  });

  it('refuses unknown VGrids and VGrids the owner is not in, naming the VGrid, and stores nothing', async () => {
    const before = (await t.site.jobs.list({ ownerId: carol.id })).jobs.length;
    const refused = await submit(carol, ['Generic', 'Chemistry']).catch((e: unknown) => e);
    expect(isMigError(refused, 'MIG_E_VGRID_NOT_ALLOWED')).toBe(true);
    expect((refused as Error).message).toContain('"Chemistry"');
    expect(await codeOf(submit(carol, ['Nowhere']))).toBe('MIG_E_VGRID_NOT_FOUND');
    // A hidden VGrid is not revealed to someone outside it; reserved names are no VGrids.
    expect(await codeOf(submit(carol, ['Secret']))).toBe('MIG_E_VGRID_NOT_FOUND');
    for (const name of ['ALL', 'generic', 'Physics/Nope', 'physics', 'Physics/']) expect(await codeOf(submit(carol, [name])), name).toBe('MIG_E_VGRID_NOT_FOUND');
    const long = await submit(carol, ['A'.repeat(255)]).catch((e: unknown) => e);
    expect(isMigError(long, 'MIG_E_VGRID_NOT_FOUND')).toBe(true);
    expect((long as Error).message.length).toBeLessThan(400);
    // A path-like name is only looked up, never used as a path; markup never gets this far (the mRSL check).
    expect(await codeOf(submit(carol, ['../etc']))).toBe('MIG_E_VGRID_NOT_FOUND');
    expect(await codeOf(() => submit(carol, ['<b>x</b>']))).toBe('MIG_E_MRSL_INVALID');
    // A spec built by hand is checked the same way (API `spec` JSON, resubmit).
    const spec = { ...parseMrsl(mrsl([])), VGRID: ['Chemistry'] };
    expect(await codeOf(t.site.jobs.submit({ ownerId: carol.id, spec }))).toBe('MIG_E_VGRID_NOT_ALLOWED');
    expect((await t.site.jobs.list({ ownerId: carol.id })).jobs.length).toBe(before);
  });

  it('checks again on resubmit: leaving the VGrid ends the right to submit to it', async () => {
    const erin = (await createTestUser(t.site)).user;
    await t.site.vgrids.addMember('Chemistry', erin.id, { actor: user(bob) });
    const job = await t.site.jobs.submit({ ownerId: erin.id, spec: parseMrsl(mrsl(['Chemistry'])) });
    await t.site.vgrids.removeMember('Chemistry', erin.id, { actor: user(erin) });
    const old = await t.site.jobs.get(job.id);
    expect(await codeOf(t.site.jobs.submit({ ownerId: erin.id, spec: old.spec }))).toBe('MIG_E_VGRID_NOT_ALLOWED');
  });

  it('a resource serves the VGrids it was added to and the VGrids below them; a unit only those it also lists', async () => {
    const { resource } = await t.site.resources.add({ name: `vg-${kind}`, ownerId: alice.id });
    expect(await vgridsWithResource(t.site.db, resource.id)).toEqual([]);
    await t.site.vgrids.addResource('Physics', resource.id, { actor: user(alice) });
    expect(await vgridsWithResource(t.site.db, resource.id)).toEqual(['Physics', 'Physics/Optics']);
    // Only the VGrid's owners add resources.
    expect(await codeOf(t.site.vgrids.addResource('Chemistry', resource.id, { actor: user(alice) }))).toBe('MIG_E_VGRID_NOT_ALLOWED');
    expect((await vgridsOfAllResources(t.site.db)).get(resource.id)).toEqual(['Physics', 'Physics/Optics']);

    const withResource = await vgridsWithResource(t.site.db, resource.id);
    expect(unitVgrids(['Generic', 'Physics', 'Chemistry'], withResource)).toEqual(['Generic', 'Physics', 'Physics/Optics']);
    expect(unitVgrids(['Physics/Optics'], withResource)).toEqual(['Physics/Optics']);
    expect(unitVgrids(['Chemistry'], withResource)).toEqual([]);
    expect(unitVgrids(['Generic'], withResource)).toEqual(['Generic']);
    expect(vgridsNotAccepted(['Generic', 'Physics', 'Chemistry'], withResource)).toEqual(['Chemistry']);

    // Added to a sub-VGrid only: a unit listing the parent does not serve the parent nor the child (as MiG).
    const { resource: sub } = await t.site.resources.add({ name: `vg-sub-${kind}`, ownerId: alice.id });
    await t.site.vgrids.addResource('Physics/Optics', sub.id, { actor: user(alice) });
    const subWith = await vgridsWithResource(t.site.db, sub.id);
    expect(subWith).toEqual(['Physics/Optics']);
    expect(unitVgrids(['Physics'], subWith)).toEqual([]);
    expect(unitVgrids(['Physics/Optics'], subWith)).toEqual(['Physics/Optics']);

    await t.site.vgrids.removeResource('Physics', resource.id, { actor: user(alice) });
    expect(await vgridsWithResource(t.site.db, resource.id)).toEqual([]);
  });
});
