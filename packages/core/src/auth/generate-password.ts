import { randomInt } from 'node:crypto';
import { MAX_PASSWORD_LENGTH } from '../config/password-policy-spec.js';
import { InvalidInputError } from '../errors.js';
import { checkPasswordPolicy, requirePasswordPolicy } from './password-policy.js';

/** Options for {@link generatePassword}. */
export interface GeneratePasswordOptions {
  /**
   * Wanted length, 4–256; raised to the policy's minimum when that is longer, so a fixed choice
   * such as 20 keeps working on a site with `MODERN:24`. Default 16.
   */
  readonly length?: number;
}

// Look-alike characters (0/O, 1/l/I) are left out because these passwords are read off a terminal
// and typed in; the punctuation avoids quotes, backslash, `$` and space so it survives shells and config files.
const CLASS_CHARSETS = [
  'abcdefghijkmnopqrstuvwxyz',
  'ABCDEFGHJKLMNPQRSTUVWXYZ',
  '23456789',
  '-_.,:;+=@%#!?*',
] as const;
const ALL = CLASS_CHARSETS.join('');

function pick(charset: string): string {
  return charset.charAt(randomInt(charset.length));
}

/**
 * Generates a random password that meets `policy` (used by `mig init` for the first admin, and
 * for temporary passwords). One character of each class is placed at a random position and the
 * rest is drawn from all four classes with a CSPRNG, so it always fits any of MiG's policies.
 * 16 characters from 71 symbols give about 98 bits of entropy.
 *
 * @throws InvalidInputError `MIG_E_INVALID_INPUT` for an unknown policy or a length out of range.
 *
 * @example
 * ```ts
 * generatePassword('HIGH'); // e.g. 'q7#Rk-2mWz.e9TfA'
 * ```
 */
export function generatePassword(policy: string, options: GeneratePasswordOptions = {}): string {
  const spec = requirePasswordPolicy(policy);
  const wanted = options.length ?? 16;
  if (!Number.isInteger(wanted) || wanted < CLASS_CHARSETS.length || wanted > MAX_PASSWORD_LENGTH) {
    throw new InvalidInputError(`Password length must be a whole number from ${CLASS_CHARSETS.length} to ${MAX_PASSWORD_LENGTH}.`, { details: { field: 'length' } });
  }
  const length = Math.max(wanted, spec.minLength);
  const chars = CLASS_CHARSETS.map(pick);
  while (chars.length < length) chars.push(pick(ALL));
  // Fisher–Yates with a CSPRNG, so the guaranteed class characters are not always first.
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  const password = chars.join('');
  // Cannot fail by construction; kept as a guard so a future charset edit cannot silently break policies.
  if (!checkPasswordPolicy(password, policy).ok) throw new Error('generated password does not meet the policy');
  return password;
}
