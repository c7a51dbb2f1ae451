import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compilePlan, launch, validateSpec, type ContainerSpec } from '@minictl/nsproc';
import { ImageError, removeTree, type UnpackResult } from '@minictl/rootfs';
import { selfCommand } from '../self';
import type { ResolvedIdentity } from './resolve';

/** Trees unpacked under different id mappings live apart; this names a mapping. */
export function mappingKey(identity: ResolvedIdentity): string {
  return createHash('sha256').update(JSON.stringify([identity.uidMappings, identity.gidMappings])).digest('hex').slice(0, 12);
}

/** Run `minictl <args>` as root of a new user namespace with these maps, in place. */
async function runInside(identity: ResolvedIdentity, args: string[]): Promise<number> {
  const spec: ContainerSpec = validateSpec({
    ociVersion: '1.2.0',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [...selfCommand(), ...args],
      env: [`PATH=${process.env.PATH ?? '/usr/bin:/bin'}`],
      cwd: '/',
      noNewPrivileges: true,
    },
    root: { path: '/', readonly: false },
    mounts: [],
    linux: { namespaces: [{ type: 'user' }], uidMappings: identity.uidMappings, gidMappings: identity.gidMappings },
    minictl: {
      init: false,
      rootMode: 'bind',
      keepRoot: true,
      setgroups: identity.setgroups,
      useIdHelpers: identity.useIdHelpers,
    },
  });
  return launch(spec, compilePlan(spec, {}));
}

/** Unpack inside the namespace, as its root, keeping the archive's owners. */
export function namespacedUnpacker(identity: ResolvedIdentity) {
  return async (archive: string, dest: string): Promise<UnpackResult> => {
    const resultFile = path.join(path.dirname(dest), 'result.json');
    const status = await runInside(identity, ['__unpack', archive, dest, resultFile]);
    let result: UnpackResult & { error?: string; step?: string; errno?: string };
    try {
      result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
    } catch {
      throw new ImageError(`unpacking in the user namespace failed (exit status ${status})`, 'extract');
    }
    if (result.error) throw new ImageError(result.error, result.step ?? 'extract', result.errno);
    return result;
  };
}

/** Remove a tree whose files belong to subordinate ids (the caller cannot). */
export function namespacedRemover(identity: ResolvedIdentity) {
  return async (dir: string): Promise<void> => {
    const status = await runInside(identity, ['__remove', dir]);
    if (status !== 0) throw new ImageError(`cannot remove ${dir} (exit status ${status})`, 'remove');
  };
}

/** How image trees are made, copied and removed for an identity. */
export interface TreeTools {
  /** set when trees are unpacked under subordinate ids, to keep them apart */
  mappingKey?: string;
  unpacker?: (archive: string, dest: string) => Promise<UnpackResult>;
  copier: (src: string, dest: string) => Promise<void>;
  remover: (dir: string) => Promise<void>;
}

/**
 * With only the caller's own ids mapped, trees are the caller's files, handled here. With a
 * range, they belong to subordinate ids: made, copied and removed inside the namespace.
 */
export function treeTools(identity: ResolvedIdentity): TreeTools {
  if (!identity.useIdHelpers) {
    return {
      copier: async (src, dest) => fs.cpSync(src, dest, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true }),
      remover: async (dir) => removeTree(dir),
    };
  }
  return {
    mappingKey: mappingKey(identity),
    unpacker: namespacedUnpacker(identity),
    copier: async (src, dest) => {
      const status = await runInside(identity, ['__copy', src, dest]);
      if (status !== 0) throw new ImageError(`cannot copy ${src} (exit status ${status})`, 'copy');
    },
    remover: namespacedRemover(identity),
  };
}
