/**
 * The parts every certificate we issue shares: a random positive serial, a validity window with
 * a little slack for clock skew, SHA-256 signatures, and IP addresses in SubjectAltName.
 * @packageDocumentation
 */
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { z } from 'zod';

/** How far back `notBefore` is set, so a client with a slightly slow clock accepts a fresh certificate. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Validity in days: a whole number from 1 to 36500. */
export const validDaysSchema = z.int().min(1).max(36_500);

/** A certificate and its private key, both in PEM. */
export interface CertificateAndKey {
  /** The certificate, PEM. */
  readonly certPem: string;
  /** The unencrypted private key, PKCS#8 PEM. Keep it secret (file mode 0600). */
  readonly keyPem: string;
}

/**
 * A 128-bit random serial number as hex. The first byte is forced into 0x40–0x7f so the number
 * is positive and its DER encoding minimal (no leading zero byte), as RFC 5280 requires.
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}

/** Sets serial and validity (from now minus a little skew, for `validDays` days). */
export function setSerialAndValidity(cert: forge.pki.Certificate, validDays: number, now = new Date()): void {
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  cert.validity.notAfter = new Date(now.getTime() + validDays * 24 * 60 * 60 * 1000);
}

/** Signs with SHA-256 and returns the PEM. */
export function signToPem(cert: forge.pki.Certificate, key: forge.pki.rsa.PrivateKey): string {
  cert.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** The subject key identifier of a CA certificate: its extension if present, else computed (SHA-1 of the key). */
export function subjectKeyIdentifierBytes(cert: forge.pki.Certificate): string {
  const ext = cert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  if (ext !== null && typeof ext.subjectKeyIdentifier === 'string' && ext.subjectKeyIdentifier.length > 0) {
    return forge.util.hexToBytes(ext.subjectKeyIdentifier);
  }
  return cert.generateSubjectKeyIdentifier().getBytes();
}

function ipv4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** An IP address (v4 or v6, including embedded IPv4 such as `::ffff:1.2.3.4`) as network-order bytes. */
export function ipAddressBytes(ip: string): Buffer {
  const family = isIP(ip);
  if (family === 4) return Buffer.from(ipv4Bytes(ip));
  if (family !== 6) throw new TypeError('not an IP address');
  let text = ip.split('%')[0] ?? ip;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail = ipv4Bytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...new Array<string>(missing).fill('0'), ...restGroups];
  const out = Buffer.alloc(16);
  groups.forEach((group, i) => out.writeUInt16BE(Number.parseInt(group, 16), i * 2));
  if (tail.length === 4) Buffer.from(tail).copy(out, 12);
  return out;
}

/** A forge SubjectAltName entry for an IP address (given as raw bytes, which forge accepts for both families). */
export function ipAltName(ip: string): { type: number; value: string } {
  return { type: 7, value: ipAddressBytes(ip).toString('binary') };
}

/**
 * A subject attribute with an explicit ASN.1 string type (UTF8String for names, so non-ASCII
 * names survive). The forge typings call the tag an `asn1.Class`; at run time it is an
 * `asn1.Type`, hence the cast.
 */
export function subjectField(name: string, value: string, tag: number): forge.pki.CertificateField {
  return { name, value, valueTagClass: tag as unknown as forge.asn1.Class };
}
