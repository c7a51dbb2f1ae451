import { Stats, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { resolveDockerSave } from './docker-save';
import { ImageError } from './errors';
import type { ImageDefaults } from './image-config';
import { layoutReader, type ResolvedImage } from './layout';
import { resolveOci } from './oci';
import { formatPlatform, hostPlatform, type Platform } from './platform';
import { readRecord, recordPath, writeJsonAtomic, type ImageRecord } from './records';
import { looksLikeName } from './names';
import type { Store } from './store';
import { unpack, type UnpackProgress, type UnpackResult, type UnpackRunner } from './unpacker';

export interface Image {
  /** the image id: sha256 of a root-filesystem archive, or the manifest / config digest */
  digest: string;
  /** the unpacked tree: the read-only lower layer of every container made from it */
  rootfs: string;
  /** Entrypoint, Cmd, Env, WorkingDir, User from the image config */
  defaults: ImageDefaults;
}

/** Import progress: which phase, how far through its input. */
export interface ImportProgress extends UnpackProgress {
  phase: 'archive' | 'layers';
  /** bytes of input the phase reads */
  total: number;
}

export interface ImportOptions {
  warn?: (line: string) => void;
  /** Names the id mapping the runner works under; trees of different mappings are kept apart. */
  mappingKey?: string;
  /** runs the unpacker inside a user namespace (then owners are kept) */
  runner?: UnpackRunner;
  /** removes a tree the runner made (for trees owned by subordinate ids) */
  remover?: (dir: string) => Promise<void>;
  /** which image of a multi-platform archive (default: this host's) */
  platform?: Platform;
  onProgress?: (p: ImportProgress) => void;
}

interface IndexEntry {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  digest: string;
  platform?: string;
}

/**
 * The cached image for an archive or an OCI layout directory, unpacking it on first use. The
 * cache is content-addressed; unpacking goes to a temporary directory renamed into place, so
 * an interrupted import never leaves a half image behind.
 */
export async function importImage(file: string, store: Store, opts: ImportOptions = {}): Promise<Image> {
  const abs = resolve(file);
  const st = statSource(abs, file);
  const want = opts.platform ?? hostPlatform();
  const known = st.isFile() ? readIndex(store)[abs] : undefined;
  if (known && sameFile(known, st) && (known.platform ?? formatPlatform(want)) === formatPlatform(want)) {
    const cached = cachedImage(store, known.digest, opts.mappingKey);
    if (cached) return cached;
  }
  mkdirSync(store.images, { recursive: true, mode: 0o700 });
  mkdirSync(store.mnt, { recursive: true, mode: 0o700 });
  removeStaleTemps(store);
  const tmp = mkdtempSync(join(store.images, `.tmp-${process.pid}-`));
  const rootfs = join(tmp, 'rootfs');
  const owners = opts.runner !== undefined;
  const progress = (phase: ImportProgress['phase'], total: number) =>
    opts.onProgress && ((p: UnpackProgress) => opts.onProgress!({ ...p, phase, total }));
  try {
    // Made here, so that the caller owns the tree's top and can move it into place, whatever
    // ids the unpacker runs under.
    mkdirSync(rootfs, { mode: 0o755 });
    let record: ImageRecord;
    let result: UnpackResult;
    if (st.isDirectory()) {
      const image = resolveLayout(abs, want);
      const cached = cachedImage(store, image.id, opts.mappingKey);
      if (cached) return cached;
      result = await unpackLayers(image, abs, rootfs, tmp, owners, opts, progress);
      record = recordOf(image, result, abs);
    } else {
      const staging = join(tmp, 'staging');
      mkdirSync(staging, { mode: 0o700 });
      result = await unpack({ root: rootfs, owners, archive: { file: abs, staging } }, tmp, {
        runner: opts.runner,
        onProgress: progress('archive', st.size),
      });
      const digest = result.inputs[0].sha256;
      if (result.kind === 'rootfs') {
        record = { id: digest, format: 'rootfs', defaults: {}, layers: 1, size: result.bytes, imported: new Date().toISOString(), source: abs };
      } else {
        const image = resolveLayout(staging, want);
        const cached = cachedImage(store, image.id, opts.mappingKey);
        if (cached) {
          removeTree(tmp);
          recordIndex(store, abs, st, image.id, formatPlatform(want));
          return cached;
        }
        result = await unpackLayers(image, staging, rootfs, tmp, owners, opts, progress);
        record = recordOf(image, result, abs);
      }
    }
    warnAbout(result, opts.warn);
    const image = await commit(store, tmp, record, opts);
    if (st.isFile()) recordIndex(store, abs, st, record.id, record.format === 'rootfs' ? undefined : formatPlatform(want));
    return image;
  } catch (e) {
    if (existsSync(rootfs)) await (opts.remover ?? removeHere)(rootfs);
    removeTree(tmp);
    throw e;
  }
}

function statSource(abs: string, given: string): Stats {
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

/** The image of a docker-save or OCI layout directory (read inside it). */
function resolveLayout(dir: string, want: Platform): ResolvedImage {
  const { read, close } = layoutReader(dir);
  try {
    if (read('oci-layout')) return resolveOci(read, want);
    if (read('manifest.json')) return resolveDockerSave(read, want);
    throw new ImageError('the archive is neither a root filesystem, a docker-save archive nor an OCI layout', 'detect');
  } finally {
    close();
  }
}

/** Apply an image's layers in order, then check every blob against its digests. */
async function unpackLayers(
  image: ResolvedImage,
  blobs: string,
  rootfs: string,
  work: string,
  owners: boolean,
  opts: ImportOptions,
  progress: (phase: ImportProgress['phase'], total: number) => ((p: UnpackProgress) => void) | undefined,
): Promise<UnpackResult> {
  if (image.layers.length === 0) throw new ImageError('the image has no layers', 'layout');
  // docker-save manifests carry no layer sizes: the staged files have them.
  const total = image.layers.reduce((n, l) => n + (l.size ?? fileSize(join(blobs, l.path))), 0);
  const result = await unpack(
    { root: rootfs, owners, layers: { blobs, paths: image.layers.map((l) => l.path), diffIds: image.layers.some((l) => l.diffId) } },
    work,
    { runner: opts.runner, onProgress: progress('layers', total) },
  );
  image.layers.forEach((l, i) => {
    const got = result.inputs[i];
    const bad = (l.digest && got.sha256 !== l.digest) || (l.diffId && got.diffId !== l.diffId) || (l.size !== undefined && got.size !== l.size);
    if (bad)
      throw new ImageError(
        `layer ${i + 1} of the image (${l.path}) does not match its digest: the archive is corrupt or was tampered with`,
        'verify',
      );
  });
  return result;
}

function recordOf(image: ResolvedImage, result: UnpackResult, source: string): ImageRecord {
  return {
    id: image.id,
    format: image.format,
    defaults: image.defaults,
    platform: image.platform,
    layers: image.layers.length,
    size: result.bytes,
    imported: new Date().toISOString(),
    source,
  };
}

function warnAbout(r: UnpackResult, warn?: (line: string) => void): void {
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  if (r.skippedDevices > 0)
    warn?.(`skipped ${n(r.skippedDevices, 'device node', 'device nodes')} (a user namespace cannot create them; /dev is provided at run time)`);
  if (r.unmappedOwners > 0)
    warn?.(`${n(r.unmappedOwners, 'archive member is', 'archive members are')} owned by ids outside your subordinate range; left owned by root`);
  if (r.skippedXattrs > 0)
    warn?.(`skipped ${n(r.skippedXattrs, 'extended attribute', 'extended attributes')} that this user may not set (security.*, trusted.*, or on symlinks)`);
}

function treePath(store: Store, id: string, mappingKey?: string): string {
  return join(store.images, id, mappingKey ? `rootfs-${mappingKey}` : 'rootfs');
}

function cachedImage(store: Store, id: string, mappingKey?: string): Image | undefined {
  const rootfs = treePath(store, id, mappingKey);
  const record = readRecord(store, id);
  if (!record || !existsSync(rootfs)) return undefined;
  return { digest: id, rootfs, defaults: record.defaults };
}

/** Move the tree into place beside its record. */
async function commit(store: Store, tmp: string, record: ImageRecord, opts: ImportOptions): Promise<Image> {
  const rootfs = treePath(store, record.id, opts.mappingKey);
  mkdirSync(dirname(rootfs), { recursive: true, mode: 0o700 });
  if (!readRecord(store, record.id)) writeJsonAtomic(recordPath(store, record.id), record);
  try {
    renameSync(join(tmp, 'rootfs'), rootfs);
  } catch (e) {
    // Another import of the same image finished first: theirs is as good as ours.
    if (!isCode(e, 'ENOTEMPTY', 'EEXIST')) throw e;
    await (opts.remover ?? removeHere)(join(tmp, 'rootfs'));
  }
  removeTree(tmp);
  return { digest: record.id, rootfs, defaults: readRecord(store, record.id)?.defaults ?? record.defaults };
}

async function removeHere(dir: string): Promise<void> {
  removeTree(dir);
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

function recordIndex(store: Store, abs: string, st: Stats, digest: string, platform?: string): void {
  const index = readIndex(store);
  index[abs] = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, digest, ...(platform ? { platform } : {}) };
  writeIndex(store, index);
}

/** Temporary trees of imports whose process is gone (killed mid-import). */
export function staleTemps(store: Store): string[] {
  if (!existsSync(store.images)) return [];
  return readdirSync(store.images)
    .filter((name) => {
      const m = /^\.tmp-(\d+)-/.exec(name);
      return m && !alive(Number(m[1]));
    })
    .map((name) => join(store.images, name));
}

function removeStaleTemps(store: Store): void {
  for (const dir of staleTemps(store)) {
    try {
      removeTree(dir);
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
    rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    if (!isCode(e, 'EACCES', 'EPERM')) throw e;
    makeWritable(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o700);
  for (const d of readdirSync(dir, { withFileTypes: true }))
    if (d.isDirectory()) makeWritable(join(dir, d.name));
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return codes.includes((e as NodeJS.ErrnoException)?.code ?? '');
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
