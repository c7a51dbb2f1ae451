import { cpSync } from 'node:fs';
import { compilePlan, launch, validateSpec } from '@minictl/nsproc';
import { ImageError, removeTree, type UnpackRunner } from '@minictl/rootfs';
import { selfCommand } from '../self';
import { inPlaceSpec } from './in-place';
import type { ResolvedIdentity } from './resolve';

/**
 * Trees unpacked under different id mappings live apart; this names a mapping: 12 hex digits
 * of its FNV-1a hash. A name, not a security boundary, and sha256 would cost every start
 * ~0.5 ms of OpenSSL initialisation.
 */
export function mappingKey(identity: ResolvedIdentity): string {
  // 64-bit FNV-1a in two 32-bit halves (BigInt arithmetic cost ~0.2 ms a start): h * prime
  // mod 2^64, with prime = 2^40 + 0x1b3, is (h << 40) + h * 0x1b3.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const byte of Buffer.from(JSON.stringify([identity.uidMappings, identity.gidMappings]))) {
    lo = (lo ^ byte) >>> 0;
    const low = lo * 0x1b3;
    hi = (hi * 0x1b3 + Math.floor(low / 2 ** 32) + ((lo << 8) >>> 0)) % 2 ** 32;
    lo = low % 2 ** 32;
  }
  return (hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0')).slice(0, 12);
}

/** Run argv as root of a new user namespace with these maps, in place. */
async function runInside(identity: ResolvedIdentity, argv: string[]): Promise<number> {
  const spec = validateSpec(
    inPlaceSpec({ args: argv, env: [`PATH=${process.env.PATH ?? '/usr/bin:/bin'}`], cwd: '/', namespaces: [], identity, terminal: false, noNewPrivileges: true }),
  );
  return launch(spec, compilePlan(spec, {}));
}

/** Remove a tree whose files belong to subordinate ids (the caller cannot). */
export function namespacedRemover(identity: ResolvedIdentity) {
  return async (dir: string): Promise<void> => {
    const status = await runInside(identity, [...selfCommand(), '__remove', dir]);
    if (status !== 0) throw new ImageError(`cannot remove ${dir} (exit status ${status})`, 'remove');
  };
}

/** How image trees are made, copied and removed for an identity. */
export interface TreeTools {
  /** set when trees are unpacked under subordinate ids, to keep them apart */
  mappingKey?: string;
  /** runs the image unpacker inside the namespace, as its root, so owners are kept */
  runner?: UnpackRunner;
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
      copier: async (src, dest) => cpSync(src, dest, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true }),
      remover: async (dir) => removeTree(dir),
    };
  }
  return {
    mappingKey: mappingKey(identity),
    runner: (argv) => runInside(identity, argv),
    copier: async (src, dest) => {
      const status = await runInside(identity, [...selfCommand(), '__copy', src, dest]);
      if (status !== 0) throw new ImageError(`cannot copy ${src} (exit status ${status})`, 'copy');
    },
    remover: namespacedRemover(identity),
  };
}
