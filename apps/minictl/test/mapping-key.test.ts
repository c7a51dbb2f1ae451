import { describe, expect, it } from 'vitest';
import { mappingKey } from '../src/identity/namespaced';
import type { ResolvedIdentity } from '../src/identity/resolve';

const ids = (uid: [number, number, number][], gid: [number, number, number][]): ResolvedIdentity => ({
  uidMappings: uid.map(([containerID, hostID, size]) => ({ containerID, hostID, size })),
  gidMappings: gid.map(([containerID, hostID, size]) => ({ containerID, hostID, size })),
  useIdHelpers: uid.length > 1,
  setgroups: 'deny',
});

describe('mappingKey', () => {
  // The names of trees already in users' caches: values of the 64-bit FNV-1a the key has
  // always been (then computed with BigInt).
  it('is the first 12 hex digits of the 64-bit FNV-1a of the maps', () => {
    const range: [number, number, number][] = [
      [0, 1001, 1],
      [1, 100000, 65536],
    ];
    expect(mappingKey(ids(range, range))).toBe('aa7f6af8d173');
    expect(mappingKey(ids([[0, 4294967294, 1]], [[0, 7, 1]]))).toBe('0e56905a1fc7');
  });

  it('tells mappings apart', () => {
    expect(mappingKey(ids([[0, 1000, 1]], [[0, 1000, 1]]))).not.toBe(mappingKey(ids([[0, 1001, 1]], [[0, 1000, 1]])));
  });
});
