import { type Stats, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ImageError } from './errors';
import type { ImageDefaults } from './image-config';
import { looksLikeName } from './names';
import { formatPlatform, hostPlatform, type Platform } from './platform';
import { readRecord, writeJsonAtomic } from './records';
import type { Store } from './store';

export interface Image {
  /** the image id: sha256 of a root-filesystem archive, or the manifest / config digest */
  digest: string;
  /** the unpacked tree: the read-only lower layer of every container made from it */
  rootfs: string;
  /** Entrypoint, Cmd, Env, WorkingDir, User from the image config */
  defaults: ImageDefaults;
}

/** What the index remembers of an imported archive: the file as it was, and its image. */
interface IndexEntry {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  digest: string;
  platform?: string;
}

/**
 * The image already unpacked (for this id mapping) from an archive, found without reading the
 * archive: by its path, if the file is still the one imported (device, inode, size, mtime).
 * Undefined for anything else, which importImage unpacks or finds by content.
 */
export function findImported(file: string, store: Store, opts: { mappingKey?: string; platform?: Platform } = {}): Image | undefined {
  const abs = resolve(file);
  return indexedImage(store, abs, statSource(abs, file), opts.platform ?? hostPlatform(), opts.mappingKey);
}

/** findImported for a source already resolved and stat'ed (statSource). */
export function indexedImage(store: Store, abs: string, st: Stats, platform: Platform, mappingKey?: string): Image | undefined {
  const want = formatPlatform(platform);
  const known = st.isFile() ? readIndex(store)[abs] : undefined;
  if (!known || !sameFile(known, st) || (known.platform ?? want) !== want) return undefined;
  return cachedImage(store, known.digest, mappingKey);
}

/** The stat of an image file or layout directory, or the error that says what is wrong with it. */
export function statSource(abs: string, given: string): Stats {
  let st: Stats;
  try {
    st = statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A name that is neither imported nor a file: say both, names first.
    if (code === 'ENOENT' && looksLikeName(given) && !given.includes('/'))
      throw new ImageError(`no image ${given} (see minictl images) and no file of that name`, 'open', code);
    throw new ImageError(`cannot read image ${abs}: ${code === 'ENOENT' ? 'no such file' : code}`, 'open', code);
  }
  if (st.isDirectory() && !existsSync(join(abs, 'oci-layout')) && !existsSync(join(abs, 'manifest.json')))
    throw new ImageError(`${abs} is a directory: use --rootfs ${abs} to run an unpacked tree`, 'open');
  if (st.isFile() && st.size === 0) throw new ImageError(`${abs} is empty: not an image archive`, 'open');
  return st;
}

export function treePath(store: Store, id: string, mappingKey?: string): string {
  return join(store.images, id, mappingKey ? `rootfs-${mappingKey}` : 'rootfs');
}

/** The image `id` if its tree for this mapping is in the cache. */
export function cachedImage(store: Store, id: string, mappingKey?: string): Image | undefined {
  const rootfs = treePath(store, id, mappingKey);
  const record = readRecord(store, id);
  if (!record || !existsSync(rootfs)) return undefined;
  return { digest: id, rootfs, defaults: record.defaults };
}

function sameFile(a: IndexEntry, st: Stats): boolean {
  return a.dev === st.dev && a.ino === st.ino && a.size === st.size && a.mtimeMs === st.mtimeMs;
}

export function readIndex(store: Store): Record<string, IndexEntry> {
  try {
    return JSON.parse(readFileSync(store.index, 'utf8')) as Record<string, IndexEntry>;
  } catch {
    return {};
  }
}

export function writeIndex(store: Store, index: Record<string, IndexEntry>): void {
  writeJsonAtomic(store.index, index);
}
