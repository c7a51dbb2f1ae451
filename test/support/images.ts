/**
 * Image archives built by the tests: layers as tars (GNU tar, owners 0), docker-save archives
 * and OCI layouts around them, with real digests. Nothing is fetched.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { tempDir } from './harness';

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A layer tar of a directory tree given as path -> content ('' for an empty file, null: a directory). */
export function layerOf(files: Record<string, string | null>): Buffer {
  const dir = tempDir('minictl-layer-');
  for (const [p, content] of Object.entries(files)) {
    const full = path.join(dir, p);
    if (content === null) {
      fs.mkdirSync(full, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
  return execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '-C', dir, '-cf', '-', '.'], { maxBuffer: 1 << 30 });
}

export const gzip = (b: Buffer): Buffer => zlib.gzipSync(b);
export const zstd = (b: Buffer): Buffer => execFileSync('zstd', ['-q', '-c'], { input: b, maxBuffer: 1 << 30 });
export const gunzip = (b: Buffer): Buffer => zlib.gunzipSync(b);

export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
}

function configJson(layers: Buffer[], config: ImageConfig, arch = 'amd64'): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${sha256(l)}`) },
    }),
  );
}

/** A directory laid out as `docker save` writes it (legacy layout), as a tar file. */
export function dockerSave(layers: Buffer[], config: ImageConfig, out: string): string {
  const dir = tempDir('minictl-dsave-');
  const cfg = configJson(layers, config);
  fs.writeFileSync(path.join(dir, `${sha256(cfg)}.json`), cfg);
  const paths = layers.map((l) => {
    const id = sha256(l);
    fs.mkdirSync(path.join(dir, id));
    fs.writeFileSync(path.join(dir, id, 'layer.tar'), l);
    return `${id}/layer.tar`;
  });
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{ Config: `${sha256(cfg)}.json`, RepoTags: ['test/img:1'], Layers: paths }]));
  execFileSync('tar', ['-C', dir, '-cf', out, '.']);
  return out;
}

function blob(dir: string, bytes: Buffer, mediaType: string, extra: Record<string, unknown> = {}) {
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'blobs', 'sha256', sha256(bytes)), bytes);
  return { mediaType, digest: `sha256:${sha256(bytes)}`, size: bytes.length, ...extra };
}

/**
 * An OCI image layout directory. layers: the stored blobs (plain, gzip or zstd); plain: the
 * same layers uncompressed (for diff_ids). nested: the manifest sits behind an inner index
 * listing another platform first.
 */
export function ociLayout(layers: Buffer[], plain: Buffer[], config: ImageConfig, opts: { nested?: boolean; arch?: string } = {}): string {
  const dir = tempDir('minictl-oci-');
  const arch = opts.arch ?? 'amd64';
  const cfg = blob(dir, configJson(plain, config, arch), 'application/vnd.oci.image.config.v1+json');
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: cfg,
    layers: layers.map((l) => blob(dir, l, `application/vnd.oci.image.layer.v1.tar${l[0] === 0x1f ? '+gzip' : l[0] === 0x28 ? '+zstd' : ''}`)),
  };
  const m = blob(dir, Buffer.from(JSON.stringify(manifest)), manifest.mediaType, { platform: { os: 'linux', architecture: arch } });
  let top = [m];
  if (opts.nested) {
    const other = blob(dir, Buffer.from(JSON.stringify({ ...manifest, annotations: { other: 'yes' } })), manifest.mediaType, {
      platform: { os: 'linux', architecture: arch === 'arm64' ? 'amd64' : 'arm64' },
    });
    const inner = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [other, m] };
    top = [blob(dir, Buffer.from(JSON.stringify(inner)), inner.mediaType)];
  }
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: top.map((d) => ({ ...d, annotations: { 'org.opencontainers.image.ref.name': 'latest' } })) }));
  return dir;
}

export function tarOfDir(dir: string, out: string, compress?: 'gzip' | 'zstd'): string {
  const tar = execFileSync('tar', ['-C', dir, '-cf', '-', '.'], { maxBuffer: 1 << 30 });
  fs.writeFileSync(out, compress === 'gzip' ? gzip(tar) : compress === 'zstd' ? zstd(tar) : tar);
  return out;
}
