/**
 * MiG distinguished names as certificate subjects. A MiG DN is written
 * `/C=DK/ST=NA/L=NA/O=Org/OU=NA/CN=Name/emailAddress=name@example.org`; `NA` marks an empty part.
 * This is a deliberately small parser for certificates only; the identity module owns the full
 * DN rules.
 * @packageDocumentation
 */
import forge from 'node-forge';
import { InvalidInputError } from '../errors.js';

/** One part of a distinguished name. */
export interface DnPart {
  /** The field: C, ST, L, O, OU, CN or emailAddress. */
  readonly field: string;
  /** The value; `NA` (not applicable) parts are left out of the certificate. */
  readonly value: string;
}

interface FieldRule {
  /** forge attribute name. */
  readonly name: string;
  /** Longest value (X.509 upper bounds). */
  readonly max: number;
  /** ASN.1 string type of the value. */
  readonly tag: number;
}

const UTF8 = forge.asn1.Type.UTF8;
const FIELDS: Readonly<Record<string, FieldRule>> = {
  C: { name: 'countryName', max: 2, tag: forge.asn1.Type.PRINTABLESTRING },
  ST: { name: 'stateOrProvinceName', max: 128, tag: UTF8 },
  L: { name: 'localityName', max: 128, tag: UTF8 },
  O: { name: 'organizationName', max: 64, tag: UTF8 },
  OU: { name: 'organizationalUnitName', max: 64, tag: UTF8 },
  CN: { name: 'commonName', max: 64, tag: UTF8 },
  emailAddress: { name: 'emailAddress', max: 128, tag: forge.asn1.Type.IA5STRING },
};

/** Longest DN text accepted. */
export const MAX_DN_CHARS = 1024;

function invalidDn(message: string): InvalidInputError {
  return new InvalidInputError(`Invalid distinguished name: ${message}`, { code: 'MIG_E_INVALID_DN' });
}

/** Splits a MiG DN string into parts. */
export function splitMigDn(dn: string): DnPart[] {
  if (dn.length === 0) throw invalidDn('it is empty; write it like /C=DK/O=Org/CN=Name/emailAddress=name@example.org');
  if (dn.length > MAX_DN_CHARS) throw invalidDn(`it is longer than ${MAX_DN_CHARS} characters`);
  if (!dn.startsWith('/')) throw invalidDn('it must start with "/", like /C=DK/O=Org/CN=Name');
  return dn.slice(1).split('/').map((part) => {
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalidDn('every part must be FIELD=value, separated by "/"');
    return { field: part.slice(0, eq), value: part.slice(eq + 1) };
  });
}

/** A certificate subject attribute for forge. */
export interface SubjectAttribute {
  readonly name: string;
  readonly value: string;
  readonly valueTagClass: number;
}

/**
 * Checks DN parts and turns them into forge subject attributes, in the given order, leaving out
 * `NA` parts. Requires a CN; allows each field once.
 */
export function subjectAttributes(parts: readonly DnPart[]): { attributes: SubjectAttribute[]; email: string | undefined } {
  if (parts.length === 0) throw invalidDn('it has no parts; at least CN is needed');
  if (parts.length > Object.keys(FIELDS).length) throw invalidDn('it has too many parts');
  const seen = new Set<string>();
  const attributes: SubjectAttribute[] = [];
  let email: string | undefined;
  for (const part of parts) {
    if (typeof part !== 'object' || part === null || typeof part.field !== 'string' || typeof part.value !== 'string') {
      throw invalidDn('every part must have a text field and value');
    }
    const rule = Object.hasOwn(FIELDS, part.field) ? FIELDS[part.field] : undefined;
    if (rule === undefined) throw invalidDn(`unknown field "${part.field.slice(0, 20)}"; use C, ST, L, O, OU, CN or emailAddress`);
    if (seen.has(part.field)) throw invalidDn(`field ${part.field} appears twice`);
    seen.add(part.field);
    const value = part.value.trim();
    if (value === '' || value === 'NA') continue;
    if (value.length > rule.max) throw invalidDn(`${part.field} is longer than ${rule.max} characters`);
    if (/[\u0000-\u001f\u007f/]/.test(value)) throw invalidDn(`${part.field} contains "/" or a control character`);
    if (part.field === 'C' && !/^[A-Za-z]{2}$/.test(value)) throw invalidDn('C must be a two-letter country code such as DK');
    if (part.field === 'emailAddress') {
      if (!/^[^\s@<>"]+@[A-Za-z0-9.-]+$/.test(value) || !/^[\x20-\x7e]+$/.test(value)) throw invalidDn('emailAddress is not an email address');
      email = value;
    }
    attributes.push({ name: rule.name, value: part.field === 'C' ? value.toUpperCase() : value, valueTagClass: rule.tag });
  }
  if (!attributes.some((a) => a.name === 'commonName')) throw invalidDn('CN (the person\'s name) is required');
  return { attributes, email };
}
