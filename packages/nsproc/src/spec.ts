import { isAbsolute, posix } from 'node:path';
import type { RootMode } from '@minictl/rootfs';
import { RLIMIT } from '@minictl/native';
import type { SeccompProfile } from '@minictl/seccomp';
import type { CredAction } from './actions';
import type { Publish } from './pasta';
import { SpecError } from './errors';

/**
 * The address pasta answers DNS on inside the namespace (it forwards to the host's resolver):
 * the resolv.conf of a spec with pasta networking names it. Here, not in pasta.ts, which a run
 * without pasta does not load.
 */
export const PASTA_DNS = '169.254.1.1';

/**
 * The one data model (DESIGN.md §2): a subset of the OCI runtime spec's config.json plus
 * minictl's own extension. The CLI builds one; everything downstream takes a validated one.
 */
export interface ContainerSpec {
  ociVersion: string;
  process: ProcessSpec;
  root: { path: string; readonly: boolean };
  /** set in a new UTS namespace; absent: keep the inherited name */
  hostname?: string;
  mounts: MountSpec[];
  linux: LinuxSpec;
  minictl: MinictlSpec;
}

export interface ProcessSpec {
  terminal: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities?: CapabilitiesSpec;
  noNewPrivileges: boolean;
  /** soft and hard limits; bigint for RLIM_INFINITY */
  rlimits?: { type: string; soft: number | bigint; hard: number | bigint }[];
}

export interface CapabilitiesSpec {
  bounding: string[];
  effective: string[];
  inheritable: string[];
  permitted: string[];
  ambient: string[];
}

export interface MountSpec {
  destination: string;
  type: 'bind' | 'tmpfs';
  source: string;
  options: string[];
}

export type NamespaceType = 'user' | 'pid' | 'mount' | 'uts' | 'ipc' | 'network' | 'cgroup';

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface LinuxSpec {
  /** with a path: join that namespace instead of creating one (OCI) */
  namespaces: { type: NamespaceType; path?: string }[];
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  /** the OCI linux.seccomp profile; absent: unconfined */
  seccomp?: SeccompProfile;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** cgroup v2 limits, applied where the user has a delegated subtree */
  resources?: { memory?: { limit: number }; pids?: { limit: number } };
}

export interface MinictlSpec {
  /** a tiny init from the launcher is pid 1 and the command pid 2 */
  init: boolean;
  /** how the root is made from root.path */
  rootMode: RootMode;
  setgroups: 'allow' | 'deny';
  /** write maps through newuidmap/newgidmap (ranges) rather than directly */
  useIdHelpers: boolean;
  securebits?: number;
  /** no new root: stay in the caller's filesystem (`minictl unshare`) */
  keepRoot?: boolean;
  /** project id map written with the id maps (`minictl unshare -P`) */
  projidMappings?: IdMapping[];
  /** credential experiments run in order just before exec */
  actions?: CredAction[];
  /** files provided in /etc (hosts, hostname, resolv.conf): name → content */
  etc?: Record<string, string>;
  /** none: loopback only; host: the host's network namespace; pasta: user-mode networking */
  network?: 'none' | 'host' | 'pasta';
  /** ports published through pasta */
  publish?: Publish[];
  /** outlives minictl: the launcher records the exit status in this file */
  detached?: { exitFile: string };
  /** OCI create: the command waits for a byte on this fifo (written by `start`) */
  startGate?: string;
  /** OCI --console-socket: the pty master goes to this unix socket, not to minictl's relay */
  consoleSocket?: string;
  /** exec: enter the namespaces of this running container process instead of creating any */
  join?: number;
}

/** The launcher holds detached mounts in 64 slots; the first few are minictl's own. */
export const MAX_MOUNTS = 48;

export const NAMESPACES: readonly NamespaceType[] = ['user', 'pid', 'mount', 'uts', 'ipc', 'network', 'cgroup'];

/** Check what the launcher relies on; throws SpecError naming the field. */
export function validateSpec(spec: ContainerSpec): ContainerSpec {
  const p = spec.process;
  if (!Array.isArray(p.args) || p.args.length === 0 || p.args[0] === '')
    throw new SpecError('process.args must name a command', 'process.args');
  if (!posix.isAbsolute(p.cwd)) throw new SpecError(`process.cwd must be absolute, got ${JSON.stringify(p.cwd)}`, 'process.cwd');
  for (const e of p.env)
    if (!/^[^=\s]+=/.test(e)) throw new SpecError(`process.env entry ${JSON.stringify(e)} is not KEY=VALUE`, 'process.env');
  if (!isAbsolute(spec.root.path)) throw new SpecError('root.path must be absolute', 'root.path');
  if (spec.hostname !== undefined && (spec.hostname.length > 64 || !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(spec.hostname)))
    throw new SpecError(`hostname ${JSON.stringify(spec.hostname)} is not a valid host name (letters, digits, '-' and '.', at most 64)`, 'hostname');
  const binds = spec.mounts.filter((m) => m.type === 'bind').length;
  if (binds > MAX_MOUNTS) throw new SpecError(`at most ${MAX_MOUNTS} bind mounts are supported, got ${binds}`, 'mounts');
  for (const r of spec.process.rlimits ?? []) {
    if (!(r.type in RLIMIT)) throw new SpecError(`unknown rlimit ${JSON.stringify(r.type)}`, 'process.rlimits');
    if (BigInt(r.soft) > BigInt(r.hard))
      throw new SpecError(`${r.type}: the soft limit ${r.soft} is above the hard limit ${r.hard}`, 'process.rlimits');
  }
  for (const [i, m] of spec.mounts.entries()) {
    if (!posix.isAbsolute(m.destination) || m.destination.split('/').includes('..'))
      throw new SpecError(`mounts[${i}].destination must be an absolute path without "..", got ${JSON.stringify(m.destination)}`, `mounts[${i}].destination`);
    if (posix.normalize(m.destination) === '/')
      throw new SpecError(`mounts[${i}].destination cannot be the container's root`, `mounts[${i}].destination`);
    if (m.type === 'bind' && !isAbsolute(m.source)) throw new SpecError(`mounts[${i}].source must be absolute`, `mounts[${i}].source`);
  }
  const types = spec.linux.namespaces.map((n) => n.type);
  for (const t of types) if (!NAMESPACES.includes(t)) throw new SpecError(`unknown namespace type ${JSON.stringify(t)}`, 'linux.namespaces');
  for (const needed of spec.minictl.keepRoot ? (['user'] as const) : (['user', 'mount', 'pid'] as const))
    if (!types.includes(needed)) throw new SpecError(`a rootless container needs a ${needed} namespace`, 'linux.namespaces');
  const joinsUser = spec.linux.namespaces.some((n) => n.type === 'user' && n.path);
  if (!joinsUser)
    for (const field of ['uidMappings', 'gidMappings'] as const)
      if (spec.linux[field].length === 0) throw new SpecError(`linux.${field} must not be empty`, `linux.${field}`);
  if (spec.root.readonly !== (spec.minictl.rootMode === 'readonly'))
    throw new SpecError('root.readonly must agree with minictl.rootMode', 'root.readonly');
  const u = spec.process.user;
  // a joined user namespace has maps of its own, which the spec does not describe
  const mapped = (maps: IdMapping[], id: number) => joinsUser || maps.some((m) => id >= m.containerID && id < m.containerID + m.size);
  if (!mapped(spec.linux.uidMappings, u.uid))
    throw new SpecError(`process.user.uid ${u.uid} is not mapped in the container's user namespace (map a subuid range, e.g. --userns=subuid)`, 'process.user.uid');
  for (const g of [u.gid, ...(u.additionalGids ?? [])])
    if (!mapped(spec.linux.gidMappings, g))
      throw new SpecError(`group ${g} is not mapped in the container's user namespace (map a subgid range, e.g. --userns=subuid)`, 'process.user.gid');
  if ((u.additionalGids?.length ?? 0) > 0 && spec.minictl.setgroups !== 'allow')
    throw new SpecError('supplementary groups need setgroups allowed (a subgid range with --setgroups allow)', 'process.user.additionalGids');
  return spec;
}
