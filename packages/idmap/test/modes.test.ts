import { describe, expect, it } from 'vitest';
import { formatIdMap } from '../src/map';
import { mapsForMode } from '../src/modes';
import { errorOf } from './expect-error';

const alice = { uid: 1000, gid: 1001, name: 'alice' };
const sub = [{ start: 100000, count: 65536 }];

describe('mapsForMode', () => {
  it('root: own ids as 0, no helpers', () => {
    const m = mapsForMode('root', alice, sub, sub, true);
    expect(formatIdMap(m.uidMap)).toBe('0 1000 1\n');
    expect(formatIdMap(m.gidMap)).toBe('0 1001 1\n');
    expect(m.useHelpers).toBe(false);
    expect(m.notice).toBeUndefined();
  });

  it('subuid: own id as 0, the range from 1', () => {
    const m = mapsForMode('subuid', alice, sub, [{ start: 200000, count: 1000 }], true);
    expect(formatIdMap(m.uidMap)).toBe('0 1000 1\n1 100000 65536\n');
    expect(formatIdMap(m.gidMap)).toBe('0 1001 1\n1 200000 1000\n');
    expect(m.useHelpers).toBe(true);
  });

  it('subuid: further ranges follow contiguously inside; duplicates and the own id are cut out', () => {
    const ranges = [
      { start: 100000, count: 10 },
      { start: 100000, count: 10 }, // same range listed by name and by uid
      { start: 995, count: 10 }, // contains uid 1000
    ];
    const m = mapsForMode('subuid', alice, ranges, sub, true);
    expect(formatIdMap(m.uidMap)).toBe('0 1000 1\n1 100000 10\n11 995 5\n16 1001 4\n');
  });

  it('subuid: errors with remedies when ranges or helpers are missing', () => {
    const noRange = errorOf(() => mapsForMode('subuid', alice, [], sub, true));
    expect(noRange.step).toBe('userns');
    expect(noRange.message).toBe(
      'userns mode "subuid" needs subordinate ids: no subordinate id range for "alice" in /etc/subuid: add a line such as "alice:100000:65536" (a range no other user has) to it',
    );
    expect(errorOf(() => mapsForMode('subuid', alice, [], [], true)).message).toMatch(
      /in \/etc\/subuid and \/etc\/subgid: .* to each$/,
    );
    expect(errorOf(() => mapsForMode('subuid', alice, sub, sub, false)).message).toMatch(
      /newuidmap\/newgidmap are missing or not setuid root: install or reinstall the "uidmap" package/,
    );
  });

  it('keep-id: uid 1000 keeps its number, range 100000:65536 fills around it', () => {
    const m = mapsForMode('keep-id', { uid: 1000, gid: 1000, name: 'alice' }, sub, sub, true);
    const expected = '0 100000 1000\n1000 1000 1\n1001 101000 64536\n';
    expect(formatIdMap(m.uidMap)).toBe(expected);
    expect(formatIdMap(m.gidMap)).toBe(expected);
    expect(m.useHelpers).toBe(true);
  });

  it('keep-id: a range smaller than the uid fills what fits below it', () => {
    const m = mapsForMode('keep-id', alice, [{ start: 100000, count: 500 }], [{ start: 200000, count: 2000 }], true);
    expect(formatIdMap(m.uidMap)).toBe('0 100000 500\n1000 1000 1\n');
    expect(formatIdMap(m.gidMap)).toBe('0 200000 1001\n1001 1001 1\n1002 201001 999\n');
  });

  it('keep-id: errors when impossible', () => {
    expect(errorOf(() => mapsForMode('keep-id', alice, sub, [], true)).message).toMatch(
      /^userns mode "keep-id" needs subordinate ids: no subordinate id range for "alice" in \/etc\/subgid/,
    );
    expect(() => mapsForMode('keep-id', alice, sub, sub, false)).toThrow(/uidmap/);
  });

  it('auto: uses the ranges when it can', () => {
    const m = mapsForMode('auto', alice, sub, sub, true);
    expect(formatIdMap(m.uidMap)).toBe('0 1000 1\n1 100000 65536\n');
    expect(m.useHelpers).toBe(true);
    expect(m.notice).toBeUndefined();
  });

  it('auto: falls back to the root mapping with a notice', () => {
    const m = mapsForMode('auto', alice, [], sub, true);
    expect(formatIdMap(m.uidMap)).toBe('0 1000 1\n');
    expect(formatIdMap(m.gidMap)).toBe('0 1001 1\n');
    expect(m.useHelpers).toBe(false);
    expect(m.notice).toBe(
      'mapping only uid 1000 and gid 1001 (as root) into the container: no subordinate id range for "alice" in /etc/subuid: add a line such as "alice:100000:65536" (a range no other user has) to it',
    );
    expect(mapsForMode('auto', alice, sub, sub, false).notice).toMatch(/"uidmap" package/);
  });
});
