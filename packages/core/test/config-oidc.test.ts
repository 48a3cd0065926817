import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfig, configTemplate, parseConfig } from '../src/config/index.js';
import type { ConfigProblem } from '../src/config/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-config-oidc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const check = (text: string): Promise<ConfigProblem[]> => checkConfig({ text, baseDir: dir });
const paths = async (text: string): Promise<string[]> => (await check(text)).map((p) => p.path);

const ENABLED = '[oidc]\nenabled = true\nissuer = "https://idp.example.org/realms/mig"\nclient_id = "mig"\n';

describe('[oidc] config', () => {
  it('is off by default, with MiG-like defaults', () => {
    const { oidc } = parseConfig('', { baseDir: dir, checkFileSystem: false });
    expect(oidc).toMatchObject({
      enabled: false, issuer: undefined, client_id: undefined, client_secret: undefined, redirect_path: '/login/oidc/callback',
      scopes: ['openid', 'email', 'profile'], display_name: 'OpenID Connect', auto_create: 'none', user_permit: [],
      claim_full_name: 'name', claim_email: 'email', claim_organization: undefined, default_organization: undefined, default_country: undefined,
    });
  });

  it('resolves an enabled section: openid always asked for, country upper-cased', async () => {
    const text = `${ENABLED}scopes = ["email"]\nauto_create = "direct"\ndefault_organization = "UCPH"\ndefault_country = "dk"\nuser_permit = ["email:.*@ku\\\\.dk$"]\n`;
    expect(await check(text)).toEqual([]);
    const { oidc } = parseConfig(text, { baseDir: dir, checkFileSystem: false });
    expect(oidc.scopes).toEqual(['openid', 'email']);
    expect(oidc.default_country).toBe('DK');
    expect(oidc.user_permit).toEqual(['email:.*@ku\\.dk$']);
  });

  it('needs issuer and client_id when enabled', async () => {
    const problems = await check('[oidc]\nenabled = true\n');
    expect(problems.map((p) => p.path).sort()).toEqual(['oidc.client_id', 'oidc.issuer']);
    for (const p of problems) {
      expect(p.message).toContain('is missing while oidc.enabled is true');
      expect(p.hint).toContain('enabled = false');
    }
    expect(await check('[oidc]\nenabled = false\n')).toEqual([]);
  });

  it('needs the DN fields claims cannot give when accounts are created', async () => {
    expect((await paths(`${ENABLED}auto_create = "request"\n`)).sort()).toEqual(['oidc.default_country', 'oidc.default_organization']);
    expect(await paths(`${ENABLED}auto_create = "none"\n`)).toEqual([]);
  });

  it('accepts https issuers, and http only on this host', async () => {
    expect(await paths('[oidc]\nissuer = "http://127.0.0.1:9000"\n')).toEqual([]);
    expect(await paths('[oidc]\nissuer = "http://localhost:9000/realms/x"\n')).toEqual([]);
    const problems = await check('[oidc]\nissuer = "http://idp.example.org"\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'oidc.issuer', message: expect.stringContaining('must use https://') });
    expect(await paths('[oidc]\nissuer = "ftp://idp.example.org"\n')).toEqual(['oidc.issuer']);
    expect(await paths('[oidc]\nissuer = "https://idp.example.org/?x=1"\n')).toEqual(['oidc.issuer']);
  });

  it('reports a bad auto_create with the closest value', async () => {
    const problems = await check('[oidc]\nauto_create = "drect"\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'oidc.auto_create', message: 'must be one of none, request, direct' });
    expect(problems[0]?.hint).toContain('did you mean "direct"');
  });

  it('reports user_permit filters that are not "claim:regex" or whose regex is broken', async () => {
    const problems = await check('[oidc]\nuser_permit = ["email:.*@ok\\\\.org$", "no-colon", "email:(unclosed", ":.*"]\n');
    expect(problems.map((p) => p.path)).toEqual(['oidc.user_permit.1', 'oidc.user_permit.2', 'oidc.user_permit.3']);
    expect(problems[0]?.message).toContain('claim:regex');
  });

  it('reports bad paths, scopes, countries and unknown keys', async () => {
    expect(await paths('[oidc]\nredirect_path = "https://evil.example/cb"\n')).toEqual(['oidc.redirect_path']);
    expect(await paths('[oidc]\nredirect_path = "/login/../admin"\n')).toEqual(['oidc.redirect_path']);
    expect(await paths('[oidc]\nscopes = ["openid email"]\n')).toEqual(['oidc.scopes.0']);
    expect(await paths('[oidc]\nscopes = []\n')).toEqual(['oidc.scopes']);
    expect(await paths('[oidc]\ndefault_country = "DNK"\n')).toEqual(['oidc.default_country']);
    const unknown = await check('[oidc]\nclient-id = "x"\n');
    expect(unknown[0]).toMatchObject({ path: 'oidc.client-id', message: 'unknown key "client-id" in [oidc]' });
    expect(unknown[0]?.hint).toContain('did you mean "client_id"');
  });

  it('never echoes the client secret in a problem', async () => {
    const problems = await check('[oidc]\nclient_secret = "hunter2\\u0001"\n');
    expect(problems.map((p) => p.path)).toEqual(['oidc.client_secret']);
    expect(JSON.stringify(problems)).not.toContain('hunter2');
  });

  it('is documented in the template, which parses to the defaults', () => {
    const text = configTemplate();
    expect(text).toContain('[oidc]');
    expect(text).toContain('# auto_create = "none"');
    expect(text).toContain('# scopes = ["openid", "email", "profile"]');
    expect(parseConfig(text, { baseDir: dir, checkFileSystem: false }).oidc).toEqual(parseConfig('', { baseDir: dir, checkFileSystem: false }).oidc);
  });
});
