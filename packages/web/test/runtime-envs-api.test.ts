/**
 * The runtime environments API through the real app (`inject`): signed-in users read, admins
 * publish, replace and remove, anonymous callers and wrong token scopes are refused; bad bodies,
 * duplicates, unknown names and removal while provided are refused with their codes.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebApp } from '../src/app/create-web-app.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';

let t: TestSite;
let app: FastifyInstance;
let admin: Record<string, string>;
let adminNoScope: Record<string, string>;
let user: Record<string, string>;
let userOwnerId: string;

const PYTHON_TEXT = [
  '::RENAME::', 'python-3', '',
  '::DESCRIPTION::', 'Python 3', '',
  '::ENVIRONMENTVARIABLE::', 'name=PYTHON', 'example=/usr/bin/python3', 'description=The interpreter', '',
].join('\n');

beforeAll(async () => {
  t = await openTestSite();
  app = await createWebApp({ site: t.site });
  await app.ready();
  const adminRecord = await t.site.users.find(t.adminEmail);
  if (adminRecord === undefined) throw new Error('no admin');
  const bearer = async (id: string, scopes: Parameters<TestSite['site']['apiTokens']['create']>[1]['scopes']): Promise<Record<string, string>> =>
    ({ authorization: `Bearer ${(await t.site.apiTokens.create(id, { name: 'test', scopes })).token}` });
  admin = await bearer(adminRecord.id, ['admin', 'jobs:read']);
  adminNoScope = await bearer(adminRecord.id, ['jobs:read', 'jobs:write']);
  const alice = (await createTestUser(t.site)).user;
  userOwnerId = alice.id;
  user = await bearer(alice.id, ['jobs:read', 'jobs:write']);
}, 120_000);
afterAll(async () => {
  await app?.close();
  await t?.close();
});

describe('the runtime environments API', () => {
  it('lets admins publish (text or JSON) and every signed-in user read; refuses anonymous and non-admin writers', async () => {
    const anonymous = await app.inject({ url: '/api/v1/runtime-envs' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().code).toBe('MIG_E_NOT_SIGNED_IN');
    for (const headers of [user, adminNoScope, {}]) {
      const refused = await app.inject({ method: 'POST', url: '/api/v1/runtime-envs', headers, payload: { text: PYTHON_TEXT } });
      expect([401, 403], refused.body).toContain(refused.statusCode);
    }
    const fromText = await app.inject({ method: 'POST', url: '/api/v1/runtime-envs', headers: admin, payload: { text: PYTHON_TEXT } });
    expect(fromText.statusCode, fromText.body).toBe(201);
    expect(fromText.json()).toMatchObject({ name: 'PYTHON-3', description: 'Python 3', providers: [] });
    const fromJson = await app.inject({ method: 'POST', url: '/api/v1/runtime-envs', headers: admin, payload: { definition: { RENAME: 'localdisk' } } });
    expect(fromJson.statusCode, fromJson.body).toBe(201);
    const list = await app.inject({ url: '/api/v1/runtime-envs', headers: user });
    expect(list.statusCode).toBe(200);
    expect(list.json().runtimeEnvs.map((r: { name: string }) => r.name)).toEqual(['LOCALDISK', 'PYTHON-3']);
    const one = await app.inject({ url: '/api/v1/runtime-envs/python-3', headers: user });
    expect(one.statusCode).toBe(200);
    expect(one.json().text).toContain('::RENAME::\nPYTHON-3\n');
    expect(one.json().definition.ENVIRONMENTVARIABLE).toEqual([{ name: 'PYTHON', example: '/usr/bin/python3', description: 'The interpreter' }]);
    const audit = await t.site.audit.list({ limit: 20 });
    expect(audit.map((a) => a.action)).toContain('runtime-env.add');
  });

  it('refuses bad bodies, duplicates, unknown and hostile names with their codes', async () => {
    const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/runtime-envs', headers: admin, payload: payload as Record<string, unknown> });
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, 'MIG_E_INVALID_INPUT'],
      [{ text: PYTHON_TEXT, definition: { RENAME: 'X' } }, 400, 'MIG_E_INVALID_INPUT'],
      [{ text: '::RENAME::\n../../etc\n' }, 400, 'MIG_E_RUNTIME_ENV_INVALID'],
      [{ definition: { RENAME: 'OK', DESCRIPTION: '<img src=x onerror=alert(1)>' } }, 400, 'MIG_E_RUNTIME_ENV_INVALID'],
      [{ definition: { RENAME: 'OK', SOFTWARE: 'nope' } }, 400, 'MIG_E_RUNTIME_ENV_INVALID'],
      [{ text: PYTHON_TEXT }, 409, 'MIG_E_RUNTIME_ENV_EXISTS'],
      [{ extra: 1 }, 400, ''],
    ];
    for (const [payload, status, code] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      if (code !== '') expect(res.json().code).toBe(code);
      expect(res.body).not.toContain('<img');
    }
    for (const name of ['NOSUCH', '..%2F..%2Fetc', '%00', 'x'.repeat(300)]) {
      const res = await app.inject({ url: `/api/v1/runtime-envs/${name}`, headers: user });
      expect([400, 404], name).toContain(res.statusCode);
    }
    expect((await app.inject({ url: '/api/v1/runtime-envs/NOSUCH', headers: user })).json().code).toBe('MIG_E_RUNTIME_ENV_NOT_FOUND');
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/runtime-envs/NOSUCH', headers: admin })).json().code).toBe('MIG_E_RUNTIME_ENV_NOT_FOUND');
  });

  it('refuses jobs naming unknown ones, and removal while a resource provides one; admins replace and remove', async () => {
    const submit = (mrsl: string) => app.inject({ method: 'POST', url: '/api/v1/jobs', headers: user, payload: { mrsl } });
    const unknown = await submit('::EXECUTE::\ntrue\n\n::RUNTIMEENVIRONMENT::\nmatlab\n');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'MIG_E_MRSL_INVALID' });
    expect(unknown.json().message).toContain('MATLAB');
    expect((await submit('::EXECUTE::\ntrue\n\n::RUNTIMEENVIRONMENT::\npython-3\n')).statusCode).toBe(201);

    await t.site.resources.add({
      name: 'r1', ownerId: userOwnerId,
      config: { HOSTURL: 'r1', NODECOUNT: 1, CPUCOUNT: 1, MEMORY: 1024, DISK: 10, ARCHITECTURE: 'AMD64', EXECONFIG: [{ name: 'exe0' }], RUNTIMEENVIRONMENT: [{ name: 'PYTHON-3', variables: [{ name: 'PYTHON', value: '/usr/bin/python3' }] }] },
    });
    const del = (name: string, headers: Record<string, string>) => app.inject({ method: 'DELETE', url: `/api/v1/runtime-envs/${name}`, headers });
    expect((await del('python-3', user)).statusCode).toBe(403);
    const inUse = await del('python-3', admin);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json()).toMatchObject({ code: 'MIG_E_RUNTIME_ENV_IN_USE', details: { resources: ['r1'] } });
    expect((await app.inject({ url: '/api/v1/runtime-envs/PYTHON-3', headers: user })).json().providers).toEqual(['r1']);

    const put = (name: string, payload: unknown) => app.inject({ method: 'PUT', url: `/api/v1/runtime-envs/${name}`, headers: admin, payload: payload as Record<string, unknown> });
    const described = await put('python-3', { text: PYTHON_TEXT.replace('Python 3', 'CPython 3') });
    expect(described.statusCode, described.body).toBe(200);
    expect(described.json().description).toBe('CPython 3');
    expect((await put('python-3', { definition: { RENAME: 'python-3' } })).json().code).toBe('MIG_E_RUNTIME_ENV_IN_USE');
    expect((await put('python-3', { definition: { RENAME: 'LOCALDISK' } })).json().code).toBe('MIG_E_INVALID_INPUT');

    const removed = await del('localdisk', admin);
    expect(removed.statusCode, removed.body).toBe(200);
    expect((await app.inject({ url: '/api/v1/runtime-envs', headers: user })).json().runtimeEnvs.map((r: { name: string }) => r.name)).toEqual(['PYTHON-3']);
  });
});
