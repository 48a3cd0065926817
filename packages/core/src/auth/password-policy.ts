/**
 * Checks a password against one of MiG's password policies (NONE, WEAK, MEDIUM, HIGH, MODERN:n,
 * CUSTOM:n:c). The policy strings are parsed by the config's `parsePasswordPolicy`.
 * @packageDocumentation
 */
import { MAX_PASSWORD_LENGTH, PASSWORD_POLICY_FORMS, parsePasswordPolicy } from '../config/password-policy-spec.js';
import type { PasswordPolicySpec } from '../config/password-policy-spec.js';
import { InvalidInputError, PolicyError } from '../errors.js';

/** The outcome of {@link checkPasswordPolicy}: ok, or the human-readable reasons it is not. */
export type PasswordPolicyResult = { readonly ok: true } | { readonly ok: false; readonly reasons: readonly string[] };

/** The four character classes MiG counts, in the order they are named in messages. */
export type PasswordCharacterClass = 'lower' | 'upper' | 'digits' | 'other';

const CLASS_NAMES: Readonly<Record<PasswordCharacterClass, string>> = {
  lower: 'lower case',
  upper: 'upper case',
  digits: 'digits',
  other: 'other',
};

/**
 * The character classes present in a password. As in MiG, only ASCII letters and digits are
 * lower/upper/digits; every other character (punctuation, space, non-ASCII letters) is "other".
 */
export function passwordCharacterClasses(password: string): Set<PasswordCharacterClass> {
  const found = new Set<PasswordCharacterClass>();
  for (const ch of password) {
    if (ch >= 'a' && ch <= 'z') found.add('lower');
    else if (ch >= 'A' && ch <= 'Z') found.add('upper');
    else if (ch >= '0' && ch <= '9') found.add('digits');
    else found.add('other');
  }
  return found;
}

/**
 * Parses a policy string or throws. Exported for the generator and the authenticator.
 * @throws InvalidInputError `MIG_E_INVALID_INPUT` when the string is not one of MiG's policy forms.
 */
export function requirePasswordPolicy(policy: string): PasswordPolicySpec {
  const spec = typeof policy === 'string' ? parsePasswordPolicy(policy) : undefined;
  if (spec === undefined) {
    throw new InvalidInputError(`Unknown password policy; use one of ${PASSWORD_POLICY_FORMS}.`, { details: { field: 'policy' } });
  }
  return spec;
}

/**
 * Checks `password` against a MiG password policy and lists every rule it breaks.
 *
 * Length is counted in characters (Unicode code points), as MiG does; a password is never
 * accepted above 256 characters, whatever the policy.
 *
 * @throws InvalidInputError `MIG_E_INVALID_INPUT` for an unknown policy or a non-string password.
 *
 * @example
 * ```ts
 * checkPasswordPolicy('abcdefgh', 'MEDIUM');
 * // { ok: false, reasons: ['characters from at least 3 of: lower case, upper case, digits, other'] }
 * ```
 */
export function checkPasswordPolicy(password: string, policy: string): PasswordPolicyResult {
  const spec = requirePasswordPolicy(policy);
  if (typeof password !== 'string') throw new InvalidInputError('The password must be a string.', { details: { field: 'password' } });
  const reasons: string[] = [];
  let length = 0;
  for (const _ of password) length += 1;
  if (length < spec.minLength) reasons.push(`at least ${spec.minLength} characters`);
  if (length > MAX_PASSWORD_LENGTH) reasons.push(`at most ${MAX_PASSWORD_LENGTH} characters`);
  if (passwordCharacterClasses(password).size < spec.minClasses) {
    const all = Object.values(CLASS_NAMES).join(', ');
    reasons.push(`characters from at least ${spec.minClasses} of: ${all}`);
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/**
 * Like {@link checkPasswordPolicy}, but throws when the password does not fit.
 *
 * @throws PolicyError `MIG_E_PASSWORD_POLICY` naming every unmet rule (`details.reasons`, `details.policy`);
 *   the password itself is never included.
 *
 * @example
 * ```ts
 * assertPasswordPolicy(newPassword, config.accounts.password_policy);
 * ```
 */
export function assertPasswordPolicy(password: string, policy: string): void {
  const result = checkPasswordPolicy(password, policy);
  if (result.ok) return;
  const name = requirePasswordPolicy(policy).name;
  throw new PolicyError(
    'MIG_E_PASSWORD_POLICY',
    `The password does not meet the site's password policy (${name}): it needs ${result.reasons.join(' and ')}. Choose another password.`,
    { details: { policy: name, reasons: result.reasons } },
  );
}
