import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSubIdFile, readSubIds, subIdFile } from '../src/subid';

const alice = { name: 'alice', id: 1000 };

describe('parseSubIdFile', () => {
  it('finds entries by name', () => {
    expect(parseSubIdFile('bob:100000:65536\nalice:165536:65536\n', alice)).toEqual([{ start: 165536, count: 65536 }]);
  });

  it('finds entries by numeric uid', () => {
    expect(parseSubIdFile('1000:200000:1000\n1001:300000:1000\n', alice)).toEqual([{ start: 200000, count: 1000 }]);
  });

  it('keeps every matching range in file order', () => {
    const text = 'alice:100000:65536\nbob:1:2\n1000:300000:10\nalice:200000:5\n';
    expect(parseSubIdFile(text, alice)).toEqual([
      { start: 100000, count: 65536 },
      { start: 300000, count: 10 },
      { start: 200000, count: 5 },
    ]);
  });

  it('skips comments, blank lines and malformed lines', () => {
    const text = [
      '# alice:1:1',
      '',
      '   ',
      'alice:100000',
      'alice:100000:65536:1',
      'alice:x:10',
      'alice:-5:10',
      'alice:5:0',
      'alice:4294967290:10',
      'alice :7:7',
      '  alice:100000:65536  \r',
    ].join('\n');
    expect(parseSubIdFile(text, alice)).toEqual([{ start: 100000, count: 65536 }]);
  });

  it('does not match other users or prefixes of the name', () => {
    expect(parseSubIdFile('alicex:1:1\nalic:2:2\n10000:3:3\n', alice)).toEqual([]);
  });
});

describe('readSubIds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idmap-subid-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file', () => {
    const file = join(dir, 'subuid');
    writeFileSync(file, 'alice:100000:65536\n');
    expect(readSubIds('uid', alice, file)).toEqual([{ start: 100000, count: 65536 }]);
  });

  it('treats a missing file as no ranges', () => {
    expect(readSubIds('gid', alice, join(dir, 'nope'))).toEqual([]);
  });

  it('defaults to /etc/subuid and /etc/subgid', () => {
    expect(subIdFile('uid')).toBe('/etc/subuid');
    expect(subIdFile('gid')).toBe('/etc/subgid');
  });
});
