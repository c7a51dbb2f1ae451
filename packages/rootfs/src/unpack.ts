import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { decompressor, sniffCompression } from './compression';
import { extractTar } from './extract';

/** Unpack an archive into rootfs (created here), hashing it in the same pass. */
export async function unpack(abs: string, rootfs: string): Promise<{ digest: string; skippedDevices: number }> {
  fs.mkdirSync(rootfs, { mode: 0o755 });
  const fd = fs.openSync(abs, 'r');
  const head = Buffer.alloc(8);
  fs.readSync(fd, head, 0, head.length, 0);
  const input = fs.createReadStream(abs, { fd, highWaterMark: 1 << 20 });
  const hash = createHash('sha256');
  const tee = new PassThrough({ highWaterMark: 1 << 20 });
  input.on('data', (c) => hash.update(c));
  input.on('error', (e) => tee.destroy(e));
  const decoded = input.pipe(decompressor(sniffCompression(head)));
  decoded.on('error', (e) => tee.destroy(e));
  decoded.pipe(tee);
  const { skippedDevices } = await extractTar(tee, rootfs);
  // tar-stream stops at the end-of-archive marker; hash whatever padding follows too.
  await new Promise<void>((resolve, reject) => {
    if (input.closed) return resolve();
    input.on('close', resolve).on('error', reject);
    input.unpipe();
    input.resume();
  });
  return { digest: hash.digest('hex'), skippedDevices };
}
