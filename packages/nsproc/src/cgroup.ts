import { accessSync, constants, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type Controller = 'memory' | 'pids';

export interface CgroupHost {
  /** /proc/self/mountinfo and /proc/self/cgroup, as text */
  mountinfo: string;
  selfCgroup: string;
  /** can the caller write this path? */
  writable(p: string): boolean;
  read(p: string): string | undefined;
}

const realHost: CgroupHost = {
  mountinfo: '',
  selfCgroup: '',
  writable: (p) => {
    try {
      accessSync(p, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  read: (p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};

export function hostCgroups(): CgroupHost {
  return { ...realHost, mountinfo: realHost.read('/proc/self/mountinfo') ?? '', selfCgroup: realHost.read('/proc/self/cgroup') ?? '' };
}

/**
 * Where this user may create cgroups with the given controllers: the parent of the caller's
 * own cgroup v2 directory, when it is delegated (writable, its cgroup.procs too) and has the
 * controllers enabled for its children. Otherwise why not, in one line.
 */
export function delegatedCgroup(needed: readonly Controller[], host: CgroupHost = hostCgroups()): { parent: string } | { reason: string } {
  const mount = host.mountinfo
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[f.indexOf('-') + 1] === 'cgroup2')?.[4];
  if (!mount) return { reason: 'there is no cgroup v2 hierarchy on this host (cgroup v1 only)' };
  // Controllers the hierarchy lacks altogether (a hybrid layout keeps them in v1): no
  // delegation can help, so say that first.
  const available = (host.read(join(mount, 'cgroup.controllers')) ?? '').trim().split(/\s+/);
  const absent = needed.filter((c) => !available.includes(c));
  if (absent.length)
    return {
      reason: `cgroup v2 here has no ${absent.join(' or ')} controller (a hybrid cgroup layout keeps them in v1: boot with systemd.unified_cgroup_hierarchy=1)`,
    };
  const own = /^0::(.*)$/m.exec(host.selfCgroup)?.[1];
  if (own === undefined) return { reason: 'this process is in no cgroup v2 group' };
  const parent = join(mount, dirname(own));
  if (!host.writable(parent) || !host.writable(join(parent, 'cgroup.procs')))
    return { reason: `${parent} is not delegated to you (systemd does it for user sessions: run from a login session, or "systemd-run --user --scope -p Delegate=yes")` };
  const enabled = (host.read(join(parent, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/);
  const missing = needed.filter((c) => !enabled.includes(c));
  if (missing.length)
    return { reason: `the ${missing.join(' and ')} controller${missing.length > 1 ? 's are' : ' is'} not enabled for ${parent} (cgroup.subtree_control)` };
  return { parent };
}

/** Put pid into a new cgroup under parent with these limits; returns its removal. */
export function placeInCgroup(parent: string, name: string, pid: number, limits: { memory?: number; pids?: number }): () => void {
  const dir = join(parent, name);
  mkdirSync(dir);
  const remove = () => {
    try {
      rmdirSync(dir);
    } catch {
      // still populated by a straggler: the kernel empties it when the last one exits
    }
  };
  try {
    if (limits.memory !== undefined) writeFileSync(join(dir, 'memory.max'), String(limits.memory));
    if (limits.pids !== undefined) writeFileSync(join(dir, 'pids.max'), String(limits.pids));
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  } catch (e) {
    remove();
    throw e;
  }
  return remove;
}
