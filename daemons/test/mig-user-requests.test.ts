import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMig } from '../../test/support/run-mig.js';
import { openTestSite, type TestSite } from '../../test/support/test-site.js';

let t: TestSite;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await openTestSite();
  for (const [name, email] of [['ann', 'ann@example.org'], ['bob', 'bob@example.org']] as const) {
    const r = await t.site.signups.submit({ fullName: `${name} Person`, email, organization: 'Test Org', country: 'DK', password: 'Signup-Pass-7x!Q', acceptedTerms: true });
    ids[name] = r.id;
  }
  // The CLI opens the site itself: release this process's hold first (SQLite allows both, but keep it simple).
  await t.site.close();
});
afterAll(async () => {
  await t.close();
});

describe('mig user requests|accept|reject', () => {
  it('lists pending requests, accepts one (the person is emailed) and rejects the other with a reason', async () => {
    const env = { MIG_CONF: t.configPath };
    const list = await runMig(['user', 'requests'], { cwd: t.dir, env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(ids.ann);
    expect(list.stdout).toContain('bob@example.org');

    const accept = await runMig(['user', 'accept', ids.ann!, '--json'], { cwd: t.dir, env });
    expect(accept.code, accept.stderr).toBe(0);
    expect(JSON.parse(accept.stdout)).toMatchObject({ email: 'ann@example.org', status: 'active' });

    const reject = await runMig(['user', 'reject', ids.bob!, '--reason', 'not a member'], { cwd: t.dir, env });
    expect(reject.code, reject.stderr).toBe(0);
    expect(reject.stdout).toContain('bob@example.org');

    const again = await runMig(['user', 'accept', ids.bob!], { cwd: t.dir, env });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('MIG_E_SIGNUP_NOT_PENDING');

    const rejected = await runMig(['user', 'requests', '--status', 'rejected', '--json'], { cwd: t.dir, env });
    expect(JSON.parse(rejected.stdout)).toEqual([expect.objectContaining({ email: 'bob@example.org', reason: 'not a member' })]);
    expect((await runMig(['user', 'requests'], { cwd: t.dir, env })).stdout).toContain('No pending sign-up requests.');

    const mails = (await readFile(t.site.paths.mailLog, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { topic: string; to: string[]; text: string });
    expect(mails.find((m) => m.topic === 'signup.accepted')?.to).toEqual(['ann@example.org']);
    expect(mails.find((m) => m.topic === 'signup.rejected')?.text).toContain('not a member');
  }, 120_000);
});
