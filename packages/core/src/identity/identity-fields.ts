/**
 * Validators for the fields a user's identity is built from, with MiG's character sets
 * (`safeinput.py`: `valid_commonname`, `valid_organization`, `valid_email_address`, the `country`
 * and `state` rules, `valid_plain_text` for comments) and explicit length limits.
 *
 * Each `check…` returns the reason a value is refused, or `undefined`; reasons never repeat the
 * value, so they are safe to show in HTML. Each `validate…` throws an {@link InvalidInputError}
 * naming the field instead.
 * @packageDocumentation
 */
import { InvalidInputError } from '../errors.js';
import {
  COUNTRY_CHARSET,
  NAME_CHARSET,
  ORGANIZATION_CHARSET,
  PLAIN_TEXT_CHARSET,
  checkCharacters,
} from './charsets.js';
import { MAX_EMAIL_LENGTH, checkEmailAddress } from './email-address.js';

/** Length limits of identity fields, in characters (MiG uses 255 for names and organisations). */
export const IDENTITY_LIMITS = Object.freeze({
  /** A person's full name (the DN's CN). */
  fullName: 255,
  /** Organisation, organisational unit and locality. */
  organization: 255,
  /** An email address. */
  email: MAX_EMAIL_LENGTH,
  /** A free-text comment (MiG has no limit; we keep requests reasonable). */
  comment: 4096,
  /** A whole distinguished name (the size of the database column). */
  dn: 1024,
});

/** A check: the reason a value is refused, or `undefined` when it is fine. */
export type FieldCheck = (value: string) => string | undefined;

/** A person's full name: 1–255 of letters, digits, space, `-`, `.` and common accented letters. */
export const checkCommonName: FieldCheck = (value) => checkCharacters(value, NAME_CHARSET, 1, IDENTITY_LIMITS.fullName);

/** An organisation: 1–255 of name characters and `,`. Never `+`, `/` or `@`. */
export const checkOrganization: FieldCheck = (value) =>
  checkCharacters(value, ORGANIZATION_CHARSET, 1, IDENTITY_LIMITS.organization);

/** An optional organisation-like field (unit, locality): empty, or as {@link checkOrganization}. */
export const checkOptionalOrganization: FieldCheck = (value) =>
  checkCharacters(value, ORGANIZATION_CHARSET, 0, IDENTITY_LIMITS.organization);

/** A plain email address (no `Name <…>`), as MiG's `valid_simple_email_address`. */
export const checkEmail: FieldCheck = (value) => checkEmailAddress(value, { allowRealName: false });

/** A country: exactly two ASCII letters (ISO 3166 alpha-2, e.g. `DK`). */
export const checkCountry: FieldCheck = (value) => {
  const reason = checkCharacters(value, COUNTRY_CHARSET, 0, 2);
  if (reason !== undefined) return reason;
  return value.length === 2 ? undefined : 'must be a two-letter country code such as DK';
};

/** A state: empty, or exactly two ASCII letters. */
export const checkState: FieldCheck = (value) => {
  const reason = checkCharacters(value, COUNTRY_CHARSET, 0, 2);
  if (reason !== undefined) return reason;
  return value.length === 0 || value.length === 2 ? undefined : 'must be empty or a two-letter code';
};

/** A free-text comment: up to 4096 characters of MiG's plain text (line breaks allowed, no `<`, `>`). */
export const checkComment: FieldCheck = (value) => checkCharacters(value, PLAIN_TEXT_CHARSET, 0, IDENTITY_LIMITS.comment);

function validator(check: FieldCheck, defaultField: string): (value: unknown, field?: string) => string {
  return (value, field = defaultField) => {
    if (typeof value !== 'string') {
      throw new InvalidInputError(`Invalid ${field}: must be text.`, { details: { problems: [{ path: field, message: 'must be text' }] } });
    }
    const reason = check(value);
    if (reason !== undefined) {
      throw new InvalidInputError(`Invalid ${field}: ${reason}.`, { details: { problems: [{ path: field, message: reason }] } });
    }
    return value;
  };
}

/**
 * Throws {@link InvalidInputError} (`MIG_E_INVALID_INPUT`, naming `field`) unless `value` is a valid
 * full name; returns it otherwise.
 *
 * @example
 * ```ts
 * validateCommonName('Harry S. Truman'); // ok
 * validateCommonName("Invalid D'Angelo"); // throws: Invalid fullName: contains the character U+0027 …
 * ```
 */
export const validateCommonName = validator(checkCommonName, 'fullName');
/** Throws {@link InvalidInputError} unless `value` is a valid organisation (see {@link checkOrganization}). */
export const validateOrganization = validator(checkOrganization, 'organization');
/** Throws {@link InvalidInputError} unless `value` is a valid plain email address (see {@link checkEmail}). */
export const validateEmail = validator(checkEmail, 'email');
/** Throws {@link InvalidInputError} unless `value` is a two-letter country code. */
export const validateCountry = validator(checkCountry, 'country');
/** Throws {@link InvalidInputError} unless `value` is empty or a two-letter state code. */
export const validateState = validator(checkState, 'state');
/** Throws {@link InvalidInputError} unless `value` is acceptable comment text (see {@link checkComment}). */
export const validateComment = validator(checkComment, 'comment');
