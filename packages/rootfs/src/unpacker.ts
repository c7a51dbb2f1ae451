import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { signalName, unpackerPath } from '@minictl/native';
import { ImageError } from './errors';

/**
 * Runs the unpacker (argv[0] is its path) and resolves with its exit status: here, as the
 * caller, or inside a user namespace as its root so that the archive's owners are kept.
 */
export type UnpackRunner = (argv: string[]) => Promise<number>;

export interface UnpackProgress {
  /** bytes of input read so far (the archive, or the layers in turn) */
  bytes: number;
  /** members written so far */
  entries: number;
}

/** One input as the unpacker read it: digests of the bytes as stored and decompressed. */
export interface UnpackedInput {
  sha256: string;
  size: number;
  compression: 'none' | 'gzip' | 'zstd';
  diffId?: string;
}

export interface UnpackResult {
  /** rootfs: the archive was a root filesystem; archive: a docker-save or OCI layout, staged */
  kind: 'rootfs' | 'archive' | 'layers';
  inputs: UnpackedInput[];
  entries: number;
  /** bytes of regular-file content */
  bytes: number;
  skippedDevices: number;
  unmappedOwners: number;
  skippedXattrs: number;
}

export interface UnpackJob {
  root: string;
  /** keep the archive's owners (only meaningful when run as root of a user namespace) */
  owners: boolean;
  /** an archive as given; an image archive goes to staging */
  archive?: { file: string; staging: string };
  /** layers, in order, resolved inside blobs */
  layers?: { blobs: string; paths: string[]; diffIds: boolean };
}

export const runHere: UnpackRunner = (argv) =>
  new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new ImageError(`cannot run ${argv[0]}: ${e.code}; build minictl first (npm run build)`, 'spawn', e.code)),
    );
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });

/** Run one unpack job; `work` is a private directory for its result and progress files. */
export async function unpack(
  job: UnpackJob,
  work: string,
  opts: { runner?: UnpackRunner; onProgress?: (p: UnpackProgress) => void } = {},
): Promise<UnpackResult> {
  const result = join(work, 'result.json');
  const progress = join(work, 'progress');
  const argv = [unpackerPath(), '--root', job.root, '--result', result, '--progress', progress];
  if (job.owners) argv.push('--owners');
  if (job.archive) argv.push('--archive', job.archive.file, '--staging', job.archive.staging);
  if (job.layers) {
    argv.push('--blobs', job.layers.blobs);
    if (job.layers.diffIds) argv.push('--diff-ids');
    for (const p of job.layers.paths) argv.push('--layer', p);
  }
  rmSync(result, { force: true });
  const timer = opts.onProgress && setInterval(() => report(progress, opts.onProgress!), 100);
  let status: number;
  try {
    status = await (opts.runner ?? runHere)(argv);
  } finally {
    if (timer) clearInterval(timer);
  }
  let out: UnpackResult & { error?: { message: string; step: string; errno?: string } };
  try {
    out = JSON.parse(readFileSync(result, 'utf8'));
  } catch {
    // Stopped by a signal (Ctrl-C, kill): exit as a shell reports it, 128+N.
    if (status > 128) throw new ImageError(`unpacking stopped by ${signalName(status - 128)}`, 'extract', undefined, status);
    throw new ImageError(`unpacking failed (exit status ${status}) before it could report why`, 'extract');
  }
  if (out.error) throw new ImageError(out.error.message, out.error.step, out.error.errno);
  if (opts.onProgress) report(progress, opts.onProgress);
  return out;
}


function report(file: string, onProgress: (p: UnpackProgress) => void): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const [bytes, entries] = text.trim().split(' ').map(Number);
  if (Number.isFinite(bytes) && Number.isFinite(entries)) onProgress({ bytes, entries });
}
