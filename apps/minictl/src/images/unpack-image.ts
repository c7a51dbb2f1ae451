import { basename } from 'node:path';
import { importImage, type Image, type Platform, type Store } from '@minictl/rootfs';
import type { TreeTools } from '../identity/namespaced';
import { warn } from '../output';
import { progressBar } from './progress';

/** Unpacks an archive or OCI layout directory into the cache (or finds it there by content). */
export async function unpackImage(file: string, store: Store, trees: TreeTools, opts: { quiet?: boolean; platform?: Platform }): Promise<Image> {
  const bar = progressBar(basename(file), opts.quiet);
  try {
    return await importImage(file, store, {
      warn,
      mappingKey: trees.mappingKey,
      runner: trees.runner,
      remover: trees.remover,
      platform: opts.platform,
      onProgress: bar.update,
    });
  } finally {
    bar.done();
  }
}
