import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pack, type Header } from 'tar-stream';
import { unpack, type UnpackResult } from '../src/unpacker';

/** One archive member: a header plus, for regular files, its content. */
export type Member = Partial<Header> & Pick<Header, 'name'> & { body?: string | Buffer };

/** A tar archive built in memory with tar-stream's packer. */
export async function tarOf(members: Member[]): Promise<Buffer> {
  const p = pack();
  for (const { body, ...header } of members) {
    const h = { mtime: new Date(1_600_000_000_000), ...header };
    if ((h.type ?? 'file') === 'file') p.entry(h, body ?? '');
    else p.entry(h);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * Unpack archive bytes into root with minictl-unpack, as a root filesystem (layers: as one
 * layer each, in order). The archive and the unpacker's files live in a scratch directory
 * of their own, removed afterwards.
 */
export async function extractTar(archives: Buffer | Buffer[], root: string, opts: { layers?: boolean } = {}): Promise<UnpackResult> {
  const work = tempDir('work');
  try {
    const list = Array.isArray(archives) ? archives : [archives];
    list.forEach((b, i) => fs.writeFileSync(path.join(work, `${i}.tar`), b));
    if (opts.layers)
      return await unpack({ root, owners: false, layers: { blobs: work, paths: list.map((_, i) => `${i}.tar`), diffIds: false } }, work);
    fs.mkdirSync(path.join(work, 'staging'));
    return await unpack({ root, owners: false, archive: { file: path.join(work, '0.tar'), staging: path.join(work, 'staging') } }, work);
  } finally {
    removeAll(work);
  }
}

/** A fresh temporary directory, removed by the caller's cleanup. */
export function tempDir(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `minictl-${prefix}-`)));
}

/** rm -rf that copes with read-only directories left by an extraction. */
export function removeAll(dir: string): void {
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        fs.chmodSync(path.join(d, e.name), 0o700);
        walk(path.join(d, e.name));
      }
    }
  };
  try {
    fs.chmodSync(dir, 0o700);
    walk(dir);
  } catch {
    /* already gone */
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Every path under dir (relative, sorted), not following symlinks. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) walk(r);
    }
  };
  walk('');
  return out.sort();
}

/** zstd-compressed bytes, made by the zstd program (Debian's zstd, installed with libzstd). */
export function zstdOf(buf: Buffer): Buffer {
  return execFileSync('zstd', ['-q', '-c'], { input: buf, maxBuffer: 1 << 30 });
}
