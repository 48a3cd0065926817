import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalDnFromParts, canonicaliseDnParts, checkDnParts, clientAlias, clientDirId, clientIdDir, formatDn, isDistinguishedName,
  parseDn, pythonTitleCase, type DnParts,
} from '../src/identity/index.js';
import { isMigError } from '../src/errors.js';

const JANE: DnParts = {
  country: 'DK', state: '', locality: '', organization: 'UCPH', organizationalUnit: '', fullName: 'Jane Doe', email: 'jane@ku.dk',
};
const JANE_DN = '/C=DK/ST=NA/L=NA/O=UCPH/OU=NA/CN=Jane Doe/emailAddress=jane@ku.dk';

function expectDnError(fn: () => unknown, pattern?: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(isMigError(err, 'MIG_E_INVALID_DN'), String(err)).toBe(true);
    if (pattern !== undefined) expect((err as Error).message).toMatch(pattern);
    return;
  }
  expect.unreachable('expected MIG_E_INVALID_DN');
}

describe('distinguished names', () => {
  it('formats in MiG order with NA for empty parts, and parses back', () => {
    expect(formatDn(JANE)).toBe(JANE_DN);
    expect(parseDn(JANE_DN)).toEqual(JANE);
    expect(formatDn({ fullName: 'X Y' })).toBe('/C=NA/ST=NA/L=NA/O=NA/OU=NA/CN=X Y/emailAddress=NA');
  });

  it('parses any field order and missing fields, like MiG distinguished_name_to_user', () => {
    const parts = parseDn('/emailAddress=jane@ku.dk/CN=Jane Doe/O=UCPH/C=DK');
    expect(parts).toEqual(JANE);
    expect(formatDn(parts)).toBe(JANE_DN);
    expect(parseDn('/C=DK/O=Ingen organisatorisk tilknytning/CN=Test Person').organization).toBe('Ingen organisatorisk tilknytning');
  });

  it('keeps MiG DN characters: ":" "_" "@" "=" "," in values, "+" and "_" in email', () => {
    const dn = '/C=DK/ST=NA/L=NA/O=Dept. A, Univ: B/OU=NA/CN=Jane Doe/emailAddress=jane_d+x@ku.dk';
    expect(formatDn(parseDn(dn))).toBe(dn);
  });

  it('refuses malformed DNs with MIG_E_INVALID_DN', () => {
    expectDnError(() => parseDn('C=DK/CN=x'), /start with "\/"/);
    expectDnError(() => parseDn('/C=DK//CN=x'), /KEY=value/);
    expectDnError(() => parseDn('/C=DK/CNx'), /KEY=value/);
    expectDnError(() => parseDn('/C=DK/=x'), /KEY=value/);
    expectDnError(() => parseDn('/C=DK/serialNumber=PID:1'), /"serialNumber" is not one of the known keys/);
    expectDnError(() => parseDn('/C=DK/C=SE'), /more than once/);
    expectDnError(() => parseDn('/C=DK/CN=<script>alert(1)</script>'), /HTML/);
    expectDnError(() => parseDn('/C=DK/CN=a\u0000b'), /NUL/);
    expectDnError(() => parseDn('/C=DK/CN=a\nb'), /control/);
    expectDnError(() => parseDn(`/CN=${'a'.repeat(10_000)}`), /longer than 1024/);
    expectDnError(() => parseDn(42 as unknown as string));
    expectDnError(() => parseDn(`/C=DK/${'\u00e9'.repeat(2)}=x`), /a key/);
    expect(isDistinguishedName('/nope')).toBe(false);
    expect(isDistinguishedName(JANE_DN)).toBe(true);
  });

  it('refuses parts a DN cannot hold when formatting', () => {
    expectDnError(() => formatDn({ ...JANE, organization: 'R/D' }), /organization/);
    expectDnError(() => formatDn({ ...JANE, fullName: 'x'.repeat(300) }), /too long/);
    expectDnError(() => formatDn({ ...JANE, fullName: 'a'.repeat(250), organization: 'b'.repeat(250), organizationalUnit: 'c'.repeat(250), locality: 'd'.repeat(250) }), /longer than 1024/);
    expectDnError(() => formatDn(null as unknown as DnParts));
  });

  it('round-trips any valid parts (property)', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9æøåÆØÅé][A-Za-z0-9 .æøåÆØÅé-]{0,40}$/).filter((s) => s !== 'NA');
    fc.assert(fc.property(name, name, fc.stringMatching(/^[a-z0-9]{1,10}@[a-z]{1,10}\.org$/), fc.constantFrom('DK', 'SE', 'US'), (cn, org, email, country) => {
      const parts: DnParts = { country, state: '', locality: '', organization: org, organizationalUnit: '', fullName: cn, email };
      expect(parseDn(formatDn(parts))).toEqual(parts);
    }));
  });
});

describe('canonicalisation (MiG canonical_user)', () => {
  it.each([
    ['harry s. truman', 'Harry S. Truman'],
    ['test überh4x0r', 'Test Überh4X0R'],
    ['jean-luc picard', 'Jean-Luc Picard'],
    ['VAN DER BERG', 'Van Der Berg'],
    ['mcDONALD', 'Mcdonald'],
    ['æblegrød ÅSE', 'Æblegrød Åse'],
    ["o'brien", "O'Brien"],
    ['ǆemal', 'ǅemal'],
    ['straße', 'Straße'],
    ['ßtraße', 'Sstraße'],
    ['ΣΊΣΥΦΟΣ', 'Σίσυφος'],
    ['a1b2c3', 'A1B2C3'],
    ['hans-christian andersen', 'Hans-Christian Andersen'],
    ['ﬁnn', 'Finn'],
    ['ŉ', 'ʼN'],
  ])('title-cases %j as Python does: %j', (input, expected) => {
    expect(pythonTitleCase(input)).toBe(expected);
  });

  it('trims, title-cases the name, lower-cases the email, upper-cases country and state', () => {
    expect(canonicaliseDnParts({ fullName: '  harry s. TRUMAN ', email: ' Harry@Example.ORG ', country: 'us', state: 'mo', organization: ' US Gov ' })).toEqual({
      country: 'US', state: 'MO', locality: '', organization: 'US Gov', organizationalUnit: '', fullName: 'Harry S. Truman', email: 'harry@example.org',
    });
  });

  it('composes decomposed letters (NFC), so macOS input gives the same DN', () => {
    const decomposed = 'Test A\u030asa';
    expect(canonicaliseDnParts({ fullName: decomposed }).fullName).toBe('Test Åsa');
  });

  it('builds the DN createuser would, or names every bad field', () => {
    expect(canonicalDnFromParts({ fullName: 'jane doe', organization: 'UCPH', country: 'dk', email: 'Jane@KU.dk' })).toBe(JANE_DN);
    try {
      canonicalDnFromParts({ fullName: "D'Angelo", organization: 'R+D', country: 'DNK', email: 'nope', state: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(isMigError(err, 'MIG_E_INVALID_DN')).toBe(true);
      const paths = ((err as { details: { problems: { path: string }[] } }).details.problems).map((p) => p.path).sort();
      expect(paths).toEqual(['country', 'email', 'fullName', 'organization', 'state']);
    }
    expect(checkDnParts(canonicaliseDnParts({ fullName: 'A', organization: 'B', country: 'DK', email: 'a@b.org' }))).toEqual([]);
  });

  it('does not choke on hostile sizes or types', () => {
    const huge = 'a'.repeat(5_000_000);
    const started = Date.now();
    const parts = canonicaliseDnParts({ fullName: huge, email: 42, country: null });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(parts.email).toBe('');
    expect(checkDnParts(parts).map((p) => p.path)).toContain('fullName');
  });
});

describe('MiG folder names (client_id_dir)', () => {
  it('maps / to + and spaces to _ in CN, O and OU only', () => {
    const dn = '/C=DK/ST=NA/L=NA/O=Some Org/OU=Dept X/CN=Jonas Bardino/emailAddress=bar_dino@nbi.ku.dk';
    const dir = clientIdDir(dn);
    expect(dir).toBe('+C=DK+ST=NA+L=NA+O=Some_Org+OU=Dept_X+CN=Jonas_Bardino+emailAddress=bar_dino@nbi.ku.dk');
    expect(clientDirId(dir)).toBe(dn);
  });
  it('gives MiG client_alias (urlsafe base64 with padding, "=" replaced by "_")', () => {
    // Python: base64.urlsafe_b64encode('/C=DK/CN=Jo'.replace('=', '_').encode()) == b'L0NfREsvQ05fSm8='
    expect(clientAlias('/C=DK/CN=Jo')).toBe('L0NfREsvQ05fSm8=');
  });
  it('refuses empty, NUL and oversized input', () => {
    for (const bad of ['', 'a\u0000', 'x'.repeat(5000)]) expect(() => clientIdDir(bad)).toThrowError(/Invalid/);
    expect(() => clientDirId(undefined as unknown as string)).toThrowError(/Invalid/);
  });
});
