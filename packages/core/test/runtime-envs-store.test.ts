import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import {
  MrslError, createJobStore, createResourceStore, createRuntimeEnvStore, parseMrsl, parseRuntimeEnvironment,
  type AdminPrincipal, type Database, type JobStore, type ResourceStore, type RuntimeEnvStore,
} from '@migrid/core';
import { forEachDatabase } from '../../../test/support/databases.js';
import { codeOf } from '../../../test/support/errors.js';
import { insertUser, testClock } from './auth-fixtures.js';

const ADMIN_ID = 'd'.repeat(64);
const OWNER = 'o'.repeat(64);
const OPERATOR: AdminPrincipal = { kind: 'admin', userId: null };

const PYTHON = {
  RENAME: 'python-3',
  DESCRIPTION: 'Python 3 interpreter',
  ENVIRONMENTVARIABLE: [{ name: 'PYTHON', example: '/usr/bin/python3', description: 'The interpreter' }],
  TESTPROCEDURE: '::EXECUTE::\n$PYTHON --version\n',
  VERIFYSTATUS: ['.* 0'],
};

/** The three stores wired as `openSite` wires them. */
function stores(db: Kysely<Database>, now?: () => number): { envs: RuntimeEnvStore; resources: ResourceStore; jobs: JobStore } {
  const envs = createRuntimeEnvStore(db, { ...(now && { now }), resources: { list: () => resources.list() } });
  const resources = createResourceStore(db, { ...(now && { now }), runtimeEnvs: envs });
  const jobs = createJobStore(db, { serverId: 'test', runtimeEnvs: envs });
  return { envs, resources, jobs };
}

/** A resource configuration (JSON form) that provides `provides`. */
function configProviding(name: string, provides: unknown[]): unknown {
  return { HOSTURL: name, NODECOUNT: 1, CPUCOUNT: 1, MEMORY: 1024, DISK: 10, ARCHITECTURE: 'AMD64', EXECONFIG: [{ name: 'exe0' }], RUNTIMEENVIRONMENT: provides };
}

describe('the runtime environment registry', () => {
  forEachDatabase((current) => {
    it('publishes from text or JSON, upper-cases names, lists, shows and refuses a second of the same name', async () => {
      const { db } = current();
      await insertUser(db, ADMIN_ID);
      const clock = testClock();
      const { envs } = stores(db, clock.now);
      const added = await envs.add(PYTHON, { kind: 'admin', userId: ADMIN_ID });
      expect(added).toMatchObject({ name: 'PYTHON-3', createdBy: ADMIN_ID, createdAt: clock.now(), updatedAt: clock.now() });
      expect(added.definition.ENVIRONMENTVARIABLE.map((v) => v.name)).toEqual(['PYTHON']);
      expect(added.definition.TESTPROCEDURE).toBe('::EXECUTE::\n$PYTHON --version\n');
      const fromText = await envs.add(parseRuntimeEnvironment('::RENAME::\nlocaldisk\n\n::DESCRIPTION::\nScratch disk\n'), OPERATOR);
      expect(fromText).toMatchObject({ name: 'LOCALDISK', createdBy: null });
      expect((await envs.list()).map((r) => r.name)).toEqual(['LOCALDISK', 'PYTHON-3']);
      expect((await envs.get(' Python-3 ')).definition).toEqual(added.definition);
      expect(await codeOf(envs.add({ ...PYTHON, RENAME: 'PYTHON-3', DESCRIPTION: 'again' }, OPERATOR))).toBe('MIG_E_RUNTIME_ENV_EXISTS');
      expect((await envs.get('python-3')).definition.DESCRIPTION).toBe('Python 3 interpreter');
      expect(await codeOf(envs.get('NOPE'))).toBe('MIG_E_RUNTIME_ENV_NOT_FOUND');
      expect(await envs.missing(['python-3', 'nope', 'NOPE', 'localdisk', '../x'])).toEqual(['NOPE', '../X']);
      expect(await envs.missing([])).toEqual([]);
      expect([...(await envs.definitions(['localdisk', 'zzz'])).keys()]).toEqual(['LOCALDISK']);
    });

    it('refuses hostile names and bodies, and non-admin actors, storing nothing', async () => {
      const { db } = current();
      const { envs } = stores(db);
      const bad: unknown[] = [
        null, 'PYTHON', [], 42, {}, { RENAME: '' }, { RENAME: '../etc' }, { RENAME: '.hidden' }, { RENAME: 'a b' }, { RENAME: 'x'.repeat(256) },
        { RENAME: 'A\u0000B' }, { RENAME: 'OK', DESCRIPTION: '<script>alert(1)</script>' }, { RENAME: 'OK', EXTRA: 1 },
        { RENAME: 'OK', SOFTWARE: [{ name: 'x' }] }, { RENAME: 'OK', TESTPROCEDURE: '::VERIFYFILES::\na\n\n::VERIFYFILES::\nb\n' },
        { RENAME: 'OK', ENVIRONMENTVARIABLE: [{ name: 'A;rm -rf', example: '', description: '' }] },
        { RENAME: 'OK', __proto__: { polluted: true } }, { RENAME: 'OK', VERIFYSTDOUT: 'x'.repeat(20_000) },
      ];
      for (const body of bad) {
        const code = await codeOf(envs.add(body, OPERATOR));
        expect(['MIG_E_RUNTIME_ENV_INVALID', 'MIG_E_TOO_LARGE'], JSON.stringify(body)?.slice(0, 60)).toContain(code);
      }
      expect(await codeOf(envs.add({ RENAME: 'OK' }, { kind: 'user', userId: OWNER } as unknown as AdminPrincipal))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(envs.add({ RENAME: 'OK' }, { kind: 'admin', userId: '../../x' }))).toBe('MIG_E_INVALID_INPUT');
      for (const name of ['', '../etc', 'a/b', 'x'.repeat(300), '\u0000']) {
        expect(await codeOf(envs.get(name)), JSON.stringify(name)).toBe('MIG_E_INVALID_INPUT');
        expect(await codeOf(envs.remove(name)), JSON.stringify(name)).toBe('MIG_E_INVALID_INPUT');
      }
      expect(await codeOf(envs.missing('PYTHON' as unknown as string[]))).toBe('MIG_E_INVALID_INPUT');
      expect(await codeOf(envs.missing(Array.from({ length: 5000 }, (_, i) => `R${i}`)))).toBe('MIG_E_TOO_LARGE');
      expect(await db.selectFrom('runtime_envs').selectAll().execute()).toEqual([]);
    });

    it('refuses to remove one a resource provides, naming the resources, and removes it once they stop', async () => {
      const { db } = current();
      await insertUser(db, OWNER);
      const { envs, resources } = stores(db);
      await envs.add(PYTHON, OPERATOR);
      await envs.add({ RENAME: 'LOCALDISK' }, OPERATOR);
      const provide = [{ name: 'python-3', variables: [{ name: 'PYTHON', value: '/usr/bin/python3' }] }];
      await resources.add({ name: 'r1', ownerId: OWNER, config: configProviding('r1', provide) });
      await resources.add({ name: 'r2', ownerId: OWNER, config: configProviding('r2', [...provide, 'localdisk']) });
      const err = await envs.remove('python-3').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'MIG_E_RUNTIME_ENV_IN_USE', details: { resources: ['r1', 'r2'] } });
      expect((err as Error).message).toContain('"r1", "r2"');
      expect(await envs.providers('python-3')).toEqual(['r1', 'r2']);
      // Replacing keeps working while the variables still match, and is refused once they would not.
      expect((await envs.replace({ ...PYTHON, DESCRIPTION: 'CPython 3' }, OPERATOR)).definition.DESCRIPTION).toBe('CPython 3');
      expect(await codeOf(envs.replace({ ...PYTHON, ENVIRONMENTVARIABLE: [] }, OPERATOR))).toBe('MIG_E_RUNTIME_ENV_IN_USE');
      expect(await codeOf(envs.replace({ RENAME: 'GHOST' }, OPERATOR))).toBe('MIG_E_RUNTIME_ENV_NOT_FOUND');
      await resources.remove('r1');
      await resources.updateConfig('r2', configProviding('r2', ['localdisk']));
      await envs.remove('PYTHON-3');
      expect(await codeOf(envs.get('PYTHON-3'))).toBe('MIG_E_RUNTIME_ENV_NOT_FOUND');
      expect(await codeOf(envs.remove('PYTHON-3'))).toBe('MIG_E_RUNTIME_ENV_NOT_FOUND');
      expect(await codeOf(envs.remove('LOCALDISK'))).toBe('MIG_E_RUNTIME_ENV_IN_USE');
    });

    it('refuses a resource that provides an unknown runtime environment or gives the wrong variables', async () => {
      const { db } = current();
      await insertUser(db, OWNER);
      const { envs, resources } = stores(db);
      const invalid = async (call: Promise<unknown>): Promise<string> => {
        const e = await call.catch((x: unknown) => x);
        expect(e).toMatchObject({ code: 'MIG_E_RESOURCE_CONFIG_INVALID' });
        return (e as Error).message;
      };
      expect(await invalid(resources.add({ name: 'r1', ownerId: OWNER, config: configProviding('r1', ['PYTHON-3']) }))).toContain('PYTHON-3 does not exist');
      await envs.add(PYTHON, OPERATOR);
      expect(await invalid(resources.add({ name: 'r1', ownerId: OWNER, config: configProviding('r1', ['PYTHON-3']) }))).toContain('needs a value for PYTHON');
      await resources.add({ name: 'r1', ownerId: OWNER, config: configProviding('r1', [{ name: 'PYTHON-3', variables: [{ name: 'PYTHON', value: '/usr/bin/python3' }] }]) });
      expect(await invalid(resources.updateConfig('r1', configProviding('r1', ['NOSUCH'])))).toContain('NOSUCH does not exist');
      expect((await resources.get('r1')).config.RUNTIMEENVIRONMENT.map((p) => p.name)).toEqual(['PYTHON-3']);
      expect((await resources.list()).map((r) => r.id)).toEqual(['r1']);
    });

    it('refuses a job needing an unknown runtime environment at submit, naming it, and accepts it once published', async () => {
      const { db } = current();
      await insertUser(db, OWNER);
      const { envs, jobs } = stores(db);
      const job = parseMrsl('::EXECUTE::\npython3 --version\n\n::RUNTIMEENVIRONMENT::\npython-3\nlocaldisk\n');
      const err = await jobs.submit({ ownerId: OWNER, spec: job }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MrslError);
      expect(err).toMatchObject({ code: 'MIG_E_MRSL_INVALID' });
      expect((err as MrslError).problems.map((p) => p.keyword)).toEqual(['RUNTIMEENVIRONMENT', 'RUNTIMEENVIRONMENT']);
      expect((err as Error).message).toContain('PYTHON-3 does not exist');
      expect((err as Error).message).toContain('LOCALDISK does not exist');
      await envs.add(PYTHON, OPERATOR);
      expect((await jobs.submit({ ownerId: OWNER, spec: job }).catch((e: unknown) => e) as Error).message).not.toContain('PYTHON-3');
      await envs.add({ RENAME: 'LOCALDISK' }, OPERATOR);
      const accepted = await jobs.submit({ ownerId: OWNER, spec: job });
      expect(accepted.state).toBe('QUEUED');
      // A name that could never be a runtime environment is refused without being echoed.
      const hostile = await jobs.submit({ ownerId: OWNER, spec: parseMrsl('::EXECUTE::\ntrue\n\n::RUNTIMEENVIRONMENT::\n$(reboot) &&\n') }).catch((e: unknown) => e);
      expect(hostile).toMatchObject({ code: 'MIG_E_MRSL_INVALID' });
      expect((hostile as Error).message).not.toContain('reboot');
      // Jobs without runtime environments never ask, and no job was stored for the refused ones.
      expect((await jobs.submit({ ownerId: OWNER, spec: parseMrsl('::EXECUTE::\ntrue\n') })).state).toBe('QUEUED');
      expect(await db.selectFrom('jobs').select('id').execute()).toHaveLength(2);
    });
  });
});
