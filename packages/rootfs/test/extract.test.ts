import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageError } from '../src/errors';
import type { UnpackResult } from '../src/unpacker';
import { extractTar, listTree, removeAll, tarOf, tempDir, type Member } from './tar-helpers';

const MTIME = new Date(1_000_000_000_000); // 2001-09-09T01:46:40Z, whole seconds as tar stores them

let base: string;
let root: string;
beforeEach(() => {
  base = tempDir('extract');
  root = path.join(base, 'root');
  fs.mkdirSync(root);
});
afterEach(() => removeAll(base));

const extract = async (members: Member[]) => extractTar(await tarOf(members), root);
const at = (rel: string) => path.join(root, rel);
const modeOf = (rel: string) => fs.lstatSync(at(rel)).mode & 0o7777;

describe('minictl-unpack: image contents', () => {
  it('writes regular files with their content, mode and mtime', async () => {
    await extract([
      { name: 'etc/hostname', mode: 0o644, mtime: MTIME, body: 'box\n' },
      { name: 'usr/bin/tool', mode: 0o750, mtime: MTIME, body: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1]) },
    ]);
    expect(fs.readFileSync(at('etc/hostname'), 'utf8')).toBe('box\n');
    expect(modeOf('etc/hostname')).toBe(0o644);
    expect(fs.statSync(at('etc/hostname')).mtimeMs).toBe(MTIME.getTime());
    expect([...fs.readFileSync(at('usr/bin/tool'))]).toEqual([0x7f, 0x45, 0x4c, 0x46, 0, 1]);
    expect(modeOf('usr/bin/tool')).toBe(0o750);
  });

  it('keeps a setuid bit (04755)', async () => {
    await extract([{ name: 'bin/su', mode: 0o4755, body: '#!/bin/sh\n' }]);
    expect(modeOf('bin/su')).toBe(0o4755);
  });

  it('writes an empty file', async () => {
    await extract([{ name: 'etc/motd', mode: 0o600, body: '' }]);
    expect(fs.statSync(at('etc/motd')).size).toBe(0);
    expect(modeOf('etc/motd')).toBe(0o600);
  });

  it('counts the members it extracted', async () => {
    const r = await extract([
      { name: './', type: 'directory', mode: 0o755 },
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/hostname', body: 'box\n' },
      { name: 'etc/localtime', type: 'symlink', linkname: '/usr/share/zoneinfo/UTC' },
    ]);
    expect(r).toMatchObject({ entries: 4, skippedDevices: 0, unmappedOwners: 0 });
  });

  it('creates missing parent directories with mode 0755', async () => {
    await extract([{ name: 'a/b/c/file', body: 'x' }]);
    expect(listTree(root)).toEqual(['a', 'a/b', 'a/b/c', 'a/b/c/file']);
    expect(fs.statSync(at('a/b')).isDirectory()).toBe(true);
  });

  it('fills read-only (0555) directories and leaves them 0555', async () => {
    await extract([
      { name: 'ro/', type: 'directory', mode: 0o555 },
      { name: 'ro/sub/', type: 'directory', mode: 0o555 },
      { name: 'ro/file', body: 'in ro' },
      { name: 'ro/sub/deep', body: 'in ro/sub' },
    ]);
    expect(fs.readFileSync(at('ro/file'), 'utf8')).toBe('in ro');
    expect(fs.readFileSync(at('ro/sub/deep'), 'utf8')).toBe('in ro/sub');
    expect(modeOf('ro')).toBe(0o555);
    expect(modeOf('ro/sub')).toBe(0o555);
  });

  it('gives directories their mtime after their entries are written', async () => {
    await extract([
      { name: 'd/', type: 'directory', mode: 0o755, mtime: MTIME },
      { name: 'd/f', body: 'x', mtime: new Date(1_500_000_000_000) },
    ]);
    expect(fs.statSync(at('d')).mtimeMs).toBe(MTIME.getTime());
  });

  it('applies the mode of the "./" member to the root itself', async () => {
    await extract([{ name: './', type: 'directory', mode: 0o750 }, { name: 'f', body: 'x' }]);
    expect(fs.statSync(root).mode & 0o7777).toBe(0o750);
  });

  it('keeps symlink targets verbatim, absolute or relative, without following them', async () => {
    await extract([
      { name: 'up', type: 'symlink', linkname: '../../x/y' },
      { name: 'abs', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox', mtime: MTIME },
    ]);
    expect(fs.readlinkSync(at('up'))).toBe('../../x/y');
    expect(fs.readlinkSync(at('abs'))).toBe('/etc/passwd');
    expect(fs.readlinkSync(at('bin/sh'))).toBe('busybox');
    expect(fs.lstatSync(at('bin/sh')).mtimeMs).toBe(MTIME.getTime());
    expect(listTree(root)).toEqual(['abs', 'bin', 'bin/sh', 'up']);
  });

  it('makes hardlinks to earlier members', async () => {
    await extract([
      { name: 'bin/busybox', mode: 0o755, body: 'bb' },
      { name: 'bin/ls', type: 'link', linkname: 'bin/busybox' },
      { name: './bin/cat', type: 'link', linkname: './bin/busybox' },
    ]);
    const bb = fs.statSync(at('bin/busybox'));
    expect(fs.statSync(at('bin/ls')).ino).toBe(bb.ino);
    expect(fs.statSync(at('bin/cat')).ino).toBe(bb.ino);
    expect(bb.nlink).toBe(3);
  });

  it('creates FIFOs', async () => {
    const r = await extract([{ name: 'run/ctl', type: 'fifo', mode: 0o600 }]);
    expect(fs.lstatSync(at('run/ctl')).isFIFO()).toBe(true);
    expect(modeOf('run/ctl')).toBe(0o600);
    expect(r).toMatchObject({ entries: 1, skippedDevices: 0, unmappedOwners: 0 });
  });

  it('creates a FIFO with its exact mode, whatever the umask (0666)', async () => {
    await extract([{ name: 'run/pipe', type: 'fifo', mode: 0o666 }]);
    expect(modeOf('run/pipe')).toBe(0o666);
  });

  it('skips character and block devices and counts them', async () => {
    const r = await extract([
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 },
      { name: 'etc/hostname', body: 'box\n' },
    ]);
    expect(r).toMatchObject({ entries: 3, skippedDevices: 2, unmappedOwners: 0 });
    expect(listTree(root)).toEqual(['etc', 'etc/hostname']);
  });

  it('reads pax long names (> 100 bytes, nested) for files, directories and symlink targets', async () => {
    const dir = `deep/${'d'.repeat(120)}`;
    const file = `${dir}/${'f'.repeat(150)}`;
    const target = `/${'t'.repeat(130)}`;
    await extract([
      { name: `${dir}/`, type: 'directory', mode: 0o700 },
      { name: file, body: 'long' },
      { name: `${dir}/link`, type: 'symlink', linkname: target },
    ]);
    expect(fs.readFileSync(at(file), 'utf8')).toBe('long');
    expect(modeOf(dir)).toBe(0o700);
    expect(fs.readlinkSync(at(`${dir}/link`))).toBe(target);
    expect(listTree(root)).toEqual(['deep', dir, `${dir}/${'f'.repeat(150)}`, `${dir}/link`]);
  });

  it('lets a later member replace an earlier file', async () => {
    await extract([
      { name: 'etc/issue', body: 'old' },
      { name: 'etc/issue', body: 'new' },
    ]);
    expect(fs.readFileSync(at('etc/issue'), 'utf8')).toBe('new');
  });

  it('lets a later member replace an earlier empty directory', async () => {
    await extract([
      { name: 'opt/', type: 'directory', mode: 0o755 },
      { name: 'opt', body: 'now a file' },
    ]);
    expect(fs.readFileSync(at('opt'), 'utf8')).toBe('now a file');
  });
});

describe('minictl-unpack: malformed archives', () => {
  async function errorOf(p: Promise<unknown>): Promise<ImageError> {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ImageError);
    return e as ImageError;
  }

  it('rejects an archive with no entries', async () => {
    const e = await errorOf(extractTar(await tarOf([]), root));
    expect(e.message).toBe('the archive has no entries: not an image');
    expect(e.step).toBe('extract');
  });

  it('rejects a tar cut in the middle of a file', async () => {
    const whole = await tarOf([{ name: 'big', body: Buffer.alloc(10_000, 0x61) }, { name: 'after', body: 'x' }]);
    const e = await errorOf(extractTar(whole.subarray(0, 512 + 4_000), root));
    expect(e.message).toBe('the archive is truncated (unexpected end of tar data)');
    // The member being read stays in the root: importImage removes the whole tree.
    expect(listTree(root)).toEqual(['big']);
  });

  it('rejects bytes that are not a tar archive', async () => {
    const zip = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(2_000, 0x5a)]);
    const e = await errorOf(extractTar(zip, root));
    expect(e.message).toBe('not a tar archive (invalid tar header)');
  });

  it('refuses a name longer than 4096 bytes', async () => {
    const e = await errorOf(extract([{ name: `${'d/'.repeat(2100)}f`, body: 'x' }]));
    expect(e.message).toMatch(/^archive member "d\/d\/.*\.\.\." has a name longer than 4096 bytes; refusing the archive$/);
    expect(e.errno).toBe('ENAMETOOLONG');
  });

  it('refuses a pax header larger than 1 MiB', async () => {
    const e = await errorOf(extract([{ name: 'f', body: 'x', pax: { comment: 'x'.repeat(2 << 20) } }]));
    expect(e.message).toBe('an extended tar header is larger than 1048576 bytes: refusing the archive');
  });

  it('reports a name component the kernel refuses (over 255 bytes)', async () => {
    const e = await errorOf(extract([{ name: 'x'.repeat(300), body: 'x' }]));
    expect(e.errno).toBe('ENAMETOOLONG');
    expect(e.message).toMatch(/^cannot create file archive member "x+": ENAMETOOLONG$/);
  });

  it('rejects a member naming the root as a regular file', async () => {
    const e = await errorOf(extract([{ name: './', type: 'file', body: 'x' }]));
    expect(e.message).toBe('archive member names the image root as a file');
  });
});

/**
 * Hostile archives. Layout: <base>/root is the target, <base>/outside a sibling that must stay
 * empty, and every escaping name carries a unique token so a write anywhere on the host shows.
 */
describe('minictl-unpack: hostile archives write nothing outside the root', () => {
  let outside: string;
  let EVIL: string;
  beforeEach(() => {
    outside = path.join(base, 'outside');
    fs.mkdirSync(outside);
    EVIL = `evil-${randomUUID()}`;
  });

  afterEach(() => {
    try {
      expect(fs.readdirSync(outside)).toEqual([]);
      expect(fs.readdirSync(base).sort()).toEqual(['outside', 'root']);
      for (const dir of [path.dirname(base), '/', '/etc'])
        expect(fs.existsSync(path.join(dir, EVIL)), `${dir}/${EVIL}`).toBe(false);
    } finally {
      // A failed check skips the outer afterEach: clean up here too, including any escapee.
      for (const dir of [path.dirname(base), '/', '/etc']) fs.rmSync(path.join(dir, EVIL), { force: true, recursive: true });
      removeAll(base);
    }
  });

  /** Either an ImageError or a result; anything else (a plain Error, a crash) fails. */
  async function attempt(members: Member[]): Promise<UnpackResult | ImageError> {
    try {
      return await extract(members);
    } catch (e) {
      expect(e).toBeInstanceOf(ImageError);
      return e as ImageError;
    }
  }

  const refusal = (name: string) =>
    `archive member ${JSON.stringify(name)} would land outside the image root; refusing the archive`;

  it('refuses ../evil', async () => {
    const r = await attempt([{ name: 'ok', body: 'fine' }, { name: `../${EVIL}`, body: 'pwned' }]);
    expect(r).toBeInstanceOf(ImageError);
    expect((r as ImageError).message).toBe(refusal(`../${EVIL}`));
  });

  it('refuses a/../../evil', async () => {
    const r = await attempt([{ name: `a/../../${EVIL}`, body: 'pwned' }]);
    expect((r as ImageError).message).toBe(refusal(`a/../../${EVIL}`));
  });

  it('puts /abs/file at <root>/abs/file', async () => {
    await attempt([{ name: `/abs/${EVIL}`, body: 'inside' }]);
    expect(fs.readFileSync(at(`abs/${EVIL}`), 'utf8')).toBe('inside');
  });

  it.each(['/', '../../..', '/..'])('resolves a file written through symlink link -> %s inside the root', async (target) => {
    const r = await attempt([
      { name: 'link', type: 'symlink', linkname: target },
      { name: `link/${EVIL}`, body: 'through the link' },
    ]);
    if (r instanceof ImageError) return; // refusing is as good as containing
    expect(fs.readFileSync(at(EVIL), 'utf8')).toBe('through the link');
    expect(fs.readlinkSync(at('link'))).toBe(target);
  });

  it('resolves a symlink chain a -> b, b -> ../.. inside the root', async () => {
    const r = await attempt([
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: '../..' },
      { name: `a/${EVIL}`, body: 'through the chain' },
    ]);
    if (r instanceof ImageError) return;
    expect(fs.readFileSync(at(EVIL), 'utf8')).toBe('through the chain');
  });

  it('never writes through a symlink to an absolute host directory', async () => {
    const r = await attempt([
      { name: 'out', type: 'symlink', linkname: outside },
      { name: `out/${EVIL}`, body: 'pwned' },
    ]);
    if (r instanceof ImageError) return;
    expect(fs.readFileSync(path.join(root, outside, EVIL), 'utf8')).toBe('pwned');
  });

  it('makes directories through a planted symlink inside the root', async () => {
    const r = await attempt([
      { name: 'link', type: 'symlink', linkname: '../..' },
      { name: `link/${EVIL}/`, type: 'directory', mode: 0o555 },
    ]);
    if (r instanceof ImageError) return;
    expect(modeOf(EVIL)).toBe(0o555);
  });

  it('replaces a symlink to a host file instead of writing through it', async () => {
    const victim = path.join(base, 'victim');
    fs.writeFileSync(victim, 'original');
    try {
      const r = await attempt([
        { name: 'x', type: 'symlink', linkname: victim },
        { name: 'x', body: 'pwned' },
      ]);
      expect(fs.readFileSync(victim, 'utf8')).toBe('original');
      if (r instanceof ImageError) return;
      expect(fs.lstatSync(at('x')).isFile()).toBe(true);
      expect(fs.readFileSync(at('x'), 'utf8')).toBe('pwned');
    } finally {
      fs.rmSync(victim);
    }
  });

  it('refuses a hardlink to ../../etc/passwd', async () => {
    const r = await attempt([{ name: EVIL, type: 'link', linkname: '../../etc/passwd' }]);
    expect((r as ImageError).message).toBe(refusal('../../etc/passwd'));
  });

  describe('hardlink to /etc/passwd', () => {
    const host = () => fs.statSync('/etc/passwd');
    const hostInodeInside = () =>
      listTree(root).filter((rel) => {
        const st = fs.lstatSync(at(rel));
        return st.dev === host().dev && st.ino === host().ino;
      });

    it('fails when the root has no etc/passwd, without linking the host file', async () => {
      const before = host().nlink;
      const r = await attempt([{ name: EVIL, type: 'link', linkname: '/etc/passwd' }]);
      expect(r).toBeInstanceOf(ImageError);
      expect((r as ImageError).errno).toBe('ENOENT');
      expect(host().nlink).toBe(before);
      expect(hostInodeInside()).toEqual([]);
    });

    it("links the image's own etc/passwd", async () => {
      const before = host().nlink;
      await attempt([
        { name: 'etc/passwd', body: 'root:x:0:0::/root:/bin/sh\n' },
        { name: EVIL, type: 'link', linkname: '/etc/passwd' },
      ]);
      expect(host().nlink).toBe(before);
      expect(hostInodeInside()).toEqual([]);
      expect(fs.statSync(at(EVIL)).ino).toBe(fs.statSync(at('etc/passwd')).ino);
      expect(fs.readFileSync(at(EVIL), 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n');
    });

    it('links a symlink to /etc/passwd as the symlink itself, never its target', async () => {
      const before = host().nlink;
      const r = await attempt([
        { name: 'p', type: 'symlink', linkname: '/etc/passwd' },
        { name: EVIL, type: 'link', linkname: 'p' },
      ]);
      expect(host().nlink).toBe(before);
      expect(hostInodeInside()).toEqual([]);
      if (r instanceof ImageError) return;
      expect(fs.lstatSync(at(EVIL)).isSymbolicLink()).toBe(true);
      expect(fs.readlinkSync(at(EVIL))).toBe('/etc/passwd');
    });
  });
});
