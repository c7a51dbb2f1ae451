import { stateRoot, StateStore, type ContainerRecord } from '@minictl/nsproc';
import { UsageError } from '../run/parse';

/** The state store of this invocation (global --root, else $XDG_RUNTIME_DIR/minictl). */
export function containers(root?: string): StateStore {
  return new StateStore(stateRoot(root));
}

export function requireContainer(store: StateStore, ref: string): ContainerRecord {
  const r = store.find(ref);
  if (!r) throw new UsageError(`no container ${JSON.stringify(ref)} (see minictl ps -a)`);
  return r;
}

/** Claim id and name for a new container, atomically; a taken name is a usage error. */
export function reserveName(store: StateStore, id: string, name: string): void {
  if (!store.reserve(id, name))
    throw new UsageError(`the name ${JSON.stringify(name)} is already in use (minictl rm ${name} first, or pick another)`);
}

/** Names are unique among the containers minictl knows, running or not. */
export function checkNameFree(store: StateStore, name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name))
    throw new UsageError(`invalid name ${JSON.stringify(name)}: letters, digits, '_', '.' and '-'`);
  if (store.all().some((r) => r.name === name || r.id === name))
    throw new UsageError(`the name ${JSON.stringify(name)} is already in use (minictl rm ${name} first, or pick another)`);
}
