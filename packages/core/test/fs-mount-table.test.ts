import { describe, expect, it } from 'vitest';
import { MountTable, type MountedRoot } from '../src/fs/mount-table.js';

/** The plain definition the indexed table must agree with: longest prefix wins. */
function naiveLookup(mounts: readonly MountedRoot<string>[], parts: readonly string[]): string {
  let best: MountedRoot<string> | undefined;
  for (const m of mounts) {
    if (m.mountParts.length > parts.length) continue;
    if (m.mountParts.every((p, i) => parts[i] === p) && (best === undefined || m.mountParts.length > best.mountParts.length)) best = m;
  }
  if (best !== undefined) return `root:${best.root}:${parts.slice(best.mountParts.length).join('/')}`;
  const below = mounts.some((m) => m.mountParts.length > parts.length && parts.every((p, i) => m.mountParts[i] === p));
  return below ? 'virtual' : 'none';
}

function describeLookup(table: MountTable<string>, parts: readonly string[]): string {
  const r = table.lookup(parts);
  return r.kind === 'root' ? `root:${r.mount.root}:${r.rel.join('/')}` : r.kind;
}

describe('MountTable', () => {
  it('agrees with the longest-prefix rule on nested and sibling mounts, with and without a root at /', () => {
    const names = ['A', 'B', 'Phys', 'Physics', 'x'];
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round += 1) {
      const mounts: MountedRoot<string>[] = [];
      const seen = new Set<string>();
      if (round % 2 === 0) {
        mounts.push({ root: 'home', mountParts: [] });
        seen.add('');
      }
      for (let i = 0; i < 6; i += 1) {
        const parts = Array.from({ length: 1 + rand(3) }, () => names[rand(names.length)] as string);
        if (seen.has(parts.join('/'))) continue;
        seen.add(parts.join('/'));
        mounts.push({ root: `r${i}`, mountParts: parts });
      }
      const table = new MountTable(mounts);
      for (let q = 0; q < 30; q += 1) {
        const parts = Array.from({ length: rand(4) }, () => names[rand(names.length)] as string);
        expect(describeLookup(table, parts), `${JSON.stringify(mounts)} ${parts.join('/')}`).toBe(naiveLookup(mounts, parts));
        const expectedMountPoint = mounts.some((m) => m.mountParts.join('/') === parts.join('/'));
        expect(table.isMountPoint(parts)).toBe(expectedMountPoint);
      }
    }
  });

  it('lists the mount points and virtual folders directly below a folder', () => {
    const table = new MountTable<string>([
      { root: 'home', mountParts: [] },
      { root: 'a', mountParts: ['A'] },
      { root: 'ab', mountParts: ['A', 'B'] },
      { root: 'cd', mountParts: ['C', 'D'] },
      { root: 'pp', mountParts: ['private_base', 'A'] },
    ]);
    expect([...table.childrenOf([]).entries()].map(([n, m]) => `${n}=${m?.root ?? 'virtual'}`).sort()).toEqual(['A=a', 'C=virtual', 'private_base=virtual']);
    expect([...table.childrenOf(['A']).keys()]).toEqual(['B']);
    expect([...table.childrenOf(['C']).entries()].map(([n, m]) => `${n}=${m?.root}`)).toEqual(['D=cd']);
    expect(table.childrenOf(['A', 'B']).size).toBe(0);
    expect(table.hasMountsBelow(['C'])).toBe(true);
    expect(table.hasMountsBelow(['Cx'])).toBe(false);
  });
});
