import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureSiteCertificates, verifyCertificateChain } from '../src/certs/index.js';
import { CertificateError, InvalidInputError } from '../src/errors.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-site-certs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('ensureSiteCertificates', () => {
  it('creates the CA and a host certificate for fqdn, localhost, 127.0.0.1 and ::1', async () => {
    const certDir = join(dir, 'state', 'certs');
    const certs = await ensureSiteCertificates(certDir, { fqdn: 'mig.example.org' });
    expect(certs).toEqual({
      caCertFile: join(certDir, 'ca.pem'),
      caKeyFile: join(certDir, 'ca.key'),
      hostCertFile: join(certDir, 'host.pem'),
      hostKeyFile: join(certDir, 'host.key'),
      createdCa: true,
      createdHost: true,
    });
    expect(await mode(certs.caKeyFile)).toBe(0o600);
    expect(await mode(certs.hostKeyFile)).toBe(0o600);
    expect(await mode(certs.caCertFile)).toBe(0o644);
    const caPem = await readFile(certs.caCertFile, 'utf8');
    const hostPem = await readFile(certs.hostCertFile, 'utf8');
    expect(verifyCertificateChain(caPem, hostPem).valid).toBe(true);
    const host = new X509Certificate(hostPem);
    expect(host.subjectAltName).toBe('DNS:mig.example.org, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(new X509Certificate(caPem).subject).toBe('CN=MiG site CA mig.example.org');
    // No temporary files or lock left behind.
    expect((await readdir(certDir)).sort()).toEqual(['ca.key', 'ca.pem', 'host.key', 'host.pem']);
  });

  it('keeps existing certificates', async () => {
    const first = await ensureSiteCertificates(dir, { fqdn: 'localhost' });
    const before = await Promise.all([first.caCertFile, first.caKeyFile, first.hostCertFile, first.hostKeyFile].map((f) => readFile(f, 'utf8')));
    const again = await ensureSiteCertificates(dir, { fqdn: 'other.example.org' });
    expect(again).toMatchObject({ createdCa: false, createdHost: false });
    const after = await Promise.all([again.caCertFile, again.caKeyFile, again.hostCertFile, again.hostKeyFile].map((f) => readFile(f, 'utf8')));
    expect(after).toEqual(before);
  });

  it('issues a new host certificate from the existing CA when the host pair is gone', async () => {
    const first = await ensureSiteCertificates(dir, { fqdn: 'localhost' });
    const caPem = await readFile(first.caCertFile, 'utf8');
    await unlink(first.hostCertFile);
    await unlink(first.hostKeyFile);
    const again = await ensureSiteCertificates(dir, { fqdn: 'localhost' });
    expect(again).toMatchObject({ createdCa: false, createdHost: true });
    expect(await readFile(again.caCertFile, 'utf8')).toBe(caPem);
    expect(verifyCertificateChain(caPem, await readFile(again.hostCertFile, 'utf8')).valid).toBe(true);
  });

  it('refuses a half pair instead of overwriting it', async () => {
    const first = await ensureSiteCertificates(dir, { fqdn: 'localhost' });
    await unlink(first.caKeyFile);
    const err = await ensureSiteCertificates(dir, { fqdn: 'localhost' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificateError);
    expect((err as CertificateError).code).toBe('MIG_E_CERTIFICATE_INVALID');
    expect((err as CertificateError).message).toContain('ca.key');
  });

  it('refuses a key that does not fit its certificate, and garbage files', async () => {
    const first = await ensureSiteCertificates(dir, { fqdn: 'localhost' });
    await writeFile(first.hostKeyFile, await readFile(first.caKeyFile, 'utf8'));
    await expect(ensureSiteCertificates(dir, { fqdn: 'localhost' })).rejects.toMatchObject({ code: 'MIG_E_CERTIFICATE_INVALID', message: expect.stringMatching(/not the key of/) });
    await writeFile(first.caCertFile, 'garbage');
    await expect(ensureSiteCertificates(dir, { fqdn: 'localhost' })).rejects.toMatchObject({ code: 'MIG_E_CERTIFICATE_INVALID' });
  });

  it('creates one CA when called concurrently', async () => {
    const results = await Promise.all([1, 2, 3].map(() => ensureSiteCertificates(dir, { fqdn: 'localhost' })));
    expect(results.filter((r) => r.createdCa)).toHaveLength(1);
    const caPem = await readFile(join(dir, 'ca.pem'), 'utf8');
    expect(verifyCertificateChain(caPem, await readFile(join(dir, 'host.pem'), 'utf8')).valid).toBe(true);
  });

  it('rejects bad arguments', async () => {
    await expect(ensureSiteCertificates('', { fqdn: 'localhost' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(ensureSiteCertificates('a\u0000b', { fqdn: 'localhost' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(ensureSiteCertificates(dir, { fqdn: 'bad host' })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(ensureSiteCertificates(dir, { fqdn: 'localhost', caValidDays: -1 })).rejects.toMatchObject({ code: 'MIG_E_INVALID_INPUT' });
  });

  it('reports a folder that cannot be created as MIG_E_CERTIFICATE', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await expect(ensureSiteCertificates(join(dir, 'file', 'certs'), { fqdn: 'localhost' })).rejects.toMatchObject({ code: 'MIG_E_CERTIFICATE' });
  });
});
