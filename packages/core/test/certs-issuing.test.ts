import { execFileSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCertificateAuthority, issueHostCertificate, issueUserCertificate, verifyCertificateChain,
} from '../src/certs/index.js';
import type { CertificateAndKey } from '../src/certs/index.js';
import { MigError } from '../src/errors.js';

let ca: CertificateAndKey;
let otherCa: CertificateAndKey;
let host: CertificateAndKey;
let scratch: string;
const DAY = 24 * 60 * 60 * 1000;

function openssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const hasOpenssl = openssl();

function opensslText(pem: string): string {
  const file = join(scratch, `c${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(file, pem);
  return execFileSync('openssl', ['x509', '-noout', '-text', '-nameopt', 'utf8', '-in', file], { encoding: 'utf8' });
}

async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<MigError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    expect(err).toBeInstanceOf(MigError);
    return err as MigError;
  }
  throw new Error('expected a MigError');
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'mig-certs-issuing-'));
  [ca, otherCa] = await Promise.all([
    createCertificateAuthority({ commonName: 'MiG test CA', validDays: 365 }),
    createCertificateAuthority({ commonName: 'Other CA', validDays: 365 }),
  ]);
  host = await issueHostCertificate(ca, { hostnames: ['mig.example.org', 'localhost'], ipAddresses: ['127.0.0.1', '::1'], validDays: 30 });
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('createCertificateAuthority', () => {
  it('makes a 3072-bit self-signed CA with the CA extensions', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=MiG test CA');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(364 * DAY);
    expect(cert.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
  });

  it.skipIf(!hasOpenssl)('has basicConstraints, keyUsage, subjectKeyIdentifier and SHA-256 (openssl)', () => {
    const text = opensslText(ca.certPem);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toMatch(/Subject Key Identifier/);
    expect(text).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
  });

  it('gives each CA a different serial', async () => {
    expect(new X509Certificate(ca.certPem).serialNumber).not.toBe(new X509Certificate(otherCa.certPem).serialNumber);
  });

  it('rejects bad options with stable codes', async () => {
    expect((await rejection(createCertificateAuthority({ commonName: 'x', validDays: -1 }))).code).toBe('MIG_E_INVALID_INPUT');
    expect((await rejection(createCertificateAuthority({ commonName: 'x', validDays: 1.5 }))).code).toBe('MIG_E_INVALID_INPUT');
    expect((await rejection(createCertificateAuthority({ commonName: '', validDays: 10 }))).code).toBe('MIG_E_INVALID_INPUT');
    expect((await rejection(createCertificateAuthority({ commonName: 'x'.repeat(65), validDays: 10 }))).code).toBe('MIG_E_INVALID_INPUT');
    expect((await rejection(createCertificateAuthority({ commonName: 'a\nb', validDays: 10 }))).code).toBe('MIG_E_INVALID_INPUT');
  });
});

describe('issueHostCertificate', () => {
  it('carries the names, serverAuth and the CA key identifier', () => {
    const cert = new X509Certificate(host.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe('CN=mig.example.org');
    expect(cert.subjectAltName).toBe('DNS:mig.example.org, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkIP('10.0.0.1')).toBeUndefined();
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it.skipIf(!hasOpenssl)('has serverAuth, SAN and authorityKeyIdentifier = CA subjectKeyIdentifier (openssl)', () => {
    const text = opensslText(host.certPem);
    const caText = opensslText(ca.certPem);
    const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(caText)?.[1];
    expect(ski).toBeDefined();
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(text).toMatch(/DNS:mig.example.org, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1/);
    expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s*\\n\\s*(keyid:)?${ski}`));
    const caFile = join(scratch, 'ca-verify.pem');
    const hostFile = join(scratch, 'host-verify.pem');
    writeFileSync(caFile, ca.certPem);
    writeFileSync(hostFile, host.certPem);
    expect(execFileSync('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', caFile, hostFile], { encoding: 'utf8' })).toMatch(/OK/);
  });

  it('encodes IPv4-mapped and long IPv6 addresses', async () => {
    const cert = await issueHostCertificate(ca, { hostnames: [], ipAddresses: ['::ffff:10.1.2.3', '2001:db8::8:800:200c:417a'], validDays: 1 });
    const x509 = new X509Certificate(cert.certPem);
    expect(x509.subjectAltName).toBe('IP Address:0:0:0:0:0:FFFF:A01:203, IP Address:2001:DB8:0:0:8:800:200C:417A');
    expect(x509.subject).toBe('CN=::ffff:10.1.2.3');
  });

  it('rejects bad names, addresses, validity and CAs with stable codes', async () => {
    const ok = { hostnames: ['localhost'], ipAddresses: [], validDays: 1 };
    expect((await rejection(issueHostCertificate(ca, { ...ok, hostnames: ['bad name'] }))).code).toBe('MIG_E_INVALID_INPUT');
    expect((await rejection(issueHostCertificate(ca, { ...ok, ipAddresses: ['999.1.1.1'] }))).code).toBe('MIG_E_INVALID_INPUT');
    expect((await rejection(issueHostCertificate(ca, { ...ok, validDays: 0 }))).code).toBe('MIG_E_INVALID_INPUT');
    expect((await rejection(issueHostCertificate(ca, { hostnames: [], ipAddresses: [], validDays: 1 }))).code).toBe('MIG_E_INVALID_INPUT');
    expect((await rejection(issueHostCertificate({ certPem: 'garbage', keyPem: ca.keyPem }, ok))).code).toBe('MIG_E_CERTIFICATE_INVALID');
    expect((await rejection(issueHostCertificate({ certPem: ca.certPem, keyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }, ok))).code).toBe('MIG_E_CERTIFICATE_INVALID');
    // The key of another CA does not fit this certificate.
    expect((await rejection(issueHostCertificate({ certPem: ca.certPem, keyPem: otherCa.keyPem }, ok))).message).toMatch(/does not belong/);
    // A host certificate is not a CA.
    expect((await rejection(issueHostCertificate(host, ok))).message).toMatch(/not a certificate authority/);
    expect((await rejection(issueHostCertificate(null as unknown as CertificateAndKey, ok))).code).toBe('MIG_E_CERTIFICATE_INVALID');
    expect((await rejection(issueHostCertificate({ certPem: 'x'.repeat(100_000), keyPem: ca.keyPem }, ok))).code).toBe('MIG_E_CERTIFICATE_INVALID');
  });
});

describe('issueUserCertificate', () => {
  const dn = '/C=DK/ST=NA/L=NA/O=Københavns Universitet/OU=NA/CN=Jørgen Ørsted/emailAddress=jorgen@example.org';

  it('puts the DN parts (without NA parts) in the subject, with clientAuth', async () => {
    const user = await issueUserCertificate(ca, { dn, validDays: 30 });
    const cert = new X509Certificate(user.certPem);
    expect(cert.subject.split('\n')).toEqual(['C=DK', 'O=Københavns Universitet', 'CN=Jørgen Ørsted', 'emailAddress=jorgen@example.org']);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.subjectAltName).toBe('email:jorgen@example.org');
    expect(user.keyPem).toMatch(/PRIVATE KEY/);
  });

  it.skipIf(!hasOpenssl)('is a client certificate with the UTF-8 subject intact (openssl)', async () => {
    const user = await issueUserCertificate(ca, { dn, validDays: 30 });
    const text = opensslText(user.certPem);
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication/);
    expect(text).toContain('CN=Jørgen Ørsted');
    expect(text).toMatch(/Authority Key Identifier/);
  });

  it('verifies against its CA and not against another', async () => {
    const user = await issueUserCertificate(ca, { dn, validDays: 30 });
    expect(verifyCertificateChain(ca.certPem, user.certPem)).toEqual({ valid: true, reason: 'ok', message: expect.any(String) });
    expect(verifyCertificateChain(otherCa.certPem, user.certPem)).toMatchObject({ valid: false, reason: 'not-issued-by-ca' });
  });

  it('accepts the DN as parts and a caller-supplied public key', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const user = await issueUserCertificate(ca, {
      dn: [{ field: 'C', value: 'dk' }, { field: 'O', value: 'Org' }, { field: 'OU', value: 'NA' }, { field: 'CN', value: 'Ann' }],
      validDays: 1,
      publicKeyPem,
    });
    expect(user.keyPem).toBeUndefined();
    const cert = new X509Certificate(user.certPem);
    expect(cert.subject).toBe('C=DK\nO=Org\nCN=Ann');
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(publicKeyPem);
    expect(cert.subjectAltName).toBeUndefined();
  });

  it('rejects bad DNs with MIG_E_INVALID_DN', async () => {
    for (const bad of ['', 'CN=x', '/', '/CN=', '/CN=NA', '/C=DK/O=Org', '/CN=a/CN=b', '/X=1/CN=a', '/C=Denmark/CN=a', '/CN=a/emailAddress=not-mail', `/CN=${'x'.repeat(65)}`, `/CN=a\u0001b`, `/CN=${'a/'.repeat(600)}`]) {
      const err = await rejection(issueUserCertificate(ca, { dn: bad, validDays: 1 }));
      expect(err.code, JSON.stringify(bad)).toBe('MIG_E_INVALID_DN');
    }
    expect((await rejection(issueUserCertificate(ca, { dn: [], validDays: 1 }))).code).toBe('MIG_E_INVALID_DN');
    expect((await rejection(issueUserCertificate(ca, { dn: [{ field: 'CN', value: 'a/b' }], validDays: 1 }))).code).toBe('MIG_E_INVALID_DN');
    expect((await rejection(issueUserCertificate(ca, { dn: [{ field: '__proto__', value: 'x' }, { field: 'CN', value: 'a' }], validDays: 1 }))).code).toBe('MIG_E_INVALID_DN');
  });

  it('rejects bad validity and bad public keys', async () => {
    expect((await rejection(issueUserCertificate(ca, { dn, validDays: -3 }))).code).toBe('MIG_E_INVALID_INPUT');
    expect((await rejection(issueUserCertificate(ca, { dn, validDays: 1, publicKeyPem: 'garbage' }))).code).toBe('MIG_E_CERTIFICATE_INVALID');
    expect((await rejection(issueUserCertificate(ca, { dn, validDays: 1, publicKeyPem: ca.keyPem }))).code).toBe('MIG_E_CERTIFICATE_INVALID');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect((await rejection(issueUserCertificate(ca, { dn, validDays: 1, publicKeyPem: ec }))).message).toMatch(/only RSA/);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect((await rejection(issueUserCertificate(ca, { dn, validDays: 1, publicKeyPem: small }))).message).toMatch(/at least 2048/);
  });
});

describe('verifyCertificateChain', () => {
  it('accepts a certificate of the CA within its validity', () => {
    expect(verifyCertificateChain(ca.certPem, host.certPem).valid).toBe(true);
  });

  it('refuses outside the validity window', () => {
    expect(verifyCertificateChain(ca.certPem, host.certPem, { at: new Date(Date.now() + 60 * DAY) }))
      .toMatchObject({ valid: false, reason: 'expired' });
    expect(verifyCertificateChain(ca.certPem, host.certPem, { at: new Date(Date.now() - DAY) }))
      .toMatchObject({ valid: false, reason: 'ca-not-yet-valid' });
    expect(verifyCertificateChain(ca.certPem, host.certPem, { at: new Date(Date.now() + 400 * DAY) }))
      .toMatchObject({ valid: false, reason: 'ca-expired' });
  });

  it('refuses a certificate of another CA, and a non-CA as CA', () => {
    expect(verifyCertificateChain(otherCa.certPem, host.certPem)).toMatchObject({ valid: false, reason: 'not-issued-by-ca' });
    expect(verifyCertificateChain(host.certPem, host.certPem)).toMatchObject({ valid: false, reason: 'not-a-ca' });
  });

  it('throws MIG_E_CERTIFICATE_INVALID for garbage PEM', async () => {
    for (const bad of ['', 'garbage', '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n', 'x'.repeat(200_000)]) {
      expect((await rejection(() => verifyCertificateChain(ca.certPem, bad))).code).toBe('MIG_E_CERTIFICATE_INVALID');
      expect((await rejection(() => verifyCertificateChain(bad, host.certPem))).code).toBe('MIG_E_CERTIFICATE_INVALID');
    }
    expect((await rejection(() => verifyCertificateChain(ca.certPem, 42 as unknown as string))).code).toBe('MIG_E_CERTIFICATE_INVALID');
  });
});
