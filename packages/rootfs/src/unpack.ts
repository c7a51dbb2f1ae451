import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { decompressor, sniffCompression } from './compression';
import { ImageError } from './errors';
import { extractTar, type ExtractOptions } from './extract';

export interface UnpackResult {
  /** sha256 of the archive */
  digest: string;
  skippedDevices: number;
  unmappedOwners: number;
}

/** Unpack an archive into rootfs (created here if missing), hashing it in the same pass. */
export async function unpack(abs: string, rootfs: string, opts: ExtractOptions = {}): Promise<UnpackResult> {
  fs.mkdirSync(rootfs, { recursive: true, mode: 0o755 });
  const fd = fs.openSync(abs, 'r');
  const head = Buffer.alloc(8);
  fs.readSync(fd, head, 0, head.length, 0);
  const compression = sniffCompression(head);
  if (compression === 'none' && fs.fstatSync(fd).size < 512) {
    fs.closeSync(fd);
    throw new ImageError('not a tar archive (shorter than one tar block)', 'detect');
  }
  const input = fs.createReadStream(abs, { fd, highWaterMark: 1 << 20 });
  const hash = createHash('sha256');
  const tee = new PassThrough({ highWaterMark: 1 << 20 });
  input.on('data', (c) => hash.update(c));
  try {
    input.on('error', (e) => tee.destroy(e));
    const decoded = input.pipe(decompressor(compression));
    decoded.on('error', (e) => tee.destroy(e));
    decoded.pipe(tee);
    const { skippedDevices, unmappedOwners } = await extractTar(tee, rootfs, opts);
    // tar-stream stops at the end-of-archive marker; hash whatever padding follows too.
    input.unpipe();
    await drained(input);
    return { digest: hash.digest('hex'), skippedDevices, unmappedOwners };
  } catch (e) {
    // A refused archive must not keep its file open (a paused stream never closes itself).
    input.destroy();
    await closed(input);
    throw e;
  }
}

function drained(input: fs.ReadStream): Promise<void> {
  return new Promise((resolve, reject) => {
    if (input.closed) return resolve();
    input.on('close', resolve).on('error', reject);
    input.resume();
  });
}

function closed(input: fs.ReadStream): Promise<void> {
  return new Promise((resolve) => (input.closed ? resolve() : input.on('close', () => resolve())));
}
