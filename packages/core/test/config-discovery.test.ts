import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findConfigFile } from '../src/config/index.js';
import { ConfigError, InvalidInputError } from '../src/errors.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-config-discovery-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, '[site]\n');
  return path;
}

describe('findConfigFile', () => {
  it('prefers --config over MIG_CONF over ./mig.toml', async () => {
    const flag = await file('flag.toml');
    const env = await file('env.toml');
    const cwdFile = await file('mig.toml');
    expect(await findConfigFile({ explicitPath: flag, env: { MIG_CONF: env }, cwd: dir })).toBe(flag);
    expect(await findConfigFile({ env: { MIG_CONF: env }, cwd: dir })).toBe(env);
    expect(await findConfigFile({ env: {}, cwd: dir })).toBe(cwdFile);
  });

  it('resolves relative --config and MIG_CONF paths against cwd', async () => {
    await mkdir(join(dir, 'etc'));
    await writeFile(join(dir, 'etc', 'site.toml'), '');
    expect(await findConfigFile({ explicitPath: 'etc/site.toml', env: {}, cwd: dir })).toBe(join(dir, 'etc', 'site.toml'));
    expect(await findConfigFile({ env: { MIG_CONF: 'etc/site.toml' }, cwd: dir })).toBe(join(dir, 'etc', 'site.toml'));
  });

  it('treats an empty flag or variable as not given', async () => {
    const cwdFile = await file('mig.toml');
    expect(await findConfigFile({ explicitPath: '', env: { MIG_CONF: '' }, cwd: dir })).toBe(cwdFile);
  });

  it('does not fall back when the given --config file is missing', async () => {
    await file('mig.toml');
    const err = await findConfigFile({ explicitPath: join(dir, 'nope.toml'), env: {}, cwd: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('MIG_E_CONFIG_NOT_FOUND');
    expect((err as ConfigError).message).toContain('nope.toml');
  });

  it('does not fall back when MIG_CONF names a missing file', async () => {
    await file('mig.toml');
    await expect(findConfigFile({ env: { MIG_CONF: join(dir, 'gone.toml') }, cwd: dir }))
      .rejects.toMatchObject({ code: 'MIG_E_CONFIG_NOT_FOUND' });
  });

  it('reports every place tried and suggests mig init when nothing is found', async () => {
    const err = await findConfigFile({ env: {}, cwd: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const { message, code } = err as ConfigError;
    expect(code).toBe('MIG_E_CONFIG_NOT_FOUND');
    expect(message).toContain('--config');
    expect(message).toContain('MIG_CONF');
    expect(message).toContain(join(dir, 'mig.toml'));
    expect(message).toContain('mig init');
  });

  it('refuses a folder where a file is expected', async () => {
    await mkdir(join(dir, 'mig.toml'));
    await expect(findConfigFile({ env: {}, cwd: dir })).rejects.toMatchObject({ code: 'MIG_E_CONFIG_NOT_FOUND' });
  });

  it('rejects paths with NUL bytes or of absurd length', async () => {
    await expect(findConfigFile({ explicitPath: 'a\u0000b', cwd: dir })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(findConfigFile({ env: { MIG_CONF: 'x'.repeat(5000) }, cwd: dir })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
