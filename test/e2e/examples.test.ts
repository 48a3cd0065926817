import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, runMig, runTs, spawnTs } from '../support/run-mig.js';
import { runSftp } from './sftp-client.js';

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

describe('examples/embed-sftp.ts', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mig-example-sftp-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves SFTP from its own user store, and OpenSSH sftp logs in, uploads and lists', async () => {
    const password = 'Embedded-Passw0rd-42';
    const child = spawnTs(join(REPO_ROOT, 'examples', 'embed-sftp.ts'), ['--dir', join(dir, 'state'), '--port', '0'], { cwd: dir, env: { EMBED_SFTP_PASSWORD: password } });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const first = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          const nl = out.indexOf('\n');
          if (nl >= 0) resolve(out.slice(0, nl));
        });
        child.once('exit', () => reject(new Error(`example exited early: ${stderr}`)));
      });
      const { port, login } = JSON.parse(first) as { port: number; login: string };
      await writeFile(join(dir, 'hello.txt'), 'hello embedded\n');
      const r = await runSftp(port, { login, password }, ['put hello.txt', 'ls -l', 'get hello.txt back.txt'], dir);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/hello\.txt/);
      expect(await readFile(join(dir, 'state', 'homes', 'u1', 'hello.txt'), 'utf8')).toBe('hello embedded\n');
      expect(await readFile(join(dir, 'back.txt'), 'utf8')).toBe('hello embedded\n');
      const wrong = await runSftp(port, { login, password: 'Not-The-Passw0rd-1' }, ['ls'], dir);
      expect(wrong.code).not.toBe(0);
      expect(await readFile(join(dir, 'state', 'auth.log'), 'utf8')).toMatch(/auth failure protocol=sftp method=password user="ada"/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });
});
