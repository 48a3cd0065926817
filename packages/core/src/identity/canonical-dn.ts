/**
 * Canonical identity fields, as MiG's `canonical_user` (used by `createuser` and every sign-up):
 * surrounding white space removed, the full name title-cased with Python's rules, the email
 * lower-cased, country and state upper-cased. We add one step MiG lacks: Unicode NFC
 * normalisation, so a decomposed `å` (macOS input: `a` + combining ring) becomes the composed `å`
 * MiG's name character set accepts, and two spellings of one name give one DN.
 * @packageDocumentation
 */
import { InvalidInputError } from '../errors.js';
import { type DnParts, EMPTY_DN_PARTS, formatDn } from './distinguished-name.js';
import {
  type FieldCheck,
  checkCommonName,
  checkCountry,
  checkEmail,
  checkOptionalOrganization,
  checkOrganization,
  checkState,
} from './identity-fields.js';
import { pythonTitleCase } from './title-case.js';

// Beyond any field's limit: longer input is refused by the checks, so we need not transform it all.
const CANONICALISE_CAP = 4096;

function clean(value: unknown): string {
  if (typeof value !== 'string') return '';
  const capped = value.length > CANONICALISE_CAP ? value.slice(0, CANONICALISE_CAP) : value;
  return capped.normalize('NFC').trim();
}

/**
 * Brings identity fields to MiG's canonical form. Missing parts become `''`; values that are not
 * text become `''` too (validation reports them). Nothing is validated here: pass the result to
 * {@link checkDnParts} or {@link canonicalDnFromParts}.
 *
 * Input longer than 4096 characters is cut before transforming (the checks refuse it anyway), so
 * hostile input cannot make this slow.
 *
 * @example
 * ```ts
 * canonicaliseDnParts({ fullName: '  harry s. truman ', email: 'Harry@Example.ORG', country: 'us' });
 * // { fullName: 'Harry S. Truman', email: 'harry@example.org', country: 'US', state: '', … }
 * ```
 */
export function canonicaliseDnParts(parts: Partial<Record<keyof DnParts, unknown>>): DnParts {
  const p = typeof parts === 'object' && parts !== null ? parts : {};
  return {
    ...EMPTY_DN_PARTS,
    country: clean(p.country).toUpperCase(),
    state: clean(p.state).toUpperCase(),
    locality: clean(p.locality),
    organization: clean(p.organization),
    organizationalUnit: clean(p.organizationalUnit),
    fullName: pythonTitleCase(clean(p.fullName)),
    email: clean(p.email).toLowerCase(),
  };
}

/** One refused field: its name and why. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

const PART_CHECKS: ReadonlyArray<readonly [keyof DnParts, FieldCheck]> = [
  ['fullName', checkCommonName],
  ['organization', checkOrganization],
  ['organizationalUnit', checkOptionalOrganization],
  ['locality', checkOptionalOrganization],
  ['state', checkState],
  ['country', checkCountry],
  ['email', checkEmail],
];

/**
 * Checks every part with MiG's field rules (full name, organisation required; unit and locality
 * optional; country two letters; state empty or two letters; plain email) and returns every
 * problem found, so one error can name them all.
 */
export function checkDnParts(parts: DnParts): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [field, check] of PART_CHECKS) {
    const value = parts[field];
    const reason = typeof value === 'string' ? check(value) : 'must be text';
    if (reason !== undefined) problems.push({ path: field, message: reason });
  }
  return problems;
}

/** Throws one {@link InvalidInputError} naming every problem (no-op for an empty list). */
export function throwFieldProblems(problems: readonly FieldProblem[], what: string, code: 'MIG_E_INVALID_INPUT' | 'MIG_E_INVALID_DN' = 'MIG_E_INVALID_INPUT'): void {
  if (problems.length === 0) return;
  const summary = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  throw new InvalidInputError(`Invalid ${what}: ${summary}.`, { code, details: { problems } });
}

/**
 * Canonicalises, validates and formats: the DN MiG's `createuser` would give these fields.
 *
 * @throws InvalidInputError `MIG_E_INVALID_DN` naming every bad field.
 *
 * @example
 * ```ts
 * canonicalDnFromParts({ fullName: 'jane doe', organization: 'UCPH', country: 'dk', email: 'Jane@KU.dk' });
 * // '/C=DK/ST=NA/L=NA/O=UCPH/OU=NA/CN=Jane Doe/emailAddress=jane@ku.dk'
 * ```
 */
export function canonicalDnFromParts(parts: Partial<Record<keyof DnParts, unknown>>): string {
  const canonical = canonicaliseDnParts(parts);
  throwFieldProblems(checkDnParts(canonical), 'distinguished name', 'MIG_E_INVALID_DN');
  return formatDn(canonical);
}
