/**
 * PKCS#12 (`.p12`) bundles: a user certificate with its private key (and the CA that issued it),
 * protected by a password, in the form browsers and operating systems import.
 * @packageDocumentation
 */
import forge from 'node-forge';
import { CertificateError, InvalidInputError } from '../errors.js';
import { keyMatchesCertificate, readCertificate, readForgeCertificate, readPrivateKey, toForgePrivateKey } from './pem-input.js';

/** Options of {@link pkcs12Bundle}. */
export interface Pkcs12BundleOptions {
  /** The certificate, PEM. */
  readonly certPem: string;
  /** Its private key, PEM. */
  readonly keyPem: string;
  /** The issuing CA's certificate, PEM, added so the importer sees the whole chain. */
  readonly caCertPem?: string;
  /** The password that protects the bundle (4–1024 characters). */
  readonly password: string;
  /** The name importers show for the certificate (at most 128 characters). */
  readonly friendlyName?: string;
}

/**
 * Builds a password-protected PKCS#12 bundle (key encrypted with 3DES, the one algorithm every
 * importer reads, and a SHA-1 MAC over the whole).
 *
 * @throws InvalidInputError for a bad password or friendly name.
 * @throws CertificateError `MIG_E_CERTIFICATE_INVALID` when the PEMs cannot be read or the key is not the certificate's.
 *
 * @example
 * ```ts
 * const p12 = pkcs12Bundle({ certPem, keyPem, caCertPem, password: 'typed by the user', friendlyName: user.email });
 * await writeFile('me.p12', p12, { mode: 0o600 });
 * ```
 */
export function pkcs12Bundle(options: Pkcs12BundleOptions): Buffer {
  const { certPem, keyPem, caCertPem, password, friendlyName } = options;
  if (typeof password !== 'string' || password.length < 4 || password.length > 1024) {
    throw new InvalidInputError('The PKCS#12 password must have 4 to 1024 characters.');
  }
  if (friendlyName !== undefined && (typeof friendlyName !== 'string' || friendlyName.length > 128 || /[\u0000-\u001f\u007f]/.test(friendlyName))) {
    throw new InvalidInputError('The PKCS#12 friendly name must be at most 128 characters without control characters.');
  }
  const cert = readForgeCertificate(certPem, 'certificate');
  const key = readPrivateKey(keyPem, 'private key');
  if (!keyMatchesCertificate(key, readCertificate(certPem, 'certificate'))) {
    throw new CertificateError('The private key does not belong to the certificate', { code: 'MIG_E_CERTIFICATE_INVALID' });
  }
  const chain = [cert.forge, ...(caCertPem === undefined ? [] : [readForgeCertificate(caCertPem, 'CA certificate').forge])];
  const asn1 = forge.pkcs12.toPkcs12Asn1(toForgePrivateKey(key), chain, password, {
    algorithm: '3des',
    generateLocalKeyId: true,
    ...(friendlyName !== undefined && { friendlyName }),
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}
