import { describe, expect, it } from 'vitest';
import {
  applyVgridSettings, checkVgridName, checkVgridSettingsPatch, DEFAULT_VGRID_SETTINGS, DEFAULT_HIDDEN_NAMES, flatVgridName, matchesIdentityFilters,
  parseIdentityFilters, vgridAncestors, vgridParent, vgridSettingsFromJson,
} from '@migrid/core';
import { codeOf } from '../../../test/support/errors.js';

const rules = { hiddenNames: DEFAULT_HIDDEN_NAMES };

describe('VGrid names', () => {
  it('accepts MiG\'s characters and hierarchies', () => {
    for (const name of ['Physics', 'Physics/Optics', 'A/B/C', 'eScience 2025', 'my-group_1.0', 'generic2', 'Any', 'All', 'x'.repeat(255)]) {
      expect(checkVgridName(name, rules)).toBe(name);
    }
  });

  it('refuses reserved names: Generic in any case, ANY and ALL as MiG, and the home\'s own folders', async () => {
    for (const name of ['Generic', 'GENERIC', 'generic', 'Generic/Sub', 'ANY', 'ALL', 'private_base', 'public_base', 'job_output', 'welcome.txt']) {
      expect(await codeOf(() => checkVgridName(name, rules)), name).toBe('MIG_E_VGRID_NAME');
    }
  });

  it('refuses hostile and malformed names without echoing them', async () => {
    const hostile = ['', '../x', 'A/../B', '..', '.', '.hidden', 'A/.trash', '.vgridscm', 'A//B', '/A', 'A/', 'A\u0000B', 'A\nB', 'A\u007fB', 'x'.repeat(256),
      ' A', 'A /B', 'A\\B', 'A:B', 'Å', 'a<script>', 'A%2F..', 'A\u202eB', 'A\tB'];
    for (const name of hostile) {
      let message = '';
      try {
        checkVgridName(name, rules);
      } catch (err) {
        message = (err as Error).message;
        expect((err as { code?: string }).code, JSON.stringify(name)).toBe('MIG_E_VGRID_NAME');
      }
      expect(message, JSON.stringify(name)).not.toBe('');
      if (name.length > 2) expect(message).not.toContain(name);
    }
    for (const value of [undefined, null, 42, { name: 'A' }]) expect(await codeOf(() => checkVgridName(value, rules))).toBe('MIG_E_VGRID_NAME');
  });

  it('refuses a level that is one of the site\'s hidden names', async () => {
    expect(await codeOf(() => checkVgridName('A/secret', { hiddenNames: ['secret'] }))).toBe('MIG_E_VGRID_NAME');
    expect(checkVgridName('A/secret')).toBe('A/secret');
  });

  it('knows parents, ancestors and the flat form', () => {
    expect(vgridParent('A')).toBeNull();
    expect(vgridParent('A/B/C')).toBe('A/B');
    expect(vgridAncestors('A/B/C')).toEqual(['A/B', 'A']);
    expect(flatVgridName('A/B/C')).toBe('A:B:C');
  });
});

describe('VGrid settings', () => {
  it('has MiG\'s defaults and validates changes', async () => {
    expect(DEFAULT_VGRID_SETTINGS).toMatchObject({ visibleOwners: 'owners', requestRecipients: 10, readOnly: false, hidden: false, createShareLink: 'owners' });
    expect(applyVgridSettings(DEFAULT_VGRID_SETTINGS, checkVgridSettingsPatch({ readOnly: true, description: 'Optics\nlab' }))).toMatchObject({ readOnly: true, description: 'Optics\nlab' });
    for (const bad of [{ readOnly: 'yes' }, { requestRecipients: 0 }, { requestRecipients: 1001 }, { requestRecipients: 1.5 }, { visibleOwners: 'nobody' },
      { description: 'x'.repeat(4097) }, { description: 'a\u0000b' }, { createShareLink: 'all' }, { unknown: 1 }, null, 'readOnly']) {
      expect(await codeOf(() => checkVgridSettingsPatch(bad)), JSON.stringify(bad)).toBe('MIG_E_INVALID_INPUT');
    }
  });

  it('reads stored JSON defensively', () => {
    expect(vgridSettingsFromJson('not json')).toEqual(DEFAULT_VGRID_SETTINGS);
    expect(vgridSettingsFromJson('{"readOnly":true,"requestRecipients":-3}')).toMatchObject({ readOnly: true, requestRecipients: 10 });
  });
});

describe('identity filters (MiG\'s site_vgrid_creators)', () => {
  const who = { dn: '/C=DK/O=KU/CN=Ann/emailAddress=ann@ku.dk', email: 'ann@ku.dk', fullName: 'Ann', organization: 'KU', organizationalUnit: '', locality: '', state: '', country: 'DK' };
  it('needs every filter to match, anchored at the start like re.match', async () => {
    expect(matchesIdentityFilters(who, parseIdentityFilters(['distinguished_name:.*']))).toBe(true);
    expect(matchesIdentityFilters(who, parseIdentityFilters([]))).toBe(true);
    expect(matchesIdentityFilters(who, parseIdentityFilters(['email:.*@ku\\.dk$', 'country:DK']))).toBe(true);
    expect(matchesIdentityFilters(who, parseIdentityFilters(['email:.*@ku\\.dk$', 'country:SE']))).toBe(false);
    expect(matchesIdentityFilters(who, parseIdentityFilters(['email:ku']))).toBe(false);
    for (const bad of ['nofield', ':x', 'password:.*', 'email:(']) expect(await codeOf(() => parseIdentityFilters([bad])), bad).toBe('MIG_E_CONFIG_INVALID');
  });
});
