import { describe, expect, it } from 'vitest';
import { entryPath } from '../src/entry-path';
import { ImageError } from '../src/errors';

function refusal(name: string): ImageError {
  try {
    entryPath(name);
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return e as ImageError;
  }
  throw new Error(`entryPath(${JSON.stringify(name)}) was accepted`);
}

describe('entryPath', () => {
  it('keeps a plain relative name', () => {
    expect(entryPath('usr/bin/env')).toBe('usr/bin/env');
  });

  it('drops leading slashes', () => {
    expect(entryPath('/etc/passwd')).toBe('etc/passwd');
    expect(entryPath('///etc/passwd')).toBe('etc/passwd');
  });

  it('drops a leading ./', () => {
    expect(entryPath('./etc/passwd')).toBe('etc/passwd');
    expect(entryPath('././etc')).toBe('etc');
  });

  it('normalises doubled slashes and inner . components', () => {
    expect(entryPath('a//b/./c')).toBe('a/b/c');
  });

  it('drops a trailing slash (directory members)', () => {
    expect(entryPath('usr/lib/')).toBe('usr/lib');
  });

  it('keeps names that merely contain dots', () => {
    expect(entryPath('a/..b/c..')).toBe('a/..b/c..');
    expect(entryPath('.hidden/...')).toBe('.hidden/...');
  });

  it.each(['./', '/', '.', '', '//', './/.'])('maps the root spelled %j to ""', (name) => {
    expect(entryPath(name)).toBe('');
  });

  it.each(['..', '../x', 'a/../../x', '/../x', './..', 'a/b/..', 'a/../b', '../', '/..', 'a/..'])(
    'refuses the traversal %j',
    (name) => {
      const e = refusal(name);
      expect(e.step).toBe('extract');
      expect(e.message).toBe(
        `archive member ${JSON.stringify(name)} would land outside the image root; refusing the archive`,
      );
    },
  );

  it('refuses a NUL byte', () => {
    expect(refusal('etc/passwd\0.txt').step).toBe('extract');
  });
});
