import { join, sep } from 'node:path';
import type { Store } from '@minictl/rootfs';
import { containers } from '../lifecycle/containers';

/** Containers (not stopped) whose root is a tree of this image: it must not go from under them. */
export function containersUsing(store: Store, id: string, stateRoot?: string): string[] {
  const states = containers(stateRoot);
  const dir = join(store.images, id) + sep;
  return states
    .all()
    .filter((r) => r.spec.root.path.startsWith(dir) && states.status(r) !== 'stopped')
    .map((r) => r.name);
}
