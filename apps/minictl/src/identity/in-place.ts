import type { ContainerSpec, NamespaceType } from '@minictl/nsproc';
import type { ResolvedIdentity } from './resolve';

export interface InPlace {
  args: string[];
  env: string[];
  cwd: string;
  /** besides the user namespace, always there */
  namespaces: readonly NamespaceType[];
  identity: ResolvedIdentity;
  terminal: boolean;
  noNewPrivileges: boolean;
}

/**
 * A process as root of a new user namespace that keeps the caller's filesystem and
 * directory (no new root): `minictl unshare`, and minictl's own work on trees owned by
 * subordinate ids.
 */
export function inPlaceSpec(o: InPlace): ContainerSpec {
  return {
    ociVersion: '1.2.0',
    process: { terminal: o.terminal, user: { uid: 0, gid: 0 }, args: o.args, env: o.env, cwd: o.cwd, noNewPrivileges: o.noNewPrivileges },
    root: { path: '/', readonly: false },
    mounts: [],
    linux: {
      namespaces: [...new Set<NamespaceType>(['user', ...o.namespaces])].map((type) => ({ type })),
      uidMappings: o.identity.uidMappings,
      gidMappings: o.identity.gidMappings,
    },
    minictl: {
      init: false,
      rootMode: 'bind',
      keepRoot: true,
      setgroups: o.identity.setgroups,
      useIdHelpers: o.identity.useIdHelpers,
    },
  };
}
