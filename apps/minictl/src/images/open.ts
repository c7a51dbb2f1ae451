import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import {
  ImageError,
  importImage,
  listRecords,
  lookupImage,
  parsePlatform,
  readRecord,
  treesOf,
  type Image,
  type Store,
} from '@minictl/rootfs';
import type { TreeTools } from '../identity/namespaced';
import { warn } from '../output';
import { progressBar } from './progress';

export interface OpenOptions {
  quiet?: boolean;
  /** --platform os/arch[/variant] */
  platform?: string;
}

/** Import an archive or OCI layout directory into the cache (or find it there). */
export async function importFile(file: string, store: Store, trees: TreeTools, opts: OpenOptions): Promise<Image> {
  const bar = progressBar(basename(file), opts.quiet);
  try {
    return await importImage(file, store, {
      warn,
      mappingKey: trees.mappingKey,
      runner: trees.runner,
      remover: trees.remover,
      platform: opts.platform === undefined ? undefined : parsePlatform(opts.platform),
      onProgress: bar.update,
    });
  } finally {
    bar.done();
  }
}

/**
 * What `minictl run IMAGE` means by IMAGE: a file or directory when one exists there, else an
 * imported image by name or id. An image unpacked for another id mapping is unpacked again
 * for this one from the file it came from.
 */
export async function openImage(ref: string, store: Store, trees: TreeTools, opts: OpenOptions): Promise<Image> {
  if (existsSync(ref)) return importFile(ref, store, trees, opts);
  const id = lookupImage(store, ref, listRecords(store).map((r) => r.id));
  if (!id) return importFile(ref, store, trees, opts); // reports the missing file
  const record = readRecord(store, id)!;
  const tree = treesOf(store, id).find((t) => basename(t) === (trees.mappingKey ? `rootfs-${trees.mappingKey}` : 'rootfs'));
  if (tree) return { digest: id, rootfs: tree, defaults: record.defaults };
  if (existsSync(record.source)) return importFile(record.source, store, trees, { ...opts, platform: opts.platform ?? record.platform });
  throw new ImageError(
    `image ${ref} was unpacked for another id mapping and its source ${record.source} is gone: import it again with minictl import FILE ${ref}`,
    'open',
  );
}
