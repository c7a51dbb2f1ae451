import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readIndex, readNames, removeTree, staleTemps, treesOf, writeIndex, writeNames, type Store } from '@minictl/rootfs';

/** Removes a tree; trees under subordinate ids go through a user namespace. */
export type Remover = (dir: string) => Promise<void>;

/**
 * Remove an image: its trees, its record, the names and index entries pointing at it.
 * `ranged` removes trees unpacked under a subordinate-id mapping (rootfs-<key>).
 */
export async function removeImage(store: Store, id: string, own: Remover, ranged: Remover): Promise<void> {
  for (const tree of treesOf(store, id)) await (basename(tree) === 'rootfs' ? own : ranged)(tree);
  removeTree(join(store.images, id));
  const names = readNames(store);
  const kept = Object.fromEntries(Object.entries(names).filter(([, v]) => v !== id));
  if (Object.keys(kept).length !== Object.keys(names).length) writeNames(store, kept);
  const index = readIndex(store);
  const left = Object.fromEntries(Object.entries(index).filter(([, e]) => e.digest !== id));
  if (Object.keys(left).length !== Object.keys(index).length) writeIndex(store, left);
}

/** Leftovers of interrupted imports; their trees may belong to subordinate ids. */
export async function removeStale(store: Store, ranged: Remover): Promise<string[]> {
  const gone: string[] = [];
  for (const dir of staleTemps(store)) {
    try {
      removeTree(dir);
    } catch {
      await ranged(dir);
    }
    if (!existsSync(dir)) gone.push(dir);
  }
  return gone;
}
