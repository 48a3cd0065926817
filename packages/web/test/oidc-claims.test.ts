import { describe, expect, it } from 'vitest';
import { defaultConfig } from '@migrid/core';
import { claimText, identityFromClaims, permittedByFilters, verifiedEmail } from '../src/oidc/oidc-claims.js';

const section = { ...defaultConfig('/tmp').oidc, default_organization: 'Example Org', default_country: 'DK' };

describe('OIDC claims', () => {
  it('trusts an email unless the provider says it is unverified', () => {
    expect(verifiedEmail({ email: 'Jane@Example.ORG' }, section)).toEqual({ email: 'jane@example.org' });
    expect(verifiedEmail({ email: 'jane@example.org', email_verified: true }, section)).toEqual({ email: 'jane@example.org' });
    expect(verifiedEmail({ email: 'jane@example.org', email_verified: 'true' }, section)).toEqual({ email: 'jane@example.org' });
    expect(verifiedEmail({ email: 'jane@example.org', email_verified: false }, section)).toEqual({ problem: 'not-verified' });
    expect(verifiedEmail({ email: 'jane@example.org', email_verified: null }, section)).toEqual({ problem: 'not-verified' });
    expect(verifiedEmail({}, section)).toEqual({ problem: 'missing' });
    expect(verifiedEmail({ email: ['a@b.c'] }, section)).toEqual({ problem: 'missing' });
    expect(verifiedEmail({ email: 'Jane <jane@example.org>' }, section)).toEqual({ problem: 'missing' });
    expect(verifiedEmail({ mail: 'x@y.org' }, { claim_email: 'mail' })).toEqual({ email: 'x@y.org' });
  });

  it('admits by any matching claim:regex filter, anchored at the start, and nobody on a missing claim', () => {
    const filters = ['email:.*@ku\\.dk$', 'groups:staff'];
    expect(permittedByFilters({}, [])).toBe(true);
    expect(permittedByFilters({ email: 'a@ku.dk' }, filters, 'a@ku.dk')).toBe(true);
    expect(permittedByFilters({ email: 'a@ku.dk.evil.org' }, filters, 'a@ku.dk.evil.org')).toBe(false);
    expect(permittedByFilters({ groups: 'staff-members' }, filters)).toBe(true);
    expect(permittedByFilters({ groups: 'not-staff' }, filters)).toBe(false);
    expect(permittedByFilters({ email: 'a@other.org' }, filters, 'a@other.org')).toBe(false);
    // The verified email wins over a raw claim the provider sent differently.
    expect(permittedByFilters({ email: 'a@ku.dk' }, ['email:.*@ku\\.dk$'], 'a@other.org')).toBe(false);
    expect(permittedByFilters({ __proto__: 'x' }, ['__proto__:.*'])).toBe(false);
  });

  it('reads only text-like claims of sane length', () => {
    expect(claimText({ a: ' x ' }, 'a')).toBe('x');
    expect(claimText({ a: 5 }, 'a')).toBe('5');
    expect(claimText({ a: { b: 1 } }, 'a')).toBeUndefined();
    expect(claimText({ a: 'x'.repeat(2000) }, 'a')).toBeUndefined();
    expect(claimText({}, 'toString')).toBeUndefined();
  });

  it('builds the identity of a new account from claims and defaults', () => {
    expect(identityFromClaims({ name: 'Jane Doe' }, section, 'jane@example.org')).toEqual({
      fullName: 'Jane Doe', organization: 'Example Org', country: 'DK', email: 'jane@example.org', password: null,
    });
    expect(identityFromClaims({ given_name: 'Jane', family_name: 'Doe' }, section, 'jane@example.org').fullName).toBe('Jane Doe');
    expect(identityFromClaims({}, section, 'jane.doe@example.org').fullName).toBe('jane.doe');
    const withOrg = { ...section, claim_organization: 'org' };
    expect(identityFromClaims({ org: 'NBI' }, withOrg, 'jane@example.org').organization).toBe('NBI');
    expect(identityFromClaims({}, withOrg, 'jane@example.org').organization).toBe('Example Org');
  });
});
