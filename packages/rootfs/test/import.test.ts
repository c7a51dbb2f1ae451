import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { findImported } from '../src/cached';
import { ImageError } from '../src/errors';
import { importImage } from '../src/import';
import { storeFor, type Store } from '../src/store';
import { removeAll, tarOf, tempDir, zstdOf } from './tar-helpers';

let tmp: string;
let store: Store;
beforeEach(() => {
  tmp = tempDir('import');
  store = storeFor({ XDG_DATA_HOME: tmp, HOME: tmp });
});
afterEach(() => removeAll(tmp));

const sha256 = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

/** A small image: a directory, a file and a symlink. */
const imageTar = () =>
  tarOf([
    { name: './', type: 'directory', mode: 0o755 },
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/os-release', body: 'ID=test\n' },
    { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
  ]);

function write(name: string, bytes: Buffer): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Deterministic noise: a failure must not depend on what the random bytes happen to be. */
function noise(length: number, seed = 12345): Buffer {
  const b = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  b[0] = 0x42; // neither the gzip (1f 8b) nor the zstd (28 b5 2f fd) magic
  return b;
}

const storedImages = () => (fs.existsSync(store.images) ? fs.readdirSync(store.images) : []);
const indexed = (): Record<string, unknown> =>
  fs.existsSync(store.index) ? (JSON.parse(fs.readFileSync(store.index, 'utf8')) as Record<string, unknown>) : {};

async function importError(file: string): Promise<ImageError> {
  const e = await importImage(file, store).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ImageError);
  return e as ImageError;
}

describe('importImage', () => {
  it('detects gzip by content, even in a file named .tar', async () => {
    const gz = zlib.gzipSync(await imageTar());
    const file = write('x.tar', gz);
    const image = await importImage(file, store);
    expect(image).toEqual({ digest: sha256(gz), rootfs: path.join(store.images, sha256(gz), 'rootfs'), defaults: {} });
    expect(fs.readFileSync(path.join(image.rootfs, 'etc/os-release'), 'utf8')).toBe('ID=test\n');
    expect(fs.readlinkSync(path.join(image.rootfs, 'bin/sh'))).toBe('busybox');
  });

  it('detects a plain tar by content, even in a file named .tgz', async () => {
    const tar = await imageTar();
    const file = write('y.tgz', tar);
    const image = await importImage(file, store);
    expect(image).toEqual({ digest: sha256(tar), rootfs: path.join(store.images, sha256(tar), 'rootfs'), defaults: {} });
    expect(fs.readFileSync(path.join(image.rootfs, 'etc/os-release'), 'utf8')).toBe('ID=test\n');
  });

  it('leaves only the image directory in the store, no temporary trees', async () => {
    const tar = await imageTar();
    await importImage(write('img.tar', tar), store);
    expect(storedImages()).toEqual([sha256(tar)]);
    expect(fs.readdirSync(path.join(store.images, sha256(tar))).sort()).toEqual(['config.json', 'rootfs']);
  });

  it('records the archive in the index under its absolute path', async () => {
    const tar = await imageTar();
    const file = write('img.tar', tar);
    await importImage(path.relative(process.cwd(), file), store);
    expect(indexed()).toEqual({ [file]: expect.objectContaining({ digest: sha256(tar), size: tar.length }) });
  });

  it('returns the same image for a second import of the same file, without unpacking again', async () => {
    const file = write('img.tar', await imageTar());
    const first = await importImage(file, store);
    const ino = fs.statSync(first.rootfs).ino;
    const second = await importImage(file, store);
    expect(second).toEqual(first);
    expect(fs.statSync(second.rootfs).ino).toBe(ino);
  });

  it('answers the second import of an unchanged file from the index, without reading the archive', async () => {
    const tar = await imageTar();
    const file = write('img.tar', tar);
    const when = new Date(1_700_000_000_000);
    fs.utimesSync(file, when, when);
    const first = await importImage(file, store);
    // Same inode, size and mtime, but content that could not be unpacked: only a re-read notices.
    fs.writeFileSync(file, noise(tar.length));
    fs.utimesSync(file, when, when);
    expect(await importImage(file, store)).toEqual(first);
  });

  it('unpacks again when the file changed', async () => {
    const file = write('img.tar', await imageTar());
    const first = await importImage(file, store);
    const other = await tarOf([{ name: 'other', body: 'v2' }]);
    fs.writeFileSync(file, other);
    const second = await importImage(file, store);
    expect(second.digest).toBe(sha256(other));
    expect(second.digest).not.toBe(first.digest);
    expect(fs.readdirSync(second.rootfs)).toEqual(['other']);
  });

  it('shares one image between two files with the same content', async () => {
    const tar = await imageTar();
    const a = await importImage(write('a.tar', tar), store);
    const ino = fs.statSync(a.rootfs).ino;
    const b = await importImage(write('b.tar', tar), store);
    expect(b).toEqual(a);
    expect(fs.statSync(b.rootfs).ino).toBe(ino);
    expect(storedImages()).toEqual([sha256(tar)]);
  });

  it('detects zstd by content', async () => {
    const zst = zstdOf(await imageTar());
    const image = await importImage(write('z.img', zst), store);
    expect(image.digest).toBe(sha256(zst));
    expect(fs.readFileSync(path.join(image.rootfs, 'etc/os-release'), 'utf8')).toBe('ID=test\n');
  });

  it('warns about skipped device nodes', async () => {
    const warnings: string[] = [];
    const tar = await tarOf([
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 },
      { name: 'dev/zero', type: 'character-device', devmajor: 1, devminor: 5 },
      { name: 'etc/hostname', body: 'box\n' },
    ]);
    await importImage(write('dev.tar', tar), store, { warn: (w) => warnings.push(w) });
    expect(warnings).toEqual([
      'skipped 2 device nodes (a user namespace cannot create them; /dev is provided at run time)',
    ]);
  });

  it('does not warn when there are no device nodes', async () => {
    const warnings: string[] = [];
    await importImage(write('img.tar', await imageTar()), store, { warn: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
  });
});

describe('findImported', () => {
  it('finds an imported archive by its path, for the mapping it was unpacked for', async () => {
    const file = write('img.tar', await imageTar());
    expect(findImported(file, store)).toBeUndefined();
    const image = await importImage(file, store);
    expect(findImported(file, store)).toEqual(image);
    expect(findImported(path.relative(process.cwd(), file), store)).toEqual(image);
    expect(findImported(file, store, { mappingKey: 'other' })).toBeUndefined();
  });

  it('does not answer for a file changed since', async () => {
    const file = write('img.tar', await imageTar());
    const image = await importImage(file, store);
    // a root filesystem archive has no platform: it is the image for any
    expect(findImported(file, store, { platform: { os: 'linux', architecture: 'riscv64' } })).toEqual(image);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(file, later, later);
    expect(findImported(file, store)).toBeUndefined();
  });

  it('says what is wrong with a missing file', () => {
    expect(() => findImported(path.join(tmp, 'nope.tar'), store)).toThrow(/nope\.tar: no such file/);
  });
});

describe('importImage failures leave nothing in the store', () => {
  let file: string;
  afterEach(() => {
    try {
      expect(storedImages()).toEqual([]);
      expect(indexed()).toEqual({});
    } finally {
      removeAll(tmp); // a failed check skips the outer afterEach
    }
  });

  it('refuses random bytes as not a tar archive', async () => {
    file = write('noise.tar', noise(4096));
    const e = await importError(file);
    expect(e.message).toBe(`${file}: not a tar archive (invalid tar header)`);
    expect(e.step).toBe('extract');
  });

  it('refuses a truncated gzip', async () => {
    const gz = zlib.gzipSync(Buffer.concat([await imageTar(), await tarOf([{ name: 'big', body: noise(50_000) }])]));
    file = write('cut.tar.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const e = await importError(file);
    expect(e.message).toBe(`${file}: the archive is truncated (unexpected end of compressed data)`);
    expect(e.step).toBe('decompress');
  });

  it('refuses corrupt gzip data', async () => {
    const gz = zlib.gzipSync(await imageTar());
    file = write('bad.tar.gz', Buffer.concat([gz.subarray(0, 10), noise(gz.length - 10)]));
    const e = await importError(file);
    expect(e.message.startsWith(`${file}: the archive's gzip data is corrupt: `)).toBe(true);
    expect(e.step).toBe('decompress');
  });

  it('refuses a plain tar cut in the middle of a file', async () => {
    const tar = await tarOf([{ name: 'big', body: noise(10_000) }]);
    file = write('cut.tar', tar.subarray(0, 4_000));
    const e = await importError(file);
    expect(e.message).toBe(`${file}: the archive is truncated (unexpected end of tar data)`);
  });

  it('refuses an empty file', async () => {
    file = write('empty.tar', Buffer.alloc(0));
    const e = await importError(file);
    expect(e.message).toBe(`${file} is empty: not an image archive`);
    expect(e.step).toBe('open');
  });

  it('refuses a tar with no entries', async () => {
    file = write('none.tar', await tarOf([]));
    const e = await importError(file);
    expect(e.message).toBe(`${file}: the archive has no entries: not an image`);
  });

  it('refuses a missing file', async () => {
    file = path.join(tmp, 'missing.tar');
    const e = await importError(file);
    expect(e.message).toBe(`cannot read image ${file}: no such file`);
    expect(e.errno).toBe('ENOENT');
    expect(e.step).toBe('open');
  });

  it('refuses a directory, pointing at --rootfs', async () => {
    file = path.join(tmp, 'unpacked');
    fs.mkdirSync(file);
    const e = await importError(file);
    expect(e.message).toBe(`${file} is a directory: use --rootfs ${file} to run an unpacked tree`);
    expect(e.step).toBe('open');
  });

  it('refuses a zip archive', async () => {
    file = write('image.zip', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), noise(4096).subarray(4)]));
    const e = await importError(file);
    expect(e.message).toBe(`${file}: not a tar archive (invalid tar header)`);
  });

  it('refuses corrupt zstd data', async () => {
    const zst = zstdOf(await imageTar());
    file = write('bad.tar.zst', Buffer.concat([zst.subarray(0, 12), noise(zst.length - 12)]));
    const e = await importError(file);
    expect(e.message.startsWith(`${file}: the archive's zstd data is corrupt: `)).toBe(true);
    expect(e.step).toBe('decompress');
  });

  it('refuses a truncated zstd', async () => {
    const zst = zstdOf(Buffer.concat([await imageTar(), await tarOf([{ name: 'big', body: noise(50_000) }])]));
    file = write('cut.tar.zst', zst.subarray(0, Math.floor(zst.length / 2)));
    const e = await importError(file);
    expect(e.message).toBe(`${file}: the archive is truncated (unexpected end of compressed data)`);
  });

  it('refuses a hostile archive after unpacking part of it', async () => {
    file = write('evil.tar', await tarOf([{ name: 'etc/ok', body: 'fine' }, { name: '../escape', body: 'x' }]));
    const e = await importError(file);
    expect(e.message).toMatch(/would land outside the image root/);
    expect(fs.existsSync(path.join(store.images, '..', 'escape'))).toBe(false);
  });
});

describe('importImage releases the archive', () => {
  /** Open file descriptors of this process that point at file. */
  const fdsOn = (file: string) =>
    fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });

  it('closes the archive after a successful import', async () => {
    const file = write('img.tar', await imageTar());
    await importImage(file, store);
    expect(fdsOn(file)).toEqual([]);
  });

  it('closes the archive after an import that fails early in a large file', async () => {
    // The refusal comes in the first block; 8 MiB of padding follow that nobody reads any more.
    const file = write('evil.tar', Buffer.concat([await tarOf([{ name: '../escape', body: 'x' }]), Buffer.alloc(8 << 20)]));
    await importError(file);
    await vi.waitFor(() => expect(fdsOn(file)).toEqual([]), { timeout: 1_000, interval: 20 });
  });
});
