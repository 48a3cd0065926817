/**
 * MiG's password policy strings (`[accounts] password_policy`), parsed into the two numbers a
 * checker needs. The strings are the same as in MiG's `MiGserver.conf`, so existing sites keep
 * their setting when they move.
 * @packageDocumentation
 */

/** A parsed password policy: the shortest accepted length and how many character classes are required. */
export interface PasswordPolicySpec {
  /** The policy as written, normalised to upper case (e.g. `MEDIUM`, `CUSTOM:12:3`). */
  readonly name: string;
  /** Minimum password length in characters (0 for `NONE`). */
  readonly minLength: number;
  /**
   * How many of the four character classes (lower case, upper case, digits, other) a password
   * must contain, 0–4.
   */
  readonly minClasses: number;
}

/** The longest password MiG accepts; a policy that demands more could never be met. */
export const MAX_PASSWORD_LENGTH = 256;

/** The fixed policies and what they mean, as in MiG. */
const NAMED_POLICIES: Readonly<Record<string, { minLength: number; minClasses: number }>> = {
  NONE: { minLength: 0, minClasses: 0 },
  WEAK: { minLength: 6, minClasses: 2 },
  MEDIUM: { minLength: 8, minClasses: 3 },
  HIGH: { minLength: 10, minClasses: 4 },
};

/** Describes the accepted forms, for messages. */
export const PASSWORD_POLICY_FORMS = 'NONE, WEAK, MEDIUM, HIGH, MODERN:<length> or CUSTOM:<length>:<classes 1-4>';

const NUMBER = /^[0-9]{1,3}$/;

/**
 * Parses a policy string, or returns `undefined` when it is not one of MiG's forms: `NONE`
 * (anything), `WEAK` (6 characters, 2 classes), `MEDIUM` (8, 3), `HIGH` (10, 4), `MODERN:<n>`
 * (n characters, any class) and `CUSTOM:<n>:<c>` (n characters, c of the 4 classes).
 *
 * @example
 * ```ts
 * parsePasswordPolicy('CUSTOM:12:3'); // { name: 'CUSTOM:12:3', minLength: 12, minClasses: 3 }
 * parsePasswordPolicy('STRONG');      // undefined
 * ```
 */
export function parsePasswordPolicy(policy: string): PasswordPolicySpec | undefined {
  if (typeof policy !== 'string' || policy.length > 32) return undefined;
  const name = policy.trim().toUpperCase();
  const named = NAMED_POLICIES[name];
  if (named !== undefined) return { name, ...named };
  const parts = name.split(':');
  const [kind, lengthText, classesText] = parts;
  if (lengthText === undefined || !NUMBER.test(lengthText)) return undefined;
  const minLength = Number(lengthText);
  if (minLength < 1 || minLength > MAX_PASSWORD_LENGTH) return undefined;
  if (kind === 'MODERN' && parts.length === 2) return { name, minLength, minClasses: 1 };
  if (kind === 'CUSTOM' && parts.length === 3 && classesText !== undefined && /^[1-4]$/.test(classesText)) {
    return { name, minLength, minClasses: Number(classesText) };
  }
  return undefined;
}
