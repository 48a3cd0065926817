/**
 * Email address checks in MiG's style (`safeinput.valid_email_address`): an address is accepted
 * only when it parses *and* formats back to exactly the same text, so nothing was dropped, quoted
 * or re-spaced on the way. Like MiG (whose `email-validator` normalises the domain), the domain
 * must be lower-case, contain a dot and not end in a numeric label.
 *
 * We are deliberately stricter than RFC 5322 on the local part: only letters, digits and `. _ + -`.
 * The address becomes the `emailAddress` part of the user's DN and a login name on SFTP/FTPS/WebDAV
 * (MiG's daemon user names are `[A-Za-z0-9_-@.]`), where quotes, slashes, `=` or `%` would be
 * trouble. `+` is kept because MiG's own accept list has `abc+def@ghi.org`.
 * @packageDocumentation
 */
import { codePointName } from './charsets.js';

/** Longest address (RFC 5321 path limit minus the brackets). */
export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;

const LOCAL_PART = /^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// Python's email.utils.formataddr quotes a display name containing any of these, so such a name
// never formats back to itself.
const NAME_SPECIALS = /[\][\\()<>@,:;".]/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The two parts of `Real Name <addr@example.org>`; `name` is `''` for a plain address. */
export interface ParsedEmailAddress {
  readonly name: string;
  readonly address: string;
}

/** Options of {@link checkEmailAddress}. */
export interface EmailCheckOptions {
  /** Accept `Real Name <addr>` as well as a plain address (MiG's default for `valid_email_address`). Default false. */
  readonly allowRealName?: boolean;
}

function checkPlainAddress(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0 || address.indexOf('@') !== at) return 'must contain exactly one "@"';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length === 0) return 'has nothing before the "@"';
  if (local.length > MAX_LOCAL_LENGTH) return `has more than ${MAX_LOCAL_LENGTH} characters before the "@"`;
  if (!LOCAL_PART.test(local)) {
    return 'may only have letters, digits and ". _ + -" before the "@" (no leading, trailing or double dots)';
  }
  const labels = domain.split('.');
  if (labels.length < 2) return 'must have a domain with a dot, such as example.org';
  if (domain !== domain.toLowerCase()) return 'must have a lower-case domain';
  for (const label of labels) {
    if (!DOMAIN_LABEL.test(label)) return 'has an invalid domain (letters, digits and inner "-" in each dot-separated part)';
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return 'has a numeric top-level domain';
  return undefined;
}

/**
 * Splits `Real Name <addr>` or a plain address the way Python's `parseaddr` would for the simple
 * forms MiG accepts, and returns `undefined` for anything else.
 */
export function parseEmailAddress(text: string): ParsedEmailAddress | undefined {
  if (typeof text !== 'string' || text.length > MAX_EMAIL_LENGTH * 2) return undefined;
  const open = text.indexOf('<');
  if (open < 0) return text.includes('>') ? undefined : { name: '', address: text };
  if (!text.endsWith('>') || text.indexOf('<', open + 1) >= 0 || text.indexOf('>') !== text.length - 1) return undefined;
  const name = text.slice(0, open).trim();
  const address = text.slice(open + 1, -1).trim();
  return { name, address };
}

/** Formats the parts back, as Python's `formataddr` does for names that need no quoting. */
export function formatEmailAddress(parts: ParsedEmailAddress): string {
  return parts.name === '' ? parts.address : `${parts.name} <${parts.address}>`;
}

/**
 * Checks an email address and returns the reason it is not acceptable, or `undefined`. The reason
 * never repeats the value.
 *
 * @example
 * ```ts
 * checkEmailAddress('abc@def.org');                                  // undefined
 * checkEmailAddress('Test <abc@def.org>', { allowRealName: true });  // undefined
 * checkEmailAddress('a@b.c<script>alert(1)</script>');              // 'must be a plain address …'
 * ```
 */
export function checkEmailAddress(value: string, options: EmailCheckOptions = {}): string | undefined {
  if (value.length === 0) return 'must not be empty';
  const limit = options.allowRealName === true ? MAX_EMAIL_LENGTH * 2 : MAX_EMAIL_LENGTH;
  if (value.length > limit) return `is too long (at most ${limit} characters)`;
  if (value.includes('\u0000')) return 'contains a NUL character';
  if (!PRINTABLE_ASCII.test(value)) {
    const bad = [...value].find((c) => !PRINTABLE_ASCII.test(c)) ?? '';
    return /[\u0000-\u001f\u007f]/.test(bad) ? 'contains a control character' : `contains the character ${codePointName(bad)}, which is not allowed in an address`;
  }
  const parsed = parseEmailAddress(value);
  if (parsed === undefined) {
    return options.allowRealName === true
      ? 'must be a plain address or "Name <address>"'
      : 'must be a plain address such as name@example.org';
  }
  if (parsed.name !== '' && options.allowRealName !== true) return 'must be a plain address such as name@example.org, without a name';
  if (parsed.name !== '' && (NAME_SPECIALS.test(parsed.name) || /\s{2,}/.test(parsed.name))) {
    return 'has a name with punctuation or extra spaces; use plain words';
  }
  if (parsed.address === '') return 'contains no address';
  if (formatEmailAddress(parsed) !== value) return 'does not format back to itself (check spaces and brackets)';
  if (parsed.address.length > MAX_EMAIL_LENGTH) return `is too long (at most ${MAX_EMAIL_LENGTH} characters)`;
  return checkPlainAddress(parsed.address);
}
