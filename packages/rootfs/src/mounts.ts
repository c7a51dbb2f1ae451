import { MOUNT_ATTR, MS, Op, type Step } from '@minictl/native';

/** How the container's root is made from the image directory. */
export type RootMode =
  /** overlayfs: the image is the read-only lower layer, writes go to a per-run tmpfs */
  | 'overlay'
  /** the directory itself, bound writable (a per-run copy when overlay is unavailable) */
  | 'bind'
  /** the directory bound read-only */
  | 'readonly';

export interface Volume {
  /** absolute host path */
  source: string;
  /** absolute path inside the container */
  target: string;
  readonly: boolean;
  /** whether the source is a directory (a file bind needs a file as its mount point) */
  directory: boolean;
}

export interface MountPlanInput {
  /** the image tree */
  lower: string;
  /** an empty host directory the scratch tmpfs covers (the store's mnt) */
  scratch: string;
  mode: RootMode;
  volumes: readonly Volume[];
  /** a new network namespace lets sysfs be mounted fresh */
  newNetns: boolean;
  /** a new IPC namespace gets its POSIX message queue filesystem at /dev/mqueue */
  newIpcns?: boolean;
  /** extra tmpfs mounts (`--tmpfs PATH[:OPTIONS]`) */
  tmpfs?: readonly { target: string; options: string }[];
  /** files minictl provides in /etc (hosts, hostname, resolv.conf): name → content */
  etc?: Readonly<Record<string, string>>;
  /** kernel interfaces to hide, and to make read-only (OCI maskedPaths, readonlyPaths) */
  maskedPaths?: readonly string[];
  readonlyPaths?: readonly string[];
}

/** The paths runc and podman hide from a container: kernel memory, keys, timing side channels. */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
];

/** The kernel tunables a container may read but not change. */
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Mounts made in this namespace never propagate back to the host's. */
export const PRIVATE_ROOT: Step = {
  op: Op.MOUNT,
  args: ['', '/', '', String(MS.REC | MS.PRIVATE), ''],
  what: 'make / recursively private',
};

/** Device nodes bound from the host: a user namespace cannot mknod (DESIGN.md §4). */
export const DEV_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;

const NOSUID_NODEV_NOEXEC = MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC;

/**
 * The mount steps of a container, in the order the kernel requires:
 * 1. `/` recursively private, so nothing propagates to the host;
 * 2. a private scratch tmpfs holding the new root (and overlay's upper layer);
 * 3. every filesystem that needs the host's view (proc and sysfs, whose "too revealing"
 *    check wants a visible host instance; host device nodes; volumes) made as *detached*
 *    mounts while the host tree is still reachable;
 * 4. pivot_root, detaching the host tree;
 * 5. the detached mounts attached at targets resolved inside the new root, so a symlink in
 *    the image can never redirect a mount to the host.
 */
export function mountSteps(input: MountPlanInput): Step[] {
  const s = input.scratch;
  const newRoot = `${s}/root`;
  const etcNames = Object.keys(input.etc ?? {});
  const steps: Step[] = [
    PRIVATE_ROOT,
    { op: Op.MOUNT, args: ['tmpfs', s, 'tmpfs', String(MS.NOSUID | MS.NODEV), 'mode=0755'], what: `mount scratch tmpfs on ${s}` },
    { op: Op.MKDIR, args: [newRoot, '755'], what: `mkdir ${newRoot}` },
    ...rootSteps(input, newRoot),
    {
      op: Op.FSMOUNT,
      args: ['0', 'proc', String(NOSUID_NODEV_NOEXEC), '/proc'],
      what: 'mount proc',
    },
    input.newNetns
      ? { op: Op.FSMOUNT, args: ['1', 'sysfs', String(NOSUID_NODEV_NOEXEC | MOUNT_ATTR.RDONLY), '/sys'], what: 'mount sysfs' }
      : { op: Op.CLONE, args: ['1', '/sys', '1', String(NOSUID_NODEV_NOEXEC | MOUNT_ATTR.RDONLY)], what: 'bind /sys read-only' },
    ...DEV_NODES.map((n, i): Step => ({
      op: Op.CLONE,
      args: [String(2 + i), `/dev/${n}`, '0', '0'],
      what: `bind host /dev/${n}`,
    })),
    ...input.volumes.map((v, i): Step => ({
      op: Op.CLONE,
      args: [String(volumeSlot(i)), v.source, '1', String(v.readonly ? MOUNT_ATTR.RDONLY : 0)],
      what: `bind ${v.source}`,
    })),
    ...etcNames.flatMap((name, i): Step[] => [
      { op: Op.WRITEFILE, args: [`${s}/etc-${name}`, input.etc![name], '644'], what: `write /etc/${name}` },
      { op: Op.CLONE, args: [String(etcSlot(i)), `${s}/etc-${name}`, '0', '0'], what: `prepare /etc/${name}` },
    ]),
    { op: Op.PIVOT, args: [newRoot], what: 'pivot_root into the image' },
    ...attach(0, '/proc', true, 'proc', input.mode),
    ...mkdirFor('/dev', input.mode),
    { op: Op.MOUNT, args: ['tmpfs', '/dev', 'tmpfs', String(MS.NOSUID), 'mode=0755,size=65536k'], what: 'mount tmpfs on /dev' },
    ...DEV_NODES.flatMap((n, i): Step[] => [
      { op: Op.MKFILE, args: [`/dev/${n}`], what: `create /dev/${n}` },
      { op: Op.ATTACH, args: [String(2 + i), `/dev/${n}`], what: `bind /dev/${n}` },
    ]),
    { op: Op.MKDIR, args: ['/dev/pts', '755'], what: 'mkdir /dev/pts' },
    {
      op: Op.MOUNT,
      args: ['devpts', '/dev/pts', 'devpts', String(MS.NOSUID | MS.NOEXEC), 'newinstance,ptmxmode=0666,mode=0620'],
      what: 'mount devpts on /dev/pts',
    },
    { op: Op.SYMLINK, args: ['pts/ptmx', '/dev/ptmx'], what: 'symlink /dev/ptmx' },
    { op: Op.SYMLINK, args: ['/proc/self/fd', '/dev/fd'], what: 'symlink /dev/fd' },
    ...['stdin', 'stdout', 'stderr'].map((n, i): Step => ({
      op: Op.SYMLINK,
      args: [`/proc/self/fd/${i}`, `/dev/${n}`],
      what: `symlink /dev/${n}`,
    })),
    { op: Op.MKDIR, args: ['/dev/shm', '755'], what: 'mkdir /dev/shm' },
    {
      op: Op.MOUNT,
      args: ['shm', '/dev/shm', 'tmpfs', String(MS.NOSUID | MS.NODEV | MS.NOEXEC), 'mode=1777,size=65536k'],
      what: 'mount tmpfs on /dev/shm',
    },
    ...(input.newIpcns
      ? [
          { op: Op.MKDIR, args: ['/dev/mqueue', '755'], what: 'mkdir /dev/mqueue' },
          {
            op: Op.MOUNT,
            args: ['mqueue', '/dev/mqueue', 'mqueue', String(MS.NOSUID | MS.NODEV | MS.NOEXEC), ''],
            what: 'mount mqueue on /dev/mqueue',
          },
        ]
      : []),
    ...mkdirFor('/tmp', input.mode),
    { op: Op.MOUNT, args: ['tmpfs', '/tmp', 'tmpfs', String(MS.NOSUID | MS.NODEV), 'mode=1777'], what: 'mount tmpfs on /tmp' },
    ...attach(1, '/sys', true, 'sysfs', input.mode),
    ...input.volumes.flatMap((v, i) => attach(volumeSlot(i), v.target, v.directory, v.source, input.mode)),
    ...(input.tmpfs ?? []).flatMap((t): Step[] => [
      ...mkdirFor(t.target, input.mode),
      {
        op: Op.MOUNT,
        args: ['tmpfs', t.target, 'tmpfs', String(MS.NOSUID | MS.NODEV), t.options],
        what: `mount tmpfs on ${t.target}`,
      },
    ]),
    ...etcNames.flatMap((name, i) => [
      // Bound over the image's file, as podman does: the image itself is never written.
      ...(input.mode === 'readonly' ? [] : [{ op: Op.MKFILE, args: [`/etc/${name}`], what: `create /etc/${name}` }]),
      { op: Op.ATTACH, args: [String(etcSlot(i)), `/etc/${name}`, 'optional'], what: `mount /etc/${name}` },
    ]),
    ...(input.maskedPaths ?? []).map((p): Step => ({ op: Op.MASK, args: [p], what: `mask ${p}` })),
    ...(input.readonlyPaths ?? []).map((p): Step => ({ op: Op.READONLY, args: [p], what: `make ${p} read-only` })),
  ];
  return steps;
}

function rootSteps(input: MountPlanInput, newRoot: string): Step[] {
  const s = input.scratch;
  if (input.mode === 'overlay') {
    return [
      { op: Op.MKDIR, args: [`${s}/upper`, '755'], what: `mkdir ${s}/upper` },
      { op: Op.MKDIR, args: [`${s}/work`, '755'], what: `mkdir ${s}/work` },
      {
        // Each option is its own fsconfig call, so commas or colons in paths cannot split it.
        op: Op.FSMOUNT,
        args: ['63', 'overlay', '0', '', 'lowerdir', input.lower, 'upperdir', `${s}/upper`, 'workdir', `${s}/work`, 'userxattr', ''],
        what: 'mount overlay (image as the read-only lower layer)',
      },
      { op: Op.ATTACH, args: ['63', newRoot], what: `attach overlay on ${newRoot}` },
    ];
  }
  const ro = input.mode === 'readonly' ? MOUNT_ATTR.RDONLY : 0;
  return [
    { op: Op.CLONE, args: ['63', input.lower, '1', String(ro)], what: `bind ${input.lower}` },
    { op: Op.ATTACH, args: ['63', newRoot], what: `attach ${input.lower} on ${newRoot}` },
  ];
}

// Slots: 0 proc, 1 sysfs, then the device nodes, the /etc files, the volumes; 63 the root.
const ETC_SLOTS = 3;

function etcSlot(i: number): number {
  return 2 + DEV_NODES.length + i;
}

function volumeSlot(i: number): number {
  return 2 + DEV_NODES.length + ETC_SLOTS + i;
}

/** Attach a detached mount, creating its mount point where the root is writable. */
function attach(slot: number, target: string, directory: boolean, what: string, mode: RootMode): Step[] {
  const parent = target.slice(0, target.lastIndexOf('/')) || '/';
  const create: Step[] = mode === 'readonly' ? [] : directory
    ? [{ op: Op.MKDIR, args: [target, '755'], what: `mkdir ${target}` }]
    : [
        { op: Op.MKDIR, args: [parent, '755'], what: `mkdir ${parent}` },
        { op: Op.MKFILE, args: [target], what: `create ${target}` },
      ];
  return [...create, { op: Op.ATTACH, args: [String(slot), target], what: `mount ${what} on ${target}` }];
}

function mkdirFor(target: string, mode: RootMode): Step[] {
  return mode === 'readonly' ? [] : [{ op: Op.MKDIR, args: [target, '755'], what: `mkdir ${target}` }];
}
