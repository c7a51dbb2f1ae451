import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageError } from './errors';
import type { Store } from './store';
import type { ExtractOptions } from './extract';
import type { UnpackResult } from './unpack';

export interface Image {
  /** sha256 of the archive as given */
  digest: string;
  /** the unpacked tree: the read-only lower layer of every container made from it */
  rootfs: string;
}

/**
 * Unpacks an archive into a new directory. The default runs here, as the caller; under a
 * subordinate-id mapping the caller supplies one that runs inside that user namespace, as
 * its root, so that the archive's owners are kept (and that also removes its own partial
 * tree on failure, which the caller could not).
 */
export type Unpacker = (archive: string, dest: string) => Promise<UnpackResult>;

export interface ImportOptions {
  warn?: (line: string) => void;
  /** Names the id mapping an unpacker works under; trees of different mappings are kept apart. */
  mappingKey?: string;
  unpacker?: Unpacker;
  /** removes a tree the unpacker made (for trees owned by subordinate ids) */
  remover?: (dir: string) => Promise<void>;
}

interface IndexEntry {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  digest: string;
}

/**
 * The cached image for an archive, unpacking it on first use. The cache is content-addressed;
 * unpacking goes to a temporary directory renamed into place, so an interrupted import never
 * leaves a half image behind.
 */
export async function importImage(file: string, store: Store, opts: ImportOptions = {}): Promise<Image> {
  const abs = path.resolve(file);
  const st = statArchive(abs);
  const known = readIndex(store)[abs];
  if (known && sameFile(known, st)) {
    const image = imageAt(store, known.digest, opts.mappingKey);
    if (fs.existsSync(image.rootfs)) return image;
  }
  fs.mkdirSync(store.images, { recursive: true, mode: 0o700 });
  fs.mkdirSync(store.mnt, { recursive: true, mode: 0o700 });
  removeStaleTemps(store);
  const tmp = fs.mkdtempSync(path.join(store.images, `.tmp-${process.pid}-`));
  try {
    // Made here, so that the caller owns the tree's top and can move it into place, whatever
    // ids the unpacker runs under.
    fs.mkdirSync(path.join(tmp, 'rootfs'), { mode: 0o755 });
    const { digest, skippedDevices, unmappedOwners } = await (opts.unpacker ?? unpackHere)(abs, path.join(tmp, 'rootfs'));
    if (skippedDevices > 0)
      opts.warn?.(`skipped ${skippedDevices} device node${skippedDevices === 1 ? '' : 's'} (a user namespace cannot create them; /dev is provided at run time)`);
    if (unmappedOwners > 0)
      opts.warn?.(`${unmappedOwners} archive member${unmappedOwners === 1 ? ' is' : 's are'} owned by ids outside your subordinate range; left owned by root`);
    const image = imageAt(store, digest, opts.mappingKey);
    fs.mkdirSync(path.dirname(image.rootfs), { recursive: true, mode: 0o700 });
    try {
      fs.renameSync(path.join(tmp, 'rootfs'), image.rootfs);
    } catch (e) {
      // Another run unpacked the same archive first: theirs is as good as ours.
      if (!isCode(e, 'ENOTEMPTY', 'EEXIST')) throw e;
      await (opts.remover ?? removeHere)(path.join(tmp, 'rootfs'));
    }
    removeTree(tmp);
    recordIndex(store, abs, { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, digest });
    return image;
  } catch (e) {
    const partial = path.join(tmp, 'rootfs');
    if (fs.existsSync(partial)) await (opts.remover ?? removeHere)(partial);
    removeTree(tmp);
    throw e;
  }
}

function statArchive(abs: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImageError(`cannot read image ${abs}: ${code === 'ENOENT' ? 'no such file' : code}`, 'open', code);
  }
  if (st.isDirectory()) throw new ImageError(`${abs} is a directory: use --rootfs ${abs} to run an unpacked tree`, 'open');
  if (st.size === 0) throw new ImageError(`${abs} is empty: not an image archive`, 'open');
  return st;
}

function imageAt(store: Store, digest: string, mappingKey?: string): Image {
  return { digest, rootfs: path.join(store.images, digest, mappingKey ? `rootfs-${mappingKey}` : 'rootfs') };
}

/** Unpack an archive into dest (created here), hashing it in the same pass. */
export async function unpackArchive(archive: string, dest: string, opts: ExtractOptions = {}): Promise<UnpackResult> {
  // Loaded here, not at start-up: a cached image needs neither zlib, crypto nor tar.
  const { unpack } = await import('./unpack.js');
  return unpack(archive, dest, opts);
}

function unpackHere(archive: string, dest: string): Promise<UnpackResult> {
  return unpackArchive(archive, dest);
}

async function removeHere(dir: string): Promise<void> {
  removeTree(dir);
}

function sameFile(a: IndexEntry, st: fs.Stats): boolean {
  return a.dev === st.dev && a.ino === st.ino && a.size === st.size && a.mtimeMs === st.mtimeMs;
}

function readIndex(store: Store): Record<string, IndexEntry> {
  try {
    return JSON.parse(fs.readFileSync(store.index, 'utf8')) as Record<string, IndexEntry>;
  } catch {
    return {};
  }
}

function recordIndex(store: Store, abs: string, entry: IndexEntry): void {
  const index = readIndex(store);
  index[abs] = entry;
  const tmp = `${store.index}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(index));
  fs.renameSync(tmp, store.index);
}

/** Temporary trees of imports whose process is gone (killed mid-import). */
function removeStaleTemps(store: Store): void {
  for (const name of fs.readdirSync(store.images)) {
    const m = /^\.tmp-(\d+)-/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    try {
      removeTree(path.join(store.images, name));
    } catch {
      // a tree owned by subordinate ids: only a namespaced remover can take it (prune)
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isCode(e, 'EPERM');
  }
}

/** rm -rf that also copes with directories unpacked read-only. */
export function removeTree(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    if (!isCode(e, 'EACCES', 'EPERM')) throw e;
    makeWritable(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function makeWritable(dir: string): void {
  fs.chmodSync(dir, 0o700);
  for (const d of fs.readdirSync(dir, { withFileTypes: true }))
    if (d.isDirectory()) makeWritable(path.join(dir, d.name));
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return codes.includes((e as NodeJS.ErrnoException)?.code ?? '');
}
