import { type Stats, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { cachedImage, indexedImage, readIndex, statSource, treePath, writeIndex, type Image } from './cached';
import { resolveDockerSave } from './docker-save';
import { ImageError, isCode } from './errors';
import { layoutReader, type ResolvedImage } from './layout';
import { resolveOci } from './oci';
import { formatPlatform, hostPlatform, type Platform } from './platform';
import { readRecord, recordPath, writeJsonAtomic, type ImageRecord } from './records';
import { removeTree } from './remove-tree';
import type { Store } from './store';
import { unpack, type UnpackProgress, type UnpackResult, type UnpackRunner } from './unpacker';

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

/**
 * The cached image for an archive or an OCI layout directory, unpacking it on first use. The
 * cache is content-addressed; unpacking goes to a temporary directory renamed into place, so
 * an interrupted import never leaves a half image behind.
 */
export async function importImage(file: string, store: Store, opts: ImportOptions = {}): Promise<Image> {
  const abs = resolve(file);
  const st = statSource(abs, file);
  const want = opts.platform ?? hostPlatform();
  const found = indexedImage(store, abs, st, want, opts.mappingKey);
  if (found) return found;
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
      }).catch((e: unknown) => {
        throw namingArchive(e, abs);
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

/**
 * The unpacker's refusal of what an archive holds, with the archive's name, which its
 * message lacks (its other messages name their files). An unpacker stopped by a signal
 * (exitCode 128+N) refused nothing.
 */
function namingArchive(e: unknown, abs: string): unknown {
  const refusal = e instanceof ImageError && (e.step === 'extract' || e.step === 'decompress') && e.exitCode === undefined;
  return refusal ? new ImageError(`${abs}: ${e.message}`, e.step, e.errno) : e;
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

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
