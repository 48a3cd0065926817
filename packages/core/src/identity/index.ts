/**
 * Identity: MiG distinguished names, their canonical form and the validators of their fields.
 *
 * @example
 * ```ts
 * import { canonicalDnFromParts, parseDn } from '@migrid/core';
 * const dn = canonicalDnFromParts({ fullName: 'jane doe', organization: 'UCPH', country: 'dk', email: 'Jane@ku.dk' });
 * parseDn(dn).fullName; // 'Jane Doe'
 * ```
 * @packageDocumentation
 */
export {
  DN_FIELD_ORDER, DN_EMPTY_VALUE, EMPTY_DN_PARTS, formatDn, parseDn, isDistinguishedName,
} from './distinguished-name.js';
export type { DnParts } from './distinguished-name.js';
export { canonicaliseDnParts, checkDnParts, canonicalDnFromParts, throwFieldProblems } from './canonical-dn.js';
export type { FieldProblem } from './canonical-dn.js';
export {
  IDENTITY_LIMITS,
  checkCommonName, checkOrganization, checkOptionalOrganization, checkEmail, checkCountry, checkState, checkComment,
  validateCommonName, validateOrganization, validateEmail, validateCountry, validateState, validateComment,
} from './identity-fields.js';
export type { FieldCheck } from './identity-fields.js';
export { checkEmailAddress, parseEmailAddress, formatEmailAddress, MAX_EMAIL_LENGTH } from './email-address.js';
export type { EmailCheckOptions, ParsedEmailAddress } from './email-address.js';
export {
  COMMON_ACCENTED_LETTERS, NAME_CHARACTERS, ORGANIZATION_CHARACTERS, DN_CHARACTERS, PLAIN_TEXT_CHARACTERS,
} from './charsets.js';
export { pythonTitleCase } from './title-case.js';
export { clientIdDir, clientDirId, clientAlias } from './client-id-dir.js';
