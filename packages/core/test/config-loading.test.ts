import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkConfig, configTemplate, defaultConfig, loadConfig, parseConfig,
} from '../src/config/index.js';
import { SECTION_DEFAULTS } from '../src/config/parse-config.js';
import { SECTION_NAMES, sectionKeys } from '../src/config/config-schema.js';
import type { SectionName } from '../src/config/config-schema.js';
import { ConfigError, InvalidInputError } from '../src/errors.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-config-loading-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('defaults', () => {
  it('make a working single-host site', () => {
    const config = defaultConfig('/srv/mig');
    expect(config.site).toMatchObject({ title: 'MiG', short_title: 'MiG', fqdn: 'localhost', state_dir: '/srv/mig/state', cert_dir: '/srv/mig/state/certs', login_alias: 'email' });
    expect(config.site.admin_email).toBeUndefined();
    expect(config.database).toEqual({ url: undefined, sqlite_file: '/srv/mig/state/mig.db', pool_size: 10 });
    expect(config.logging).toEqual({ level: 'info', dir: '/srv/mig/state/log', auth_log: 'auth.log', audit_log: 'audit.log' });
    expect(config.accounts).toMatchObject({ valid_days: 365, renew_days: 365, password_policy: 'MEDIUM', signup_enabled: true, auto_accept: false });
    expect(config.security).toEqual({ totp_issuer: 'MiG', api_token_max_days: 365, ssh_key_min_rsa_bits: 2048, csrf_protection: 'FULL' });
    expect(config.defender).toEqual({ enabled: true, window_seconds: 120, max_user_failures: 5, max_address_failures: 25, ban_seconds: 300, ban_growth: 2, max_ban_seconds: 86400, allow_list: [] });
    expect(config.files.hidden_names).toEqual(expect.arrayContaining(['.htaccess', '.vgridscm', '.vgridtracker', '.vgridwiki', '.vgridforum']));
    expect(config.files).toMatchObject({ symlinks: 'deny', max_name_bytes: 255, max_path_bytes: 4096 });
    expect(config.quota).toEqual({ user_limit_bytes: 0, vgrid_limit_bytes: 0 });
    expect(config.scheduler).toEqual({ enabled: true, algorithm: 'FairFit', expire_after_seconds: 31536000, job_retries: 2, socket_file: '/srv/mig/state/grid_script.sock' });
    expect(config.web).toEqual({ enabled: true, host: '127.0.0.1', port: 8443, cert_file: '/srv/mig/state/certs/host.pem', key_file: '/srv/mig/state/certs/host.key', base_url: 'https://localhost:8443' });
    expect(config.sftp).toMatchObject({ enabled: true, host: '127.0.0.1', port: 2222, max_sessions_per_user: 16 });
    expect(config.ftps).toMatchObject({ enabled: true, host: '127.0.0.1', port: 8021, passive_ports: '30000-30100', passive_port_range: { first: 30000, last: 30100 }, allow_plain: false });
    expect(config.webdavs).toEqual({ enabled: true, host: '127.0.0.1', port: 4443, max_sessions_per_user: 64, idle_timeout_seconds: 600, cert_file: '/srv/mig/state/certs/host.pem', key_file: '/srv/mig/state/certs/host.key' });
    expect(config.monitor).toEqual({ enabled: true, interval_seconds: 60 });
    expect(config.notify).toEqual({ smtp_url: undefined, sender: 'MiG <noreply@localhost>' });
  });

  it('derive dependent values from the keys they depend on', () => {
    const config = parseConfig([
      '[site]', 'title = "Science Data"', 'short_title = "SciData"', 'fqdn = "data.example.org"', 'admin_email = "admin@example.org"',
      '[web]', 'host = "0.0.0.0"',
      '[sftp]', 'host = "10.0.0.5"',
    ].join('\n'), { baseDir: dir });
    expect(config.security.totp_issuer).toBe('SciData');
    expect(config.site.support_email).toBe('admin@example.org');
    expect(config.notify.sender).toBe('SciData <noreply@data.example.org>');
    expect(config.sftp.host).toBe('10.0.0.5');
    expect(config.ftps.host).toBe('0.0.0.0');
    expect(config.webdavs.host).toBe('0.0.0.0');
  });

  it('are frozen all the way down', () => {
    const config = defaultConfig(dir);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.sftp)).toBe(true);
    expect(Object.isFrozen(config.files.hidden_names)).toBe(true);
    expect(() => { (config.sftp as { port: number }).port = 1; }).toThrow(TypeError);
  });

  it('normalise the password policy spelling', () => {
    const config = parseConfig('[accounts]\npassword_policy = "custom:12:3"\npassword_legacy_policy = "weak"\n', { baseDir: dir });
    expect(config.accounts.password_policy).toBe('CUSTOM:12:3');
    expect(config.accounts.password_legacy_policy).toBe('WEAK');
  });

  it('derive the public web URL from fqdn and port, unless base_url says otherwise', () => {
    expect(parseConfig('[site]\nfqdn = "mig.example.org"\n[web]\nport = 443\n', { baseDir: dir }).web.base_url).toBe('https://mig.example.org');
    expect(parseConfig('[site]\nfqdn = "mig.example.org"\n', { baseDir: dir }).web.base_url).toBe('https://mig.example.org:8443');
    expect(parseConfig('[web]\nbase_url = "https://data.example.org/"\n', { baseDir: dir }).web.base_url).toBe('https://data.example.org');
    expect(() => parseConfig('[web]\nbase_url = "http://data.example.org"\n', { baseDir: dir })).toThrow(/web\.base_url/);
  });

  it('accept a PostgreSQL URL', () => {
    const config = parseConfig('[database]\nurl = "postgresql://mig:pw@db.example.org:5432/mig"\npool_size = 20\n', { baseDir: dir });
    expect(config.database.url).toBe('postgresql://mig:pw@db.example.org:5432/mig');
    expect(config.database.pool_size).toBe(20);
  });
});

describe('relative paths', () => {
  it('are resolved against the config file folder, absolute ones kept', async () => {
    const path = join(dir, 'mig.toml');
    await writeFile(path, [
      '[site]', 'state_dir = "data"', 'cert_dir = "/etc/mig/certs"',
      '[database]', 'sqlite_file = "../db/site.db"',
      '[logging]', 'dir = "logs"',
      '[web]', 'cert_file = "tls/cert.pem"', 'key_file = "tls/key.pem"',
    ].join('\n'));
    const config = await loadConfig(path);
    expect(config.config_file).toBe(path);
    expect(config.base_dir).toBe(dir);
    expect(config.site.state_dir).toBe(join(dir, 'data'));
    expect(config.site.cert_dir).toBe('/etc/mig/certs');
    expect(config.database.sqlite_file).toBe(join(dir, '..', 'db', 'site.db'));
    expect(config.logging.dir).toBe(join(dir, 'logs'));
    expect(config.web.cert_file).toBe(join(dir, 'tls', 'cert.pem'));
    expect(config.web.key_file).toBe(join(dir, 'tls', 'key.pem'));
  });

  it('derived defaults follow a relative state_dir', () => {
    const config = parseConfig('[site]\nstate_dir = "var/mig"\n', { baseDir: '/opt/site' });
    expect(config.database.sqlite_file).toBe('/opt/site/var/mig/mig.db');
    expect(config.logging.dir).toBe('/opt/site/var/mig/log');
    expect(config.web.cert_file).toBe('/opt/site/var/mig/certs/host.pem');
  });
});

describe('the template', () => {
  it('parses to the defaults', () => {
    expect(parseConfig(configTemplate(), { baseDir: dir })).toEqual(defaultConfig(dir));
  });

  it('parses to the defaults with the init options filled in', () => {
    const text = configTemplate({ stateDir: '/var/lib/mig', fqdn: 'mig.example.org', adminEmail: 'admin@example.org', databaseUrl: 'postgres://mig:secret@db:5432/mig' });
    const config = parseConfig(text, { baseDir: dir, checkFileSystem: false });
    const defaults = parseConfig('[site]\nstate_dir = "/var/lib/mig"\nfqdn = "mig.example.org"\nadmin_email = "admin@example.org"\n[database]\nurl = "postgres://mig:secret@db:5432/mig"\n', { baseDir: dir, checkFileSystem: false });
    expect(config).toEqual(defaults);
    expect(config.site.state_dir).toBe('/var/lib/mig');
    expect(config.database.url).toBe('postgres://mig:secret@db:5432/mig');
  });

  it('lists every section and key with a comment', () => {
    const text = configTemplate();
    const lines = text.split('\n');
    for (const section of SECTION_NAMES) {
      const start = lines.indexOf(`[${section}]`);
      expect(start, `[${section}]`).toBeGreaterThan(0);
      expect(lines[start - 1]).toMatch(/^# \S/);
      const next = lines.findIndex((l, i) => i > start && l.startsWith('['));
      const body = lines.slice(start + 1, next === -1 ? undefined : next);
      for (const key of sectionKeys(section)) {
        const at = body.findIndex((l) => new RegExp(`^(# )?${key} = `).test(l));
        expect(at, `${section}.${key}`).toBeGreaterThan(0);
        expect(body[at - 1], `comment of ${section}.${key}`).toMatch(/^# [A-Z]/);
      }
    }
  });

  it('shows the true defaults: uncommenting them changes nothing', () => {
    let section: SectionName | undefined;
    const uncommented = configTemplate().split('\n').map((line) => {
      const header = /^\[(\w+)\]$/.exec(line);
      if (header !== null) section = header[1] as SectionName;
      const keyLine = /^# (\w+) = (.*)$/.exec(line);
      if (keyLine === null || section === undefined) return line;
      const fixed = (SECTION_DEFAULTS[section] as Record<string, unknown>)[keyLine[1] ?? ''];
      return fixed === undefined ? line : line.slice(2);
    }).join('\n');
    expect(uncommented).not.toBe(configTemplate());
    expect(parseConfig(uncommented, { baseDir: dir })).toEqual(defaultConfig(dir));
  });

  it('rejects malformed init options', () => {
    expect(() => configTemplate({ fqdn: 'bad host!' })).toThrow(InvalidInputError);
    expect(() => configTemplate({ adminEmail: 'not-an-email' })).toThrow(InvalidInputError);
    expect(() => configTemplate({ databaseUrl: 'mysql://x@y/z' })).toThrow(InvalidInputError);
  });

  it('escapes values so they cannot inject TOML', () => {
    const odd = 'odd "dir" \\ [web] port = 1 ünïcode';
    const config = parseConfig(configTemplate({ stateDir: odd }), { baseDir: dir, checkFileSystem: false });
    expect(config.site.state_dir).toBe(join(dir, odd));
    expect(config.web.port).toBe(8443);
    // Line breaks are control characters and refused outright.
    expect(() => configTemplate({ stateDir: 'state"\n[web]\nport = 1' })).toThrow(InvalidInputError);
  });
});

describe('hostile input', () => {
  it('10 MiB of binary garbage gives a clean ConfigError', async () => {
    const path = join(dir, 'mig.toml');
    const garbage = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < garbage.length; i += 1) garbage[i] = (i * 7919 + 13) % 256;
    await writeFile(path, garbage);
    const err = await loadConfig(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('MIG_E_CONFIG_INVALID');
    expect((err as ConfigError).message).toMatch(/larger than/);
  });

  it('NUL bytes give a clean ConfigError, from a file and from text', async () => {
    const path = join(dir, 'mig.toml');
    await writeFile(path, '[site]\ntitle = "a\u0000b"\n');
    await expect(loadConfig(path)).rejects.toMatchObject({ code: 'MIG_E_CONFIG_INVALID', message: expect.stringMatching(/NUL/) });
    expect(() => parseConfig('[site]\u0000', { baseDir: dir })).toThrow(ConfigError);
  });

  it('invalid UTF-8 is reported as such', async () => {
    const path = join(dir, 'mig.toml');
    await writeFile(path, Buffer.from([0x5b, 0x73, 0x69, 0x74, 0x65, 0x5d, 0x0a, 0xff, 0xfe, 0x0a]));
    const problems = await checkConfig(path);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/UTF-8/);
  });

  it('deeply nested or oversized text is refused without crashing', () => {
    expect(() => parseConfig(`a = ${'['.repeat(100_000)}`, { baseDir: dir })).toThrow(ConfigError);
    expect(() => parseConfig('#'.repeat(2 * 1024 * 1024), { baseDir: dir })).toThrow(ConfigError);
    expect(() => parseConfig(`${'a.'.repeat(50_000)}b = 1`, { baseDir: dir })).toThrow(ConfigError);
  });

  it('prototype-polluting keys are just unknown keys', () => {
    const err = (() => {
      try {
        parseConfig('[site]\n__proto__ = 1\n["constructor"]\nx = 1\n', { baseDir: dir });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('a missing file is MIG_E_CONFIG_NOT_FOUND, a folder too', async () => {
    await expect(loadConfig(join(dir, 'missing.toml'))).rejects.toMatchObject({ code: 'MIG_E_CONFIG_NOT_FOUND' });
    await expect(loadConfig(dir)).rejects.toMatchObject({ code: 'MIG_E_CONFIG_NOT_FOUND' });
  });

  it('bad arguments are InvalidInputError', async () => {
    await expect(loadConfig('')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(loadConfig('a\u0000b')).rejects.toBeInstanceOf(InvalidInputError);
    expect(() => parseConfig('', { baseDir: '' })).toThrow(InvalidInputError);
    expect(() => parseConfig(42 as unknown as string, { baseDir: dir })).toThrow(ConfigError);
  });

  it('a UTF-8 byte order mark is accepted', async () => {
    const path = join(dir, 'mig.toml');
    await writeFile(path, '\ufeff[site]\ntitle = "BOM"\n');
    expect((await loadConfig(path)).site.title).toBe('BOM');
  });
});
