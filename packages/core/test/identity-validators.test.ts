import { describe, expect, it } from 'vitest';
import {
  checkCommonName, checkComment, checkCountry, checkEmail, checkEmailAddress, checkOrganization, checkState,
  validateCommonName, validateEmail, validateOrganization, validateCountry, validateState, validateComment,
} from '../src/identity/index.js';
import { isMigError } from '../src/errors.js';

// The lists of MiG's tests/test_mig_shared_safeinput.py and safeinput.main().
const COMMONNAME_PERMITTED = ['Firstname Lastname', 'Test Æøå', 'Test Überh4x0r', 'Harry S. Truman', 'Unicode æøå'];
const COMMONNAME_PROHIBITED = ["Invalid D'Angelo", 'Test Maybe Invalid Źacãŕ', 'Test Invalid ?', 'Test HTML Invalid <code/>'];
const ORGANIZATION_PERMITTED = ['UCPH', 'Some University, Some Dept.', 'Green Shoes Ltd.', 'Unicode Org'];
const ORGANIZATION_PROHIBITED = ['Invalid R+D', 'Invalid R/D', 'Invalid R@D', 'Test HTML Invalid <code/>'];
const EMAIL_PERMITTED = ['abc@def.org', 'abc@def.gh.org', 'Test <abc@def.org>', 'Test <abc.def@ghi.org>', 'Test <abc+def@ghi.org>', 'A valid-name <abc@ghi.org>'];
// MiG lists these as "corner-case valid addresses that we currently don't accept"; neither do we.
const EMAIL_CORNER_CASES = ['Test Æøå <æøå@abc.org>', 'aBc@Def.org', '<valid@def.org>', ' false-positive@ghi.org', 'False Positive  <abc@ghi.org>', ' Another False Positive  <abc@ghi.org>'];
const EMAIL_PROHIBITED = [
  '', 'invalid', 'abc@dk', 'invalid <abc@ghi,org>', 'invalid <abc@', 'invalid abc@def.org',
  'Test <abc@ghi.org>, twice <def@def.org>', 'A !#¤%/) positive  <abc@ghi.org>',
  'a@b.c<script>alert("XSS vulnerable");</script>', '<script>alert("XSS vulnerable");</script>',
  '<script>alert("XSS vulnerable a@b.c");</script>',
];

describe('common name (MiG valid_commonname)', () => {
  it.each(COMMONNAME_PERMITTED)('accepts %j', (name) => {
    expect(checkCommonName(name)).toBeUndefined();
    expect(validateCommonName(name)).toBe(name);
  });
  it.each(COMMONNAME_PROHIBITED)('refuses %j', (name) => {
    expect(checkCommonName(name)).toMatch(/not allowed/);
    expect(() => validateCommonName(name)).toThrowError(/fullName/);
  });
  it('refuses names with + or _ (reserved for folder names), empty and oversized names', () => {
    expect(checkCommonName('Jane+Doe')).toMatch(/U\+002B/);
    expect(checkCommonName('Jane_Doe')).toMatch(/U\+005F/);
    expect(checkCommonName('')).toBe('must not be empty');
    expect(checkCommonName('a'.repeat(255))).toBeUndefined();
    expect(checkCommonName('a'.repeat(256))).toMatch(/too long/);
    expect(checkCommonName('x'.repeat(10_000))).toMatch(/too long/);
  });
  it('names control characters and NUL without echoing them', () => {
    expect(checkCommonName('Jane\u0000Doe')).toBe('contains a NUL character');
    expect(checkCommonName('Jane\nDoe')).toBe('contains a control character');
    expect(checkCommonName('Jane\u009bDoe')).toBe('contains a control character');
    expect(checkCommonName('Jane <b>Doe</b>')).toMatch(/HTML markup/);
    expect(checkCommonName('Jane <b>Doe</b>')).not.toContain('<b>');
  });
  it('refuses a decomposed å (the store composes it first, see canonicalisation)', () => {
    expect(checkCommonName('Test A\u030a')).toMatch(/U\+030A/);
  });
});

describe('organisation (MiG valid_organization)', () => {
  it.each(ORGANIZATION_PERMITTED)('accepts %j', (org) => expect(checkOrganization(org)).toBeUndefined());
  it.each(ORGANIZATION_PROHIBITED)('refuses %j', (org) => {
    expect(checkOrganization(org)).toBeDefined();
    expect(() => validateOrganization(org)).toThrowError(/organization/);
  });
});

describe('email (MiG valid_email_address)', () => {
  it.each(EMAIL_PERMITTED)('accepts %j with a real name allowed', (addr) => {
    expect(checkEmailAddress(addr, { allowRealName: true })).toBeUndefined();
  });
  it.each(EMAIL_CORNER_CASES)('refuses the corner case %j, as MiG does', (addr) => {
    expect(checkEmailAddress(addr, { allowRealName: true })).toBeDefined();
  });
  it.each(EMAIL_PROHIBITED)('refuses %j', (addr) => {
    const reason = checkEmailAddress(addr, { allowRealName: true });
    expect(reason).toBeDefined();
    expect(reason).not.toContain('<script>');
  });
  it('accepts only plain addresses for accounts', () => {
    expect(checkEmail('abc@def.org')).toBeUndefined();
    expect(checkEmail('abc+tag@def.org')).toBeUndefined();
    expect(checkEmail('Test <abc@def.org>')).toMatch(/without a name/);
    expect(validateEmail('a.b-c_d@x-y.example.org')).toBe('a.b-c_d@x-y.example.org');
  });
  it('refuses characters that would be trouble in a DN or a login name', () => {
    for (const bad of ["o'brien@x.org", 'a/b@x.org', 'a=b@x.org', 'a%b@x.org', 'a..b@x.org', '.a@x.org', 'a.@x.org', 'a@-x.org', 'a@x.123', 'a@@x.org', 'a b@x.org', 'å@x.org', 'a@x.org\u0000']) {
      expect(checkEmail(bad), bad).toBeDefined();
    }
    expect(checkEmail(`${'a'.repeat(65)}@x.org`)).toMatch(/64/);
    expect(checkEmail(`a@${'b'.repeat(250)}.org`)).toMatch(/too long/);
    expect(checkEmail('x'.repeat(10_000))).toMatch(/too long/);
  });
});

describe('country, state and comment', () => {
  it('country is exactly two ASCII letters', () => {
    expect(checkCountry('DK')).toBeUndefined();
    for (const bad of ['', 'D', 'DNK', 'D1', 'Dæ', 'D\u0000']) expect(checkCountry(bad), bad).toBeDefined();
    expect(() => validateCountry('DNK')).toThrowError(/country/);
  });
  it('state is empty or two ASCII letters', () => {
    expect(checkState('')).toBeUndefined();
    expect(checkState('NY')).toBeUndefined();
    for (const bad of ['N', 'NYC', 'N1', '<>']) expect(checkState(bad), bad).toBeDefined();
    expect(() => validateState('NYC')).toThrowError(/state/);
  });
  it('comment is plain text: line breaks fine, no HTML, limited length', () => {
    expect(checkComment('')).toBeUndefined();
    expect(checkComment('Needs access for the ERDA project.\nThanks! (50% time) — café')).toMatch(/U\+2014/);
    expect(checkComment('Needs access for the ERDA project.\nThanks! (50% time) café, "quoted" [x] {y}')).toBeUndefined();
    expect(checkComment('hello <script>')).toMatch(/HTML/);
    expect(checkComment('nul\u0000')).toMatch(/NUL/);
    expect(checkComment('a'.repeat(4097))).toMatch(/too long/);
    expect(() => validateComment('<b>')).toThrowError(/comment/);
  });
  it('validators refuse non-text with MIG_E_INVALID_INPUT naming the field', () => {
    try {
      validateCommonName(42 as unknown as string, 'fullName');
      expect.unreachable();
    } catch (err) {
      expect(isMigError(err, 'MIG_E_INVALID_INPUT')).toBe(true);
      expect((err as Error).message).toContain('fullName');
    }
  });
});
