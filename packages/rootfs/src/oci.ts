import { ImageError } from './errors';
import { defaultsFromConfig, isObject } from './image-config';
import { parseJson, sha256, type LayerRef, type ReadFile, type ResolvedImage } from './layout';
import { formatPlatform, platformMatches, type Platform } from './platform';

const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
const MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];
/** Nested indexes deeper than this are refused: a loop of indexes must end. */
const MAX_DEPTH = 4;

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: Partial<Platform>;
  annotations?: Record<string, string>;
}

/** blobs/sha256/<hex> for a descriptor; only sha256 digests are accepted. */
export function blobPath(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new ImageError(`unsupported or malformed digest ${JSON.stringify(digest)}: only sha256 is accepted`, 'layout');
  return `blobs/sha256/${m[1]}`;
}

/** A blob's bytes, checked against its digest and size. */
function readBlob(read: ReadFile, d: Descriptor, what: string): Buffer {
  const path = blobPath(d.digest);
  const bytes = read(path);
  if (!bytes) throw new ImageError(`the image layout has no ${what} blob ${d.digest}`, 'layout');
  if (sha256(bytes) !== d.digest.slice(7) || (d.size !== undefined && d.size !== bytes.length))
    throw new ImageError(`the ${what} blob ${d.digest} does not match its digest: the layout is corrupt or was tampered with`, 'verify');
  return bytes;
}

function descriptors(json: unknown, what: string): Descriptor[] {
  if (!isObject(json) || !Array.isArray(json.manifests)) throw new ImageError(`the image's ${what} has no manifests list`, 'layout');
  return json.manifests.map((d) => {
    if (!isObject(d) || typeof d.digest !== 'string') throw new ImageError(`the image's ${what} has a malformed descriptor`, 'layout');
    return d as unknown as Descriptor;
  });
}

/** The first manifest for the platform, depth first through nested indexes, in index order. */
function pick(read: ReadFile, list: Descriptor[], want: Platform, depth: number, seen: Platform[]): Descriptor | undefined {
  for (const d of list) {
    if (d.platform?.os === 'unknown') continue; // attestations and other non-images
    if (d.mediaType && INDEX_TYPES.includes(d.mediaType)) {
      if (depth >= MAX_DEPTH) throw new ImageError('the image index nests too deeply', 'layout');
      const found = pick(read, descriptors(parseJson(readBlob(read, d, 'index'), 'index'), 'index'), want, depth + 1, seen);
      if (found) return found;
      continue;
    }
    if (d.platform) {
      if (platformMatches(d.platform, want)) return d;
      seen.push(d.platform as Platform);
      continue;
    }
    return d;
  }
  return undefined;
}

/** An OCI image layout (oci-layout, index.json, blobs/sha256): the image for `want`. */
export function resolveOci(read: ReadFile, want: Platform): ResolvedImage {
  const marker = parseJson(read('oci-layout')!, 'oci-layout');
  if (!isObject(marker) || typeof marker.imageLayoutVersion !== 'string')
    throw new ImageError('the oci-layout file has no imageLayoutVersion', 'layout');
  const index = read('index.json');
  if (!index) throw new ImageError('the OCI layout has no index.json', 'layout');
  const seen: Platform[] = [];
  const chosen = pick(read, descriptors(parseJson(index, 'index.json'), 'index.json'), want, 0, seen);
  if (!chosen) {
    const have = seen.length ? ` (it has ${[...new Set(seen.map(formatPlatform))].join(', ')})` : '';
    throw new ImageError(`the image has no manifest for ${formatPlatform(want)}${have}: choose one with --platform`, 'platform');
  }
  if (chosen.mediaType && !MANIFEST_TYPES.includes(chosen.mediaType))
    throw new ImageError(`unsupported manifest type ${chosen.mediaType}`, 'layout');
  const manifest = parseJson(readBlob(read, chosen, 'manifest'), 'manifest');
  if (!isObject(manifest) || !isObject(manifest.config) || !Array.isArray(manifest.layers))
    throw new ImageError('the image manifest has no config or layers', 'layout');
  const configJson = parseJson(readBlob(read, manifest.config as unknown as Descriptor, 'config'), 'config');
  const platform = configPlatform(configJson);
  if (!chosen.platform && platform && !platformMatches(platform, want))
    throw new ImageError(`the image is for ${formatPlatform(platform)}, not ${formatPlatform(want)}: choose it with --platform ${formatPlatform(platform)}`, 'platform');
  const layers: LayerRef[] = manifest.layers.map((l) => {
    if (!isObject(l) || typeof l.digest !== 'string') throw new ImageError('the image manifest has a malformed layer', 'layout');
    return { path: blobPath(l.digest), digest: l.digest.slice(7), size: typeof l.size === 'number' ? l.size : undefined };
  });
  const ref = chosen.annotations?.['org.opencontainers.image.ref.name'];
  return {
    format: 'oci',
    id: chosen.digest.slice(7),
    defaults: defaultsFromConfig(configJson),
    layers,
    platform: platform && formatPlatform(platform),
    names: ref ? [ref] : [],
  };
}

export function configPlatform(json: unknown): Platform | undefined {
  if (!isObject(json) || typeof json.os !== 'string' || typeof json.architecture !== 'string') return undefined;
  return { os: json.os, architecture: json.architecture, variant: typeof json.variant === 'string' ? json.variant : undefined };
}
