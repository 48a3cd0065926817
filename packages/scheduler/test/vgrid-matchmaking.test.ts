import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMrsl, type JobRecord, type ResourceRecord, type UnitCapacity, type UserRecord } from '@migrid/core';
import { GridEngine, configuredUnitOffer, feasibilityOf } from '@migrid/scheduler';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';

const CAPACITY: UnitCapacity = { cpuTimeSeconds: 3600, nodeCount: 1, cpuCount: 1, memoryMb: 1024, diskGb: 10 };

/**
 * A fixed scenario: `gen` serves Generic only; `phys` lists Physics and was added to Physics by its
 * owner; `rogue` lists Physics in its own configuration but no owner of Physics added it.
 */
describe('VGrid matchmaking: jobs go only to units of their VGrids, and only with the VGrid owners\' consent', () => {
  let t: TestSite;
  let alice: UserRecord;
  let bob: UserRecord;
  let engine: GridEngine;
  const res: Record<'gen' | 'phys' | 'rogue', ResourceRecord> = {} as Record<'gen' | 'phys' | 'rogue', ResourceRecord>;
  const alices = { kind: 'user', userId: '' } as { kind: 'user'; userId: string };

  async function submit(owner: UserRecord, vgrids: readonly string[]): Promise<JobRecord> {
    const text = `::EXECUTE::\necho hi\n\n::VGRID::\n${vgrids.join('\n')}\n`;
    return t.site.jobs.submit({ ownerId: owner.id, spec: parseMrsl(text), mrsl: text });
  }

  /** Jobs each unit runs (a unit that stops listing a job has it requeued). */
  const running: Record<string, string[]> = { gen: [], phys: [], rogue: [] };
  async function ask(name: keyof typeof res): Promise<string | null> {
    const answer = await engine.requestWork({ resource: res[name], unit: 'exe0', capacity: CAPACITY, running: running[name] ?? [] });
    if (answer.job) running[name]?.push(answer.job.id);
    return answer.job?.id ?? null;
  }

  beforeAll(async () => {
    t = await openTestSite();
    alice = (await createTestUser(t.site)).user;
    bob = (await createTestUser(t.site)).user;
    alices.userId = alice.id;
    await t.site.vgrids.create({ actor: alices, name: 'Physics' });
    await t.site.vgrids.create({ actor: alices, name: 'Physics/Optics' });
    for (const [name, vgrid] of [['gen', ['Generic']], ['phys', ['Physics']], ['rogue', ['Physics']]] as const) {
      const added = await t.site.resources.add({ name, ownerId: alice.id, config: { HOSTURL: name, NODECOUNT: 1, CPUCOUNT: 1, MEMORY: 1024, DISK: 10, ARCHITECTURE: 'AMD64', EXECONFIG: [{ name: 'exe0', cputime: 3600, vgrid }] } });
      res[name] = added.resource;
    }
    await t.site.vgrids.addResource('Physics', res.phys.id, { actor: alices });
    engine = new GridEngine({ site: t.site, siteUrl: 'https://localhost:8443', sweepIntervalMs: 60_000 });
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await t?.close();
  });

  it('offers a unit\'s configured VGrids only when the VGrid has the resource, with the VGrids below them', async () => {
    expect(configuredUnitOffer(res.phys, 'exe0', ['Physics', 'Physics/Optics']).vgrids).toEqual(['Physics', 'Physics/Optics']);
    expect(configuredUnitOffer(res.rogue, 'exe0', []).vgrids).toEqual([]);
    // Without knowing the VGrids' resources, only Generic is offered (never the configuration's word alone).
    expect(configuredUnitOffer(res.phys, 'exe0').vgrids).toEqual([]);
    expect(configuredUnitOffer(res.gen, 'exe0').vgrids).toEqual(['Generic']);
  });

  it('hands a VGrid job only to the VGrid\'s unit and a Generic job never to a VGrid-only unit', async () => {
    const a = await submit(alice, ['Physics']);
    const b = await submit(alice, ['Physics/Optics']);
    const g = await submit(bob, ['Generic']);
    await engine.start();
    expect(await ask('rogue')).toBeNull();
    expect(await ask('gen')).toBe(g.id);
    expect(await ask('gen')).toBeNull();
    expect(await ask('phys')).toBe(a.id);
    // A sub-VGrid's job runs on a resource of the parent (resources are inherited downwards).
    expect(await ask('phys')).toBe(b.id);
    expect(await ask('phys')).toBeNull();
    expect((await t.site.jobs.get(b.id)).resourceId).toBe(res.phys.id);
  });

  it('follows the VGrid owners: a removed resource takes no more of its jobs, an added one does', async () => {
    await t.site.vgrids.removeResource('Physics', res.phys.id, { actor: alices });
    await t.site.vgrids.addResource('Physics', res.rogue.id, { actor: alices });
    const c = await submit(alice, ['Physics']);
    engine.jobChanged(c);
    expect(await ask('phys')).toBeNull();
    expect(await ask('gen')).toBeNull();
    expect(await ask('rogue')).toBe(c.id);
    await t.site.vgrids.removeResource('Physics', res.rogue.id, { actor: alices });
    await t.site.vgrids.addResource('Physics', res.phys.id, { actor: alices });
  });

  it('explains in feasibility which VGrid did not add the resource and which VGrid the owner is not in', async () => {
    const optics = await engine.feasibility(parseMrsl('::EXECUTE::\nx\n\n::VGRID::\nPhysics/Optics\n'), alice.id);
    const unit = (name: string): { fits: boolean; reasons: readonly string[] } | undefined => optics.units.find((u) => u.resourceId === name);
    expect(unit('phys')?.fits).toBe(true);
    expect(unit('gen')?.reasons).toEqual(['VGRID: the unit serves none of the job\'s VGrids ("Physics/Optics")']);
    expect(unit('rogue')?.reasons).toEqual([
      'VGRID: the unit serves none of the job\'s VGrids ("Physics/Optics")',
      'VGRID: the resource is not in VGrid "Physics": the unit lists it, but the VGrid\'s owners have not added the resource',
    ]);
    expect(optics.verdict).toBe('ready');

    // ANY: Generic and the owner's VGrids, as submit would store it.
    const any = await engine.feasibility(parseMrsl('::EXECUTE::\nx\n\n::VGRID::\nANY\n'), alice.id);
    expect(any.units.filter((u) => u.fits).map((u) => u.resourceId)).toEqual(['gen', 'phys']);

    // bob is in no VGrid: a Physics job could run nowhere, and the Physics unit says why.
    const bobs = await engine.feasibility(parseMrsl('::EXECUTE::\nx\n\n::VGRID::\nPhysics\n'), bob.id);
    expect(bobs.verdict).toBe('none');
    expect(bobs.units.find((u) => u.resourceId === 'phys')?.reasons).toContain('VGRID: the unit serves VGrid "Physics", but the job\'s owner is not an owner or member of it');
    expect(bobs.units.every((u) => u.reasons.includes('VGRID: the job may run in no VGrid'))).toBe(true);
  });

  it('feasibility without VGrid knowledge is the configuration with no VGrid consent (pure form)', () => {
    const report = feasibilityOf(parseMrsl('::EXECUTE::\nx\n\n::VGRID::\nPhysics\n'), alice.id, [res.phys, res.gen]);
    expect(report.verdict).toBe('none');
    const withConsent = feasibilityOf(parseMrsl('::EXECUTE::\nx\n\n::VGRID::\nPhysics\n'), alice.id, [res.phys, res.gen], { withResource: new Map([[res.phys.id, ['Physics', 'Physics/Optics']]]) });
    expect(withConsent.units.filter((u) => u.fits).map((u) => u.resourceId)).toEqual(['phys']);
  });
});
