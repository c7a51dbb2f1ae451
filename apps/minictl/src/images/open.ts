import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { findImported, ImageError, listRecords, lookupImage, parsePlatform, readRecord, treesOf, type Image, type Store } from '@minictl/rootfs';
import type { TreeTools } from '../identity/namespaced';
import { more } from '../load-more';

export interface OpenOptions {
  quiet?: boolean;
  /** --platform os/arch[/variant] */
  platform?: string;
}

/**
 * Import an archive or OCI layout directory into the cache, or find it there: an archive
 * imported before is found by its path here; anything else is read by unpack-image.ts, in
 * the other commands' bundle (load-more.ts), which a run from the cache does not load.
 */
export async function importFile(file: string, store: Store, trees: TreeTools, opts: OpenOptions): Promise<Image> {
  const platform = opts.platform === undefined ? undefined : parsePlatform(opts.platform);
  return findImported(file, store, { mappingKey: trees.mappingKey, platform }) ?? (await more().unpackImage(file, store, trees, { quiet: opts.quiet, platform }));
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
