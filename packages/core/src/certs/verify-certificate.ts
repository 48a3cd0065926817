/**
 * Checking that a certificate was issued by a given CA and is valid now: the test behind
 * certificate sign-in and the site's own health checks.
 * @packageDocumentation
 */
import { readCertificate } from './pem-input.js';

/** Why a certificate did or did not verify. */
export type CertificateVerdictReason =
  | 'ok'
  | 'not-a-ca'
  | 'not-issued-by-ca'
  | 'bad-signature'
  | 'not-yet-valid'
  | 'expired'
  | 'ca-not-yet-valid'
  | 'ca-expired';

/** The outcome of {@link verifyCertificateChain}. */
export interface CertificateVerdict {
  /** True when the certificate is signed by the CA and both are within their validity. */
  readonly valid: boolean;
  /** A stable reason code. */
  readonly reason: CertificateVerdictReason;
  /** The reason in words. */
  readonly message: string;
}

const MESSAGES: Readonly<Record<CertificateVerdictReason, string>> = {
  'ok': 'the certificate is issued by the CA and valid',
  'not-a-ca': 'the CA certificate is not a certificate authority',
  'not-issued-by-ca': 'the certificate was not issued by this CA',
  'bad-signature': 'the certificate signature does not verify with the CA key',
  'not-yet-valid': 'the certificate is not valid yet',
  'expired': 'the certificate has expired',
  'ca-not-yet-valid': 'the CA certificate is not valid yet',
  'ca-expired': 'the CA certificate has expired',
};

const verdict = (reason: CertificateVerdictReason): CertificateVerdict => ({ valid: reason === 'ok', reason, message: MESSAGES[reason] });

function within(from: string, to: string, at: number): 'before' | 'inside' | 'after' {
  if (at < Date.parse(from)) return 'before';
  if (at > Date.parse(to)) return 'after';
  return 'inside';
}

/**
 * Verifies that `certPem` was issued and signed by the CA `caCertPem` and that both are valid at
 * `at` (default now). One level only: the CA is trusted as given.
 *
 * @throws CertificateError `MIG_E_CERTIFICATE_INVALID` when either PEM cannot be parsed.
 *
 * @example
 * ```ts
 * const { valid, reason } = verifyCertificateChain(caPem, clientPem);
 * if (!valid) throw new AuthError('MIG_E_AUTH_FAILED', `certificate refused: ${reason}`);
 * ```
 */
export function verifyCertificateChain(caCertPem: string, certPem: string, options: { readonly at?: Date } = {}): CertificateVerdict {
  const ca = readCertificate(caCertPem, 'CA certificate');
  const cert = readCertificate(certPem, 'certificate');
  const at = options.at instanceof Date && !Number.isNaN(options.at.getTime()) ? options.at.getTime() : Date.now();
  if (!ca.ca) return verdict('not-a-ca');
  if (!cert.checkIssued(ca)) return verdict('not-issued-by-ca');
  if (!cert.verify(ca.publicKey)) return verdict('bad-signature');
  const caWindow = within(ca.validFrom, ca.validTo, at);
  if (caWindow === 'before') return verdict('ca-not-yet-valid');
  if (caWindow === 'after') return verdict('ca-expired');
  const window = within(cert.validFrom, cert.validTo, at);
  if (window === 'before') return verdict('not-yet-valid');
  if (window === 'after') return verdict('expired');
  return verdict('ok');
}
