import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initSite } from '@migrid/core';
import { runMig } from '../../test/support/run-mig.js';

const run = promisify(execFile);

let dir: string;
let caCertPath: string;
let adminEmail: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-cert-'));
  const made = await initSite({ dir, fqdn: 'localhost' });
  caCertPath = made.caCertPath;
  adminEmail = made.adminEmail;
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/;

describe('mig cert issue', () => {
  it('prints a certificate of the site CA for the user, and its key', async () => {
    const res = await runMig(['cert', 'issue', adminEmail], { cwd: dir });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const certPem = PEM_CERT.exec(res.stdout)?.[0] ?? '';
    expect(res.stdout).toContain('-----BEGIN PRIVATE KEY-----');
    const certFile = join(dir, 'printed.pem');
    await writeFile(certFile, certPem);
    const verified = await run('openssl', ['verify', '-CAfile', caCertPath, certFile]);
    expect(verified.stdout).toContain(': OK');
    const cert = new X509Certificate(certPem);
    expect(cert.subject).toContain(`emailAddress=${adminEmail}`);
    expect(cert.keyUsage ?? []).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
  });

  it('writes a PEM file with mode 0600 and the asked validity', async () => {
    const res = await runMig(['cert', 'issue', adminEmail, '--days', '10', '--out', 'me.pem'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Issued a certificate for \/C=.*valid 10 days/);
    const file = join(dir, 'me.pem');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(await readFile(file, 'utf8'));
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(9);
    expect(days).toBeLessThanOrEqual(10.01);
    const verified = await run('openssl', ['verify', '-CAfile', caCertPath, file]);
    expect(verified.stdout).toContain(': OK');
  });

  it('writes a PKCS#12 bundle protected by the password from standard input', async () => {
    const res = await runMig(['cert', 'issue', adminEmail, '--p12', '--password-stdin', '--out', 'me.p12'], { cwd: dir, stdin: 'p12-secret-words\n' });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const file = join(dir, 'me.p12');
    const { stdout } = await run('openssl', ['pkcs12', '-in', file, '-passin', 'pass:p12-secret-words', '-nodes']);
    expect(stdout).toContain('BEGIN PRIVATE KEY');
    expect(stdout).toContain(adminEmail);
    await expect(run('openssl', ['pkcs12', '-in', file, '-passin', 'pass:wrong', '-nodes'])).rejects.toThrow();
  });

  it('refuses an unknown user, a bad --days and --p12 without a file or password', async () => {
    const unknown = await runMig(['cert', 'issue', 'nobody@example.org'], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('MIG_E_USER_NOT_FOUND');
    const badDays = await runMig(['cert', 'issue', adminEmail, '--days', '0'], { cwd: dir });
    expect(badDays.code).toBe(1);
    expect(badDays.stderr).toContain('--days must be a whole number');
    const p12 = await runMig(['cert', 'issue', adminEmail, '--p12'], { cwd: dir });
    expect(p12.code).toBe(1);
    expect(p12.stderr).toContain('give --out FILE and --password-stdin');
    expect(p12.stdout).not.toContain('PRIVATE KEY');
  });
});
