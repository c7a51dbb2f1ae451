import type { Readable } from 'node:stream';
import { fsAddon } from '@minictl/native';
import * as tar from 'tar-stream';
import { entryPath } from './entry-path';
import { ImageError } from './errors';

export interface ExtractResult {
  entries: number;
  /** Device nodes cannot be created in a user namespace; they are skipped and counted. */
  skippedDevices: number;
  /** Members whose owner is not mapped in the user namespace, left owned by its root. */
  unmappedOwners: number;
}

export interface ExtractOptions {
  /** Keep the archive's owners (only meaningful inside a user namespace, as its root). */
  owners?: boolean;
}

interface PendingDir {
  rel: string;
  mode: number;
  mtime?: number;
}

/**
 * Unpack a tar stream into `rootDir` (an empty directory). Every write goes through the
 * native primitives, which resolve paths inside the root, so a symlink planted by an earlier
 * member is followed only within the image.
 */
export async function extractTar(input: Readable, rootDir: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const fsx = fsAddon();
  const root = fsx.openRoot(rootDir);
  // Keyed by path: a later member replacing a directory drops its pending metadata.
  const dirs = new Map<string, PendingDir>();
  const result: ExtractResult = { entries: 0, skippedDevices: 0, unmappedOwners: 0 };
  const extract = tar.extract();
  try {
    const done = new Promise<void>((resolve, reject) => {
      extract.on('entry', (header, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c) => { chunks.push(c as Buffer); });
        stream.on('error', reject);
        stream.on('end', () => {
          try {
            writeEntry(header, chunks);
            next();
          } catch (e) {
            reject(e);
          }
        });
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
      input.on('error', reject);
    });
    input.pipe(extract);
    await done;
    // Directories last and deepest first: their final (possibly read-only) modes and mtimes.
    for (const d of [...dirs.values()].sort((a, b) => depth(b.rel) - depth(a.rel)))
      fsx.finishDir(root, d.rel, d.mode, d.mtime);
  } catch (e) {
    throw asImageError(e);
  } finally {
    fsx.close(root);
  }
  if (result.entries === 0) throw new ImageError('the archive has no entries: not an image', 'extract');
  return result;

  function writeEntry(h: tar.Header, chunks: Buffer[]): void {
    const rel = entryPath(h.name);
    const mode = h.mode ?? 0o644;
    const mtime = h.mtime ? h.mtime.getTime() / 1000 : undefined;
    result.entries++;
    if (h.type !== 'directory') dirs.delete(rel);
    switch (h.type) {
      case 'file':
      case 'contiguous-file':
        if (rel === '') throw new ImageError('archive member names the image root as a file', 'extract');
        owned(h, (uid, gid) => fsx.writeFile(root, rel, mode, chunks, mtime, uid, gid));
        return;
      case 'directory':
        if (rel !== '') owned(h, (uid, gid) => fsx.mkdir(root, rel, mode, uid, gid));
        dirs.set(rel, { rel, mode, mtime });
        return;
      case 'symlink':
        owned(h, (uid, gid) => fsx.symlink(root, rel, h.linkname ?? '', mtime, uid, gid));
        return;
      case 'link':
        fsx.link(root, rel, entryPath(h.linkname ?? ''));
        return;
      case 'fifo':
        owned(h, (uid, gid) => fsx.mkfifo(root, rel, mode, uid, gid));
        return;
      case 'character-device':
      case 'block-device':
        result.skippedDevices++;
        return;
      default:
        // pax and GNU long-name headers are consumed by tar-stream; anything else is metadata.
        result.entries--;
    }
  }

  /** Create with the member's owner; an id the namespace does not map (EINVAL) stays root's. */
  function owned(h: tar.Header, create: (uid?: number, gid?: number) => void): void {
    if (!opts.owners) return create();
    try {
      create(h.uid ?? 0, h.gid ?? 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
      result.unmappedOwners++;
      create();
    }
  }
}

function depth(rel: string): number {
  return rel === '' ? 0 : rel.split('/').length;
}

function asImageError(e: unknown): ImageError {
  if (e instanceof ImageError) return e;
  const err = e as NodeJS.ErrnoException;
  const msg = String(err?.message ?? e);
  if (err?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(msg))
    return new ImageError('the archive is truncated (unexpected end of compressed data)', 'decompress', err.code);
  if (err?.code?.startsWith('Z_')) return new ImageError(`the archive's gzip data is corrupt: ${msg}`, 'decompress', err.code);
  if (/invalid tar header/i.test(msg)) return new ImageError('not a tar archive (invalid tar header)', 'extract');
  if (/unexpected end of data/i.test(msg)) return new ImageError('the archive is truncated (unexpected end of tar data)', 'extract');
  if (err?.syscall) return new ImageError(`cannot unpack: ${msg}`, 'extract', err.code);
  return new ImageError(`cannot unpack: ${msg}`, 'extract');
}
