/**
 * TLS server certificates for the site's own services (web, FTPS, WebDAVS).
 * @packageDocumentation
 */
import { createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { z } from 'zod';
import { parseInput } from '../validation/parse-input.js';
import { loadAuthority } from './certificate-authority.js';
import {
  ipAltName, setSerialAndValidity, signToPem, subjectField, subjectKeyIdentifierBytes, validDaysSchema,
} from './certificate-builder.js';
import type { CertificateAndKey } from './certificate-builder.js';
import { toForgePublicKey } from './pem-input.js';
import { LEAF_KEY_BITS, generateRsaKeyPair } from './rsa-key-pair.js';

/** Options of {@link issueHostCertificate}. */
export interface HostCertificateOptions {
  /** DNS names the certificate is valid for (`mig.example.org`, `localhost`, `*.example.org`). */
  readonly hostnames: readonly string[];
  /** IP addresses the certificate is valid for (`127.0.0.1`, `::1`). */
  readonly ipAddresses: readonly string[];
  /** How long the certificate is valid, in days (1–36500). */
  readonly validDays: number;
}

const DNS_NAME = /^(?:\*\.)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const optionsSchema = z.strictObject({
  hostnames: z.array(z.string().max(253).regex(DNS_NAME, { message: 'must be a DNS name such as mig.example.org' })).max(100),
  ipAddresses: z.array(z.string().max(64).refine((v) => isIP(v) !== 0, { message: 'must be an IPv4 or IPv6 address' })).max(100),
  validDays: validDaysSchema,
}).refine((o) => o.hostnames.length + o.ipAddresses.length > 0, { message: 'name at least one host name or IP address' });

/**
 * Issues a TLS server certificate signed by `ca`: a fresh 2048-bit RSA key, SubjectAltName with
 * every DNS name and IP address, extended key usage serverAuth, and the CA's key identifier as
 * authority key identifier. The subject CN is the first host name (or IP).
 *
 * @throws InvalidInputError for bad names, addresses or validity.
 * @throws CertificateError `MIG_E_CERTIFICATE_INVALID` when `ca` is not a usable CA.
 *
 * @example
 * ```ts
 * const host = await issueHostCertificate(ca, { hostnames: ['mig.example.org', 'localhost'], ipAddresses: ['127.0.0.1'], validDays: 825 });
 * https.createServer({ cert: host.certPem, key: host.keyPem });
 * ```
 */
export async function issueHostCertificate(ca: CertificateAndKey, options: HostCertificateOptions): Promise<CertificateAndKey> {
  const opts = parseInput(optionsSchema, options, 'host certificate options');
  const authority = loadAuthority(ca);
  const pair = await generateRsaKeyPair(LEAF_KEY_BITS);
  const cert = forge.pki.createCertificate();
  cert.publicKey = toForgePublicKey(createPublicKey(pair.publicKeyPem));
  setSerialAndValidity(cert, opts.validDays);
  const commonName = opts.hostnames[0] ?? opts.ipAddresses[0] ?? 'localhost';
  cert.setSubject([subjectField('commonName', commonName.slice(0, 64), forge.asn1.Type.UTF8)]);
  cert.setIssuer(authority.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...opts.hostnames.map((value) => ({ type: 2, value: value.toLowerCase() })),
        ...opts.ipAddresses.map(ipAltName),
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: subjectKeyIdentifierBytes(authority.cert) },
  ]);
  const certPem = signToPem(cert, authority.key);
  return { certPem, keyPem: pair.privateKeyPem };
}
