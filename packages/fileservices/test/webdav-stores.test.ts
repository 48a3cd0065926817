/**
 * The WebDAV dead-property and lock stores on SQLite and PostgreSQL: all-or-nothing patches,
 * moves and copies of whole trees, exact prefix matching (no LIKE wildcards, no case folding),
 * lock coverage by depth and expiry.
 */
import { describe, expect, it } from 'vitest';
import { forEachDatabase } from '../../../test/support/databases.js';
import { DavLockStore } from '../src/webdav/dav-lock-store.js';
import { DavPropertyStore } from '../src/webdav/dav-property-store.js';
import { ancestorKeys } from '../src/webdav/dav-resource-key.js';

describe('WebDAV stores', () => {
  forEachDatabase((current) => {
    it('applies patches in order and moves, copies and drops whole trees', async () => {
      const props = new DavPropertyStore(current().db);
      await props.patch('home:1:/a', [
        { op: 'set', name: '{urn:x}p', value: '<x:p xmlns:x="urn:x">1</x:p>' },
        { op: 'set', name: '{urn:x}q', value: '<x:q xmlns:x="urn:x">2</x:q>' },
        { op: 'remove', name: '{urn:x}q' },
      ]);
      await props.patch('home:1:/a/b', [{ op: 'set', name: '{urn:x}p', value: '<x:p xmlns:x="urn:x">child</x:p>' }]);
      await props.patch('home:1:/A/b', [{ op: 'set', name: '{urn:x}p', value: 'other case' }]);
      await props.patch('home:1:/a_/b', [{ op: 'set', name: '{urn:x}p', value: 'wildcard neighbour' }]);
      expect([...(await props.get('home:1:/a')).keys()]).toEqual(['{urn:x}p']);

      await props.transferTree('home:1:/a', 'home:1:/c', { move: false, deep: true });
      expect((await props.get('home:1:/c/b')).get('{urn:x}p')).toBe('<x:p xmlns:x="urn:x">child</x:p>');
      await props.transferTree('home:1:/a', 'home:1:/d', { move: true, deep: true });
      expect((await props.get('home:1:/a')).size).toBe(0);
      expect((await props.get('home:1:/a/b')).size).toBe(0);
      expect((await props.get('home:1:/d/b')).size).toBe(1);
      expect((await props.get('home:1:/A/b')).get('{urn:x}p')).toBe('other case');
      expect((await props.get('home:1:/a_/b')).get('{urn:x}p')).toBe('wildcard neighbour');

      await props.removeTree('home:1:/d');
      expect((await props.get('home:1:/d/b')).size).toBe(0);
      expect((await props.get('home:1:/c/b')).size).toBe(1);
      const many = await props.getMany(['home:1:/c', 'home:1:/c/b', 'home:1:/none']);
      expect([...many.keys()].sort()).toEqual(['home:1:/c', 'home:1:/c/b']);
    });

    it('finds the locks covering a resource by depth, below it, and forgets expired ones', async () => {
      let now = 1_000_000;
      const locks = new DavLockStore(current().db, () => now);
      const deep = await locks.create({ resource: 'home:1:/coll', scope: 'shared', depth: 'infinity', owner: '', principal: 'user:1', timeoutSeconds: 60 });
      const flat = await locks.create({ resource: 'home:1:/flat', scope: 'exclusive', depth: '0', owner: '<D:owner xmlns:D="DAV:">me</D:owner>', principal: 'user:1', timeoutSeconds: 600 });
      expect((await locks.covering('home:1:/coll/x/y')).map((l) => l.token)).toEqual([deep.token]);
      expect(await locks.covering('home:1:/flat/x')).toEqual([]);
      expect((await locks.covering('home:1:/flat')).map((l) => l.owner)).toEqual(['<D:owner xmlns:D="DAV:">me</D:owner>']);
      expect(await locks.covering('home:1:/collx')).toEqual([]);
      expect((await locks.below('home:1:/')).map((l) => l.token).sort()).toEqual([deep.token, flat.token].sort());
      now += 61_000;
      expect(await locks.covering('home:1:/coll/x')).toEqual([]);
      expect(await locks.get(deep.token)).toBeUndefined();
      const refreshed = await locks.refresh(flat, 10);
      expect(refreshed.expiresAt).toBe(now + 10_000);
      await locks.removeTree('home:1:/');
      expect(await locks.get(flat.token)).toBeUndefined();
    });
  });

  it('lists the ancestors of a key, names with colons and slashes included', () => {
    expect(ancestorKeys('home:1:/a/b:/c')).toEqual(['home:1:/', 'home:1:/a', 'home:1:/a/b:']);
    expect(ancestorKeys('home:1:/')).toEqual([]);
  });
});
