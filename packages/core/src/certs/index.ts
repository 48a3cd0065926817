/**
 * The site's certificates: its own CA, host certificates for its TLS servers, user certificates
 * for certificate sign-in, and verification against the CA.
 *
 * @example
 * ```ts
 * import { ensureSiteCertificates } from '@migrid/core';
 * const certs = await ensureSiteCertificates(config.site.cert_dir, { fqdn: config.site.fqdn });
 * ```
 * @packageDocumentation
 */
export { createCertificateAuthority } from './certificate-authority.js';
export type { CertificateAuthorityOptions } from './certificate-authority.js';
export type { CertificateAndKey } from './certificate-builder.js';
export { issueHostCertificate } from './host-certificate.js';
export type { HostCertificateOptions } from './host-certificate.js';
export { issueUserCertificate } from './user-certificate.js';
export type { UserCertificateOptions, UserCertificate } from './user-certificate.js';
export type { DnPart } from './certificate-subject.js';
export { verifyCertificateChain } from './verify-certificate.js';
export type { CertificateVerdict, CertificateVerdictReason } from './verify-certificate.js';
export { ensureSiteCertificates } from './site-certificates.js';
export type { SiteCertificateOptions, SiteCertificates } from './site-certificates.js';
export { pkcs12Bundle } from './pkcs12-bundle.js';
export type { Pkcs12BundleOptions } from './pkcs12-bundle.js';
