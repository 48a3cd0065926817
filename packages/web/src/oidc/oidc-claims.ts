/**
 * What an OpenID Connect sign-in learns from the provider's claims: the verified email address
 * that finds the account, whether the site's `user_permit` filters admit the person (MiG's
 * `auto_add_user_permit`), and the identity of an account made for them (MiG's `autocreate`,
 * which turns IdP claims into the DN fields).
 * @packageDocumentation
 */
import type { IdentityInput, OidcSection } from '@migrid/core';

/** The claims of a sign-in: the ID token's, completed by the userinfo endpoint's. */
export type OidcClaims = Readonly<Record<string, unknown>>;

/** Longest claim value looked at; a longer one is treated as absent. */
const MAX_CLAIM_CHARS = 1024;

/** A claim as text: strings as they are, numbers and booleans spelled out; anything else absent. */
export function claimText(claims: OidcClaims, name: string): string | undefined {
  if (!Object.hasOwn(claims, name)) return undefined;
  const value = claims[name];
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else return undefined;
  text = text.trim();
  return text.length === 0 || text.length > MAX_CLAIM_CHARS ? undefined : text;
}

/** Why no usable email came with the claims. */
export type EmailProblem = 'missing' | 'not-verified';

/**
 * The email address the claims name, lower-cased, when it may be trusted: the provider must not
 * say it is unverified (`email_verified` false or `"false"`). Providers that say nothing about
 * verification are trusted, as the site admin chose the provider.
 */
export function verifiedEmail(claims: OidcClaims, section: Pick<OidcSection, 'claim_email'>): { email: string } | { problem: EmailProblem } {
  const email = claimText(claims, section.claim_email);
  if (email === undefined || !/^[^\s@<>"(),;:\\]+@[A-Za-z0-9.-]+$/.test(email) || email.length > 254) return { problem: 'missing' };
  if (Object.hasOwn(claims, 'email_verified')) {
    const verified = claims.email_verified;
    if (verified !== true && verified !== 'true') return { problem: 'not-verified' };
  }
  return { email: email.toLowerCase() };
}

/**
 * Whether `user_permit` admits the person: no filters admit everybody; otherwise any filter
 * `claim:regex` whose regex matches the claim's text from its start (as MiG's permit lists do).
 * A filter naming an absent claim does not match. The claim `email` means the verified email.
 */
export function permittedByFilters(claims: OidcClaims, filters: readonly string[], email?: string): boolean {
  if (filters.length === 0) return true;
  for (const filter of filters) {
    const colon = filter.indexOf(':');
    if (colon <= 0) continue;
    const claim = filter.slice(0, colon);
    const value = claim === 'email' && email !== undefined ? email : claimText(claims, claim);
    if (value === undefined) continue;
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${filter.slice(colon + 1)})`, 'u');
    } catch {
      continue; // checked when the config is loaded; never admit on a broken filter
    }
    if (pattern.test(value)) return true;
  }
  return false;
}

/**
 * The identity of an account made from the claims: full name from `claim_full_name` (falling back
 * to `given_name family_name`, then the email's local part), organisation from
 * `claim_organization` or `default_organization`, country `default_country`. The user store
 * validates the fields; a provider sending odd characters gets a clear refusal there.
 */
export function identityFromClaims(claims: OidcClaims, section: OidcSection, email: string): IdentityInput {
  const given = claimText(claims, 'given_name');
  const family = claimText(claims, 'family_name');
  const fullName =
    claimText(claims, section.claim_full_name) ??
    (given !== undefined || family !== undefined ? [given, family].filter((p) => p !== undefined).join(' ') : undefined) ??
    (email.split('@')[0] ?? email);
  const organization = (section.claim_organization === undefined ? undefined : claimText(claims, section.claim_organization)) ?? section.default_organization ?? '';
  return {
    fullName,
    organization,
    country: section.default_country ?? '',
    email,
    password: null,
  };
}
