import { describe, expect, it } from 'vitest';
import { checkGranted } from '../src/grant';
import { parseIdMap } from '../src/map';
import { errorOf } from './expect-error';

const ranges = [{ start: 100000, count: 65536 }];

describe('checkGranted', () => {
  it("allows the caller's own id", () => {
    expect(() => checkGranted(parseIdMap('0 1000 1', 'uid'), 'uid', 1000, [])).not.toThrow();
  });

  it('allows records inside a granted range', () => {
    const map = parseIdMap('0 1000 1,1 100000 65536', 'uid');
    expect(() => checkGranted(map, 'uid', 1000, ranges, 'alice')).not.toThrow();
    expect(() => checkGranted(parseIdMap('0 100010 10', 'gid'), 'gid', 1000, ranges)).not.toThrow();
  });

  it('refuses a record outside the granted ranges, with the line that would grant it', () => {
    const e = errorOf(() => checkGranted(parseIdMap('0 1000 1,1 165000 1000', 'uid'), 'uid', 1000, ranges, 'alice'));
    expect(e.step).toBe('grant');
    expect(e.message).toBe(
      'uid map record "1 165000 1000" uses host uids 165000-165999, which /etc/subuid does not grant to you: add "alice:165000:1000" to /etc/subuid',
    );
  });

  it('refuses more than the own id without a range', () => {
    const e = errorOf(() => checkGranted(parseIdMap('0 1000 2', 'gid'), 'gid', 1000, [], 'alice'));
    expect(e.message).toMatch(/add "alice:1000:2" to \/etc\/subgid$/);
  });

  it('suggests the numeric uid when no owner name is given', () => {
    const e = errorOf(() => checkGranted(parseIdMap('0 5 1', 'uid'), 'uid', 1000, []));
    expect(e.message).toMatch(/add "1000:5:1" to \/etc\/subuid$/);
  });

  it('refuses host id 0 unless the caller is root, even if a range claims it', () => {
    const e = errorOf(() => checkGranted(parseIdMap('0 0 1', 'uid'), 'uid', 1000, [{ start: 0, count: 10 }]));
    expect(e.message).toBe(
      'uid map record "0 0 1" maps host uid 0 (root), which only root may map: map your own uid instead ("0 1000 1")',
    );
    expect(() => checkGranted(parseIdMap('0 0 1', 'uid'), 'uid', 0, [])).not.toThrow();
  });
});
