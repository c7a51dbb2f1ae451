import { describe, expect, it } from 'vitest';
import { formatIdMap, parseIdMap, validateIdMap, type IdMap } from '../src/map';
import { errorOf } from './expect-error';

describe('parseIdMap', () => {
  it('parses the classic comma-separated syntax', () => {
    expect(parseIdMap('0 1000 1,1 100000 65536', 'uid')).toEqual([
      { inside: 0, outside: 1000, length: 1 },
      { inside: 1, outside: 100000, length: 65536 },
    ]);
  });

  it('parses the colon syntax', () => {
    expect(parseIdMap('0:1000:1,1:100000:65536', 'gid')).toEqual([
      { inside: 0, outside: 1000, length: 1 },
      { inside: 1, outside: 100000, length: 65536 },
    ]);
  });

  it('tolerates extra whitespace and newline separators (kernel file format)', () => {
    const text = '         0       1000          1\n         1     100000      65536\n';
    expect(parseIdMap(text, 'uid')).toHaveLength(2);
    expect(parseIdMap('  0  1000\t1 ,  1 100000 65536  ', 'uid')).toHaveLength(2);
  });

  it('names the bad record', () => {
    const e = errorOf(() => parseIdMap('0 1000 1,0 1000', 'uid'));
    expect(e.step).toBe('parse');
    expect(e.message).toBe('invalid uid map record "0 1000": expected "ID-inside ID-outside length"');
  });

  it('rejects mixed separators, signs, non-numbers and empty records', () => {
    for (const bad of ['0:1000 1', '-1 1000 1', '0 0x10 1', 'a b c', '0 1000 1,,1 2000 1', '0 1000 1 5']) {
      expect(errorOf(() => parseIdMap(bad, 'gid')).message).toMatch(/^invalid gid map record ".*": expected/);
    }
  });

  it('rejects empty text', () => {
    expect(errorOf(() => parseIdMap('  ', 'uid')).message).toMatch(/^empty uid map/);
  });

  it('validates what it parses', () => {
    const e = errorOf(() => parseIdMap('0 1000 0', 'uid'));
    expect(e.step).toBe('validate');
  });
});

describe('validateIdMap', () => {
  const ok: IdMap = [
    { inside: 0, outside: 1000, length: 1 },
    { inside: 1, outside: 100000, length: 65536 },
  ];

  it('accepts a valid map', () => {
    expect(() => validateIdMap(ok, 'uid')).not.toThrow();
  });

  it('rejects an empty map', () => {
    expect(errorOf(() => validateIdMap([], 'uid')).message).toMatch(/^empty uid map/);
  });

  it('rejects zero length, naming the record', () => {
    const e = errorOf(() => validateIdMap([{ inside: 0, outside: 1000, length: 0 }], 'uid'));
    expect(e.step).toBe('validate');
    expect(e.message).toBe('invalid uid map record "0 1000 0": length must be at least 1');
  });

  it('rejects non-integer and negative numbers', () => {
    expect(errorOf(() => validateIdMap([{ inside: -1, outside: 1000, length: 1 }], 'uid')).message).toMatch(
      /"-1 1000 1": ids and length must be non-negative integers/,
    );
    expect(errorOf(() => validateIdMap([{ inside: 0, outside: 1.5, length: 1 }], 'uid')).message).toMatch(/non-negative integers/);
  });

  it('rejects ids reaching (u32)-1 on either side', () => {
    expect(() => validateIdMap([{ inside: 4294967294, outside: 1000, length: 1 }], 'uid')).not.toThrow();
    expect(errorOf(() => validateIdMap([{ inside: 4294967295, outside: 1000, length: 1 }], 'uid')).message).toMatch(
      /"4294967295 1000 1": ids must stay below 4294967295/,
    );
    expect(errorOf(() => validateIdMap([{ inside: 0, outside: 4294967000, length: 1000 }], 'gid')).message).toMatch(
      /^invalid gid map record "0 4294967000 1000": ids must stay below/,
    );
    expect(() => parseIdMap('0 1000 99999999999999999999', 'uid')).toThrow(/ids must stay below/);
  });

  it('rejects overlapping inside ranges, naming both records', () => {
    const e = errorOf(() =>
      validateIdMap(
        [
          { inside: 0, outside: 1000, length: 10 },
          { inside: 20, outside: 3000, length: 1 },
          { inside: 5, outside: 2000, length: 2 },
        ],
        'uid',
      ),
    );
    expect(e.message).toBe(
      'uid map records "0 1000 10" and "5 2000 2" overlap (inside ids 5-6): give each record its own inside range',
    );
  });

  it('rejects overlapping outside ranges, naming both records', () => {
    const e = errorOf(() =>
      validateIdMap(
        [
          { inside: 0, outside: 100000, length: 100 },
          { inside: 100, outside: 100099, length: 5 },
        ],
        'gid',
      ),
    );
    expect(e.message).toBe(
      'gid map records "0 100000 100" and "100 100099 5" overlap (host ids 100099-100099): give each record its own host range',
    );
  });

  it('accepts adjacent ranges', () => {
    expect(() =>
      validateIdMap(
        [
          { inside: 0, outside: 100, length: 10 },
          { inside: 10, outside: 110, length: 10 },
        ],
        'uid',
      ),
    ).not.toThrow();
  });

  it('enforces the kernel limit of 340 records', () => {
    // short numbers: 340 records that still fit the kernel's one-page write
    const records = (n: number): IdMap => Array.from({ length: n }, (_, i) => ({ inside: i, outside: 1000 + i, length: 1 }));
    expect(() => validateIdMap(records(340), 'uid')).not.toThrow();
    expect(errorOf(() => validateIdMap(records(341), 'uid')).message).toBe(
      'uid map has 341 records but the kernel accepts at most 340: merge adjacent ranges',
    );
  });
});

describe('validateIdMap: the one-page write', () => {
  it('refuses a map the kernel could not read in one write of a page', () => {
    const map: IdMap = Array.from({ length: 300 }, (_, i) => ({ inside: 100000 + i, outside: 100000 + i, length: 1 }));
    expect(errorOf(() => validateIdMap(map, 'uid')).message).toBe(
      'uid map is 4800 bytes written out but the kernel takes less than 4096: merge adjacent ranges',
    );
  });
});

describe('formatIdMap', () => {
  it('writes one "inside outside length" line per record', () => {
    const map = parseIdMap('0 1000 1,1:100000:65536', 'uid');
    expect(formatIdMap(map)).toBe('0 1000 1\n1 100000 65536\n');
  });

  it('round-trips through parseIdMap', () => {
    const map = parseIdMap('0 1000 1,1 100000 65536,65537 200000 10', 'gid');
    expect(parseIdMap(formatIdMap(map), 'gid')).toEqual(map);
  });
});
