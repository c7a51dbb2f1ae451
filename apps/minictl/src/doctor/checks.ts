/**
 * `minictl doctor`'s checks: pure functions from facts about the host (gathered by probe.ts,
 * simulated by the tests) to one verdict each. Status semantics:
 *   fail  `minictl run` cannot work at all on this host, as this user;
 *   warn  it works, but a feature is degraded or unavailable;
 *   ok    nothing to do.
 * Every remedy is one line; only the AppArmor profile comes as a block (`detail`).
 */
import type { HelperName, HelperStatus, SubIdRange } from '@minictl/idmap';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export type CheckId = 'kernel' | 'user' | 'userns' | 'newuidmap' | 'newgidmap' | 'subuid' | 'overlay' | 'pasta' | 'tun' | 'cgroup';

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  summary: string;
  /** what to do about it, one line */
  remedy?: string;
  /** a block of text the remedy refers to (the AppArmor profile to install) */
  detail?: string;
}

/** How each check is named on its output line. */
export const CHECK_LABELS: Record<CheckId, string> = {
  kernel: 'kernel',
  user: 'user',
  userns: 'user namespaces',
  newuidmap: 'newuidmap',
  newgidmap: 'newgidmap',
  subuid: 'subuid',
  overlay: 'overlay',
  pasta: 'pasta',
  tun: '/dev/net/tun',
  cgroup: 'cgroups',
};

/** The sysctls that can forbid user namespaces, as read from /proc/sys (undefined: absent). */
export interface UsernsSysctls {
  /** user.max_user_namespaces */
  maxUserNamespaces?: string;
  /** kernel.unprivileged_userns_clone (Debian's kernels) */
  unprivilegedUsernsClone?: string;
  /** kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10 and later) */
  apparmorRestrict?: string;
}

/**
 * What happened when a throw-away container (a user + mount namespace, a tmpfs, an overlay
 * mount, exec of /bin/true) was started through the launcher.
 */
export type NamespaceProbe =
  | { result: 'ok' }
  | {
      result: 'failed';
      /** userns: clone or the id maps were refused; setup: a mount or mkdir before the overlay;
       *  overlay: mounting or attaching the overlay; exec: running /bin/true */
      stage: 'userns' | 'setup' | 'overlay' | 'exec';
      step: string;
      errno?: string;
    }
  | { result: 'not-run'; reason: string; errno?: string };

export interface SubIdFacts {
  /** the ranges granted to the user, in file order */
  ranges: SubIdRange[];
  /** the errno when the file exists but cannot be read */
  error?: string;
}

export interface TunFacts {
  exists: boolean;
  charDevice: boolean;
  /** st_mode, for the message */
  mode?: number;
  /** open(O_RDWR) would be allowed for this user (access(R_OK|W_OK)) */
  accessible: boolean;
}

export interface CgroupFacts {
  /** a cgroup2 hierarchy is mounted */
  v2: boolean;
  /** where it is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified in the hybrid layout) */
  mountPoint?: string;
  /** cgroup v1 hierarchies are mounted too */
  v1: boolean;
  /** this process's cgroup directory in the v2 hierarchy (from /proc/self/cgroup) */
  dir?: string;
  /** the user may create cgroups in dir */
  writable: boolean;
  /** the user may enable controllers for them (dir/cgroup.subtree_control) */
  subtreeControlWritable: boolean;
  /** dir/cgroup.controllers: what can be enabled below dir */
  controllers: string[];
}

export interface HostFacts {
  /** os.release() */
  kernel: string;
  user: {
    name: string;
    uid: number;
    /** root of the initial user namespace, whom `minictl run` refuses */
    hostRoot: boolean;
  };
  sysctl: UsernsSysctls;
  /** the launcher executable, which creates the namespaces (the AppArmor profile names it) */
  launcher: string;
  helpers: Record<HelperName, HelperStatus>;
  subuid: SubIdFacts;
  subgid: SubIdFacts;
  /** the first id after every range in /etc/subuid and /etc/subgid (at least 100000) */
  freeSubId: number;
  probe: NamespaceProbe;
  /** the store's marker that makes every run use a copy instead of overlayfs, when present */
  noOverlayMarker?: string;
  /** pasta on PATH, for --network pasta and -p */
  pasta?: string;
  tun: TunFacts;
  cgroup: CgroupFacts;
}

// ---------------------------------------------------------------------------------------
// Kernel

/** What minictl uses from the kernel and since when; `required`: no run works without it. */
const KERNEL_FEATURES: { since: [number, number]; what: string; required: boolean }[] = [
  { since: [5, 2], what: 'the new mount API (fsopen, move_mount)', required: true },
  { since: [5, 6], what: 'openat2 (safe image extraction)', required: true },
  { since: [5, 11], what: 'close_range with CLOSE_RANGE_CLOEXEC (the launcher, before exec)', required: true },
  { since: [5, 12], what: 'mount_setattr (--read-only and read-only volumes)', required: false },
];

export function parseKernelVersion(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

const older = (v: [number, number], than: [number, number]) => v[0] < than[0] || (v[0] === than[0] && v[1] < than[1]);

export function checkKernel(f: HostFacts): CheckResult {
  const v = parseKernelVersion(f.kernel);
  const remedy = 'upgrade to Linux 5.12 or later';
  if (!v) return { id: 'kernel', status: 'warn', summary: `cannot tell the version of "${f.kernel}"`, remedy: 'minictl needs Linux 5.11 or later (5.12 for every feature)' };
  const missing = KERNEL_FEATURES.filter((k) => older(v, k.since));
  const list = (ks: typeof missing) => ks.map((k) => `${k.what} from ${k.since.join('.')}`).join(', ');
  const required = missing.filter((k) => k.required);
  if (required.length > 0)
    return { id: 'kernel', status: 'fail', summary: `Linux ${f.kernel} is too old: minictl run needs 5.11 (${list(required)})`, remedy };
  if (missing.length > 0) return { id: 'kernel', status: 'warn', summary: `Linux ${f.kernel} lacks ${list(missing)}`, remedy };
  return { id: 'kernel', status: 'ok', summary: `Linux ${f.kernel}` };
}

// ---------------------------------------------------------------------------------------
// The user

export function checkUser(f: HostFacts): CheckResult {
  if (f.user.hostRoot)
    return {
      id: 'user',
      status: 'fail',
      summary: 'running as root: minictl run refuses to run as host root (container root would be host root)',
      remedy: 'run minictl, and this check, as the ordinary user who will run containers',
    };
  return { id: 'user', status: 'ok', summary: `${f.user.name} (uid ${f.user.uid})` };
}

// ---------------------------------------------------------------------------------------
// User namespaces: the sysctls that forbid them, shared with diagnose.ts (`minictl run`)

/** Read the three sysctls, always in this order, through `read` ("user/max_user_namespaces"). */
export function readUsernsSysctls(read: (name: string) => string | undefined): UsernsSysctls {
  return {
    maxUserNamespaces: read('user/max_user_namespaces'),
    unprivilegedUsernsClone: read('kernel/unprivileged_userns_clone'),
    apparmorRestrict: read('kernel/apparmor_restrict_unprivileged_userns'),
  };
}

/** A host setting that forbids (unprivileged) user namespaces, in both voices. */
export interface UsernsBlocker {
  kind: 'disabled' | 'limit' | 'debian' | 'apparmor';
  /** doctor's line: "user namespaces: <summary>" */
  summary: string;
  /** a whole sentence, for the error of a failed run */
  sentence: string;
  /** the remedy for a failed run */
  remedy: string;
  /** doctor's remedy, when it says more than the run's */
  doctorRemedy?: string;
  /** doctor: applies to unprivileged users only (root is not affected) */
  unprivilegedOnly: boolean;
}

const DEFAULT_MAX_USERNS = 28633;

/**
 * Which setting forbids user namespaces, judged from the sysctls and the errno of a refused
 * clone (ENOSPC: the limit is reached). In the order the kernel applies them.
 */
export function usernsBlocker(s: UsernsSysctls, errno?: string): UsernsBlocker | undefined {
  const max = s.maxUserNamespaces;
  if (max === '0')
    return {
      kind: 'disabled',
      summary: 'disabled (user.max_user_namespaces = 0)',
      sentence: 'user namespaces are disabled (user.max_user_namespaces = 0)',
      remedy: `run "sudo sysctl -w user.max_user_namespaces=${DEFAULT_MAX_USERNS}"`,
      unprivilegedOnly: false,
    };
  if (errno === 'ENOSPC') {
    const n = max !== undefined && /^\d+$/.test(max) ? Number(max) : undefined;
    const raise = n !== undefined && n >= DEFAULT_MAX_USERNS ? n * 2 : DEFAULT_MAX_USERNS;
    return {
      kind: 'limit',
      summary: `the limit is reached (user.max_user_namespaces = ${max ?? 'unknown'})`,
      sentence: 'the limit on user namespaces is reached (user.max_user_namespaces)',
      remedy: `raise it with "sudo sysctl -w user.max_user_namespaces=${raise}"`,
      unprivilegedOnly: false,
    };
  }
  if (s.unprivilegedUsernsClone === '0')
    return {
      kind: 'debian',
      summary: 'disabled for unprivileged users (kernel.unprivileged_userns_clone = 0)',
      sentence: 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)',
      remedy: 'run "sudo sysctl -w kernel.unprivileged_userns_clone=1"',
      unprivilegedOnly: true,
    };
  if (s.apparmorRestrict === '1')
    return {
      kind: 'apparmor',
      summary: 'restricted by AppArmor (kernel.apparmor_restrict_unprivileged_userns = 1)',
      sentence: 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)',
      remedy:
        'add an AppArmor profile granting "userns," to minictl-launcher, or run "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"',
      doctorRemedy: `install the profile below as ${APPARMOR_PROFILE_FILE} and load it with "sudo apparmor_parser -r ${APPARMOR_PROFILE_FILE}", or allow every program: "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"`,
      unprivilegedOnly: true,
    };
  return undefined;
}

export const APPARMOR_PROFILE_FILE = '/etc/apparmor.d/minictl';

/** The AppArmor profile that lets the launcher create user namespaces (AppArmor 4, Ubuntu 24.04). */
export function apparmorProfile(launcher: string): string {
  const target = /[\s"#,{}()]/.test(launcher) ? `"${launcher.replace(/"/g, '\\"')}"` : launcher;
  return [
    'abi <abi/4.0>,',
    'include <tunables/global>',
    '',
    `profile minictl ${target} flags=(unconfined) {`,
    '  userns,',
    '',
    '  include if exists <local/minictl>',
    '}',
  ].join('\n');
}

function blockerResult(f: HostFacts, b: UsernsBlocker, status: CheckStatus, summary = b.summary): CheckResult {
  const r: CheckResult = { id: 'userns', status, summary, remedy: b.doctorRemedy ?? b.remedy };
  if (b.kind === 'apparmor') r.detail = apparmorProfile(f.launcher);
  return r;
}

export function checkUserns(f: HostFacts): CheckResult {
  const p = f.probe;
  const allowed = (): string => {
    const max = f.sysctl.maxUserNamespaces;
    return max === undefined ? 'allowed' : `allowed (user.max_user_namespaces = ${max})`;
  };
  if (p.result === 'not-run') {
    const b = usernsBlocker(f.sysctl);
    if (b) return blockerResult(f, b, 'fail');
    return {
      id: 'userns',
      status: 'fail',
      summary: `not tested: ${p.reason}`,
      remedy: 'build minictl so that its launcher exists and is executable ("npx nx run-many -t build" in the repository)',
    };
  }
  if (p.result === 'failed' && p.stage === 'userns') {
    const b = usernsBlocker(f.sysctl, p.errno);
    if (b) return blockerResult(f, b, 'fail');
    return {
      id: 'userns',
      status: 'fail',
      summary: `the kernel refused to create one (${p.step}: ${p.errno ?? 'failed'})`,
      remedy:
        'no sysctl forbids them here: a seccomp filter or an enclosing container may (docker: --security-opt seccomp=unconfined), or a security module (see "sudo dmesg")',
    };
  }
  if (p.result === 'failed' && p.stage === 'setup')
    return {
      id: 'userns',
      status: 'fail',
      summary: `created, but the test container failed at "${p.step}" (${p.errno ?? 'failed'}), which minictl run needs too`,
      remedy: 'a mount namespace must allow a private / and a tmpfs: report this with the output of "minictl doctor --json"',
    };
  if (p.result === 'failed' && p.stage === 'exec') {
    const v = parseKernelVersion(f.kernel);
    if (p.errno === 'ENOENT')
      return {
        id: 'userns',
        status: 'warn',
        summary: `${allowed()}, but the test could not execute /bin/true (ENOENT)`,
        remedy: 'install coreutils so that /bin/true exists, to complete this test',
      };
    return {
      id: 'userns',
      status: 'fail',
      summary: `created, but the launcher could not execute a command in it (${p.step}: ${p.errno ?? 'failed'})`,
      remedy:
        v && older(v, [5, 11])
          ? 'upgrade to Linux 5.11 or later (the launcher closes inherited fds with close_range CLOSE_RANGE_CLOEXEC)'
          : 'report this with the output of "minictl doctor --json"',
    };
  }
  // A user namespace was created (the overlay may still have failed).
  const b = usernsBlocker(f.sysctl);
  if (b && b.unprivilegedOnly && f.user.hostRoot)
    return blockerResult(f, b, 'warn', `allowed for root only: ${b.summary}`);
  if (b?.kind === 'apparmor')
    return { id: 'userns', status: 'ok', summary: `${allowed()}; AppArmor restricts them, and a profile lets the launcher create them` };
  return { id: 'userns', status: 'ok', summary: allowed() };
}

// ---------------------------------------------------------------------------------------
// newuidmap / newgidmap

export function checkHelper(f: HostFacts, name: HelperName): CheckResult {
  const h = f.helpers[name];
  if (h.usable) return { id: name, status: 'ok', summary: `${h.path} is setuid root` };
  const consequence = name === 'newuidmap' ? 'subordinate uid ranges cannot be mapped' : 'subordinate gid ranges cannot be mapped';
  if (!h.path)
    return {
      id: name,
      status: 'warn',
      summary: `not found: ${consequence}`,
      remedy: 'install the "uidmap" package ("sudo apt-get install uidmap"; shadow-utils on Fedora)',
    };
  return {
    id: name,
    status: 'warn',
    summary: `${h.path} is not setuid root: ${consequence}`,
    remedy: `reinstall the "uidmap" package ("sudo apt-get install --reinstall uidmap"), or run "sudo chown root:root ${h.path} && sudo chmod u+s ${h.path}"`,
  };
}

// ---------------------------------------------------------------------------------------
// /etc/subuid, /etc/subgid

const FULL_RANGE = 65536;

const showRanges = (rs: SubIdRange[]) => rs.map((r) => `${r.start}-${r.start + r.count - 1}`).join(', ');
const total = (rs: SubIdRange[]) => rs.reduce((n, r) => n + r.count, 0);

export function checkSubIds(f: HostFacts): CheckResult {
  const user = f.user.name;
  const start = f.freeSubId;
  const end = start + FULL_RANGE - 1;
  const line = `"${user}:${start}:${FULL_RANGE}"`;
  for (const [kind, file, facts] of [
    ['uid', '/etc/subuid', f.subuid],
    ['gid', '/etc/subgid', f.subgid],
  ] as const) {
    if (facts.error)
      return {
        id: 'subuid',
        status: 'warn',
        summary: `cannot read ${file} (${facts.error}): no subordinate ${kind}s`,
        remedy: `make it readable: "sudo chmod 0644 ${file}"`,
      };
  }
  const u = f.subuid.ranges;
  const g = f.subgid.ranges;
  if (u.length === 0 && g.length === 0)
    return {
      id: 'subuid',
      status: 'warn',
      summary: `no range for ${user} in /etc/subuid or /etc/subgid: containers can map only your own ids`,
      remedy: `add ${line} to /etc/subuid and /etc/subgid (sudo usermod --add-subuids ${start}-${end} --add-subgids ${start}-${end} ${user})`,
    };
  if (u.length === 0 || g.length === 0) {
    const [kind, file, other, otherRanges] =
      u.length === 0 ? (['uid', '/etc/subuid', '/etc/subgid', g] as const) : (['gid', '/etc/subgid', '/etc/subuid', u] as const);
    return {
      id: 'subuid',
      status: 'warn',
      summary: `no range for ${user} in ${file} (${other} grants ${showRanges(otherRanges)}): containers can map only your own ids`,
      remedy: `add ${line} to ${file} (sudo usermod --add-sub${kind}s ${start}-${end} ${user})`,
    };
  }
  const granted = `${user} has uids ${showRanges(u)} and gids ${showRanges(g)}`;
  const small = [total(u) < FULL_RANGE ? 'uids' : '', total(g) < FULL_RANGE ? 'gids' : ''].filter(Boolean);
  if (small.length > 0)
    return {
      id: 'subuid',
      status: 'warn',
      summary: `${granted}: fewer than ${FULL_RANGE} ${small.join(' and ')}, so not every id of an image can be mapped`,
      remedy: `grant a full range instead: ${line} in /etc/subuid and /etc/subgid`,
    };
  return { id: 'subuid', status: 'ok', summary: granted };
}

// ---------------------------------------------------------------------------------------
// overlayfs in a user namespace

export function checkOverlay(f: HostFacts): CheckResult {
  const p = f.probe;
  const copies = 'each run copies the image instead';
  if (p.result === 'ok' || (p.result === 'failed' && p.stage === 'exec')) {
    if (f.noOverlayMarker)
      return {
        id: 'overlay',
        status: 'warn',
        summary: `mounts in a user namespace, but ${f.noOverlayMarker} (left by an earlier failure) makes runs copy the image instead`,
        remedy: `rm ${f.noOverlayMarker}`,
      };
    return { id: 'overlay', status: 'ok', summary: 'mounts in a user namespace (userxattr)' };
  }
  if (p.result === 'failed' && p.stage === 'overlay') {
    const v = parseKernelVersion(f.kernel);
    const remedy =
      v && older(v, [5, 11])
        ? 'upgrade to Linux 5.11 or later (overlayfs in a user namespace)'
        : p.errno === 'ENODEV'
          ? 'load the overlay module: "sudo modprobe overlay"'
          : 'nothing is needed for runs; "sudo dmesg | grep overlayfs" may say why the kernel refused';
    return { id: 'overlay', status: 'warn', summary: `cannot mount in a user namespace (${p.errno ?? 'failed'}): ${copies}`, remedy };
  }
  return { id: 'overlay', status: 'warn', summary: 'not tested: no test container could be started (see user namespaces)' };
}

// ---------------------------------------------------------------------------------------
// /dev/net/tun

/** "crw-rw-rw-", as ls shows a mode. */
export function modeString(mode: number): string {
  const type = (mode & 0o170000) === 0o020000 ? 'c' : (mode & 0o170000) === 0o040000 ? 'd' : (mode & 0o170000) === 0o120000 ? 'l' : '-';
  let s = type;
  for (const shift of [6, 3, 0]) {
    const bits = (mode >> shift) & 7;
    s += (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-');
  }
  return s;
}

export function checkPasta(f: HostFacts): CheckResult {
  if (!f.pasta)
    return { id: 'pasta', status: 'warn', summary: 'not installed: --network pasta and -p are unavailable', remedy: 'install the "passt" package (apt-get install passt)' };
  return { id: 'pasta', status: 'ok', summary: `${f.pasta} (--network pasta, -p)` };
}

export function checkTun(f: HostFacts): CheckResult {
  const t = f.tun;
  const why = 'no user-mode networking (pasta)';
  if (!t.exists)
    return {
      id: 'tun',
      status: 'warn',
      summary: `missing: ${why}`,
      remedy: 'load the tun module: "sudo modprobe tun" (in a container, pass the device in: --device /dev/net/tun)',
    };
  const mode = t.mode === undefined ? '' : ` (${modeString(t.mode)})`;
  if (!t.charDevice)
    return {
      id: 'tun',
      status: 'warn',
      summary: `not a character device${mode}: ${why}`,
      remedy: 'recreate it: "sudo rm /dev/net/tun && sudo mknod -m 0666 /dev/net/tun c 10 200"',
    };
  if (!t.accessible)
    return {
      id: 'tun',
      status: 'warn',
      summary: `not readable and writable by ${f.user.name}${mode}: ${why}`,
      remedy: 'run "sudo chmod 0666 /dev/net/tun" (its usual mode; a udev rule KERNEL=="tun", MODE="0666" keeps it)',
    };
  return { id: 'tun', status: 'ok', summary: `usable${mode}` };
}

// ---------------------------------------------------------------------------------------
// cgroup delegation

const LIMIT_CONTROLLERS = ['memory', 'pids'];

export function checkCgroup(f: HostFacts): CheckResult {
  const c = f.cgroup;
  const unavailable = '--memory and --pids-limit are unavailable';
  const bootV2 = 'boot with cgroup v2 only: add "systemd.unified_cgroup_hierarchy=1" to the kernel command line';
  if (!c.v2) return { id: 'cgroup', status: 'warn', summary: `cgroup v1 only: ${unavailable}`, remedy: bootV2 };
  const lacking = LIMIT_CONTROLLERS.filter((x) => !c.controllers.includes(x));
  if (c.v1 && lacking.length === LIMIT_CONTROLLERS.length)
    return {
      id: 'cgroup',
      status: 'warn',
      summary: `hybrid layout: the cgroup v2 hierarchy${c.mountPoint ? ` at ${c.mountPoint}` : ''} has no memory or pids controller: ${unavailable}`,
      remedy: bootV2,
    };
  const delegate = 'run minictl in a delegated scope ("systemd-run --user --scope -p Delegate=yes minictl ...")';
  if (!c.dir)
    return { id: 'cgroup', status: 'warn', summary: `this process is in no cgroup v2 group: ${unavailable}`, remedy: delegate };
  if (!c.writable || !c.subtreeControlWritable)
    return {
      id: 'cgroup',
      status: 'warn',
      summary: `not delegated: ${c.writable ? `${c.dir}/cgroup.subtree_control` : c.dir} is not writable by ${f.user.name}: ${unavailable}`,
      remedy: delegate,
    };
  if (lacking.length > 0)
    return {
      id: 'cgroup',
      status: 'warn',
      summary: `delegated (${c.dir}), but without the ${lacking.join(' and ')} controller: ${lacking.map((x) => (x === 'memory' ? '--memory' : '--pids-limit')).join(' and ')} ${lacking.length > 1 ? 'are' : 'is'} unavailable`,
      remedy: `delegate it: "sudo systemctl edit user@.service", add "Delegate=cpu io memory pids" under [Service], and log in again`,
    };
  return { id: 'cgroup', status: 'ok', summary: `delegated: ${c.dir} (controllers: ${c.controllers.join(' ')})` };
}

// ---------------------------------------------------------------------------------------

/** Every check, in the order doctor prints them. */
export function runChecks(f: HostFacts): CheckResult[] {
  return [
    checkKernel(f),
    checkUser(f),
    checkUserns(f),
    checkHelper(f, 'newuidmap'),
    checkHelper(f, 'newgidmap'),
    checkSubIds(f),
    checkOverlay(f),
    checkPasta(f),
    checkTun(f),
    checkCgroup(f),
  ];
}

/** `minictl run` can work when no check failed. */
export function canRun(checks: readonly CheckResult[]): boolean {
  return !checks.some((c) => c.status === 'fail');
}
