import * as zlib from 'node:zlib';
import { PassThrough, type Transform } from 'node:stream';
import { ImageError } from './errors';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Detect compression from the first bytes, never from the file name. */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export function decompressor(kind: Compression): Transform {
  switch (kind) {
    case 'gzip':
      return zlib.createGunzip();
    case 'none':
      return new PassThrough();
    case 'zstd':
      throw new ImageError(
        'zstd-compressed archives are not supported yet: decompress first (zstd -d image.tar.zst)',
        'detect',
      );
  }
}
