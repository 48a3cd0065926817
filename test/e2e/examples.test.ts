import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, runMig, runTs } from '../support/run-mig.js';

const EXAMPLE = join(REPO_ROOT, 'examples', 'createuser.ts');

describe('examples/createuser.ts', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mig-example-'));
    expect((await runMig(['init'], { cwd: dir })).code).toBe(0);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a user through the public API that mig user list then shows', async () => {
    const r = await runTs(EXAMPLE, ['--email', 'Ada@Example.org', '--name', 'ada lovelace', '--organization', 'Analytical Engines', '--country', 'gb'], {
      cwd: dir,
      env: { MIG_PASSWORD: 'Difference-Engine-1' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const created = JSON.parse(r.stdout.trim().split('\n')[0] as string) as { id: string; email: string; dn: string; status: string };
    expect(created.email).toBe('ada@example.org');
    expect(created.dn).toBe('/C=GB/ST=NA/L=NA/O=Analytical Engines/OU=NA/CN=Ada Lovelace/emailAddress=ada@example.org');
    const list = await runMig(['user', 'list', '--json'], { cwd: dir });
    const users = JSON.parse(list.stdout) as { id: string; email: string }[];
    expect(users.find((u) => u.email === 'ada@example.org')?.id).toBe(created.id);
  });

  it('reports bad input with the stable code and creates nothing', async () => {
    const r = await runTs(EXAMPLE, ['--email', '<script>@x', '--name', 'Bad Input', '--organization', 'X', '--country', 'DK'], { cwd: dir, env: { MIG_PASSWORD: 'Difference-Engine-1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^MIG_E_INVALID_INPUT: /);
    expect(r.stderr).not.toContain('<script>');
    const list = await runMig(['user', 'list', '--json'], { cwd: dir });
    expect(JSON.parse(list.stdout)).toHaveLength(1);
  });
});
