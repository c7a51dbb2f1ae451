import { readFileSync } from 'node:fs';
import { join, resolve as pathResolve } from 'node:path';
import type { ContainerSpec, MountSpec, NamespaceType } from '@minictl/nsproc';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '@minictl/rootfs';
import { validateProfile } from '@minictl/seccomp';
import { resolveIdentity } from '../identity/resolve';
import { UsageError } from '../run/parse';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

/** Mount points minictl always provides itself (its /dev, /proc, /sys layout). */
const PROVIDED: Record<string, string[]> = {
  '/proc': ['proc'],
  '/dev': ['tmpfs'],
  '/dev/pts': ['devpts'],
  '/dev/shm': ['tmpfs'],
  '/dev/mqueue': ['mqueue'],
  '/sys': ['sysfs', 'none', 'bind'],
  '/sys/fs/cgroup': ['cgroup', 'cgroup2'],
};

/** Options of the standard mounts that minictl's own layout already gives them. */
const STANDARD_OPTIONS = new Set([
  'nosuid', 'noexec', 'nodev', 'ro', 'rw', 'relatime', 'strictatime', 'rbind', 'bind', 'rprivate', 'private',
  'newinstance', 'ptmxmode=0666', 'mode=0620', 'mode=755', 'mode=1777', 'size=65536k',
]);

const NS_TYPES: Record<string, NamespaceType> = {
  pid: 'pid', network: 'network', mount: 'mount', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup',
};

export interface Translated {
  spec: ContainerSpec;
  annotations: Record<string, string>;
  /** one line per field minictl cannot honour: reported, never dropped in silence */
  unsupported: string[];
}

/** Read BUNDLE/config.json: one line naming the problem if it is not valid JSON. */
export function readConfig(bundle: string): Json {
  const file = join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code} (minictl spec writes one)`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The OCI runtime spec subset minictl honours, as a ContainerSpec. */
export function fromOciConfig(c: Json, bundle: string): Translated {
  const unsupported: string[] = [];
  const field = (f: string) => `config.json: ${f}`;
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new UsageError(field(what));
  };
  need(typeof c === 'object' && c !== null && !Array.isArray(c), 'must be a JSON object');
  need(typeof c.ociVersion === 'string' && c.ociVersion.startsWith('1.'), 'ociVersion must be 1.x');
  const knownTop = new Set(['ociVersion', 'process', 'root', 'hostname', 'mounts', 'linux', 'annotations']);
  for (const k of Object.keys(c)) if (!knownTop.has(k)) unsupported.push(k);
  const p = c.process ?? {};
  need(Array.isArray(p.args) && p.args.length > 0 && p.args.every((a: unknown) => typeof a === 'string'), 'process.args must be a non-empty list of strings');
  need(typeof c.root?.path === 'string', 'root.path must name the root filesystem');
  const known = new Set(['terminal', 'user', 'args', 'env', 'cwd', 'capabilities', 'rlimits', 'noNewPrivileges', 'consoleSize']);
  for (const k of Object.keys(p)) if (!known.has(k)) unsupported.push(`process.${k}`);

  const linux = c.linux ?? {};
  const namespaces: { type: NamespaceType; path?: string }[] = [];
  for (const [i, n] of (linux.namespaces ?? []).entries()) {
    const type = NS_TYPES[n?.type];
    need(type !== undefined, `linux.namespaces[${i}].type ${JSON.stringify(n?.type)} is not a namespace type (pid, network, mount, ipc, uts, user, cgroup)`);
    need(n.path === undefined || (typeof n.path === 'string' && n.path.startsWith('/')), `linux.namespaces[${i}].path must be an absolute path`);
    namespaces.push(n.path === undefined ? { type } : { type, path: n.path });
  }
  const joinsUser = namespaces.some((n) => n.type === 'user' && n.path);
  for (const needed of ['user', 'mount', 'pid'] as const)
    need(namespaces.some((n) => n.type === needed), `linux.namespaces must include ${needed} (minictl is rootless)`);
  if (c.hostname !== undefined && !namespaces.some((n) => n.type === 'uts')) unsupported.push('hostname (it needs a uts namespace)');
  else if (c.hostname !== undefined && namespaces.some((n) => n.type === 'uts' && n.path))
    unsupported.push('hostname (a joined uts namespace keeps its own)');
  const knownLinux = new Set(['namespaces', 'uidMappings', 'gidMappings', 'maskedPaths', 'readonlyPaths', 'seccomp', 'resources']);
  for (const k of Object.keys(linux)) if (!knownLinux.has(k)) unsupported.push(`linux.${k}`);
  const resources = linux.resources ?? {};
  for (const k of Object.keys(resources)) if (k !== 'memory' && k !== 'pids') unsupported.push(`linux.resources.${k}`);

  const mapText = (m: Json[] | undefined, what: string) => {
    need(Array.isArray(m) && m.length > 0, `linux.${what} must list at least one mapping`);
    return m!.map((r) => `${r.containerID} ${r.hostID} ${r.size}`).join(',');
  };
  // A joined user namespace keeps its own maps; the config's, if any, are not applied.
  if (joinsUser && (linux.uidMappings?.length || linux.gidMappings?.length)) unsupported.push('linux.uidMappings/gidMappings (the joined user namespace has its own)');
  const identity = joinsUser
    ? { uidMappings: [], gidMappings: [], setgroups: 'deny' as const, useIdHelpers: false }
    : resolveIdentity({ uidmap: mapText(linux.uidMappings, 'uidMappings'), gidmap: mapText(linux.gidMappings, 'gidMappings') });

  const mounts: MountSpec[] = [];
  for (const [i, m] of (c.mounts ?? []).entries()) {
    need(typeof m?.destination === 'string' && m.destination.startsWith('/'), `mounts[${i}].destination must be an absolute path`);
    const type = m.type ?? ((m.options ?? []).some((o: string) => o === 'bind' || o === 'rbind') ? 'bind' : undefined);
    if (PROVIDED[m.destination]?.includes(type)) {
      // minictl's own layout serves this mount point, with its own options
      if ((m.options ?? []).some((o: string) => !STANDARD_OPTIONS.has(o))) unsupported.push(`mounts[${i}].options on ${m.destination} (minictl's own are used)`);
      continue;
    }
    if (type === 'bind' || (type === 'none' && (m.options ?? []).some((o: string) => /r?bind/.test(o))))
      mounts.push({ destination: m.destination, type: 'bind', source: pathResolve(bundle, m.source), options: m.options ?? [] });
    else if (type === 'tmpfs') mounts.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: m.options ?? [] });
    else unsupported.push(`mounts[${i}] (${type} on ${m.destination})`);
  }

  const caps = p.capabilities ?? {};
  // The kernel raises an ambient capability only if it is permitted and inheritable too.
  const settable = new Set<string>((caps.permitted ?? []).filter((x: string) => (caps.inheritable ?? []).includes(x)));
  const ambient: string[] = (caps.ambient ?? []).filter((x: string) => settable.has(x));
  const dropped = (caps.ambient ?? []).filter((x: string) => !settable.has(x));
  if (dropped.length) unsupported.push(`process.capabilities.ambient ${dropped.join(',')} (ambient needs the capability in permitted and inheritable)`);
  const spec: ContainerSpec = {
    ociVersion: c.ociVersion,
    process: {
      terminal: p.terminal === true,
      user: { uid: p.user?.uid ?? 0, gid: p.user?.gid ?? 0, additionalGids: p.user?.additionalGids },
      args: p.args,
      env: p.env ?? [],
      cwd: p.cwd ?? '/',
      capabilities: {
        bounding: caps.bounding ?? [],
        effective: caps.effective ?? [],
        inheritable: caps.inheritable ?? [],
        permitted: caps.permitted ?? [],
        ambient,
      },
      noNewPrivileges: p.noNewPrivileges === true,
      rlimits: p.rlimits,
    },
    root: { path: pathResolve(bundle, c.root.path), readonly: c.root.readonly === true },
    hostname: c.hostname,
    mounts,
    linux: {
      namespaces,
      uidMappings: identity.uidMappings,
      gidMappings: identity.gidMappings,
      seccomp: linux.seccomp === undefined ? undefined : validateProfile(linux.seccomp, 'config.json linux.seccomp'),
      maskedPaths: linux.maskedPaths ?? [...DEFAULT_MASKED_PATHS],
      readonlyPaths: linux.readonlyPaths ?? [...DEFAULT_READONLY_PATHS],
      resources:
        resources.memory?.limit || resources.pids?.limit
          ? { memory: resources.memory?.limit ? { limit: resources.memory.limit } : undefined, pids: resources.pids?.limit ? { limit: resources.pids.limit } : undefined }
          : undefined,
    },
    minictl: {
      init: true,
      // The OCI root is the bundle's own directory, written in place (as runc does).
      rootMode: c.root.readonly === true ? 'readonly' : 'bind',
      setgroups: identity.setgroups,
      useIdHelpers: identity.useIdHelpers,
      network: namespaces.some((n) => n.type === 'network' && !n.path) ? 'none' : 'host',
    },
  };
  return { spec, annotations: c.annotations ?? {}, unsupported };
}

/** What `minictl spec` writes: a rootless config for a busybox-like rootfs in ./rootfs. */
export function defaultOciConfig(uid: number, gid: number): Json {
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: Object.fromEntries(
        ['bounding', 'effective', 'permitted'].map((s) => [s, ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']]),
      ),
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'minictl',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount', 'user'].map((type) => ({ type })),
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}
