import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMrsl, type UserRecord } from '@migrid/core';
import { GridEngine, feasibilityOf } from '@migrid/scheduler';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';

describe('feasibility: which resources could run a job, and why not', () => {
  let t: TestSite;
  let owner: UserRecord;
  let engine: GridEngine;

  beforeAll(async () => {
    t = await openTestSite();
    owner = (await createTestUser(t.site)).user;
    // small: 1 CPU, 1024 MB, units with 1 h; big: 16 CPUs, 64 GB, PYTHON3, paused.
    await t.site.resources.add({ name: 'small', ownerId: owner.id, units: 2 });
    await t.site.runtimeEnvs.add({ RENAME: 'PYTHON3', DESCRIPTION: 'Python 3' }, { kind: 'admin', userId: null });
    await t.site.resources.add({
      name: 'big',
      ownerId: owner.id,
      config: {
        HOSTURL: 'big', CPUCOUNT: 16, MEMORY: 65536, DISK: 100, NODECOUNT: 1, ARCHITECTURE: 'AMD64',
        RUNTIMEENVIRONMENT: [{ name: 'PYTHON3' }],
        EXECONFIG: [{ name: 'exe0', cputime: 86400 }],
      },
    });
    await t.site.resources.setStatus('big', 'paused');
    engine = new GridEngine({ site: t.site, siteUrl: 'https://localhost' });
  }, 30_000);
  afterAll(async () => {
    await engine?.stop();
    await t?.close();
  });

  it('answers every unit of every resource: fits on an active unit → ready', async () => {
    const report = await engine.feasibility(parseMrsl('::EXECUTE::\necho hi\n'), owner.id);
    expect(report.verdict).toBe('ready');
    expect(report.runnable).toBe(2);
    expect(report.units.map((u) => `${u.resourceId}/${u.unit}:${u.resourceStatus}:${u.fits}`)).toEqual(['big/exe0:paused:true', 'small/exe0:active:true', 'small/exe1:active:true']);
  });

  it('names the keyword and both numbers when a unit is too small', async () => {
    const report = await engine.feasibility(parseMrsl('::EXECUTE::\nx\n\n::MEMORY::\n4096\n\n::CPUCOUNT::\n4\n'), owner.id);
    const small = report.units.find((u) => u.resourceId === 'small');
    expect(small?.fits).toBe(false);
    expect(small?.reasons).toEqual(expect.arrayContaining(['CPUCOUNT: the job needs 4, the unit offers 1', 'MEMORY: the job needs 4096, the unit offers 1024']));
    // Only the paused resource fits: the job would wait for it.
    expect(report.verdict).toBe('paused');
    expect(report.runnable).toBe(0);
  });

  it('reports a missing runtime environment and a CPUTIME above every unit', async () => {
    const report = await engine.feasibility(parseMrsl('::EXECUTE::\nx\n\n::RUNTIMEENVIRONMENT::\nPYTHON3\n\n::CPUTIME::\n7200\n'), owner.id);
    const small = report.units.find((u) => u.resourceId === 'small' && u.unit === 'exe0');
    expect(small?.reasons).toEqual(['RUNTIMEENVIRONMENT: the unit does not provide "PYTHON3"', 'CPUTIME: the job needs 7200, the unit offers 3600']);
    expect(report.units.find((u) => u.resourceId === 'big')?.fits).toBe(true);
    const none = await engine.feasibility(parseMrsl('::EXECUTE::\nx\n\n::RUNTIMEENVIRONMENT::\nMATLAB\n\n::VGRID::\nPhysics\n'), owner.id);
    expect(none.verdict).toBe('none');
    expect(none.units.every((u) => u.reasons.some((r) => r.startsWith('VGRID:')) && u.reasons.some((r) => r.startsWith('RUNTIMEENVIRONMENT:')))).toBe(true);
  });

  it('says none when no resource is registered', () => {
    expect(feasibilityOf(parseMrsl('::EXECUTE::\nx\n'), owner.id, [])).toEqual({ verdict: 'none', runnable: 0, units: [] });
  });
});
