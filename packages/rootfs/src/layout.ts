import { createHash } from 'node:crypto';
import { fsAddon } from '@minictl/native';
import { ImageError } from './errors';
import type { ImageDefaults } from './image-config';

/** A file of an image layout, read inside its root; undefined when it does not exist. */
export type ReadFile = (rel: string) => Buffer | undefined;

/** One layer to apply: where its blob is, and the digests it must have. */
export interface LayerRef {
  /** path inside the layout */
  path: string;
  /** sha256 of the blob as stored */
  digest?: string;
  /** sha256 of the uncompressed tar (a docker diff_id) */
  diffId?: string;
  size?: number;
}

/** An image chosen from a layout: its layers and run defaults. */
export interface ResolvedImage {
  format: 'docker-save' | 'oci';
  /** the cache key: the manifest digest (OCI) or the config digest, docker's image ID */
  id: string;
  defaults: ImageDefaults;
  layers: LayerRef[];
  /** os/arch[/variant] from the config, when it says */
  platform?: string;
  /** names the archive gives the image (docker save's RepoTags, OCI ref.name) */
  names: string[];
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ImageError(`the image's ${what} is not valid JSON`, 'layout');
  }
}

/** Read files of a layout directory inside it: a symlink in the layout cannot reach the host. */
export function layoutReader(dir: string): { read: ReadFile; close: () => void } {
  const fsx = fsAddon();
  const root = fsx.openRoot(dir);
  return {
    read: (rel) => {
      try {
        return fsx.readFile(root, rel);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return undefined;
        throw new ImageError(`cannot read ${rel} of the image: ${code}`, 'layout', code);
      }
    },
    close: () => fsx.close(root),
  };
}
