import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeEnv, parseEnvArg, parseEnvFile, parseVolume, UsageError } from '../src/run/parse';
import { expectThrown } from '../../../test/support/expect-thrown';

const usageError = (fn: () => unknown): UsageError => expectThrown(UsageError, fn);

describe('parseVolume', () => {
  let base: string;
  let src: string;
  beforeAll(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'minictl-parse-')));
    src = path.join(base, 'src');
    fs.mkdirSync(src);
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('makes a writable recursive bind of HOSTPATH:PATH', () => {
    expect(parseVolume(`${src}:/data`)).toEqual({ destination: '/data', type: 'bind', source: src, options: ['rbind', 'rw'] });
  });

  it('makes a read-only bind with :ro', () => {
    expect(parseVolume(`${src}:/data:ro`).options).toEqual(['rbind', 'ro']);
  });

  it('accepts an explicit :rw', () => {
    expect(parseVolume(`${src}:/data:rw`).options).toEqual(['rbind', 'rw']);
  });

  it('resolves a relative host path against the given directory', () => {
    expect(parseVolume('src:/data', base).source).toBe(src);
    expect(parseVolume('./src/../src:/data', base).source).toBe(src);
  });

  it('resolves a relative host path against the current directory by default', () => {
    expect(parseVolume('.:/data').source).toBe(process.cwd());
  });

  it('normalises the container path', () => {
    expect(parseVolume(`${src}:/data//sub/./x`).destination).toBe('/data/sub/x');
  });

  it.each(['nocolon', `:/data`, '/src:', `/src:/data:rx`, `/src:/data:ro:extra`, '::'])('refuses the form %j', (text) => {
    expect(usageError(() => parseVolume(text, base)).message).toBe(
      `invalid volume ${JSON.stringify(text)}: expected HOSTPATH:PATH[:ro]`,
    );
  });

  it.each(['data', '/data/../etc', '../data'])('refuses the container path %j', (target) => {
    const text = `${src}:${target}`;
    expect(usageError(() => parseVolume(text)).message).toBe(
      `invalid volume ${JSON.stringify(text)}: the container path must be absolute, without "..", and not /`,
    );
  });

  it('refuses a host path that does not exist, naming the resolved path', () => {
    expect(usageError(() => parseVolume('missing:/data', base)).message).toBe(
      `invalid volume "missing:/data": ${path.join(base, 'missing')} does not exist`,
    );
  });
});

describe('parseEnvArg', () => {
  it('keeps KEY=VALUE as given', () => {
    expect(parseEnvArg('A=1', {})).toBe('A=1');
  });

  it('keeps an empty value and values containing =', () => {
    expect(parseEnvArg('A=', {})).toBe('A=');
    expect(parseEnvArg('OPTS=a=b c', {})).toBe('OPTS=a=b c');
  });

  it("passes a bare KEY through with the host's value", () => {
    expect(parseEnvArg('HOME', { HOME: '/home/u' })).toBe('HOME=/home/u');
  });

  it('passes a host value that is empty', () => {
    expect(parseEnvArg('EMPTY', { EMPTY: '' })).toBe('EMPTY=');
  });

  it('drops a bare KEY the host does not have', () => {
    expect(parseEnvArg('MISSING', { HOME: '/home/u' })).toBeUndefined();
  });

  it('reads process.env by default', () => {
    process.env.MINICTL_TEST_PASS = 'through';
    try {
      expect(parseEnvArg('MINICTL_TEST_PASS')).toBe('MINICTL_TEST_PASS=through');
    } finally {
      delete process.env.MINICTL_TEST_PASS;
    }
  });

  it.each(['=value', '', 'A B=1', 'A B', ' A=1'])('refuses %j', (text) => {
    expect(usageError(() => parseEnvArg(text, {})).message).toBe(
      `invalid environment variable ${JSON.stringify(text)}: expected KEY=VALUE`,
    );
  });
});

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines in order', () => {
    expect(parseEnvFile('A=1\nB=two words\n', 'env.list', {})).toEqual(['A=1', 'B=two words']);
  });

  it('skips blank lines and # comments', () => {
    expect(parseEnvFile('# header\n\nA=1\n   \n  # indented comment\nB=2', 'env.list', {})).toEqual(['A=1', 'B=2']);
  });

  it('accepts CRLF line ends', () => {
    expect(parseEnvFile('A=1\r\nB=2\r\n', 'env.list', {})).toEqual(['A=1', 'B=2']);
  });

  it("passes bare keys through from the host and drops those it lacks", () => {
    expect(parseEnvFile('USER\nNOPE\nA=1\n', 'env.list', { USER: 'alice' })).toEqual(['USER=alice', 'A=1']);
  });

  it('names the file and line of a bad entry', () => {
    expect(usageError(() => parseEnvFile('A=1\n# ok\n=oops\n', 'conf/env.list', {})).message).toBe(
      'conf/env.list:3: expected KEY=VALUE, got "=oops"',
    );
  });

  it('counts CRLF lines the same way', () => {
    expect(usageError(() => parseEnvFile('A=1\r\nBAD KEY=2\r\n', 'env.list', {})).message).toBe(
      'env.list:2: expected KEY=VALUE, got "BAD KEY=2"',
    );
  });

  it('returns nothing for an empty file', () => {
    expect(parseEnvFile('', 'env.list', {})).toEqual([]);
  });
});

describe('mergeEnv', () => {
  it('lets later lists win while keeping the position of the first occurrence', () => {
    expect(mergeEnv(['PATH=/bin', 'HOME=/root', 'HOSTNAME=box'], ['HOME=/home/u', 'A=1'], ['PATH=/usr/bin', 'B=2'])).toEqual([
      'PATH=/usr/bin',
      'HOME=/home/u',
      'HOSTNAME=box',
      'A=1',
      'B=2',
    ]);
  });

  it('uses the part before the first = as the key', () => {
    expect(mergeEnv(['A=x=1'], ['A=y=2', 'AA=3'])).toEqual(['A=y=2', 'AA=3']);
  });

  it('applies the same rule within one list', () => {
    expect(mergeEnv(['A=1', 'B=2', 'A=3'])).toEqual(['A=3', 'B=2']);
  });

  it('returns an empty list for no input', () => {
    expect(mergeEnv()).toEqual([]);
    expect(mergeEnv([], [])).toEqual([]);
  });
});
