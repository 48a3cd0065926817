/**
 * The site's own certificate authority: signs the host certificate of the site's servers and the
 * user certificates used for certificate sign-in.
 * @packageDocumentation
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { z } from 'zod';
import { CertificateError } from '../errors.js';
import { parseInput } from '../validation/parse-input.js';
import { setSerialAndValidity, signToPem, subjectField, validDaysSchema } from './certificate-builder.js';
import type { CertificateAndKey } from './certificate-builder.js';
import {
  keyMatchesCertificate, readForgeCertificate, readPrivateKey, requireRsa, toForgePrivateKey, toForgePublicKey,
} from './pem-input.js';
import { CA_KEY_BITS, generateRsaKeyPair } from './rsa-key-pair.js';

/** Options of {@link createCertificateAuthority}. */
export interface CertificateAuthorityOptions {
  /** The CA's common name, e.g. `"MiG site CA mig.example.org"` (1–64 characters). */
  readonly commonName: string;
  /** How long the CA is valid, in days (1–36500). */
  readonly validDays: number;
}

const optionsSchema = z.strictObject({
  commonName: z.string().trim().min(1).max(64).refine((v) => !/[\u0000-\u001f\u007f]/.test(v), { message: 'must not contain control characters' }),
  validDays: validDaysSchema,
});

/**
 * Creates a self-signed CA: a 3072-bit RSA key, basicConstraints CA (critical), keyUsage
 * keyCertSign and cRLSign (critical), a subject key identifier, a random serial and a SHA-256
 * signature.
 *
 * @throws InvalidInputError for a bad common name or validity.
 *
 * @example
 * ```ts
 * const ca = await createCertificateAuthority({ commonName: 'MiG site CA', validDays: 3650 });
 * await writeFile('ca.key', ca.keyPem, { mode: 0o600 });
 * ```
 */
export async function createCertificateAuthority(options: CertificateAuthorityOptions): Promise<CertificateAndKey> {
  const opts = parseInput(optionsSchema, options, 'certificate authority options');
  const pair = await generateRsaKeyPair(CA_KEY_BITS);
  const cert = forge.pki.createCertificate();
  cert.publicKey = toForgePublicKey(createPublicKey(pair.publicKeyPem));
  setSerialAndValidity(cert, opts.validDays);
  const subject = [subjectField('commonName', opts.commonName, forge.asn1.Type.UTF8)];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const certPem = signToPem(cert, toForgePrivateKey(createPrivateKey(pair.privateKeyPem)));
  return { certPem, keyPem: pair.privateKeyPem };
}

/** A CA ready to issue: its parsed certificate (Node and forge views) and its forge key. */
export interface LoadedAuthority {
  readonly node: X509Certificate;
  readonly cert: forge.pki.Certificate;
  readonly key: forge.pki.rsa.PrivateKey;
}

/**
 * Parses and checks a CA for issuing: both PEMs parse, the key is RSA and belongs to the
 * certificate, and the certificate is a CA allowed to sign certificates.
 *
 * @throws CertificateError `MIG_E_CERTIFICATE_INVALID` otherwise.
 */
export function loadAuthority(ca: CertificateAndKey): LoadedAuthority {
  if (typeof ca !== 'object' || ca === null) {
    throw new CertificateError('The CA must be given as { certPem, keyPem }', { code: 'MIG_E_CERTIFICATE_INVALID' });
  }
  const { node, forge: cert } = readForgeCertificate(ca.certPem, 'CA certificate');
  const key = readPrivateKey(ca.keyPem, 'CA private key');
  requireRsa(key, 'CA private key', 2048);
  if (!node.ca) {
    throw new CertificateError('The CA certificate is not a certificate authority (basicConstraints CA is not set)', { code: 'MIG_E_CERTIFICATE_INVALID' });
  }
  if (!keyMatchesCertificate(key, node)) {
    throw new CertificateError('The CA private key does not belong to the CA certificate', { code: 'MIG_E_CERTIFICATE_INVALID' });
  }
  return { node, cert, key: toForgePrivateKey(key) };
}
