/**
 * Reading certificates and keys handed to us as PEM text: size limits, clear errors, and the
 * conversion to node-forge objects. Garbage never reaches forge's parser unguarded.
 * @packageDocumentation
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { CertificateError } from '../errors.js';

/** Largest PEM text accepted (a certificate chain of a few certificates fits easily). */
export const MAX_PEM_CHARS = 64 * 1024;

function checkPemText(pem: unknown, what: string): string {
  if (typeof pem !== 'string' || pem.length === 0) {
    throw new CertificateError(`The ${what} is missing; pass PEM text`, { code: 'MIG_E_CERTIFICATE_INVALID' });
  }
  if (pem.length > MAX_PEM_CHARS) {
    throw new CertificateError(`The ${what} is larger than ${MAX_PEM_CHARS} characters; pass a single PEM object`, { code: 'MIG_E_CERTIFICATE_INVALID' });
  }
  if (!pem.includes('-----BEGIN ')) {
    throw new CertificateError(`The ${what} is not PEM text (no "-----BEGIN" line)`, { code: 'MIG_E_CERTIFICATE_INVALID' });
  }
  return pem;
}

/** Parses a PEM certificate with Node's X.509 parser. */
export function readCertificate(pem: unknown, what: string): X509Certificate {
  const text = checkPemText(pem, what);
  try {
    return new X509Certificate(text);
  } catch (err) {
    throw new CertificateError(`The ${what} could not be parsed as an X.509 certificate in PEM`, { code: 'MIG_E_CERTIFICATE_INVALID', cause: err });
  }
}

/** Parses a PEM certificate into a forge certificate (for issuing), after Node has vetted it. */
export function readForgeCertificate(pem: unknown, what: string): { node: X509Certificate; forge: forge.pki.Certificate } {
  const node = readCertificate(pem, what);
  try {
    return { node, forge: forge.pki.certificateFromPem(node.toString()) };
  } catch (err) {
    throw new CertificateError(`The ${what} uses a format this site cannot issue from (only RSA CA certificates are supported)`, { code: 'MIG_E_CERTIFICATE_INVALID', cause: err });
  }
}

/** Parses a PEM private key (PKCS#1 or PKCS#8, unencrypted). */
export function readPrivateKey(pem: unknown, what: string): KeyObject {
  const text = checkPemText(pem, what);
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch (err) {
    throw new CertificateError(`The ${what} could not be parsed as an unencrypted private key in PEM`, { code: 'MIG_E_CERTIFICATE_INVALID', cause: err });
  }
}

/** Parses a PEM public key (SPKI). */
export function readPublicKey(pem: unknown, what: string): KeyObject {
  const text = checkPemText(pem, what);
  if (text.includes('PRIVATE KEY')) {
    throw new CertificateError(`The ${what} is a private key; pass only the public key`, { code: 'MIG_E_CERTIFICATE_INVALID' });
  }
  try {
    return createPublicKey({ key: text, format: 'pem' });
  } catch (err) {
    throw new CertificateError(`The ${what} could not be parsed as a public key in PEM`, { code: 'MIG_E_CERTIFICATE_INVALID', cause: err });
  }
}

/** Requires an RSA key of at least `minBits` bits; forge signs and encodes RSA only. */
export function requireRsa(key: KeyObject, what: string, minBits: number): void {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new CertificateError(`The ${what} is a ${key.asymmetricKeyType ?? 'unknown'} key; only RSA keys are supported`, { code: 'MIG_E_CERTIFICATE_INVALID' });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < minBits) {
    throw new CertificateError(`The ${what} has ${bits} bits; at least ${minBits} are required`, { code: 'MIG_E_CERTIFICATE_INVALID' });
  }
}

/** A Node private key as a forge private key. */
export function toForgePrivateKey(key: KeyObject): forge.pki.rsa.PrivateKey {
  return forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
}

/** A Node public key as a forge public key. */
export function toForgePublicKey(key: KeyObject): forge.pki.rsa.PublicKey {
  return forge.pki.publicKeyFromPem(key.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey;
}

/** True when the private key belongs to the public key of the certificate. */
export function keyMatchesCertificate(key: KeyObject, cert: X509Certificate): boolean {
  const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const fromCert = cert.publicKey.export({ type: 'spki', format: 'der' });
  return Buffer.compare(fromKey, fromCert) === 0;
}
