/**
 * MiG's `field:regex` filters on a user's identity (`site_vgrid_creators`, `site_vgrid_managers`):
 * a user passes when EVERY filter matches the named field, the regular expression anchored at the
 * start as Python's `re.match` is. An empty list lets everybody pass. Site admins are exempt
 * (checked by the caller).
 * @packageDocumentation
 */
import { ConfigError } from '../errors.js';
import type { IdentityFields } from '../users/user-record.js';

/** The identity fields a filter may name (MiG's user-record field names). */
export type IdentityFilterField =
  | 'distinguished_name' | 'email' | 'full_name' | 'organization' | 'organizational_unit' | 'locality' | 'state' | 'country';

const FIELDS: Readonly<Record<IdentityFilterField, keyof IdentityFields>> = {
  distinguished_name: 'dn',
  email: 'email',
  full_name: 'fullName',
  organization: 'organization',
  organizational_unit: 'organizationalUnit',
  locality: 'locality',
  state: 'state',
  country: 'country',
};

/** One parsed filter. */
export interface IdentityFilter {
  readonly field: IdentityFilterField;
  readonly pattern: RegExp;
}

/**
 * Parses `field:regex` filters (the config checker has already refused bad ones; this refuses
 * them again for programmatic callers).
 *
 * @throws ConfigError `MIG_E_CONFIG_INVALID`
 * @example
 * ```ts
 * const filters = parseIdentityFilters(['email:.*@ku\\.dk$']);
 * ```
 */
export function parseIdentityFilters(specs: readonly string[]): IdentityFilter[] {
  return specs.map((spec, index) => {
    const colon = spec.indexOf(':');
    const field = spec.slice(0, Math.max(colon, 0));
    if (colon <= 0 || !Object.hasOwn(FIELDS, field)) {
      throw new ConfigError(`Identity filter ${index + 1} must be "field:regex" with a field of ${Object.keys(FIELDS).join(', ')}.`);
    }
    try {
      return { field: field as IdentityFilterField, pattern: new RegExp(`^(?:${spec.slice(colon + 1)})`, 'u') };
    } catch (err) {
      throw new ConfigError(`Identity filter ${index + 1} has an invalid regular expression.`, { cause: err });
    }
  });
}

/**
 * True when `identity` passes every filter.
 *
 * @example
 * ```ts
 * matchesIdentityFilters(user, parseIdentityFilters(['country:DK'])); // true for a Danish account
 * ```
 */
export function matchesIdentityFilters(identity: IdentityFields, filters: readonly IdentityFilter[]): boolean {
  return filters.every((f) => f.pattern.test(identity[FIELDS[f.field]]));
}
