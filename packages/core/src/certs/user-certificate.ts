/**
 * User certificates for certificate sign-in (MiG's "migcert" login): a client certificate whose
 * subject is the user's distinguished name.
 * @packageDocumentation
 */
import { createPublicKey } from 'node:crypto';
import forge from 'node-forge';
import { z } from 'zod';
import { parseInput } from '../validation/parse-input.js';
import { loadAuthority } from './certificate-authority.js';
import {
  setSerialAndValidity, signToPem, subjectField, subjectKeyIdentifierBytes, validDaysSchema,
} from './certificate-builder.js';
import type { CertificateAndKey } from './certificate-builder.js';
import { splitMigDn, subjectAttributes } from './certificate-subject.js';
import type { DnPart } from './certificate-subject.js';
import { readPublicKey, requireRsa, toForgePublicKey } from './pem-input.js';
import { LEAF_KEY_BITS, generateRsaKeyPair } from './rsa-key-pair.js';

/** Options of {@link issueUserCertificate}. */
export interface UserCertificateOptions {
  /**
   * The user's distinguished name, as a MiG DN string
   * (`/C=DK/ST=NA/L=NA/O=Org/OU=NA/CN=Name/emailAddress=name@example.org`) or as parts.
   */
  readonly dn: string | readonly DnPart[];
  /** How long the certificate is valid, in days (1–36500). */
  readonly validDays: number;
  /**
   * The user's own RSA public key (SPKI PEM, at least 2048 bits). When given, no key is generated
   * and the result has no `keyPem`: the private key never leaves the user.
   */
  readonly publicKeyPem?: string;
}

/** A user certificate, with its private key when the site generated it. */
export interface UserCertificate {
  /** The certificate, PEM. */
  readonly certPem: string;
  /** The generated private key (PKCS#8 PEM), or `undefined` when the caller supplied the public key. */
  readonly keyPem: string | undefined;
}

const optionsSchema = z.strictObject({
  dn: z.union([z.string(), z.array(z.object({ field: z.string().max(32), value: z.string().max(256) })).max(16)]),
  validDays: validDaysSchema,
  publicKeyPem: z.string().optional(),
});

/**
 * Issues a client certificate signed by `ca` whose subject carries the DN parts in order (`NA`
 * parts left out), with extended key usage clientAuth and, when the DN has an email address, an
 * rfc822Name SubjectAltName.
 *
 * @throws InvalidInputError `MIG_E_INVALID_DN` for a bad DN, `MIG_E_INVALID_INPUT` for bad validity.
 * @throws CertificateError `MIG_E_CERTIFICATE_INVALID` for an unusable CA or public key.
 *
 * @example
 * ```ts
 * const { certPem, keyPem } = await issueUserCertificate(ca, {
 *   dn: '/C=DK/ST=NA/L=NA/O=University/OU=NA/CN=Jane Doe/emailAddress=jane@example.org',
 *   validDays: 365,
 * });
 * ```
 */
export async function issueUserCertificate(ca: CertificateAndKey, options: UserCertificateOptions): Promise<UserCertificate> {
  const opts = parseInput(optionsSchema, options, 'user certificate options');
  const parts = typeof opts.dn === 'string' ? splitMigDn(opts.dn) : opts.dn;
  const { attributes, email } = subjectAttributes(parts);
  const authority = loadAuthority(ca);
  let publicKeyPem: string;
  let keyPem: string | undefined;
  if (opts.publicKeyPem === undefined) {
    const pair = await generateRsaKeyPair(LEAF_KEY_BITS);
    publicKeyPem = pair.publicKeyPem;
    keyPem = pair.privateKeyPem;
  } else {
    const key = readPublicKey(opts.publicKeyPem, 'user public key');
    requireRsa(key, 'user public key', 2048);
    publicKeyPem = key.export({ type: 'spki', format: 'pem' }).toString();
  }
  const cert = forge.pki.createCertificate();
  cert.publicKey = toForgePublicKey(createPublicKey(publicKeyPem));
  setSerialAndValidity(cert, opts.validDays);
  cert.setSubject(attributes.map((a) => subjectField(a.name, a.value, a.valueTagClass)));
  cert.setIssuer(authority.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    ...(email === undefined ? [] : [{ name: 'subjectAltName', altNames: [{ type: 1, value: email }] }]),
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: subjectKeyIdentifierBytes(authority.cert) },
  ]);
  return { certPem: signToPem(cert, authority.key), keyPem };
}
