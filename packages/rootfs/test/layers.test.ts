import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractTar, listTree, removeAll, tarOf, tempDir, type Member } from './tar-helpers';

let root: string;
beforeEach(() => {
  root = tempDir('layers');
});
afterEach(() => removeAll(root));

const apply = async (...layers: Member[][]) => extractTar(await Promise.all(layers.map((l) => tarOf(l))), root, { layers: true });
const read = (rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');

describe('layers: whiteouts and opaque directories across three layers', () => {
  it('gives the tree a union filesystem would show', async () => {
    await apply(
      [
        { name: 'etc/', type: 'directory', mode: 0o755 },
        { name: 'etc/keep', body: '1' },
        { name: 'etc/drop', body: '1' },
        { name: 'var/cache/', type: 'directory', mode: 0o755 },
        { name: 'var/cache/a', body: '1' },
        { name: 'var/cache/sub/b', body: '1' },
        { name: 'opt/tree/deep/file', body: '1' },
      ],
      [
        { name: 'etc/.wh.drop', body: '' },
        { name: 'etc/new', body: '2' },
        { name: 'var/cache/.wh..wh..opq', body: '' },
        { name: 'var/cache/fresh', body: '2' },
        { name: 'opt/.wh.tree', body: '' },
      ],
      [
        { name: 'etc/.wh.new', body: '' },
        { name: 'etc/drop', body: '3' },
        { name: 'var/cache/fresh', body: '3' },
      ],
    );
    expect(listTree(root)).toEqual(['etc', 'etc/drop', 'etc/keep', 'opt', 'var', 'var/cache', 'var/cache/fresh']);
    expect(read('etc/drop')).toBe('3');
    expect(read('var/cache/fresh')).toBe('3');
  });

  it('an opaque marker after its own layer\'s entries keeps them, and hides lower ones below kept directories', async () => {
    await apply(
      [{ name: 'd/old', body: '1' }, { name: 'd/sub/lower', body: '1' }],
      [{ name: 'd/sub/upper', body: '2' }, { name: 'd/mine', body: '2' }, { name: 'd/.wh..wh..opq', body: '' }],
    );
    expect(listTree(root)).toEqual(['d', 'd/mine', 'd/sub', 'd/sub/upper']);
  });

  it('a whiteout never hides what its own layer made', async () => {
    await apply([{ name: 'a', body: '1' }], [{ name: 'b', body: '2' }, { name: '.wh.b', body: '' }, { name: '.wh.a', body: '' }]);
    expect(listTree(root)).toEqual(['b']);
  });

  it('a later layer replaces a directory by a file and a file by a directory', async () => {
    await apply([{ name: 'x/inner', body: '1' }, { name: 'y', body: '1' }], [{ name: 'x', body: 'file' }, { name: 'y/', type: 'directory', mode: 0o700 }]);
    expect(read('x')).toBe('file');
    expect(fs.statSync(path.join(root, 'y')).mode & 0o777).toBe(0o700);
  });

  it('a symlink planted in one layer does not carry a later layer\'s write outside', async () => {
    const outside = tempDir('outside');
    try {
      // The link resolves inside the root, where its target does not exist: refused.
      await expect(apply([{ name: 'link', type: 'symlink', linkname: outside }], [{ name: 'link/evil', body: 'x' }])).rejects.toThrow(
        'cannot create file archive member "link/evil": ENOENT',
      );
      expect(fs.readdirSync(outside)).toEqual([]);
      // Its target made inside the root by the lower layer: written there.
      await apply([{ name: `${outside.slice(1)}/`, type: 'directory', mode: 0o755 }, { name: 'l2', type: 'symlink', linkname: outside }], [{ name: 'l2/evil', body: 'x' }]);
      expect(fs.readdirSync(outside)).toEqual([]);
      expect(read(`${outside.slice(1)}/evil`)).toBe('x');
    } finally {
      removeAll(outside);
    }
  });

  it('hardlinks to files of lower layers', async () => {
    await apply([{ name: 'bin/busybox', body: 'bb', mode: 0o755 }], [{ name: 'bin/sh', type: 'link', linkname: 'bin/busybox' }]);
    expect(fs.statSync(path.join(root, 'bin/sh')).ino).toBe(fs.statSync(path.join(root, 'bin/busybox')).ino);
  });

  it('keeps read-only directory modes of lower layers until every layer is in', async () => {
    await apply([{ name: 'ro/', type: 'directory', mode: 0o555 }], [{ name: 'ro/later', body: 'x' }]);
    expect(read('ro/later')).toBe('x');
    expect(fs.statSync(path.join(root, 'ro')).mode & 0o777).toBe(0o555);
  });
});
